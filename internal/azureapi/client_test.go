package azureapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amldsr/internal/catalog"
)

type staticCred struct{ calls atomic.Int32 }

func (c *staticCred) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls.Add(1)
	if len(o.Scopes) != 1 || o.Scopes[0] != DefaultScope {
		return azcore.AccessToken{}, fmt.Errorf("unexpected scopes %v", o.Scopes)
	}
	return azcore.AccessToken{Token: "test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// bundle is a TLS test server playing the three endpoints, and a client
// pointed at it.
type bundle struct {
	srv     *httptest.Server
	client  *Client
	mu      sync.Mutex
	handler func(w http.ResponseWriter, r *http.Request)
	auth    []string // Authorization header of each request
}

func setup(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) *bundle {
	t.Helper()
	b := &bundle{handler: h}
	b.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.auth = append(b.auth, r.Header.Get("Authorization"))
		b.mu.Unlock()
		w.Header().Set("x-ms-request-id", "req-"+r.Method)
		b.handler(w, r)
	}))
	t.Cleanup(b.srv.Close)
	c, err := New(&staticCred{}, Options{
		Endpoints: catalog.Endpoints{ARM: b.srv.URL + "/arm", ModelManagement: b.srv.URL + "/mm/{location}", Experiments: b.srv.URL + "/exp/{location}"},
		Transport: b.srv.Client(),
		Retry:     policy.RetryOptions{MaxRetries: 2, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond},
		// The test server is on loopback.
		ContentAllowPrivate: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	b.client = c
	return b
}

func (b *bundle) url(t *testing.T, p string) *url.URL {
	u, err := url.Parse(b.srv.URL + p)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestListFollowsEveryShape(t *testing.T) {
	var base string
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case strings.HasPrefix(r.URL.Path, "/arm/"):
			switch q.Get("$skiptoken") {
			case "":
				fmt.Fprintf(w, `{"value":[{"n":1},{"n":2}],"nextLink":"%s/arm/list?api-version=x&$skiptoken=2"}`, base)
			case "2":
				fmt.Fprintf(w, `{"value":[{"n":3}],"nextLink":"/arm/list?api-version=x&$skiptoken=3"}`)
			default:
				fmt.Fprint(w, `{"value":[{"n":4}]}`)
			}
		case strings.HasPrefix(r.URL.Path, "/exp/"):
			switch q.Get("continuationToken") {
			case "":
				fmt.Fprint(w, `{"value":[{"n":1}],"continuationToken":"t1"}`)
			case "t1":
				fmt.Fprint(w, `{"value":[{"n":2}],"continuationToken":"t2"}`)
			default:
				fmt.Fprint(w, `{"value":[{"n":3}]}`)
			}
		}
	})
	base = b.srv.URL
	for _, c := range []struct {
		path  string
		shape catalog.Shape
		param string
		want  int
		pages int
	}{
		{"/arm/list?api-version=x", catalog.ShapeARM, "", 4, 3},
		{"/exp/eastus/artifact/v1.0/x", catalog.ShapeContinuation, "continuationToken", 3, 3},
	} {
		u := b.url(t, c.path)
		items, pages := 0, 0
		for u != nil {
			p, err := b.client.ListPage(context.Background(), u, c.shape, c.param)
			if err != nil {
				t.Fatalf("%s page %d: %v", c.path, pages, err)
			}
			items += len(p.Items)
			pages++
			u = p.Next
		}
		if items != c.want || pages != c.pages {
			t.Errorf("%s: %d items in %d pages, want %d in %d", c.path, items, pages, c.want, c.pages)
		}
	}
	for i, a := range b.auth {
		if a != "Bearer test-token" {
			t.Errorf("request %d carried Authorization %q", i, a)
		}
	}
}

func TestTokensStayOnConfiguredHosts(t *testing.T) {
	var foreignHits atomic.Int32
	foreign := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
		fmt.Fprint(w, `{"value":[]}`)
	}))
	defer foreign.Close()
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/arm/list":
			fmt.Fprintf(w, `{"value":[],"nextLink":"%s/arm/list?x=1"}`, foreign.URL)
		case "/arm/lro":
			w.Header().Set("Location", foreign.URL+"/arm/poll")
			w.WriteHeader(http.StatusAccepted)
		case "/arm/async":
			w.Header().Set("Azure-AsyncOperation", "http://"+strings.TrimPrefix(b2(r), "https://")+"/arm/op")
			w.WriteHeader(http.StatusAccepted)
		}
	})
	_, err := b.client.ListPage(context.Background(), b.url(t, "/arm/list"), catalog.ShapeARM, "")
	if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "HostNotAllowed") {
		t.Fatalf("foreign nextLink: %v", err)
	}
	d, err := b.client.BeginDelete(context.Background(), b.url(t, "/arm/lro"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.PollDelete(context.Background(), d.ResumeToken); !errors.Is(err, ErrPermanent) {
		t.Fatalf("polling a foreign Location: %v", err)
	}
	d, err = b.client.BeginDelete(context.Background(), b.url(t, "/arm/async"))
	if err == nil {
		_, err = b.client.PollDelete(context.Background(), d.ResumeToken)
	}
	if err == nil {
		t.Fatal("polling an http Azure-AsyncOperation succeeded")
	}
	u, _ := url.Parse(foreign.URL + "/arm/x")
	if _, err := b.client.Get(context.Background(), u); !errors.Is(err, ErrPermanent) {
		t.Fatalf("GET foreign: %v", err)
	}
	if n := foreignHits.Load(); n != 0 {
		t.Fatalf("the foreign host got %d requests", n)
	}
}

func b2(r *http.Request) string { return "https://" + r.Host }

func TestDeleteOutcomes(t *testing.T) {
	var polls atomic.Int32
	var base string
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/arm/ok":
			w.WriteHeader(http.StatusOK)
		case "/arm/none":
			w.WriteHeader(http.StatusNoContent)
		case "/arm/gone":
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"code":"ResourceNotFound","message":"no"}}`)
		case "/arm/loc":
			w.Header().Set("Location", base+"/arm/loc-poll")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusAccepted)
		case "/arm/loc-poll":
			if polls.Add(1) < 3 {
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(http.StatusAccepted)
				return
			}
			w.WriteHeader(http.StatusOK)
		case "/arm/async":
			w.Header().Set("Azure-AsyncOperation", base+"/arm/op-failed")
			w.Header().Set("Location", base+"/arm/op-result")
			w.WriteHeader(http.StatusAccepted)
		case "/arm/op-failed":
			fmt.Fprint(w, `{"status":"Failed","error":{"code":"ScopeLocked","message":"locked"}}`)
		case "/arm/bare202":
			w.WriteHeader(http.StatusAccepted)
		}
	})
	base = b.srv.URL
	ctx := context.Background()
	for _, c := range []struct {
		path          string
		done, existed bool
		status        int
	}{
		{"/arm/ok", true, true, 200}, {"/arm/none", true, false, 204}, {"/arm/gone", true, false, 404}, {"/arm/bare202", false, true, 202},
	} {
		d, err := b.client.BeginDelete(ctx, b.url(t, c.path))
		if err != nil || d.Done != c.done || d.Existed != c.existed || d.Status != c.status {
			t.Errorf("%s: %+v %v", c.path, d, err)
		}
	}
	d, err := b.client.BeginDelete(ctx, b.url(t, "/arm/loc"))
	if err != nil || d.Done || d.ResumeToken == "" || d.RetryAfter != time.Second {
		t.Fatalf("loc begin: %+v %v", d, err)
	}
	for i := 0; !d.Done; i++ {
		if i > 5 {
			t.Fatal("never done")
		}
		if d, err = b.client.PollDelete(ctx, d.ResumeToken); err != nil {
			t.Fatal(err)
		}
		if !d.Done && d.RetryAfter != 2*time.Second {
			t.Errorf("poll Retry-After %v", d.RetryAfter)
		}
	}
	if polls.Load() != 3 {
		t.Errorf("%d polls, want 3", polls.Load())
	}
	d, err = b.client.BeginDelete(ctx, b.url(t, "/arm/async"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.client.PollDelete(ctx, d.ResumeToken)
	var e *Error
	if !errors.As(err, &e) || e.Class != Permanent || e.Code != "ScopeLocked" || e.Message != "locked" {
		t.Fatalf("failed operation: %#v", err)
	}
}

func TestErrorClasses(t *testing.T) {
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/arm/throttled":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/arm/busy":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/arm/forbidden":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":{"code":"AuthorizationFailed","message":"no role"}}`)
		case "/mm/eastus/api/missing":
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"code":"NotFound","message":"no model","statusCode":404}`)
		case "/arm/notjson":
			fmt.Fprint(w, `<html>`)
		}
	})
	for _, c := range []struct {
		path  string
		class Class
		code  string
		after time.Duration
	}{
		{"/arm/throttled", Throttled, "", 120 * time.Second},
		{"/arm/busy", Transient, "", 0},
		{"/arm/forbidden", Permanent, "AuthorizationFailed", 0},
		{"/mm/eastus/api/missing", Gone, "NotFound", 0},
		{"/arm/notjson", Permanent, "InvalidJSON", 0},
	} {
		_, err := b.client.Get(context.Background(), b.url(t, c.path))
		var e *Error
		if !errors.As(err, &e) || e.Class != c.class || e.Code != c.code || e.RetryAfter != c.after {
			t.Errorf("%s: %#v, want class %v code %q", c.path, err, c.class, c.code)
		}
	}
}

func TestContentIsFetchedWithoutCredentials(t *testing.T) {
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		io.WriteString(w, "artifact bytes")
	})
	rc, _, err := b.client.FetchContent(context.Background(), b.srv.URL+"/content/x?sig=1")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "artifact bytes" || b.auth[len(b.auth)-1] != "" {
		t.Fatalf("got %q with Authorization %q", got, b.auth[len(b.auth)-1])
	}
	if _, _, err := b.client.FetchContent(context.Background(), "http://example.com/x"); err == nil {
		t.Fatal("http content URI accepted")
	}
}

func TestPacerReschedulesInsteadOfSleeping(t *testing.T) {
	p := &Pacer{Reads: 1, Burst: 1, MaxWait: 50 * time.Millisecond}
	ctx := context.Background()
	if err := p.Wait(ctx, "s", "reads"); err != nil {
		t.Fatal(err)
	}
	err := p.Wait(ctx, "s", "reads")
	var e *Error
	if !errors.As(err, &e) || e.Class != Throttled || e.RetryAfter < 500*time.Millisecond {
		t.Fatalf("second read within a second: %v", err)
	}
	if err := p.Wait(ctx, "other-subscription", "reads"); err != nil {
		t.Fatalf("another subscription is paced apart: %v", err)
	}
	h := http.Header{}
	h.Set("x-ms-ratelimit-remaining-subscription-deletes", "4")
	p.Deletes, p.LowWater = 100, 5
	p.Observe("s", h)
	start := time.Now()
	if err := p.Wait(ctx, "s", "deletes"); err != nil || time.Since(start) < 5*time.Millisecond {
		t.Fatalf("after a low remaining header the next delete should wait: %v after %v", err, time.Since(start))
	}
}

func TestRetryAfterForms(t *testing.T) {
	for _, c := range []struct {
		h    map[string]string
		want time.Duration
	}{
		{map[string]string{"Retry-After": "7"}, 7 * time.Second},
		{map[string]string{"retry-after-ms": "250", "Retry-After": "7"}, 250 * time.Millisecond},
		{map[string]string{"x-ms-retry-after-ms": "30"}, 30 * time.Millisecond},
		{map[string]string{"Retry-After": "soon"}, 0},
	} {
		h := http.Header{}
		for k, v := range c.h {
			h.Set(k, v)
		}
		if got := retryAfter(h); got != c.want {
			t.Errorf("%v: %v, want %v", c.h, got, c.want)
		}
	}
	_ = json.Valid
}
