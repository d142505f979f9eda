package sim_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"amldsr/tools/mlsim/sim"
)

// setFaults posts a fault setting and checks it is accepted.
func (e *env) setFaults(body string) {
	e.t.Helper()
	r := e.send(http.MethodPost, "/_sim/faults", "", nil, []byte(body))
	wantStatus(e.t, r, http.StatusOK, "POST /_sim/faults "+body)
}

func TestFaultInjection(t *testing.T) {
	e := seeded(t, sim.Options{RetryAfter: 7})
	proj := "/arm" + expProj + "?" + apiExp
	e.setFaults(`{"p429": 1}`)
	before := len(e.srv.Log(0))
	for _, target := range []string{proj, "/mm/eastus" + mmData + "/services/scoring-01?" + apiMM} {
		r := e.del(target)
		wantStatus(t, r, http.StatusTooManyRequests, "DELETE under p429=1")
		if r.header.Get("Retry-After") != "7" {
			t.Errorf("Retry-After %q, want 7", r.header.Get("Retry-After"))
		}
		if r.header.Get("x-ms-request-id") == "" {
			t.Errorf("429 without x-ms-request-id")
		}
	}
	if c := e.del(proj).armCode(t); c != "TooManyRequests" {
		t.Errorf("429 code %q", c)
	}
	// Faults only hit authenticated API calls.
	wantStatus(t, e.send(http.MethodGet, "/arm"+sub+"/resourcegroups?"+apiRG, "", nil, nil), http.StatusUnauthorized, "unauthenticated call under p429=1")
	wantStatus(t, e.send(http.MethodGet, tokenPath+url.QueryEscape(audience), "", map[string]string{"X-IDENTITY-HEADER": idHeader}, nil), http.StatusOK, "token endpoint under p429=1")

	e.setFaults(`{"p429": 0, "p503": 1}`)
	r := e.get(proj)
	wantStatus(t, r, http.StatusServiceUnavailable, "GET under p503=1")
	if c := r.armCode(t); c != "ServerBusy" {
		t.Errorf("503 code %q", c)
	}

	e.setFaults(`{"p503": 0}`)
	wantStatus(t, e.get(proj), http.StatusOK, "the project survived the faulted deletes")
	wantStatus(t, e.get("/mm/eastus"+mmData+"/services/scoring-01?"+apiMM), http.StatusOK, "the service survived")

	log := e.srv.Log(int64(before))
	faulted := 0
	for _, l := range log {
		if l.Fault {
			faulted++
			if l.Status != http.StatusTooManyRequests && l.Status != http.StatusServiceUnavailable {
				t.Errorf("faulted entry with status %d", l.Status)
			}
		}
	}
	if faulted != 4 {
		t.Errorf("%d faulted calls logged, want 4", faulted)
	}
}

func TestFaultsEndpoint(t *testing.T) {
	e := seeded(t, sim.Options{})
	for _, bad := range []string{`{"p429": 2}`, `{"p429": 0.6, "p503": 0.6}`, `{"latency": "soon"}`, `{"retryAfter": 0}`, `not json`} {
		wantStatus(t, e.send(http.MethodPost, "/_sim/faults", "", nil, []byte(bad)), http.StatusBadRequest, bad)
	}
	e.setFaults(`{"latency": "60ms", "retryAfter": 3}`)
	var got struct {
		P429       float64
		Latency    string
		RetryAfter int
	}
	e.send(http.MethodGet, "/_sim/faults", "", nil, nil).json(t, &got)
	if got.Latency != "60ms" || got.RetryAfter != 3 || got.P429 != 0 {
		t.Errorf("faults after POST: %+v", got)
	}
	start := time.Now()
	wantStatus(t, e.get("/arm"+sub+"/resourcegroups?"+apiRG), http.StatusOK, "call with latency")
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("call took %v with 60ms latency", d)
	}
}

func TestLog(t *testing.T) {
	e := seeded(t, sim.Options{})
	e.get("/arm" + sub + "/resourcegroups?" + apiRG)
	e.get("/mm/eastus" + mmData + "/models?" + apiMM)
	e.get(hist + "/runs")
	e.send(http.MethodGet, "/arm"+sub+"/resourcegroups?"+apiRG, "", nil, nil)
	var log []sim.LogEntry
	e.send(http.MethodGet, "/_sim/log", "", nil, nil).json(t, &log)
	if len(log) != 4 {
		t.Fatalf("%d log entries, want 4: %+v", len(log), log)
	}
	for i, l := range log {
		if i > 0 && l.Seq <= log[i-1].Seq {
			t.Errorf("seq not strictly increasing: %d after %d", l.Seq, log[i-1].Seq)
		}
		if l.Time.IsZero() || l.RequestID == "" || l.Method != http.MethodGet {
			t.Errorf("entry %+v", l)
		}
	}
	if l := log[1]; l.Prefix != "/mm/eastus" || l.Path != mmData+"/models" || l.Query != apiMM || l.Status != 200 || l.Fault {
		t.Errorf("model-management entry %+v", l)
	}
	if l := log[3]; l.Status != http.StatusUnauthorized {
		t.Errorf("unauthenticated entry %+v", l)
	}
	var since []sim.LogEntry
	e.send(http.MethodGet, "/_sim/log?since=2", "", nil, nil).json(t, &since)
	if len(since) != 2 || since[0].Seq != 3 {
		t.Errorf("log since 2: %+v", since)
	}
}
