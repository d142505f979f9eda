package callback_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"amldsr/internal/callback"
	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue/memory"
	"amldsr/internal/store"
	"amldsr/internal/store/dir"
)

const (
	secret = "s3cret-for-tests"
	sig    = "LOGICAPPSIGNATURE0123"
	target = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-dsr"
)

// receiver is a local HTTPS receiver that checks every POST's signature
// and answers the statuses it is given in turn (then 200).
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	answers  []int
	got      [][]byte
	bad      []string
	redirect bool
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.URL.Path == "/elsewhere" {
		r.bad = append(r.bad, "a redirect was followed")
		return
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	switch {
	case req.Method != http.MethodPost:
		r.bad = append(r.bad, "method "+req.Method)
	case req.Header.Get("X-DSR-Signature") != want:
		r.bad = append(r.bad, "signature "+req.Header.Get("X-DSR-Signature"))
	case req.Header.Get("Content-Type") != "application/json":
		r.bad = append(r.bad, "content type "+req.Header.Get("Content-Type"))
	case req.URL.Query().Get("sig") != sig:
		r.bad = append(r.bad, "the query did not arrive: "+req.URL.RawQuery)
	case req.Header.Get("Authorization") != "":
		r.bad = append(r.bad, "an Authorization header was sent")
	}
	r.got = append(r.got, body)
	if r.redirect {
		http.Redirect(w, req, "/elsewhere", http.StatusFound)
		return
	}
	code := http.StatusOK
	if len(r.answers) > 0 {
		code, r.answers = r.answers[0], r.answers[1:]
	}
	w.WriteHeader(code)
}

func (r *receiver) url() string { return r.srv.URL + "/hook?api-version=1&sig=" + sig }

type env struct {
	st  store.Store
	l   *ledger.Ledger
	q   *memory.Queue
	d   *callback.Deliverer
	log *bytes.Buffer
}

func setup(t *testing.T, r *receiver) *env {
	st, err := dir.Open(t.TempDir(), "dsr")
	if err != nil {
		t.Fatal(err)
	}
	q := memory.New(memory.Options{})
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client := r.srv.Client()
	client.CheckRedirect = callback.NewClient(time.Second).CheckRedirect
	l := ledger.New(st, "dsr")
	d := &callback.Deliverer{Store: st, Ledger: l, Queue: q, Client: client, Hosts: []string{"127.0.0.1"},
		Secret: []byte(secret), Log: log, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	l.OnTerminal = d.Start
	return &env{st: st, l: l, q: q, d: d, log: &buf}
}

// finished accepts a request with a callback to u, records its one step,
// and reads its status (which finalizes it and starts the callback).
func (e *env) finished(t *testing.T, id, u string) *dsr.Status {
	ctx := context.Background()
	if err := callback.Save(ctx, e.st, id, u, time.Now()); err != nil {
		t.Fatal(err)
	}
	req := dsr.Request{RequestID: id, Operation: dsr.Export, Targets: []string{target}, Match: dsr.MatchAll, Callback: dsr.WithoutQuery(u)}
	if _, _, err := e.l.Accept(ctx, dsr.AcceptedRequest{Request: req, AcceptedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	rec := dsr.Record{RequestID: id, Operation: dsr.StepDiscover, Kind: "scope", Resource: target, Outcome: dsr.Succeeded, StartedAt: now, FinishedAt: now}
	if _, err := e.l.Record(ctx, "op1", rec); err != nil {
		t.Fatal(err)
	}
	st, err := e.l.Status(ctx, id)
	if err != nil || !st.State.Terminal() {
		t.Fatalf("status: %v %v", st, err)
	}
	return st
}

// pump handles queued messages until the callback of id is settled.
func (e *env) pump(t *testing.T, id string) *callback.Record {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rcv := e.q.Receiver()
	for {
		rec, err := callback.Read(ctx, e.st, id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.State == callback.Delivered || rec.State == callback.Failed {
			return rec
		}
		ds, err := rcv.Receive(ctx, 10)
		if err != nil {
			t.Fatalf("no callback message came: %v (record %+v)", err, rec)
		}
		for _, d := range ds {
			if err := e.d.Handle(ctx, d.Body, d.DeliveryCount); err != nil {
				t.Fatal(err)
			}
			rcv.Complete(ctx, d)
		}
	}
}

func TestCallbackDeliversTheSignedFinalStatus(t *testing.T) {
	r := newReceiver(t)
	e := setup(t, r)
	e.finished(t, "req-1", r.url())
	rec := e.pump(t, "req-1")
	if rec.State != callback.Delivered || len(rec.Attempts) != 1 || rec.DeliveredAt == nil {
		t.Fatalf("record: %+v", rec)
	}
	if len(r.got) != 1 || len(r.bad) > 0 {
		t.Fatalf("receiver got %d posts, problems %v", len(r.got), r.bad)
	}
	sum, err := e.l.Summary(context.Background(), "req-1")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(sum)
	if !bytes.Equal(r.got[0], want) {
		t.Errorf("body:\n%s\nsummary:\n%s", r.got[0], want)
	}
	ar, err := e.l.Request(context.Background(), "req-1")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := store.ReadAll(context.Background(), e.st, dsr.RequestBlob("req-1"))
	if strings.Contains(string(raw), sig) || strings.Contains(ar.Callback, "?") {
		t.Errorf("request.json holds the callback's query: %s", raw)
	}
	if strings.Contains(e.log.String(), sig) {
		t.Errorf("the log holds the callback's query:\n%s", e.log)
	}
	// The request's bundle holds nothing of the callback.
	page, _ := e.st.List(context.Background(), dsr.RequestPrefix("req-1"), "", 100)
	for _, it := range page.Items {
		b, _ := store.ReadAll(context.Background(), e.st, it.Key)
		if strings.Contains(string(b), sig) {
			t.Errorf("%s holds the callback's query", it.Key)
		}
	}
}

func TestCallbackFailsTwiceThenDelivers(t *testing.T) {
	r := newReceiver(t, 500, 500)
	e := setup(t, r)
	e.finished(t, "req-2", r.url())
	rec := e.pump(t, "req-2")
	if rec.State != callback.Delivered || len(rec.Attempts) != 3 {
		t.Fatalf("record: %+v", rec)
	}
	for i, a := range rec.Attempts {
		want := 500
		if i == 2 {
			want = 200
		}
		if a.N != i+1 || a.HTTPStatus != want {
			t.Errorf("attempt %d: %+v, want status %d", i+1, a, want)
		}
	}
	if len(r.got) != 3 || len(r.bad) > 0 || !bytes.Equal(r.got[0], r.got[2]) {
		t.Fatalf("receiver got %d posts, problems %v", len(r.got), r.bad)
	}
	if strings.Contains(e.log.String(), sig) {
		t.Errorf("the log holds the callback's query:\n%s", e.log)
	}
}

func TestCallbackGivesUp(t *testing.T) {
	r := newReceiver(t, 503, 503, 503, 503)
	e := setup(t, r)
	e.d.MaxAttempts = 3
	e.finished(t, "req-3", r.url())
	rec := e.pump(t, "req-3")
	if rec.State != callback.Failed || len(rec.Attempts) != 3 || len(r.got) != 3 {
		t.Fatalf("record: %+v; receiver got %d", rec, len(r.got))
	}
}

func TestCallbackFollowsNoRedirect(t *testing.T) {
	r := newReceiver(t)
	r.redirect = true
	e := setup(t, r)
	e.d.MaxAttempts = 1
	e.finished(t, "req-4", r.url())
	rec := e.pump(t, "req-4")
	if rec.State != callback.Failed || rec.Attempts[0].HTTPStatus != http.StatusFound {
		t.Fatalf("record: %+v", rec)
	}
	if len(r.bad) > 0 {
		t.Fatal(r.bad)
	}
}

func TestCallbackHostCheckedAtSendTime(t *testing.T) {
	r := newReceiver(t)
	e := setup(t, r)
	e.d.Hosts = []string{"hooks.example.com"}
	e.finished(t, "req-5", r.url())
	rec := e.pump(t, "req-5")
	if rec.State != callback.Failed || len(r.got) != 0 || !strings.Contains(rec.Attempts[0].Error, "DSR_CALLBACK_HOSTS") {
		t.Fatalf("record: %+v; receiver got %d", rec, len(r.got))
	}
}

func TestCallbackErrorsHideTheQuery(t *testing.T) {
	r := newReceiver(t)
	e := setup(t, r)
	e.d.MaxAttempts = 1
	e.d.Client = &http.Client{Timeout: time.Second} // does not trust the receiver's certificate
	e.finished(t, "req-6", r.url())
	rec := e.pump(t, "req-6")
	if rec.State != callback.Failed || rec.Attempts[0].Error == "" {
		t.Fatalf("record: %+v", rec)
	}
	if strings.Contains(rec.Attempts[0].Error, sig) || strings.Contains(e.log.String(), sig) {
		t.Errorf("an error shows the query: %q\n%s", rec.Attempts[0].Error, e.log)
	}
}

func TestCallbackRedriveSendsALostMessageOnce(t *testing.T) {
	r := newReceiver(t)
	e := setup(t, r)
	e.finished(t, "req-7", r.url())
	// The first message is lost (the embedded queue's process died).
	ctx := context.Background()
	rcv := e.q.Receiver()
	ds, err := rcv.Receive(ctx, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("%d messages: %v", len(ds), err)
	}
	rcv.Complete(ctx, ds[0])
	if n, err := e.d.Redrive(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("re-drove %d before it was due: %v", n, err)
	}
	if n, err := e.d.Redrive(ctx, 0); err != nil || n != 1 {
		t.Fatalf("re-drove %d: %v", n, err)
	}
	rec := e.pump(t, "req-7")
	if rec.State != callback.Delivered || len(r.got) != 1 {
		t.Fatalf("record: %+v; receiver got %d", rec, len(r.got))
	}
	if n, _ := e.d.Redrive(ctx, 0); n != 0 {
		t.Errorf("re-drove a delivered callback")
	}
}

func TestSign(t *testing.T) {
	// RFC 4231 test case 2.
	got := callback.Sign([]byte("Jefe"), []byte("what do ya want for nothing?"))
	if got != "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Fatal(got)
	}
}

var _ = url.Parse

func TestCallbackStartIsIdempotent(t *testing.T) {
	r := newReceiver(t)
	e := setup(t, r)
	e.finished(t, "req-8", r.url()) // starts it
	ctx := context.Background()
	if err := e.d.Start(ctx, "req-8"); err != nil {
		t.Fatal(err)
	}
	if active, _ := e.q.Len(); active != 1 {
		t.Fatalf("%d callback messages, want 1", active)
	}
	rec := e.pump(t, "req-8")
	if rec.State != callback.Delivered || len(r.got) != 1 {
		t.Fatalf("record: %+v; receiver got %d", rec, len(r.got))
	}
	if err := e.d.Start(ctx, "req-8"); err != nil {
		t.Fatal(err)
	}
	if rec, _ := callback.Read(ctx, e.st, "req-8"); rec.State != callback.Delivered {
		t.Fatalf("a late start set the record back: %+v", rec)
	}
}

func TestCallbackRedriveALostStart(t *testing.T) {
	r := newReceiver(t)
	e := setup(t, r)
	ctx := context.Background()
	// The start was claimed, then the process died before it queued.
	if err := e.st.Put(ctx, callback.Prefix+"req-9.try-0", strings.NewReader("{}"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	e.finished(t, "req-9", r.url())
	if active, _ := e.q.Len(); active != 0 {
		t.Fatalf("%d messages", active)
	}
	if n, err := e.d.Redrive(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("re-drove %d before it was due: %v", n, err)
	}
	if n, err := e.d.Redrive(ctx, 0); err != nil || n != 1 {
		t.Fatalf("re-drove %d: %v", n, err)
	}
	if rec := e.pump(t, "req-9"); rec.State != callback.Delivered || len(r.got) != 1 {
		t.Fatalf("record: %+v; receiver got %d", rec, len(r.got))
	}
}

// At a local start (the embedded queue empty) a callback waiting out its
// backoff is sent again, due when its record says.
func TestCallbackRedriveAllKeepsTheBackoff(t *testing.T) {
	r := newReceiver(t, 500)
	e := setup(t, r)
	e.d.Backoff, e.d.MaxBackoff = time.Hour, time.Hour
	e.finished(t, "req-10", r.url())
	ctx := context.Background()
	rcv := e.q.Receiver()
	ds, _ := rcv.Receive(ctx, 10)
	for _, d := range ds {
		e.d.Handle(ctx, d.Body, 1)
		rcv.Complete(ctx, d)
	}
	rec, _ := callback.Read(ctx, e.st, "req-10")
	if rec.State != callback.Pending || rec.Next != 2 || time.Until(rec.NotBefore) < 50*time.Minute {
		t.Fatalf("record after a 500: %+v", rec)
	}
	if n, err := e.d.Redrive(ctx, 0); err != nil || n != 0 {
		t.Fatalf("re-drove %d before its time: %v", n, err)
	}
	if n, err := e.d.Redrive(ctx, -1); err != nil || n != 1 {
		t.Fatalf("redrive all: %d, %v", n, err)
	}
	// The scheduled original is still in this queue (a restart loses
	// it): the re-driven copy is a second one.
	if active, _ := e.q.Len(); active != 2 {
		t.Fatalf("%d messages queued", active)
	}
	again, _ := callback.Read(ctx, e.st, "req-10")
	if !again.NotBefore.Equal(rec.NotBefore) || again.Next != 2 {
		t.Errorf("the backoff was lost: %+v", again)
	}
}
