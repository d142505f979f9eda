package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/test/fakehost"
	"amldsr/test/procs"
)

// TestFunctionsModeContract drives the handler in Functions mode directly
// with the host's payload shapes and checks its answers: always
// application/json with a full result object (never an empty 2xx body), a
// poison message recorded and completed, a malformed envelope abandoned,
// and the timer with and without ScheduleStatus.
func TestFunctionsModeContract(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	parts := startAzureParts(t)
	port := procs.FreePort(t)
	env := []string{fmt.Sprintf("FUNCTIONS_CUSTOMHANDLER_PORT=%d", port)}
	for k, v := range parts.settings {
		if k == "DSR_PUBLIC_URL" {
			v = fmt.Sprintf("http://127.0.0.1:%d", port)
		}
		env = append(env, k+"="+v)
	}
	h := procs.Start(t, "handler", filepath.Join(procs.Binaries(t), "handler"), env)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	procs.WaitHTTP(t, h, base+"/", 30*time.Second)

	api := &procs.API{Base: base}
	api.Submit(t, `{"requestId":"contract-1","operation":"export","targets":["/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-none"]}`)

	poison := &azservicebus.ReceivedMessage{MessageID: "m-1", Body: []byte(`{"v":9,"kind":"export","requestId":"contract-1","op":"export.x.1","mode":"export","res":"arm.resourcegroup","path":"/subscriptions/s/resourceGroups/rg"}`),
		DeliveryCount: 1, LockToken: [16]byte{1}, EnqueuedTime: ptr(time.Now()), SequenceNumber: ptr(int64(7)), ContentType: ptr("application/json"),
		ApplicationProperties: map[string]any{"requestId": "contract-1", "kind": "export"}}
	for _, c := range []struct {
		name, fn string
		body     []byte
		status   int
	}{
		{"readiness", "", nil, 200},
		{"poison message", "ProcessStep", fakehost.ServiceBusEnvelope("ProcessStep", "msg", poison), 200},
		{"malformed envelope", "ProcessStep", []byte(`{"Data":`), 400},
		{"timer with ScheduleStatus", "Sweep", fakehost.TimerEnvelope("Sweep", "timer", true, time.Now().Add(-5*time.Minute), time.Now().Add(5*time.Minute)), 200},
		{"timer without ScheduleStatus", "Sweep", fakehost.TimerEnvelope("Sweep", "timer", false, time.Time{}, time.Time{}), 200},
	} {
		method, url := http.MethodPost, base+"/"+c.fn
		if c.fn == "" {
			method = http.MethodGet
		}
		req, _ := http.NewRequest(method, url, bytes.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var result struct {
			Outputs     map[string]any
			Logs        []string
			ReturnValue any
		}
		ok := json.Unmarshal(body, &result) == nil && result.Outputs != nil && result.Logs != nil
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !ok {
			t.Errorf("%s: %d %q %s; want %d with a JSON result", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), body, c.status)
		}
		if fakehost.InvocationSucceeded(resp.StatusCode, resp.Header.Get("Content-Type"), body) != (c.status/100 == 2) {
			t.Errorf("%s: the host would read this answer wrongly", c.name)
		}
	}
	recs := api.Results(t, "contract-1")
	found := false
	for _, r := range recs {
		if r.Outcome == "failed" && r.Error != nil && r.Error.Code == "UnknownVersion" {
			found = true
		}
	}
	if !found {
		t.Errorf("the poison message has no failed record: %+v", recs)
	}
}

func ptr[T any](v T) *T { return &v }
