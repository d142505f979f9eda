package fakehost

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"amldsr/test/procs"
)

// OwnURL, as the value of an app setting, stands for the test host's own
// base URL (http://127.0.0.1:PORT), which is known only once it listens:
// the test host's front end is plain http, where Azure's is https at
// WEBSITE_HOSTNAME, so a test sets DSR_PUBLIC_URL to OwnURL.
const OwnURL = "fakehost:own-url"

// HostVersion is what the test host reports in its headers.
const HostVersion = "4.1037.0"

// Options configure a test host.
type Options struct {
	// Settings are the app settings, given to the handler as its
	// environment and used to resolve %SETTING% in bindings.
	Settings map[string]string
	// ServiceBus is the connection string the Service Bus trigger uses.
	ServiceBus string
	// FunctionKey is the host's "default" key, which opens every function
	// (Azure lists it under App keys); empty: a random one. Each function
	// also has a key of its own (Host.KeyOf), which opens only that one.
	FunctionKey string
	// TimerEvery fires timer triggers at this interval (0: never).
	TimerEvery time.Duration
	// FunctionTimeout overrides host.json's functionTimeout (tests).
	FunctionTimeout time.Duration
	// NoTriggers leaves the Service Bus queue alone (worker mode consumes it).
	NoTriggers bool
}

// Host runs an app.
type Host struct {
	t       testing.TB
	app     *App
	opts    Options
	front   *httptest.Server
	mu      sync.Mutex
	proc    *procs.Proc
	port    int
	started int           // handler starts
	ready   chan struct{} // closed while the current handler is ready
	stop    context.CancelFunc
	wg      sync.WaitGroup
	invoke  *http.Client
	keys    Keys

	// Counters the tests read.
	Completed, Abandoned, Timeouts, Invocations atomic.Int64
}

// Start loads the app at root, starts the handler and the triggers, and
// stops everything when the test ends.
func Start(t testing.TB, root string, opts Options) *Host {
	t.Helper()
	app, err := LoadApp(root)
	if err != nil {
		t.Fatal(err)
	}
	if opts.FunctionTimeout == 0 {
		opts.FunctionTimeout = app.timeout()
	}
	h := &Host{t: t, app: app, opts: opts, ready: make(chan struct{}), keys: newKeys(app, opts.FunctionKey)}
	// The host's HTTP client gives an invocation functionTimeout (plus a
	// minute in the real host; the test host uses the timeout itself).
	h.invoke = &http.Client{Timeout: opts.FunctionTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The front end listens first: its address is part of the handler's
	// environment. Calls wait until the handler is ready.
	h.front = httptest.NewServer(http.HandlerFunc(h.serveHTTP))
	h.startHandler()
	// t.Context ends before any cleanup runs, so a handler stopped by its
	// own cleanup is not restarted.
	ctx, cancel := context.WithCancel(t.Context())
	h.stop = cancel
	h.startTriggers(ctx)
	go h.watch(ctx)
	t.Cleanup(h.Close)
	return h
}

// URL is the app's public address (http://127.0.0.1:PORT).
func (h *Host) URL() string { return h.front.URL }

// KeyOf returns the key of function fn (its "default" function key), which
// opens that function and no other; empty for an unknown function.
func (h *Host) KeyOf(fn string) string { return h.keys.Functions[fn] }

// FunctionFor names the HTTP function that serves method and path (such
// as "/api/dsr/requests"), as the host routes a call; empty when none does.
func (h *Host) FunctionFor(method, path string) string {
	r, err := http.NewRequest(method, path, nil)
	if err != nil {
		return ""
	}
	fn, _ := h.route(r)
	return fn.Name
}

// Starts is how many times the handler has been started.
func (h *Host) Starts() int { h.mu.Lock(); defer h.mu.Unlock(); return h.started }

// Output returns what the current handler process printed.
func (h *Host) Output() string { h.mu.Lock(); defer h.mu.Unlock(); return h.proc.Output() }

// PeakRSSMiB is the current handler process's peak resident set
// (procs.Proc.PeakRSSMiB).
func (h *Host) PeakRSSMiB() float64 { h.mu.Lock(); defer h.mu.Unlock(); return h.proc.PeakRSSMiB() }

// Close stops the triggers and the handler.
func (h *Host) Close() {
	if h.stop == nil {
		return
	}
	h.stop()
	h.stop = nil
	h.wg.Wait()
	h.front.Close()
	h.mu.Lock()
	h.proc.Stop(10 * time.Second)
	h.mu.Unlock()
}

// env is the handler's environment: the app settings plus what the host
// adds for a custom handler.
func (h *Host) env(port int) []string {
	env := []string{
		fmt.Sprintf("FUNCTIONS_CUSTOMHANDLER_PORT=%d", port),
		fmt.Sprintf("FUNCTIONS_HTTPWORKER_PORT=%d", port),
		"FUNCTIONS_CUSTOMHANDLER_WORKER_ID=" + newGUID(),
		"FUNCTIONS_HTTPWORKER_ID=" + newGUID(),
		"FUNCTIONS_APP_ROOT_PATH=" + h.app.Root,
		"WEBSITE_HOSTNAME=" + strings.TrimPrefix(h.front.URL, "http://"),
	}
	keys := make([]string, 0, len(h.opts.Settings))
	for k := range h.opts.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := h.opts.Settings[k]
		if v == OwnURL {
			v = h.front.URL
		}
		env = append(env, k+"="+v)
	}
	return env
}

// startHandler starts the executable and waits for it to answer GET /
// (any status counts), polling every 25 ms for up to 30 s.
func (h *Host) startHandler() {
	h.t.Helper()
	d := h.app.Host.CustomHandler.Description
	exe := d.DefaultExecutablePath
	if p := filepath.Join(h.app.Root, exe); fileExists(p) {
		exe = p
	}
	port := procs.FreePort(h.t)
	args := expandArgs(d.Arguments, h.opts.Settings)
	p := procs.StartIn(h.t, "handler", exe, h.app.Root, h.env(port), args...)
	h.mu.Lock()
	h.proc, h.port = p, port
	h.started++
	h.mu.Unlock()
	procs.WaitHTTP(h.t, p, fmt.Sprintf("http://127.0.0.1:%d/", port), 30*time.Second)
	h.mu.Lock()
	close(h.ready)
	h.mu.Unlock()
}

// notReady makes new invocations wait for the next handler, as the host
// holds invocations that arrive before the worker is initialized.
func (h *Host) notReady() {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.ready:
		h.ready = make(chan struct{})
	default:
	}
}

func expandArgs(args []string, settings map[string]string) []string {
	var out []string
	for _, a := range args {
		v, _ := resolve(a, settings)
		out = append(out, strings.Fields(v)...)
	}
	return out
}

func fileExists(p string) bool { st, err := os.Stat(p); return err == nil && !st.IsDir() }

// watch restarts the handler when it exits, as the host does after a crash.
func (h *Host) watch(ctx context.Context) {
	for ctx.Err() == nil {
		h.mu.Lock()
		p := h.proc
		h.mu.Unlock()
		if exited, _ := p.Wait(100 * time.Millisecond); exited && ctx.Err() == nil {
			h.t.Logf("fakehost: the handler exited; restarting it")
			h.notReady()
			h.startHandler()
		}
	}
}

// KillHandler kills the handler (SIGKILL), as a crash would; the host
// restarts it.
func (h *Host) KillHandler() {
	h.notReady()
	h.mu.Lock()
	p := h.proc
	h.mu.Unlock()
	p.Kill()
}

// restart kills the handler after a function timeout; watch starts a new
// one. Every invocation in flight fails with it.
func (h *Host) restart(fn string) {
	h.Timeouts.Add(1)
	h.t.Logf("fakehost: %s passed the function timeout %v; restarting the handler", fn, h.opts.FunctionTimeout)
	h.KillHandler()
}

// base is the address of the current handler, once it is ready (the
// host's wait is (3+1) x 30 s).
func (h *Host) base() string {
	h.mu.Lock()
	ready := h.ready
	h.mu.Unlock()
	select {
	case <-ready:
	case <-time.After(2 * time.Minute):
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Sprintf("http://127.0.0.1:%d", h.port)
}

func newGUID() string {
	var b [16]byte
	f, _ := os.Open("/dev/urandom")
	f.Read(b[:])
	f.Close()
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
