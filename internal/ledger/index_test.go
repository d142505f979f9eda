package ledger

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
)

// flaky fails the next Put of every key that starts with a given prefix,
// once per arming.
type flaky struct {
	store.Store
	mu    sync.Mutex
	armed map[string]bool
}

var errOutage = errors.New("flaky: store unavailable")

func (f *flaky) arm(prefix string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.armed == nil {
		f.armed = map[string]bool{}
	}
	f.armed[prefix] = true
}

func (f *flaky) Put(ctx context.Context, key string, body io.Reader, opts store.PutOptions) error {
	f.mu.Lock()
	for p := range f.armed {
		if strings.HasPrefix(key, p) {
			delete(f.armed, p)
			f.mu.Unlock()
			return errOutage
		}
	}
	f.mu.Unlock()
	return f.Store.Put(ctx, key, body, opts)
}

func newFlaky(t *testing.T) (*Ledger, *flaky) {
	t.Helper()
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	f := &flaky{Store: st}
	return New(f, "dsr"), f
}

func accepted(id string) dsr.AcceptedRequest {
	return dsr.AcceptedRequest{Request: dsr.Request{RequestID: id, Operation: dsr.Export, Targets: []string{"/subscriptions/s"}}, AcceptedAt: time.Now().UTC()}
}

// TestActiveIndexSurvivesAFailedWrite: the write of active/{id} fails once;
// the client's replay (same id, same body) must leave the request in the
// index that the sweep walks.
func TestActiveIndexSurvivesAFailedWrite(t *testing.T) {
	l, f := newFlaky(t)
	ctx := context.Background()
	f.arm(dsr.ActiveBlob("r1"))
	if _, _, err := l.Accept(ctx, accepted("r1")); err == nil {
		t.Fatal("Accept succeeded although the store failed")
	}
	if _, created, err := l.Accept(ctx, accepted("r1")); err != nil {
		t.Fatalf("replay: created=%v err=%v", created, err)
	}
	ids, err := l.Active(ctx)
	if err != nil || !slices.Contains(ids, "r1") {
		t.Fatalf("after a failed index write and a replay the request is not active: %v %v", ids, err)
	}
}

// TestRequestIsIndexedBeforeItExists: a process killed right after writing
// request.json (simulated by failing everything after it) leaves a request
// the sweep can find. request.json is only written once the index holds
// the id.
func TestRequestIsIndexedBeforeItExists(t *testing.T) {
	l, f := newFlaky(t)
	ctx := context.Background()
	f.arm(dsr.RequestBlob("r2"))
	if _, _, err := l.Accept(ctx, accepted("r2")); err == nil {
		t.Fatal("Accept succeeded although the store failed")
	}
	ids, _ := l.Active(ctx)
	if !slices.Contains(ids, "r2") {
		t.Fatalf("the index does not hold a request whose request.json write was attempted: %v", ids)
	}
	// and a request.json never exists without its index entry: the
	// sweep (Status of an unknown request) drops what never got one.
	if _, err := l.Request(ctx, "r2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("request.json: %v", err)
	}
}
