package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"amldsr/internal/api"
	"amldsr/internal/azureapi"
	"amldsr/internal/callback"
	"amldsr/internal/config"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/logs"
	"amldsr/internal/orders"
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

// finalizeWait is how long a status call that finds its request done
// waits for the evidence (manifest, summary, report) before it answers
// running and leaves the evidence to the background: a status call stays
// well under 200 ms, where writing the evidence reads every blob of the
// request (about a second for a few hundred on Azurite).
const finalizeWait = 100 * time.Millisecond

func wire(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	logs.ListenToAzure(log, cfg.LogLevel <= slog.LevelDebug)
	cred, err := credential(cfg)
	if err != nil {
		return nil, fmt.Errorf("credential: %w", err)
	}
	client, err := azureapi.New(cred, azureapi.Options{
		Endpoints: cfg.Endpoints, Scope: cfg.TokenScope,
		MaxContent: cfg.MaxContentBytes, ContentAllowPrivate: cfg.ContentAllowPrivate,
		Pacer: &azureapi.Pacer{Reads: cfg.ReadsPerSecond, Deletes: cfg.DeletesPerSecond, Burst: 5, MaxWait: 2 * time.Second, LowWater: azureapi.DefaultLowWater},
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
	l.SetDueDays(cfg.DueDays)
	l.FinalizeWait = finalizeWait
	a := &app{log: log, ledger: l, receiver: receiver, embedded: embedded}
	a.worker = worker.New(client, l, sender, log)
	a.worker.AllowedScopes = cfg.AllowedScopes
	a.api = &api.Server{Ledger: l, Queue: sender, Log: log, PublicURL: cfg.PublicURL, AllowedScopes: cfg.AllowedScopes, RetryAfter: 5 * time.Second, PageSize: 100,
		TrustCallerHeaders: cfg.Mode == config.Functions}
	a.sweeper = &sweep.Sweeper{Ledger: l, Queue: sender, DeadLetters: deadLetters, RedriveAfter: cfg.RedriveAfter, GiveUpAfter: cfg.GiveUpAfter, Log: log,
		MaxSteps: cfg.MaxStepsPerRequest, DueDays: cfg.DueDays, RetentionDays: cfg.RetentionDays, Budget: cfg.SweepBudget}
	wireStanding(cfg, a, st, sender)
	a.head = &sweep.HeadMark{Store: st}
	return a, nil
}

// wireStanding wires callbacks (into the ledger's finalization, the
// worker, the API's validation and the sweep) and standing orders (into
// the sweep).
func wireStanding(cfg config.Config, a *app, st store.Store, sender queue.Sender) {
	cb := &callback.Deliverer{Store: st, Ledger: a.ledger, Queue: sender, Hosts: cfg.CallbackHosts,
		Secret: []byte(cfg.CallbackSecret), Log: a.log, GiveUpAfter: cfg.GiveUpAfter}
	a.ledger.OnTerminal = cb.Start
	a.worker.Callbacks = cb
	a.api.Callbacks = dsr.CallbackPolicy{Hosts: cfg.CallbackHosts, HasSecret: cfg.CallbackSecret != ""}
	a.sweeper.Callbacks = cb
	a.sweeper.Orders = &orders.Runner{Store: st, Book: a.worker.Book(), Log: a.log, Now: testClock(cfg.TestClockFile, a.log)}
}

// testClock is time.Now, shifted by the duration the file names when a
// test sets DSR_TEST_CLOCK_FILE (read at every call; an absent or bad
// file shifts nothing).
func testClock(file string, log *slog.Logger) func() time.Time {
	if file == "" {
		return time.Now
	}
	log.Warn("DSR_TEST_CLOCK_FILE is set: standing orders run by a shifted clock (tests only)")
	return func() time.Time {
		b, err := os.ReadFile(file)
		if err != nil {
			return time.Now()
		}
		d, _ := time.ParseDuration(strings.TrimSpace(string(b)))
		return time.Now().Add(d)
	}
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

// serviceBusCredential is the identity of the handler's own Service Bus
// client: the trigger's (ServiceBusConnection__clientId) when it names
// another user-assigned identity than AZURE_CLIENT_ID, else cred.
func serviceBusCredential(cfg config.Config, cred azcore.TokenCredential) (azcore.TokenCredential, error) {
	if cfg.Mode == config.Local || cfg.ServiceBusClientID == cfg.ClientID {
		return cred, nil
	}
	return azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(cfg.ServiceBusClientID)})
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
		var sbCred azcore.TokenCredential
		if sbCred, err = serviceBusCredential(cfg, cred); err == nil {
			client, err = servicebus.NewClient(cfg.ServiceBusNamespace, sbCred)
		}
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
