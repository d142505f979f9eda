// Package callback delivers a request's final status document to the
// https URL the request named (its "callback"), once the request is
// terminal: signed with HMAC-SHA256 over the exact body, through the queue
// (kind "callback"), at least once, with backoff, and recorded.
//
// A callback's state lives outside the request's bundle, in
// callbacks/{id}.json: it holds the full URL, whose query may be a
// credential (a Logic App's sig=), so it never goes under requests/{id}/
// and is never logged; and it must not count as a result record or be an
// "extra" file of the evidence manifest. Claims callbacks/{id}.try-{n},
// created once, keep two deliveries of one attempt from both posting.
package callback

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"amldsr/internal/dsr"
	"amldsr/internal/ledger"
	"amldsr/internal/queue"
	"amldsr/internal/store"
)

// Kind is the queue message kind of a callback delivery.
const Kind = "callback"

// Prefix holds every callback's blobs.
const Prefix = "callbacks/"

// Headers of the POST.
const (
	HeaderSignature = "X-DSR-Signature"
	HeaderRequestID = "X-DSR-Request-Id"
)

// State is where a callback stands.
type State string

const (
	Waiting   State = "waiting"   // the request is not terminal yet
	Pending   State = "pending"   // an attempt is queued
	Delivered State = "delivered" // the receiver answered 2xx
	Failed    State = "failed"    // attempts or time ran out, or the host is no longer allowed
)

// Attempt is one POST (or one that could not be made).
type Attempt struct {
	N          int       `json:"n"`
	At         time.Time `json:"at"`
	HTTPStatus int       `json:"httpStatus,omitempty"`
	Error      string    `json:"error,omitempty"`
}

// Record is callbacks/{id}.json.
type Record struct {
	V         int    `json:"v"`
	RequestID string `json:"requestId"`
	// URL is the full callback URL, query included (a credential).
	URL   string `json:"url"`
	State State  `json:"state"`
	// Next is the attempt the current queue message carries; NotBefore
	// when it is due.
	Next        int        `json:"next"`
	NotBefore   time.Time  `json:"notBefore,omitzero"`
	CreatedAt   time.Time  `json:"createdAt"`
	DeliveredAt *time.Time `json:"deliveredAt,omitempty"`
	Attempts    []Attempt  `json:"attempts"`
}

// Blob is the name of the record of request id's callback.
func Blob(id string) string { return Prefix + id + ".json" }

func claimBlob(id string, n int) string { return Prefix + id + ".try-" + strconv.Itoa(n) }

// Sign is the X-DSR-Signature value of body: "sha256=" and the lowercase
// hex HMAC-SHA256 of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Save writes the record of request id's callback, waiting, once: an
// existing record (a replayed submit) stands. The submit calls it before
// writing request.json, so a request with a callback always has its URL.
func Save(ctx context.Context, st store.Store, id, rawURL string, now time.Time) error {
	rec := Record{V: 1, RequestID: id, URL: rawURL, State: Waiting, CreatedAt: now.UTC(), Attempts: []Attempt{}}
	err := put(ctx, st, rec, store.PutOptions{IfNotExists: true})
	if errors.Is(err, store.ErrExists) {
		return nil
	}
	return err
}

func put(ctx context.Context, st store.Store, rec Record, opts store.PutOptions) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	opts.ContentType = "application/json"
	opts.Metadata = map[string]string{"state": string(rec.State)}
	return st.Put(ctx, Blob(rec.RequestID), bytes.NewReader(b), opts)
}

// Read returns request id's callback record; store.ErrNotFound when the
// request has none.
func Read(ctx context.Context, st store.Store, id string) (*Record, error) {
	b, err := store.ReadAll(ctx, st, Blob(id))
	if err != nil {
		return nil, err
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("callback record %s: %w", id, err)
	}
	return &rec, nil
}

// message is the body of a callback queue message.
type message struct {
	V         int    `json:"v"`
	Kind      string `json:"kind"`
	RequestID string `json:"requestId"`
	Attempt   int    `json:"attempt"`
}

// Message is the queue message of attempt n of request id's callback; its
// id is deterministic (the same attempt, the same id; each attempt its
// own, so duplicate detection drops only true duplicates).
func Message(id string, n int, at time.Time) queue.Message {
	b, _ := json.Marshal(message{V: 1, Kind: Kind, RequestID: id, Attempt: n})
	h := sha256.Sum256(b)
	return queue.Message{ID: hex.EncodeToString(h[:16]), Body: b, ContentType: "application/json",
		Properties: map[string]string{"requestId": id, "kind": Kind}, ScheduledAt: at}
}

// IsCallback reports whether a queue message body is a callback's.
func IsCallback(body []byte) bool {
	var m struct {
		Kind string `json:"kind"`
	}
	return json.Unmarshal(body, &m) == nil && m.Kind == Kind
}

// NewClient is the client callbacks are posted with: no credential of
// any kind, redirects not followed (a 3xx is a failed attempt), timeout.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		Transport:     http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// scrub is err with the URL's query removed (a *url.Error prints the
// whole URL).
func scrub(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("%s %s: %v", ue.Op, dsr.WithoutQuery(ue.URL), ue.Err)
	}
	return err.Error()
}

// maxResponse bounds what is read of a receiver's answer.
const maxResponse = 64 << 10

// post sends body to rawURL, signed. It returns the HTTP status (0 when
// there was no answer) and an error unless the answer was 2xx.
func post(ctx context.Context, c *http.Client, rawURL, id string, secret, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New(scrub(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderSignature, Sign(secret, body))
	req.Header.Set(HeaderRequestID, id)
	req.Header.Set("User-Agent", "amldsr-callback/1")
	resp, err := c.Do(req)
	if err != nil {
		return 0, errors.New(scrub(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("the receiver answered %d %s", resp.StatusCode, strings.TrimSpace(http.StatusText(resp.StatusCode)))
	}
	return resp.StatusCode, nil
}

// Deliverer starts, delivers and re-drives callbacks.
type Deliverer struct {
	Store  store.Store
	Ledger *ledger.Ledger
	Queue  queue.Sender
	// Client posts; nil: NewClient(30s).
	Client *http.Client
	// Hosts (DSR_CALLBACK_HOSTS) are checked again at every attempt.
	Hosts []string
	// Secret (DSR_CALLBACK_SECRET) signs the body.
	Secret []byte
	Log    *slog.Logger
	// MaxAttempts (0: 10) and GiveUpAfter (0: 24 hours, from the first
	// attempt) bound the attempts; the delay between them starts at
	// Backoff (0: 10 s) and doubles up to MaxBackoff (0: 15 min).
	MaxAttempts int
	GiveUpAfter time.Duration
	Backoff     time.Duration
	MaxBackoff  time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

// Start queues the first attempt of request id's callback, when it has
// one that waits; anything else (no callback, started already) does
// nothing. The ledger calls it when the request turns terminal, before
// the summary is written: a failure here fails that finalization, which
// is tried again. Two concurrent starts send the same message; the claim
// of attempt 1 lets one of them post.
func (d *Deliverer) Start(ctx context.Context, id string) error {
	rec, err := Read(ctx, d.Store, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || rec.State != Waiting {
		return err
	}
	// One start only (claim 0): a second, stalled one must not set back
	// a record that deliveries have moved on.
	err = d.Store.Put(ctx, claimBlob(id, 0), strings.NewReader("{}"), store.PutOptions{IfNotExists: true, ContentType: "application/json"})
	if errors.Is(err, store.ErrExists) {
		return nil
	}
	if err != nil {
		return err
	}
	return d.queueFirst(ctx, rec)
}

// queueFirst makes rec pending with its first attempt, and sends it.
func (d *Deliverer) queueFirst(ctx context.Context, rec *Record) error {
	rec.State, rec.Next, rec.NotBefore = Pending, 1, d.now()
	if err := put(ctx, d.Store, *rec, store.PutOptions{}); err != nil {
		return err
	}
	return d.Queue.Send(ctx, Message(rec.RequestID, 1, time.Time{}))
}

// Handle delivers one callback message. A message that is not the
// record's current attempt (stale, or a duplicate whose attempt was
// claimed) is dropped; an error is store or queue trouble (the caller
// retries the message).
func (d *Deliverer) Handle(ctx context.Context, body []byte, _ int) error {
	var m message
	if err := json.Unmarshal(body, &m); err != nil || m.Kind != Kind || !dsr.ValidRequestID(m.RequestID) || m.Attempt < 1 {
		d.Log.Warn("dropping a malformed callback message")
		return nil
	}
	rec, err := Read(ctx, d.Store, m.RequestID)
	if errors.Is(err, store.ErrNotFound) {
		d.Log.Warn("dropping a callback message of a request without a callback", "request_id", m.RequestID)
		return nil
	}
	if err != nil {
		return err
	}
	if rec.State != Pending || rec.Next != m.Attempt {
		d.Log.Debug("dropping a stale callback message", "request_id", m.RequestID, "attempt", m.Attempt)
		return nil
	}
	err = d.Store.Put(ctx, claimBlob(m.RequestID, m.Attempt), strings.NewReader("{}"), store.PutOptions{IfNotExists: true, ContentType: "application/json"})
	if errors.Is(err, store.ErrExists) {
		return nil // another delivery of this attempt holds it
	}
	if err != nil {
		return err
	}
	return d.attempt(ctx, rec)
}

// attempt makes attempt rec.Next and records what happened.
func (d *Deliverer) attempt(ctx context.Context, rec *Record) error {
	a := Attempt{N: rec.Next, At: d.now()}
	final := false
	doc, err := d.document(ctx, rec.RequestID)
	switch {
	case err != nil && !errors.Is(err, errNotTerminal):
		return err
	case err != nil:
		a.Error = err.Error()
	case len(d.Secret) == 0:
		a.Error, final = "DSR_CALLBACK_SECRET is not set", true
	case !dsr.CallbackHostAllowed(rec.URL, d.Hosts):
		a.Error, final = "the callback's host is not in DSR_CALLBACK_HOSTS", true
	default:
		a.HTTPStatus, err = post(ctx, d.client(), rec.URL, rec.RequestID, d.Secret, doc)
		if err != nil {
			a.Error = err.Error()
		}
	}
	rec.Attempts = append(rec.Attempts, a)
	log := d.Log.With("request_id", rec.RequestID, "callback", dsr.WithoutQuery(rec.URL), "attempt", a.N)
	switch {
	case a.Error == "":
		rec.State, rec.DeliveredAt = Delivered, &a.At
		log.Info("callback delivered", "http_status", a.HTTPStatus)
		return put(ctx, d.Store, *rec, store.PutOptions{})
	case final || a.N >= d.maxAttempts() || a.At.Sub(rec.Attempts[0].At) >= d.giveUpAfter():
		rec.State = Failed
		log.Warn("callback failed for good", "http_status", a.HTTPStatus, "error", a.Error)
		return put(ctx, d.Store, *rec, store.PutOptions{})
	}
	after := d.backoff(a.N)
	rec.Next, rec.NotBefore = a.N+1, a.At.Add(after)
	log.Warn("callback attempt failed; rescheduled", "http_status", a.HTTPStatus, "error", a.Error, "after", after.String())
	if err := put(ctx, d.Store, *rec, store.PutOptions{}); err != nil {
		return err
	}
	return d.Queue.Send(ctx, Message(rec.RequestID, rec.Next, rec.NotBefore))
}

var errNotTerminal = errors.New("the request is not terminal (its summary was withdrawn)")

// document is the request's final status document, as summary.json
// holds it.
func (d *Deliverer) document(ctx context.Context, id string) ([]byte, error) {
	st, err := d.Ledger.Summary(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// Finalize starts the callback before it writes the summary:
		// a status derived now writes it (not one from the cache, nor one
		// that leaves the evidence to the background).
		if _, err := d.Ledger.Settle(ctx, id); err != nil {
			return nil, err
		}
		st, err = d.Ledger.Summary(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotTerminal
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

func (d *Deliverer) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return NewClient(30 * time.Second)
}

func (d *Deliverer) maxAttempts() int {
	if d.MaxAttempts > 0 {
		return d.MaxAttempts
	}
	return 10
}

func (d *Deliverer) giveUpAfter() time.Duration {
	if d.GiveUpAfter > 0 {
		return d.GiveUpAfter
	}
	return 24 * time.Hour
}

// backoff is the delay after failed attempt n: Backoff doubled n-1 times,
// at most MaxBackoff.
func (d *Deliverer) backoff(n int) time.Duration {
	base, top := d.Backoff, d.MaxBackoff
	if base <= 0 {
		base = 10 * time.Second
	}
	if top <= 0 {
		top = 15 * time.Minute
	}
	return min(base<<min(n-1, 20), top)
}

// Redrive sends again the current attempt of every pending callback
// whose message is overdue by after (lost with an embedded queue's
// process); a negative after sends every one, each due when its record
// says (the embedded queue is known to be empty). An attempt claimed but
// never recorded (the process died while posting) is recorded as
// interrupted and the next one sent. It returns how many it sent.
func (d *Deliverer) Redrive(ctx context.Context, after time.Duration) (int, error) {
	n := 0
	err := store.Walk(ctx, d.Store, Prefix, func(info store.Info) error {
		switch state := State(info.Metadata["state"]); {
		case !strings.HasSuffix(info.Key, ".json"), state == Delivered, state == Failed:
			return nil
		}
		id := strings.TrimSuffix(strings.TrimPrefix(info.Key, Prefix), ".json")
		sent, err := d.redrive(ctx, id, after)
		if sent {
			n++
		}
		return err
	})
	return n, err
}

func (d *Deliverer) redrive(ctx context.Context, id string, after time.Duration) (bool, error) {
	rec, err := Read(ctx, d.Store, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	now := d.now()
	if err == nil && rec.State == Waiting {
		return d.redriveStart(ctx, rec, now, after)
	}
	if err != nil || rec.State != Pending || (after >= 0 && now.Sub(rec.NotBefore) < after) {
		return false, err
	}
	claimed, _, err := d.Store.Get(ctx, claimBlob(id, rec.Next))
	switch {
	case err == nil:
		claimed.Close()
		rec.Attempts = append(rec.Attempts, Attempt{N: rec.Next, At: now, Error: "interrupted"})
		rec.Next++
		if rec.Next > d.maxAttempts() {
			rec.State = Failed
		}
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	if rec.NotBefore.Before(now) {
		rec.NotBefore = now
	}
	if err := put(ctx, d.Store, *rec, store.PutOptions{}); err != nil || rec.State != Pending {
		return false, err
	}
	d.Log.Warn("re-driving a callback whose message was lost", "request_id", id, "attempt", rec.Next)
	return true, d.Queue.Send(ctx, Message(id, rec.Next, rec.NotBefore))
}

// redriveStart queues the first attempt of a callback whose start was
// claimed (its request turned terminal) at least after ago but never
// queued (the process died in between).
func (d *Deliverer) redriveStart(ctx context.Context, rec *Record, now time.Time, after time.Duration) (bool, error) {
	rc, info, err := d.Store.Get(ctx, claimBlob(rec.RequestID, 0))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // the request runs
	}
	if err != nil {
		return false, err
	}
	rc.Close()
	if now.Sub(info.Modified) < after {
		return false, nil
	}
	d.Log.Warn("re-driving a callback whose start was lost", "request_id", rec.RequestID)
	return true, d.queueFirst(ctx, rec)
}
