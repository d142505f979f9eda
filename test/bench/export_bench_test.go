// Package bench measures the core in process: the real worker, runner,
// ledger and Azure client against the simulator, over TLS on loopback.
// Figures only; nothing here asserts a speed.
package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amldsr/internal/azureapi"
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue/memory"
	"amldsr/internal/runner"
	"amldsr/internal/store/dir"
	"amldsr/internal/worker"
	"amldsr/tools/mlsim/sim"
)

type simCred struct{ token string }

func (c simCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func startSim(b *testing.B, scale int) (*sim.Server, *httptest.Server, *http.Client) {
	caPEM, tlsCfg, err := sim.NewCA()
	if err != nil {
		b.Fatal(err)
	}
	s := sim.New(sim.Options{Seed: 1, Scale: scale})
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.TLS = tlsCfg
	srv.StartTLS()
	b.Cleanup(srv.Close)
	s.SetBaseURL(srv.URL)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return s, srv, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 64}}
}

// BenchmarkExportResourceGroup exports the seeded target resource group
// (scale 1: 571 operations, 519 blobs) with 8 steps at a time.
func BenchmarkExportResourceGroup(b *testing.B) {
	for _, scale := range []int{1, 4} {
		b.Run(fmt.Sprintf("scale=%d", scale), func(b *testing.B) {
			s, srv, hc := startSim(b, scale)
			client, err := azureapi.New(simCred{s.IssueToken(sim.DefaultAudience)}, azureapi.Options{
				Endpoints: catalog.Endpoints{ARM: srv.URL + "/arm", ModelManagement: srv.URL + "/mm/{location}", Experiments: srv.URL + "/exp/{location}"},
				Transport: hc,
				// The simulator serves artifact content from loopback.
				ContentAllowPrivate: true,
			})
			if err != nil {
				b.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			ops := 0
			b.ResetTimer()
			for i := range b.N {
				ops = exportOnce(b, client, log, fmt.Sprintf("bench-%d", i))
			}
			b.ReportMetric(float64(ops*b.N)/b.Elapsed().Seconds(), "ops/s")
			b.ReportMetric(float64(ops), "ops/export")
		})
	}
}

func exportOnce(b *testing.B, client *azureapi.Client, log *slog.Logger, id string) int {
	st, err := dir.Open(b.TempDir(), "dsr")
	if err != nil {
		b.Fatal(err)
	}
	l := ledger.New(st, "dsr")
	q := memory.New(memory.Options{})
	req := dsr.Request{RequestID: id, Operation: dsr.Export, Match: dsr.MatchAll,
		Targets: []string{"/subscriptions/" + sim.SubscriptionID + "/resourceGroups/rg-dsr-target"},
		Subject: &dsr.Subject{ObjectID: sim.SubjectObjectID}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, _, err := l.Accept(ctx, dsr.AcceptedRequest{Request: req, AcceptedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	steps, _ := worker.RootSteps(req)
	if err := (worker.Book{Ledger: l, Queue: q}).Start(ctx, time.Time{}, steps...); err != nil {
		b.Fatal(err)
	}
	r := &runner.Runner{Receiver: q.Receiver(), Handler: worker.New(client, l, q, log), Concurrency: 8,
		StepTimeout: time.Minute, Grace: time.Second, Log: log}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	for {
		status, err := l.Status(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if status.State.Terminal() {
			cancel()
			<-done
			if status.State != dsr.StateSucceeded {
				b.Fatalf("export %s: %+v", status.State, status.Counts)
			}
			return status.Counts.Discovered
		}
		// Status walks every record (O(records)); polled every 20 ms it
		// took a third of the benchmark's CPU (go test -cpuprofile).
		time.Sleep(200 * time.Millisecond)
	}
}
