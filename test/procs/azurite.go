package procs

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
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
//
// AMLDSR_AZURITE_NODE_FLAGS, when set, runs it under node with those flags
// (a diagnostic: "--prof --logfile=/tmp/azurite.log" profiles it).
func StartAzurite(t testing.TB) *Azurite {
	t.Helper()
	return startAzurite(t, strings.Fields(os.Getenv("AMLDSR_AZURITE_NODE_FLAGS")))
}

// StartAzuriteScaled is StartAzurite for the bench (make bench), whose
// requests reach 100,000 steps: it preloads azurite-scaled.cjs, which
// makes Delete Blob, its count and a prefix listing use the name index of
// Azurite's metadata instead of scanning or re-sorting all of it (see that
// file; what Azurite stores and answers is unchanged), and raises Node's
// heap limit above the 2 GB or so that such a request's blobs take in
// memory. Tests use StartAzurite.
func StartAzuriteScaled(t testing.TB) *Azurite {
	t.Helper()
	return startAzurite(t, append(strings.Fields(os.Getenv("AMLDSR_AZURITE_NODE_FLAGS")),
		"--max-old-space-size=8192", "--require", filepath.Join(Root(), "test", "procs", "azurite-scaled.cjs")))
}

func startAzurite(t testing.TB, nodeFlags []string) *Azurite {
	t.Helper()
	bin := NodeBin(t, "azurite-blob")
	port := FreePort(t)
	args := []string{"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port),
		"--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"}
	var p *Proc
	if len(nodeFlags) > 0 {
		script, err := filepath.EvalSymlinks(bin)
		if err != nil {
			t.Fatal(err)
		}
		p = Start(t, "azurite", "node", nil, append(append(nodeFlags, script), args...)...)
	} else {
		p = Start(t, "azurite", bin, nil, args...)
	}
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
