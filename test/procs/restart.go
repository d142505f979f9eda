package procs

import (
	"fmt"
	"testing"
	"time"
)

// StartAzuriteOnDisk starts Azurite keeping its data in dir (not in
// memory), so that Restart brings the same blobs back on the same port.
func StartAzuriteOnDisk(t testing.TB, dir string) *Azurite {
	t.Helper()
	a := &Azurite{port: FreePort(t), dir: dir}
	a.BlobURL = fmt.Sprintf("http://127.0.0.1:%d/%s", a.port, AzuriteAccount)
	a.ConnectionString = fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;",
		AzuriteAccount, AzuriteKey, a.BlobURL)
	a.start(t)
	return a
}

func (a *Azurite) start(t testing.TB) {
	t.Helper()
	a.Proc = Start(t, "azurite", NodeBin(t, "azurite-blob"), nil,
		"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(a.port), "--location", a.dir,
		"--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry")
	waitTCP(t, a.Proc, fmt.Sprintf("127.0.0.1:%d", a.port), 30*time.Second)
}

// StopFor stops an on-disk Azurite (SIGTERM: it saves its data), leaves it
// down for d, and starts it again on the same port and data directory.
// It may run outside the test's goroutine: failures are reported with
// t.Errorf.
func (a *Azurite) StopFor(t testing.TB, d time.Duration) {
	if a.dir == "" {
		t.Errorf("azurite: StopFor needs StartAzuriteOnDisk")
		return
	}
	a.Proc.Stop(10 * time.Second)
	time.Sleep(d)
	a.start(t)
}

// StopFor stops the stand-in, leaves it down for d and starts it again on
// the same port. The stand-in keeps its queues in memory: every message,
// scheduled ones included, is lost with it.
func (s *ServiceBus) StopFor(t testing.TB, d time.Duration) {
	s.Proc.Stop(10 * time.Second)
	time.Sleep(d)
	s.Proc = Start(t, "servicebus-standin", s.node, append(s.opts.env(), fmt.Sprintf("SB_PORT=%d", s.Port)), s.script)
	if port := waitListening(t, s.Proc, 20*time.Second); port != s.Port {
		t.Errorf("servicebus-standin restarted on %d, not %d", port, s.Port)
	}
}
