package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"amldsr/internal/config"
)

// Every server this binary runs bounds reading, writing and idling, so a
// slow or stalled client cannot hold a connection (and its goroutine) for
// ever; Functions mode's write bound outlasts the longest invocation.
func TestServersHaveTimeouts(t *testing.T) {
	cfg := config.Config{StepTimeout: 4 * time.Minute}
	for name, srv := range map[string]*http.Server{
		"local":     newServer(http.NotFoundHandler(), localWriteTimeout),
		"functions": newServer(http.NotFoundHandler(), functionsWriteTimeout(cfg)),
		"worker":    newServer(http.NotFoundHandler(), healthWriteTimeout),
	} {
		if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
			t.Errorf("%s: read-header %v, read %v, write %v, idle %v", name, srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
		}
	}
	if w := functionsWriteTimeout(cfg); w <= 10*time.Minute {
		t.Errorf("functions write timeout %v does not outlast the host's functionTimeout (10m)", w)
	}
	cfg.StepTimeout = 20 * time.Minute
	if w := functionsWriteTimeout(cfg); w <= cfg.StepTimeout {
		t.Errorf("functions write timeout %v does not outlast DSR_STEP_TIMEOUT %v", w, cfg.StepTimeout)
	}
}

func TestLocalServerRefusesForeignHost(t *testing.T) {
	h := localHandler(config.Config{Listen: "127.0.0.1:7071"}, http.NotFoundHandler())
	for host, want := range map[string]bool{"127.0.0.1:7071": true, "evil.example:7071": false} {
		r, _ := http.NewRequest("GET", "http://"+host+"/healthz", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if got := rec.Code != http.StatusMisdirectedRequest; got != want {
			t.Errorf("Host %s: status %d", host, rec.Code)
		}
	}
}
