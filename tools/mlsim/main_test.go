package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"amldsr/tools/mlsim/sim"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:8443" || c.caOut != "./.mlsim/ca.pem" || c.opts.Seed != 1 || c.opts.Scale != 1 ||
		c.opts.PageSize != 5 || c.opts.LROPolls != 2 || c.opts.RetryAfter != 1 || c.opts.Audience != sim.DefaultAudience ||
		c.opts.IdentityHeader != sim.DefaultIdentityHeader {
		t.Errorf("defaults: %+v", c)
	}
	c, err = parseFlags([]string{"-lro-polls", "0", "-latency", "5ms", "-p429", "0.25"})
	if err != nil || c.opts.LROPolls >= 0 || c.opts.Latency != 5*time.Millisecond || c.opts.P429 != 0.25 {
		t.Errorf("-lro-polls 0 -latency 5ms -p429 0.25: %+v, %v", c.opts, err)
	}
	for _, bad := range [][]string{{"-scale", "0"}, {"-p429", "0.7", "-p503", "0.7"}, {"-lro-polls", "-1"}, {"extra"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// syncBuffer is a goroutine-safe stdout.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRun starts the command's server on a free port, checks the files it
// writes and one call over TLS with the written CA, then stops it.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	c, err := parseFlags([]string{"-addr", "127.0.0.1:0",
		"-ca-out", filepath.Join(dir, "new", "ca.pem"), "-url-out", filepath.Join(dir, "url")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, c, &out) }()

	var base string
	for deadline := time.Now().Add(5 * time.Second); base == ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no URL file after 5 s")
		}
		if b, err := os.ReadFile(filepath.Join(dir, "url")); err == nil {
			base = strings.TrimSpace(string(b))
		}
	}
	if u, err := url.Parse(base); err != nil || u.Scheme != "https" || u.Hostname() != "127.0.0.1" || u.Port() == "" {
		t.Fatalf("base URL %q", base)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "new", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest(http.MethodGet, base+"/msi/token?api-version=2019-08-01&resource="+url.QueryEscape(sim.DefaultAudience), nil)
	req.Header.Set("X-IDENTITY-HEADER", sim.DefaultIdentityHeader)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("token endpoint: %d", resp.StatusCode)
	}
	client.CloseIdleConnections()
	for deadline := time.Now().Add(2 * time.Second); !strings.Contains(out.String(), "mlsim listening on "+base); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stdout %q lacks the listening line", out.String())
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "new"))
	if len(entries) != 1 {
		t.Errorf("temporary files left beside ca.pem: %v", entries)
	}
}

func TestARMBucketsFlag(t *testing.T) {
	c, err := parseFlags(nil)
	if err != nil || c.buckets.limits != nil {
		t.Fatalf("default: %+v %v, want off", c.buckets.limits, err)
	}
	c, err = parseFlags([]string{"-arm-buckets", "arm"})
	if err != nil || c.buckets.limits == nil || *c.buckets.limits != sim.DefaultBucketLimits() {
		t.Fatalf("arm: %+v %v", c.buckets.limits, err)
	}
	c, err = parseFlags([]string{"-arm-buckets", "reads=20/10,deletes=15/5"})
	want := sim.DefaultBucketLimits()
	want.ReadBurst, want.ReadRate, want.DeleteBurst, want.DeleteRate = 20, 10, 15, 5
	if err != nil || c.buckets.limits == nil || *c.buckets.limits != want {
		t.Fatalf("reads=20/10,deletes=15/5: %+v %v", c.buckets.limits, err)
	}
	for _, bad := range []string{"reads=20", "reads=0/1", "reads=5/0", "lists=5/5", "reads=x/y"} {
		if _, err := parseFlags([]string{"-arm-buckets", bad}); err == nil {
			t.Errorf("-arm-buckets %s accepted", bad)
		}
	}
}
