package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"amldsr/internal/api"
	"amldsr/internal/azureapi"
	"amldsr/internal/config"
	"amldsr/internal/ledger"
	"amldsr/internal/queue"
	"amldsr/internal/queue/memory"
	"amldsr/internal/queue/servicebus"
	"amldsr/internal/runner"
	"amldsr/internal/store"
	"amldsr/internal/store/blob"
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
	head     *sweep.HeadMark // samples what the consumers receive (sweep/head.go)
	receiver queue.Receiver  // nil in Functions mode
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
		MaxContent: cfg.MaxContentBytes, ContentAllowPrivate: cfg.ContentAllowPrivate,
		Pacer: &azureapi.Pacer{Reads: cfg.ReadsPerSecond, Deletes: cfg.DeletesPerSecond, Burst: 5, MaxWait: 2 * time.Second, LowWater: 10},
	})
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg, cred)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	sender, receiver, deadLetters, embedded, err := openQueue(cfg, cred)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	l := ledger.New(st, cfg.Container)
	a := &app{log: log, ledger: l, receiver: receiver, embedded: embedded}
	a.worker = worker.New(client, l, sender, log)
	a.worker.AllowedScopes = cfg.AllowedScopes
	a.api = &api.Server{Ledger: l, Queue: sender, Log: log, PublicURL: cfg.PublicURL, AllowedScopes: cfg.AllowedScopes, RetryAfter: 5 * time.Second, PageSize: 100,
		TrustCallerHeaders: cfg.Mode == config.Functions}
	a.sweeper = &sweep.Sweeper{Ledger: l, Queue: sender, DeadLetters: deadLetters, RedriveAfter: cfg.RedriveAfter, GiveUpAfter: cfg.GiveUpAfter, Log: log,
		MaxSteps: cfg.MaxStepsPerRequest, Budget: cfg.SweepBudget}
	a.head = &sweep.HeadMark{Store: st}
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

// openStore: Blob Storage with managed identity (DSR_STORAGE_URL) or a
// connection string; local files otherwise. The container is created when
// missing only in local mode and with a connection string (emulators and
// development): in Azure it is provisioned, and the app's identity needs
// data-plane roles only.
func openStore(ctx context.Context, cfg config.Config, cred azcore.TokenCredential) (store.Store, error) {
	if !cfg.HasStorage() {
		return dir.Open(cfg.DataDir, cfg.Container)
	}
	var c *container.Client
	var err error
	if cfg.StorageURL != "" {
		c, err = blob.NewContainerClient(cfg.StorageURL, cfg.Container, cred)
	} else {
		c, err = blob.NewContainerClientFromConnectionString(cfg.StorageConnectionString, cfg.Container)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Mode == config.Local || cfg.StorageConnectionString != "" {
		if err := blob.EnsureContainer(ctx, c); err != nil {
			return nil, err
		}
	}
	return blob.New(c), nil
}

// openQueue: Service Bus with managed identity
// (ServiceBusConnection__fullyQualifiedNamespace, the setting the trigger
// reads too) or a connection string; the embedded queue otherwise.
func openQueue(cfg config.Config, cred azcore.TokenCredential) (queue.Sender, queue.Receiver, queue.Receiver, bool, error) {
	if !cfg.HasServiceBus() {
		q := memory.New(memory.Options{LockDuration: cfg.LockDuration})
		return q, q.Receiver(), q.DeadLetterReceiver(), true, nil
	}
	var client *azservicebus.Client
	var err error
	if cfg.ServiceBusNamespace != "" {
		client, err = servicebus.NewClient(cfg.ServiceBusNamespace, cred)
	} else {
		client, err = servicebus.NewClientFromConnectionString(cfg.ServiceBusConnectionString)
	}
	if err != nil {
		return nil, nil, nil, false, err
	}
	sender, err := servicebus.NewSender(client, cfg.Queue)
	if err != nil {
		return nil, nil, nil, false, err
	}
	receiver, err := servicebus.NewReceiver(client, cfg.Queue)
	if err != nil {
		return nil, nil, nil, false, err
	}
	dead, err := servicebus.NewDeadLetterReceiver(client, cfg.Queue)
	if err != nil {
		return nil, nil, nil, false, err
	}
	return sender, receiver, dead, false, nil
}

func newRunner(cfg config.Config, a *app) *runner.Runner {
	return &runner.Runner{Receiver: a.receiver, Handler: a.worker, Concurrency: cfg.Concurrency,
		StepTimeout: cfg.StepTimeout, Grace: 20 * time.Second, Log: a.log, Hold: outageHold(cfg), Seen: a.head.Saw}
}

// outageHold is the in-place retry of local and worker mode.
func outageHold(cfg config.Config) runner.Hold {
	h := runner.DefaultHold
	h.For = cfg.OutageHold
	return h
}
