package procs

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Status is the part of a status document the tests read.
type Status struct {
	RequestID string `json:"requestId"`
	State     string `json:"state"`
	Counts    struct {
		Discovered, Succeeded, Failed, Skipped, Pending int
	} `json:"counts"`
	Errors []struct {
		ResourceID, Operation, Code, Message string
	} `json:"errors"`
}

// Record is a result record.
type Record struct {
	RequestID         string `json:"requestId"`
	Operation         string `json:"operation"`
	Kind              string `json:"kind"`
	Resource          string `json:"resource"`
	Outcome           string `json:"outcome"`
	HTTPStatus        int    `json:"httpStatus"`
	Attempts          int    `json:"attempts"`
	UpstreamRequestID string `json:"upstreamRequestId"`
	Document          string `json:"document"`
	Error             *struct{ Code, Message string }
	MatchedBy         string   `json:"matchedBy"`
	Redacted          []string `json:"redacted"`
}

// API calls amldsr's HTTP API at base (http://host:port); query is added
// to every call (a function key, say).
type API struct {
	Base, Query string
	Client      *http.Client
	Header      http.Header
	// Patient makes Poll wait through refused connections and 5xx answers
	// (an outage the test caused) until its timeout.
	Patient bool
}

func (a *API) do(t testing.TB, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	resp, b, err := a.try(method, url, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp, b
}

// try makes one call without failing the test.
func (a *API) try(method, url, body string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range a.Header {
		req.Header[k] = vs
	}
	c := a.Client
	if c == nil {
		c = &http.Client{Timeout: 60 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b, nil
}

func (a *API) url(path string) string {
	u := a.Base + path
	if a.Query != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + a.Query
	}
	return u
}

// Submit posts a request body and returns the Location to poll.
func (a *API) Submit(t testing.TB, body string) string {
	t.Helper()
	resp, b := a.do(t, http.MethodPost, a.url("/api/dsr/requests"), body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %d %s", resp.StatusCode, b)
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		t.Fatal("submit: no Location")
	}
	return loc
}

// Poll follows location until the request is terminal (200).
func (a *API) Poll(t testing.TB, location string, timeout time.Duration) Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []byte
	for time.Now().Before(deadline) {
		resp, b, err := a.try(http.MethodGet, location, "")
		if a.Patient && (err != nil || resp.StatusCode >= 500) {
			last = fmt.Appendf(nil, "%v %s", err, b)
			time.Sleep(250 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("GET %s: %v", location, err)
		}
		last = b
		switch resp.StatusCode {
		case http.StatusOK:
			var st Status
			if err := json.Unmarshal(b, &st); err != nil {
				t.Fatal(err)
			}
			return st
		case http.StatusAccepted:
			if resp.Header.Get("Retry-After") == "" || resp.Header.Get("Location") == "" {
				t.Fatalf("202 without Retry-After or Location")
			}
			time.Sleep(250 * time.Millisecond)
		default:
			t.Fatalf("poll: %d %s", resp.StatusCode, b)
		}
	}
	t.Fatalf("not terminal after %v: %s", timeout, last)
	return Status{}
}

// Results reads every result record of a request, following nextLink.
func (a *API) Results(t testing.TB, id string) []Record {
	t.Helper()
	var out []Record
	next := a.url("/api/dsr/requests/" + id + "/results")
	for pages := 0; next != ""; pages++ {
		if pages > 100000 {
			t.Fatal("results never end")
		}
		resp, b := a.do(t, http.MethodGet, next, "")
		if resp.StatusCode != 200 {
			t.Fatalf("results: %d %s", resp.StatusCode, b)
		}
		var page struct {
			Value    []Record `json:"value"`
			NextLink string   `json:"nextLink"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Value...)
		next = page.NextLink
	}
	return out
}

// String summarizes a status.
func (s Status) String() string {
	return fmt.Sprintf("%s: discovered %d, succeeded %d, failed %d, skipped %d, pending %d, errors %v",
		s.State, s.Counts.Discovered, s.Counts.Succeeded, s.Counts.Failed, s.Counts.Skipped, s.Counts.Pending, s.Errors)
}
