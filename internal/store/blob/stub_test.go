package blob

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"amldsr/internal/store"
)

// stub is a blob service that answers every request with fn and records
// what it was asked. It covers what Azurite does not do as Azure does.
type stub struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func newStub(t *testing.T, fn http.HandlerFunc) (*Store, *stub) {
	t.Helper()
	st := &stub{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		st.reqs = append(st.reqs, r)
		st.mu.Unlock()
		io.Copy(io.Discard, r.Body)
		fn(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := container.NewClientWithNoCredential(srv.URL+"/acct/dsr", nil)
	if err != nil {
		t.Fatal(err)
	}
	return New(c), st
}

func (st *stub) requests() []*http.Request {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]*http.Request(nil), st.reqs...)
}

func fail(status int, code string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ms-error-code", code)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><Error><Code>` + code + `</Code><Message>stub</Message></Error>`))
	}
}

// Azure answers a marker it did not issue with 400 OutOfRangeInput;
// Azurite takes any marker as a blob name and never refuses one.
func TestInvalidMarker(t *testing.T) {
	s, st := newStub(t, fail(http.StatusBadRequest, "OutOfRangeInput"))
	_, err := s.List(context.Background(), "requests/", "not-a-marker", 10)
	if !errors.Is(err, ErrInvalidMarker) {
		t.Fatalf("list with a refused marker: %v", err)
	}
	q := st.requests()[0].URL.Query()
	if q.Get("marker") != "not-a-marker" || q.Get("prefix") != "requests/" || q.Get("maxresults") != "10" || q.Get("include") != "metadata" {
		t.Errorf("list query %v", q)
	}
	if _, err := s.List(context.Background(), "requests/", "", 10); err == nil || errors.Is(err, ErrInvalidMarker) {
		t.Errorf("a 400 without a marker: %v", err)
	}
}

func TestListPageSizeCapped(t *testing.T) {
	s, st := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="x" ContainerName="dsr"><Blobs/><NextMarker/></EnumerationResults>`))
	})
	for _, max := range []int{0, -1, 10000} {
		page, err := s.List(context.Background(), "", "", max)
		if err != nil || len(page.Items) != 0 || page.Next != "" {
			t.Fatalf("max %d: %+v, %v", max, page, err)
		}
	}
	for _, r := range st.requests() {
		if got := r.URL.Query().Get("maxresults"); got != "5000" {
			t.Errorf("maxresults=%s, want 5000", got)
		}
	}
}

// A staging the service refuses stops the put at once: it neither reads
// the rest of a long body nor commits.
func TestStagingErrorStopsPut(t *testing.T) {
	s, st := newStub(t, fail(http.StatusForbidden, "AuthorizationPermissionMismatch"))
	body := &pattern{n: 1 << 30}
	start := time.Now()
	err := s.Put(context.Background(), "k", body, store.PutOptions{IfNotExists: true})
	if err == nil || !strings.Contains(err.Error(), "AuthorizationPermissionMismatch") || errors.Is(err, store.ErrExists) {
		t.Fatalf("put against a refusing service: %v", err)
	}
	if body.off > (Concurrency+1)*BlockSize {
		t.Errorf("read %d bytes of the body after the first staging failed", body.off)
	}
	for _, r := range st.requests() {
		if r.URL.Query().Get("comp") == "blocklist" {
			t.Error("committed after a failed staging")
		}
	}
	t.Logf("failed in %v after reading %d bytes", time.Since(start), body.off)
}

// A create-only commit refused with InvalidBlockList (a rival's commit
// discarded this writer's uncommitted blocks) is ErrExists when the blob is
// there now, and an error otherwise.
func TestInvalidBlockListAfterRivalCommit(t *testing.T) {
	for _, there := range []bool{true, false} {
		s, st := newStub(t, func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.Method == http.MethodHead && there:
				w.WriteHeader(http.StatusOK)
			case r.Method == http.MethodHead:
				w.Header().Set("x-ms-error-code", "BlobNotFound")
				w.WriteHeader(http.StatusNotFound)
			case r.URL.Query().Get("comp") == "block":
				w.WriteHeader(http.StatusCreated)
			default:
				fail(http.StatusBadRequest, "InvalidBlockList")(w, r)
			}
		})
		err := s.Put(context.Background(), "k", &pattern{n: 2*BlockSize + 1}, store.PutOptions{IfNotExists: true})
		if errors.Is(err, store.ErrExists) != there || err == nil {
			t.Errorf("blob there %v: %v", there, err)
		}
		var blocks, commits int
		for _, r := range st.requests() {
			switch r.URL.Query().Get("comp") {
			case "block":
				blocks++
			case "blocklist":
				commits++
				if r.Header.Get("If-None-Match") != "*" {
					t.Errorf("commit without If-None-Match: *")
				}
			}
		}
		if blocks != 3 || commits != 1 {
			t.Errorf("%d blocks staged and %d commits, want 3 and 1", blocks, commits)
		}
	}
}

// Bad keys and bad metadata are refused before any request.
func TestRefusedBeforeAnyRequest(t *testing.T) {
	s, st := newStub(t, fail(http.StatusInternalServerError, "InternalError"))
	ctx := context.Background()
	for _, k := range []string{"", "/a", "a//b", "a/../b", "a\\b"} {
		if err := s.Put(ctx, k, strings.NewReader("x"), store.PutOptions{}); err == nil {
			t.Errorf("put %q accepted", k)
		}
		if _, _, err := s.Get(ctx, k); err == nil {
			t.Errorf("get %q accepted", k)
		}
		if err := s.Delete(ctx, k); err == nil {
			t.Errorf("delete %q accepted", k)
		}
	}
	if err := s.Put(ctx, "ok", strings.NewReader("x"), store.PutOptions{Metadata: map[string]string{"Bad": "x"}}); !errors.Is(err, errMetadata) {
		t.Errorf("bad metadata: %v", err)
	}
	if n := len(st.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

type fakeCred struct{}

func (fakeCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestConstructors(t *testing.T) {
	c, err := NewContainerClient("https://acct.blob.core.windows.net/", "dsr-results", fakeCred{})
	if err != nil {
		t.Fatal(err)
	}
	if c.URL() != "https://acct.blob.core.windows.net/dsr-results" {
		t.Errorf("container URL %s", c.URL())
	}
	bad := []struct{ url, name string }{
		{"acct.blob.core.windows.net", "dsr"},
		{"https://acct.blob.core.windows.net", "Dsr"},
		{"https://acct.blob.core.windows.net", "ds"},
		{"https://acct.blob.core.windows.net", "a--b"},
		{"https://acct.blob.core.windows.net", "dsr/x"},
		{"https://acct.blob.core.windows.net", "-dsr"},
	}
	for _, b := range bad {
		if _, err := NewContainerClient(b.url, b.name, fakeCred{}); err == nil {
			t.Errorf("NewContainerClient(%q, %q) accepted", b.url, b.name)
		}
	}
	if _, err := NewContainerClient("https://acct.blob.core.windows.net", "dsr", nil); err == nil {
		t.Error("nil credential accepted")
	}
	if _, err := NewContainerClientFromConnectionString("AccountName=x", "dsr"); err == nil {
		t.Error("connection string without a key or endpoint accepted")
	}
}
