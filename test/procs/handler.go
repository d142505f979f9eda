package procs

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// Handler is amldsr running in local mode.
type Handler struct {
	*Proc
	URL     string // http://127.0.0.1:PORT
	DataDir string
}

// StartLocal starts the handler in local mode against sim, with a data
// directory of its own and extra environment.
func StartLocal(t testing.TB, sim *Sim, dataDir string, extra ...string) *Handler {
	t.Helper()
	return StartLocalOn(t, sim, dataDir, FreePort(t), extra...)
}

// StartLocalOn is StartLocal on a given port (a restart at the same
// address).
func StartLocalOn(t testing.TB, sim *Sim, dataDir string, port int, extra ...string) *Handler {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	env := append(sim.Env(),
		fmt.Sprintf("DSR_LISTEN=127.0.0.1:%d", port),
		"DSR_DATA_DIR="+dataDir,
		"DSR_READS_PER_SECOND=1000", "DSR_DELETES_PER_SECOND=1000",
		"DSR_SWEEP_INTERVAL=2s",
		"DSR_LOG_LEVEL=info",
	)
	env = append(env, extra...)
	p := Start(t, "handler", filepath.Join(Binaries(t), "handler"), env)
	h := &Handler{Proc: p, URL: fmt.Sprintf("http://127.0.0.1:%d", port), DataDir: dataDir}
	WaitHTTP(t, p, h.URL+"/", 20*time.Second)
	return h
}
