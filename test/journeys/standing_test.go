package journeys

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"amldsr/test/procs"
	"amldsr/test/scenario"
)

const callbackSecret = "e2e-callback-secret"

// hookReceiver is a local HTTPS receiver of callbacks.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	bad    []string
}

func startHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte(callbackSecret))
		m.Write(b)
		h.mu.Lock()
		defer h.mu.Unlock()
		if got, want := r.Header.Get("X-DSR-Signature"), "sha256="+hex.EncodeToString(m.Sum(nil)); got != want || r.URL.Query().Get("sig") != "e2e-sig" {
			h.bad = append(h.bad, fmt.Sprintf("signature %q, query %q", got, r.URL.RawQuery))
		}
		h.bodies = append(h.bodies, b)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) received() ([][]byte, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...), append([]string(nil), h.bad...)
}

// trustBoth writes a CA file trusting the simulator and the receiver.
func trustBoth(t *testing.T, sim *procs.Sim, h *hookReceiver) string {
	ca, err := os.ReadFile(sim.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	ca = append(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.srv.Certificate().Raw})...)
	f := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(f, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCallbackEndToEnd submits an export with a callback to a local TLS
// receiver: when the request is terminal, the receiver gets exactly one
// POST, signed, whose body is the final status document; the callback's
// query (a credential) is in no blob of the bundle.
func TestCallbackEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	sim := procs.StartSim(t)
	hook := startHookReceiver(t)
	h := procs.StartLocal(t, sim, "", "SSL_CERT_FILE="+trustBoth(t, sim, hook),
		"DSR_CALLBACK_HOSTS=127.0.0.1", "DSR_CALLBACK_SECRET="+callbackSecret)
	api := &procs.API{Base: h.URL}
	cb := hook.srv.URL + "/hooks/dsr?api-version=2016-06-01&sig=e2e-sig"
	loc := api.Submit(t, fmt.Sprintf(`{"requestId":"cb-export","operation":"export","targets":[%q],"callback":%q}`, scenario.RegistryID, cb))
	if st := api.Poll(t, loc, 2*time.Minute); st.State != "succeeded" {
		t.Fatalf("export: %v", st)
	}
	final := getJSON(t, loc)
	recFile := filepath.Join(h.DataDir, "dsr", "callbacks", "cb-export.json")
	var rec struct {
		State    string
		Attempts []json.RawMessage
	}
	for deadline := time.Now().Add(time.Minute); rec.State != "delivered"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the callback was not delivered: %+v", rec)
		}
		if b, err := os.ReadFile(recFile); err == nil {
			json.Unmarshal(b, &rec)
		}
	}
	bodies, bad := hook.received()
	if len(bodies) != 1 || len(rec.Attempts) != 1 || len(bad) > 0 {
		t.Fatalf("%d posts, %d attempts recorded, problems %v", len(bodies), len(rec.Attempts), bad)
	}
	var got map[string]any
	if err := json.Unmarshal(bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, final) {
		t.Errorf("the callback's body is not the final status:\n%s\nstatus: %v", bodies[0], final)
	}
	bundle := scenario.DirBundle(h.DataDir, "dsr")(t, "requests/cb-export/")
	for name, b := range bundle {
		if bytes.Contains(b, []byte("e2e-sig")) {
			t.Errorf("%s holds the callback's query", name)
		}
	}
	if log := h.Output(); strings.Contains(log, "e2e-sig") {
		t.Errorf("the log holds the callback's query")
	}
}

func getJSON(t *testing.T, u string) map[string]any {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestStandingOrderEndToEnd runs a standing delete of alice's items in
// the shared workspace; the simulator then recreates her compute
// instance, the order's next run (the clock moved on an hour) deletes it
// again and records it in its own bundle.
func TestStandingOrderEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	sim := procs.StartSim(t)
	clock := filepath.Join(t.TempDir(), "clock")
	if err := os.WriteFile(clock, []byte("0s"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := procs.StartLocal(t, sim, "", "DSR_TEST_CLOCK_FILE="+clock)
	api := &procs.API{Base: h.URL}
	ci := ""
	for _, r := range sim.Resources(t) {
		if strings.HasSuffix(r.Path, "/computes/alice-ci") {
			ci = r.Path
		}
	}
	if ci == "" {
		t.Fatal("the simulator holds no compute instance of alice")
	}
	order := fmt.Sprintf(`{"request":{"operation":"delete","targets":[%q],"subject":{"objectId":%q},"match":"subject"},"schedule":{"every":"1h","start":%q}}`,
		scenario.WorkspaceID, scenario.AliceOID, time.Now().UTC().Add(-time.Minute).Format(time.RFC3339))
	req, _ := http.NewRequest(http.MethodPut, h.URL+"/api/dsr/orders/alice-erasure", strings.NewReader(order))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT order: %d", resp.StatusCode)
	}

	first := nextRun(t, h.URL, "")
	if st := api.Poll(t, h.URL+"/api/dsr/requests/"+first, 3*time.Minute); st.State != "succeeded" {
		t.Fatalf("first run %s: %v", first, st)
	}
	if !deleted(api.Results(t, first), ci) {
		t.Fatalf("the first run did not delete %s", ci)
	}
	sim.Recreate(t, ci)
	if err := os.WriteFile(clock, []byte("1h"), 0o600); err != nil {
		t.Fatal(err)
	}
	second := nextRun(t, h.URL, first)
	if st := api.Poll(t, h.URL+"/api/dsr/requests/"+second, 3*time.Minute); st.State != "succeeded" {
		t.Fatalf("second run %s: %v", second, st)
	}
	if !deleted(api.Results(t, second), ci) {
		t.Errorf("the second run did not record the delete of the recreated %s", ci)
	}
	for _, r := range sim.Resources(t) {
		if r.Path == ci {
			t.Errorf("%s is still there after the second run", ci)
		}
	}
	if !strings.HasPrefix(first, "order-alice-erasure-") || !strings.HasPrefix(second, "order-alice-erasure-") {
		t.Errorf("run ids %s, %s", first, second)
	}
}

// nextRun waits until the order's lastRun names a request other than
// after, and returns it.
func nextRun(t *testing.T, base, after string) string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		o := getJSON(t, base+"/api/dsr/orders/alice-erasure")
		if lr, ok := o["lastRun"].(map[string]any); ok && lr["requestId"] != after {
			return lr["requestId"].(string)
		}
	}
	t.Fatalf("no run of the order after %q", after)
	return ""
}

// deleted reports whether recs hold a succeeded delete of path.
func deleted(recs []procs.Record, path string) bool {
	for _, r := range recs {
		if r.Operation == "delete" && r.Outcome == "succeeded" && strings.EqualFold(r.Resource, path) {
			return true
		}
	}
	return false
}
