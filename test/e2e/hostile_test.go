package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"amldsr/test/procs"
)

// TestHostileInputLeavesNothing sends malformed bodies and hostile targets
// to the real binary: each gets its 4xx as problem+json, no request is
// accepted, and the simulator (the only host configured) sees no call at
// all.
func TestHostileInputLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	sim := procs.StartSim(t)
	h := procs.StartLocal(t, sim, "")
	rg := "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-dsr-target"
	for _, c := range []struct {
		body, ct string
		status   int
	}{
		{`{"operation":"export","targets":["` + rg + `/../rg-dsr-other"]}`, "application/json", 400},
		{`{"operation":"delete","targets":["` + rg + `%2F..%2Frg-dsr-other"]}`, "application/json", 400},
		{`{"operation":"export","targets":["` + rg + `/providers/Microsoft.KeyVault/vaults/kv"]}`, "application/json", 400},
		{`{"operation":"export","targets":["https://evil.example` + rg + `"]}`, "application/json", 400},
		{`{"operation":"export","targets":["` + rg + `/providers/Microsoft.MachineLearningModelManagement/accounts/a@evil.example"]}`, "application/json", 400},
		{`{"operation":"export","targets":["` + rg + `"],"callback":"https://evil.example"}`, "application/json", 400},
		{`{"requestId":"../../etc","operation":"export","targets":["` + rg + `"]}`, "application/json", 400},
		{`{"operation":"export","targets":["` + rg + `"]}`, "text/plain", 415},
		{`{"operation":"export","targets":["` + rg + `"],"requestId":"` + strings.Repeat("x", 70000) + `"}`, "application/json", 413},
	} {
		resp, err := http.Post(h.URL+"/api/dsr/requests", c.ct, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/problem+json" || p["status"] != float64(c.status) {
			t.Errorf("%.80s: %d %s %v, want %d problem+json", c.body, resp.StatusCode, resp.Header.Get("Content-Type"), p, c.status)
		}
	}
	time.Sleep(500 * time.Millisecond)
	if calls := sim.Log(t); len(calls) != 0 {
		t.Errorf("the simulator saw %d calls, first %+v", len(calls), calls[0])
	}
	if entries, _ := os.ReadDir(filepath.Join(h.DataDir, "dsr", "requests")); len(entries) != 0 {
		t.Errorf("%d requests were written", len(entries))
	}
}
