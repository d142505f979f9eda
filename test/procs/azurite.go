package procs

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// Azurite's well-known development account (public, documented by
// Microsoft; it only works against the emulator).
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Azurite is a running Azurite blob service, holding its data in memory.
type Azurite struct {
	*Proc
	// BlobURL is the account's blob endpoint,
	// http://127.0.0.1:PORT/devstoreaccount1.
	BlobURL string
	// ConnectionString addresses the account with its shared key.
	ConnectionString string
	port             int
	dir              string // on disk (StartAzuriteOnDisk), or "" in memory
}

// StartAzurite starts azurite-blob (installed from test/package.json) on a
// free loopback port and waits until it accepts connections; it stops when
// the test ends.
//
// --skipApiVersionCheck lets the SDK send a newer x-ms-version than this
// Azurite knows; --loose ignores headers it does not support;
// --inMemoryPersistence keeps everything in memory (nothing on disk, no
// clean-up, and faster than a --location).
func StartAzurite(t testing.TB) *Azurite {
	t.Helper()
	bin := NodeBin(t, "azurite-blob")
	port := FreePort(t)
	p := Start(t, "azurite", bin, nil,
		"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port),
		"--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry")
	a := &Azurite{Proc: p, BlobURL: fmt.Sprintf("http://127.0.0.1:%d/%s", port, AzuriteAccount)}
	a.ConnectionString = fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;",
		AzuriteAccount, AzuriteKey, a.BlobURL)
	waitTCP(t, p, fmt.Sprintf("127.0.0.1:%d", port), 30*time.Second)
	return a
}

// waitTCP waits until addr accepts connections, failing the test if p
// exits first or timeout passes.
func waitTCP(t testing.TB, p *Proc, addr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if p.Exited() {
			t.Fatalf("%s exited before it was ready:\n%s", p.Name, p.Output())
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not listening on %s after %v:\n%s", p.Name, addr, timeout, p.Output())
}
