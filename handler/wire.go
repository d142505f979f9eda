package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"amldsr/internal/api"
	"amldsr/internal/azureapi"
	"amldsr/internal/config"
	"amldsr/internal/ledger"
	"amldsr/internal/queue"
	"amldsr/internal/queue/memory"
	"amldsr/internal/runner"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
	"amldsr/internal/sweep"
	"amldsr/internal/worker"
)

// app is the wired core.
type app struct {
	log      *slog.Logger
	ledger   *ledger.Ledger
	api      *api.Server
	worker   *worker.Worker
	sweeper  *sweep.Sweeper
	receiver queue.Receiver // nil in Functions mode
	// embedded is set when the queue lives in this process.
	embedded bool
}

func wire(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	if cfg.LogLevel <= slog.LevelDebug {
		azlog.SetListener(func(ev azlog.Event, msg string) { log.Debug(msg, "azure_event", string(ev)) })
	}
	cred, err := credential(cfg)
	if err != nil {
		return nil, fmt.Errorf("credential: %w", err)
	}
	client, err := azureapi.New(cred, azureapi.Options{
		Endpoints: cfg.Endpoints, Scope: cfg.TokenScope,
		Pacer: &azureapi.Pacer{Reads: cfg.ReadsPerSecond, Deletes: cfg.DeletesPerSecond, Burst: 5, MaxWait: 2 * time.Second, LowWater: 10},
	})
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	sender, receiver, deadLetters, embedded, err := openQueue(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	l := ledger.New(st, cfg.Container)
	if !cfg.HasStorage() {
		l.Quiet = time.Second // local files: one clock, nanosecond timestamps
	}
	a := &app{log: log, ledger: l, receiver: receiver, embedded: embedded}
	a.worker = worker.New(client, l, sender, log)
	a.api = &api.Server{Ledger: l, Queue: sender, Log: log, PublicURL: cfg.PublicURL, AllowedScopes: cfg.AllowedScopes, RetryAfter: 5 * time.Second, PageSize: 100}
	a.sweeper = &sweep.Sweeper{Ledger: l, Queue: sender, DeadLetters: deadLetters, RedriveAfter: cfg.RedriveAfter, Log: log}
	return a, nil
}

// credential: managed identity in Functions and worker mode;
// DefaultAzureCredential (environment, workload identity, managed
// identity, Azure CLI) in local mode. Both honour IDENTITY_ENDPOINT.
func credential(cfg config.Config) (azcore.TokenCredential, error) {
	if cfg.Mode == config.Local {
		return azidentity.NewDefaultAzureCredential(nil)
	}
	opts := &azidentity.ManagedIdentityCredentialOptions{}
	if cfg.ClientID != "" {
		opts.ID = azidentity.ClientID(cfg.ClientID)
	}
	return azidentity.NewManagedIdentityCredential(opts)
}

func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.HasStorage() {
		return nil, fmt.Errorf("Azure Blob storage is not wired yet")
	}
	return dir.Open(cfg.DataDir, cfg.Container)
}

func openQueue(ctx context.Context, cfg config.Config) (queue.Sender, queue.Receiver, queue.Receiver, bool, error) {
	if cfg.HasServiceBus() {
		return nil, nil, nil, false, fmt.Errorf("Service Bus is not wired yet")
	}
	q := memory.New(memory.Options{LockDuration: cfg.LockDuration})
	return q, q.Receiver(), q.DeadLetterReceiver(), true, nil
}

func newRunner(cfg config.Config, a *app) *runner.Runner {
	return &runner.Runner{Receiver: a.receiver, Handler: a.worker, Concurrency: cfg.Concurrency,
		StepTimeout: cfg.StepTimeout, Grace: 20 * time.Second, Log: a.log}
}
