package azureapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amldsr/internal/catalog"
)

// plainListener is an http (not https) server on loopback that records
// whether it was called and with which Authorization header.
type plainListener struct {
	srv  *httptest.Server
	hits atomic.Int32
	auth atomic.Value
}

func newPlainListener(t *testing.T) *plainListener {
	p := &plainListener{}
	p.auth.Store("")
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		if a := r.Header.Get("Authorization"); a != "" {
			p.auth.Store(a)
		}
		fmt.Fprint(w, `{"value":[]}`)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *plainListener) check(t *testing.T) {
	t.Helper()
	if a := p.auth.Load().(string); a != "" {
		t.Errorf("the plain-http listener received Authorization %q", a)
	}
	if n := p.hits.Load(); n != 0 {
		t.Errorf("the plain-http listener was called %d times", n)
	}
}

// The token client follows no redirect: a 3xx is a Permanent error and
// the redirect's target (here plain http on the same host name, to which
// Go would copy the Authorization header) is never called.
func TestTokenClientFollowsNoRedirect(t *testing.T) {
	plain := newPlainListener(t)
	var base string
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/arm/redirect":
			http.Redirect(w, r, plain.srv.URL+"/arm/stolen", http.StatusTemporaryRedirect)
		case "/arm/list":
			http.Redirect(w, r, plain.srv.URL+"/arm/list", http.StatusFound)
		case "/arm/lro":
			w.Header().Set("Location", base+"/arm/lro-poll")
			w.WriteHeader(http.StatusAccepted)
		case "/arm/lro-poll":
			http.Redirect(w, r, plain.srv.URL+"/arm/lro-poll", http.StatusMovedPermanently)
		}
	})
	base = b.srv.URL
	ctx := context.Background()
	var e *Error
	if _, err := b.client.Get(ctx, b.url(t, "/arm/redirect")); !errors.As(err, &e) || e.Class != Permanent || e.Status != http.StatusTemporaryRedirect {
		t.Errorf("GET answered with a redirect: %v", err)
	}
	if _, err := b.client.ListPage(ctx, b.url(t, "/arm/list"), catalog.ShapeARM, ""); !errors.As(err, &e) || e.Class != Permanent {
		t.Errorf("list answered with a redirect: %v", err)
	}
	d, err := b.client.BeginDelete(ctx, b.url(t, "/arm/lro"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.PollDelete(ctx, d.ResumeToken); !errors.As(err, &e) || e.Class != Permanent {
		t.Errorf("poll answered with a redirect: %v", err)
	}
	plain.check(t)
}

// endless writes JSON-ish bytes until the client goes away or 64 MiB are
// out, and counts what it wrote.
type endless struct{ written atomic.Int64 }

func (e *endless) serve(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	chunk := []byte(`{"value":[` + strings.Repeat(`{"n":1},`, 4096))
	for e.written.Load() < 64<<20 {
		n, err := w.Write(chunk)
		e.written.Add(int64(n))
		if err != nil {
			return
		}
		w.(http.Flusher).Flush()
		chunk = []byte(strings.Repeat(`{"n":1},`, 4096))
	}
}

// Bodies are limited while they are read: a document, a list page, an
// error body and a poll body that never end stop the read near the limit
// (the sender could write at most the limit plus socket buffers), and
// none is retried.
func TestBodiesAreLimitedWhileRead(t *testing.T) {
	const limit = 64 << 10
	var base string
	hits := map[string]*atomic.Int32{}
	streams := map[string]*endless{}
	for _, p := range []string{"/arm/doc", "/arm/page", "/arm/busy", "/arm/lro-poll"} {
		hits[p], streams[p] = &atomic.Int32{}, &endless{}
	}
	b := setupWith(t, func(w http.ResponseWriter, r *http.Request) {
		if h := hits[r.URL.Path]; h != nil {
			h.Add(1)
		}
		switch r.URL.Path {
		case "/arm/doc", "/arm/page", "/arm/lro-poll":
			streams[r.URL.Path].serve(w, http.StatusOK)
		case "/arm/busy":
			streams[r.URL.Path].serve(w, http.StatusServiceUnavailable)
		case "/arm/lro":
			w.Header().Set("Location", base+"/arm/lro-poll")
			w.WriteHeader(http.StatusAccepted)
		}
	}, func(o *Options) { o.MaxDocument = limit })
	base = b.srv.URL
	ctx := context.Background()
	var e *Error
	if _, err := b.client.Get(ctx, b.url(t, "/arm/doc")); !errors.As(err, &e) || e.Class != Permanent || e.Code != "DocumentTooLarge" {
		t.Errorf("endless document: %v", err)
	}
	if _, err := b.client.ListPage(ctx, b.url(t, "/arm/page"), catalog.ShapeARM, ""); !errors.As(err, &e) || e.Code != "DocumentTooLarge" {
		t.Errorf("endless page: %v", err)
	}
	// An error body is cut short, not a reason to change the class.
	if _, err := b.client.Get(ctx, b.url(t, "/arm/busy")); !errors.As(err, &e) || e.Class != Transient || e.Status != http.StatusServiceUnavailable {
		t.Errorf("endless 503: %v", err)
	}
	d, err := b.client.BeginDelete(ctx, b.url(t, "/arm/lro"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.PollDelete(ctx, d.ResumeToken); !errors.As(err, &e) || e.Class != Permanent || e.Code != "DocumentTooLarge" {
		t.Errorf("endless poll body: %v", err)
	}
	b.srv.CloseClientConnections()
	for p, s := range streams {
		if n := s.written.Load(); n >= 32<<20 {
			t.Errorf("%s: the client read %d bytes of a body limited to %d", p, n, limit)
		}
	}
	for _, p := range []string{"/arm/doc", "/arm/page", "/arm/lro-poll"} {
		if n := hits[p].Load(); n != 1 {
			t.Errorf("%s was requested %d times; a body too large is not retried", p, n)
		}
	}
}

// setupWith is setup with options changed by opt.
func setupWith(t *testing.T, h func(w http.ResponseWriter, r *http.Request), opt func(*Options)) *bundle {
	t.Helper()
	b := &bundle{handler: h}
	b.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.auth = append(b.auth, r.Header.Get("Authorization"))
		b.mu.Unlock()
		b.handler(w, r)
	}))
	t.Cleanup(b.srv.Close)
	o := Options{
		Endpoints: catalog.Endpoints{ARM: b.srv.URL + "/arm", ModelManagement: b.srv.URL + "/mm/{location}", Experiments: b.srv.URL + "/exp/{location}"},
		Transport: b.srv.Client(),
		Retry:     policy.RetryOptions{MaxRetries: 2, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond},
	}
	opt(&o)
	c, err := New(&staticCred{}, o)
	if err != nil {
		t.Fatal(err)
	}
	b.client = c
	return b
}

// Artifact content has a size cap, checked on the declared length and
// while reading.
func TestContentSizeCap(t *testing.T) {
	stream := &endless{}
	b := setupWith(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/content/declared":
			w.Header().Set("Content-Length", "4096")
			w.Write(make([]byte, 4096))
		case "/content/small":
			w.Write(make([]byte, 1024))
		case "/content/endless":
			stream.serve(w, http.StatusOK)
		}
	}, func(o *Options) { o.MaxContent, o.ContentAllowPrivate = 1024, true })
	ctx := context.Background()
	var e *Error
	if _, _, err := b.client.FetchContent(ctx, b.srv.URL+"/content/declared?sig=x"); !errors.As(err, &e) || e.Class != Permanent || e.Code != "ContentTooLarge" {
		t.Errorf("declared too large: %v", err)
	}
	rc, _, err := b.client.FetchContent(ctx, b.srv.URL+"/content/small")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || len(got) != 1024 {
		t.Errorf("content at the cap: %d bytes, %v", len(got), err)
	}
	rc.Close()
	rc, _, err = b.client.FetchContent(ctx, b.srv.URL+"/content/endless")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if !errors.As(err, &e) || e.Class != Permanent || e.Code != "ContentTooLarge" || len(got) > 1024 {
		t.Errorf("endless content: %d bytes, %v", len(got), err)
	}
	b.srv.CloseClientConnections()
	if n := stream.written.Load(); n >= 32<<20 {
		t.Errorf("the client read %d bytes of content capped at 1024", n)
	}
}

// Content is not fetched from loopback (nor private or link-local
// addresses) unless allowed; the check is on the address dialled, so a
// name that resolves to loopback is refused too.
func TestContentNotFromPrivateAddresses(t *testing.T) {
	var hits atomic.Int32
	b := setupWith(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "internal secrets")
	}, func(o *Options) { o.ContentAllowPrivate = false })
	port := b.srv.URL[strings.LastIndexByte(b.srv.URL, ':')+1:]
	for _, u := range []string{b.srv.URL + "/content/x?sv=1&sig=TOPSECRET", "https://localhost:" + port + "/content/y?sig=TOPSECRET"} {
		_, _, err := b.client.FetchContent(context.Background(), u)
		var e *Error
		if !errors.As(err, &e) || e.Class != Permanent || e.Code != "ContentAddressNotAllowed" {
			t.Errorf("%s: %v", u, err)
		}
		if err != nil && (strings.Contains(err.Error(), "TOPSECRET") || strings.Contains(e.Message, "TOPSECRET")) {
			t.Errorf("the error carries the signature: %v", err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback server was called %d times", n)
	}
}

// A redirect of content is followed only to https; to plain http on the
// same host it is refused and never called.
func TestContentRedirects(t *testing.T) {
	plain := newPlainListener(t)
	b := setupWith(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.srv.URL+"/x?sig=TOPSECRET", http.StatusFound)
	}, func(o *Options) { o.ContentAllowPrivate = true })
	_, _, err := b.client.FetchContent(context.Background(), b.srv.URL+"/content/x?sig=TOPSECRET")
	var e *Error
	if !errors.As(err, &e) || e.Class != Permanent {
		t.Errorf("redirect to http: %v", err)
	}
	if err != nil && strings.Contains(err.Error()+e.Message, "TOPSECRET") {
		t.Errorf("the error carries the signature: %v", err)
	}
	plain.check(t)
}

func TestContentAddressAllowed(t *testing.T) {
	for _, c := range []struct {
		addr string
		ok   bool
	}{
		{"20.60.1.2", true},
		{"2603:1030:20e::1", true},
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"fe80::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"100.64.0.1", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
	} {
		if got := contentAddressAllowed(netip.MustParseAddr(c.addr)); got != c.ok {
			t.Errorf("%s: allowed=%v, want %v", c.addr, got, c.ok)
		}
	}
}

// A long-running delete that ends Failed keeps the operation's own code
// and message (never the polling URL); codes transient by nature come back
// Transient or Throttled, the rest Permanent.
func TestFailedOperation(t *testing.T) {
	var base string
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		code := r.URL.Query().Get("code")
		switch r.URL.Path {
		case "/arm/del":
			w.Header().Set("Azure-AsyncOperation", base+"/arm/op?code="+code)
			w.WriteHeader(http.StatusAccepted)
		case "/arm/del-loc":
			w.Header().Set("Location", base+"/arm/loc?code="+code)
			w.WriteHeader(http.StatusAccepted)
		case "/arm/loc":
			status := map[string]int{"AnotherOperationInProgress": 409, "ScopeLocked": 400, "ResourceNotFound": 404}[code]
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":{"code":%q,"message":"the operation says %s"}}`, code, code)
		case "/arm/op":
			switch code {
			case "none":
				fmt.Fprint(w, `{"status":"Failed"}`)
			case "canceled":
				fmt.Fprint(w, `{"status":"Canceled"}`)
			default:
				fmt.Fprintf(w, `{"status":"Failed","error":{"code":%q,"message":"the operation says %s"}}`, code, code)
			}
		}
	})
	base = b.srv.URL
	for _, c := range []struct {
		code, wantCode string
		class          Class
		loc            bool // polled through Location, not Azure-AsyncOperation
	}{
		{"AnotherOperationInProgress", "AnotherOperationInProgress", Transient, true},
		{"ScopeLocked", "ScopeLocked", Permanent, true},
		{"ResourceNotFound", "ResourceNotFound", Gone, true},
		{"InternalServerError", "InternalServerError", Transient, false},
		{"ServiceUnavailable", "ServiceUnavailable", Transient, false},
		{"GatewayTimeout", "GatewayTimeout", Transient, false},
		{"RequestTimeout", "RequestTimeout", Transient, false},
		{"AnotherOperationInProgress", "AnotherOperationInProgress", Transient, false},
		{"Conflict", "Conflict", Transient, false},
		{"TooManyRequests", "TooManyRequests", Throttled, false},
		{"internalservererror", "internalservererror", Transient, false},
		{"ScopeLocked", "ScopeLocked", Permanent, false},
		{"AuthorizationFailed", "AuthorizationFailed", Permanent, false},
		{"none", "OperationFailed", Permanent, false},
		{"canceled", "OperationCanceled", Permanent, false},
	} {
		ctx := context.Background()
		path := "/arm/del?code="
		if c.loc {
			path = "/arm/del-loc?code="
		}
		d, err := b.client.BeginDelete(ctx, b.url(t, path+c.code))
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.client.PollDelete(ctx, d.ResumeToken)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: %v, want an *Error", c.code, err)
			continue
		}
		if e.Class != c.class || e.Code != c.wantCode || !e.OperationFailed {
			t.Errorf("%s: class %v code %q operationFailed %v, want %v %q true", c.code, e.Class, e.Code, e.OperationFailed, c.class, c.wantCode)
		}
		if strings.Contains(e.Message, "/arm/") || strings.Contains(e.Message, "http") || e.Message == "" {
			t.Errorf("%s: message %q, want the operation's own", c.code, e.Message)
		}
		if c.wantCode == c.code && e.Message != "the operation says "+c.code {
			t.Errorf("%s: message %q", c.code, e.Message)
		}
		if e.RequestID != "" && e.RequestID != "req-GET" {
			t.Errorf("%s: request id %q", c.code, e.RequestID)
		}
	}
}
