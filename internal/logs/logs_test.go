package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// A JSON line that names a request carries its id as request_id,
// requestId and operation_Id, however the caller named it; other lines get
// none of them.
func TestRequestIDAsOperationID(t *testing.T) {
	for _, c := range []struct {
		name string
		log  func(*slog.Logger)
		want map[string]string // "" value: key absent
	}{
		{"request_id in the call", func(l *slog.Logger) { l.Info("step failed", "request_id", "r1", "op", "x") },
			map[string]string{"request_id": "r1", "requestId": "r1", "operation_Id": "r1"}},
		{"requestId in the call", func(l *slog.Logger) { l.Info("step", "requestId", "r2", "kind", "export", "outcome", "succeeded") },
			map[string]string{"requestId": "r2", "operation_Id": "r2", "request_id": "", "kind": "export", "outcome": "succeeded"}},
		{"request_id in With", func(l *slog.Logger) { l.With("request_id", "r3").Warn("rescheduled", "op", "y") },
			map[string]string{"request_id": "r3", "requestId": "r3", "operation_Id": "r3"}},
		{"no request", func(l *slog.Logger) { l.Info("stopped") },
			map[string]string{"requestId": "", "operation_Id": "", "request_id": ""}},
	} {
		var buf bytes.Buffer
		c.log(New(&buf, slog.LevelInfo, true))
		var line map[string]any
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("%s: not one JSON line: %q", c.name, buf.String())
		}
		for k, want := range c.want {
			got, ok := line[k]
			if want == "" && ok || want != "" && got != want {
				t.Errorf("%s: %s = %v, want %q (line %s)", c.name, k, got, want, buf.String())
			}
		}
		if n := strings.Count(buf.String(), `"operation_Id"`); n > 1 {
			t.Errorf("%s: operation_Id %d times", c.name, n)
		}
	}
}

// The Azure SDK's retries are logged at info level (the try after the
// first, the delay before it), a call that needs no retry only at debug,
// and no token ever.
func TestAzureRetriesAtInfo(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	var buf bytes.Buffer
	ListenToAzure(New(&buf, slog.LevelInfo, true), false)
	defer ListenToAzure(slog.New(slog.DiscardHandler), false)
	pl := runtime.NewPipeline("logs", "v1", runtime.PipelineOptions{}, &policy.ClientOptions{
		Retry: policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: 10 * time.Millisecond}})
	req, err := runtime.NewRequest(context.Background(), http.MethodGet, srv.URL+"/sub?sig=SECRETSIG&api-version=1")
	if err != nil {
		t.Fatal(err)
	}
	req.Raw().Header.Set("Authorization", "Bearer SECRETTOKEN")
	resp, err := pl.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	out := buf.String()
	for _, want := range []string{`"level":"INFO"`, "Try=2", "End Try #1", `"azure_event":"Retry"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in %s", want, out)
		}
	}
	for _, never := range []string{"SECRETTOKEN", "SECRETSIG", "Try=1 "} {
		if strings.Contains(out, never) {
			t.Errorf("%s logged at info: %s", never, out)
		}
	}
}

// Only the events of a retry reach info: the answers the retry policy
// retries, its later tries and its delays; not every call's answer.
func TestRetryWorthNoting(t *testing.T) {
	for _, c := range []struct {
		msg  string
		want bool
	}{
		{"=====> Try=1 for GET https://h/x", false},
		{"=====> Try=2 for GET https://h/x", true},
		{"response 200", false},
		{"response 404", false},
		{"response 409", false},
		{"response 429", true},
		{"response 503", true},
		{"response 408", true},
		{"End Try #1, Delay=869ms", true},
		{"exit due to non-retriable status code", false},
	} {
		if got := retryWorthNoting(c.msg); got != c.want {
			t.Errorf("retryWorthNoting(%q) = %v, want %v", c.msg, got, c.want)
		}
	}
}
