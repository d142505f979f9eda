package fakehost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
)

// startTriggers starts the Service Bus and timer triggers.
func (h *Host) startTriggers(ctx context.Context) {
	for _, f := range h.app.Functions {
		t := f.Trigger()
		switch {
		case t.Type == "serviceBusTrigger" && !h.opts.NoTriggers:
			h.startServiceBus(ctx, f, t)
		case t.Type == "timerTrigger" && h.opts.TimerEvery > 0:
			h.wg.Add(1)
			go h.timer(ctx, f, t)
		}
	}
}

func (h *Host) startServiceBus(ctx context.Context, f Function, t Binding) {
	queueName, err := resolve(t.QueueName, h.opts.Settings)
	if err != nil {
		h.t.Fatalf("%s: %v", f.Name, err)
	}
	client, err := azservicebus.NewClientFromConnectionString(h.opts.ServiceBus, nil)
	if err != nil {
		h.t.Fatalf("%s: %v", f.Name, err)
	}
	recv, err := client.NewReceiverForQueue(queueName, nil)
	if err != nil {
		h.t.Fatalf("%s: %v", f.Name, err)
	}
	n := h.app.Host.Extensions.ServiceBus.MaxConcurrentCalls
	if n <= 0 {
		n = 16 * runtime.NumCPU()
	}
	for range n {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			for ctx.Err() == nil {
				msgs, err := recv.ReceiveMessages(ctx, 1, nil)
				if err != nil {
					if ctx.Err() == nil {
						time.Sleep(100 * time.Millisecond)
					}
					continue
				}
				for _, m := range msgs {
					h.invokeServiceBus(ctx, f, t, recv, m)
				}
			}
		}()
	}
	h.wg.Add(1)
	go func() { defer h.wg.Done(); <-ctx.Done(); client.Close(context.Background()) }()
}

// invokeServiceBus posts one message's envelope and settles the message by
// the answer: complete on 2xx with a JSON object, abandon otherwise. The
// lock is renewed meanwhile, up to maxAutoLockRenewalDuration.
func (h *Host) invokeServiceBus(ctx context.Context, f Function, t Binding, recv *azservicebus.Receiver, m *azservicebus.ReceivedMessage) {
	env := ServiceBusEnvelope(f.Name, t.Name, m)
	rctx, stopRenew := context.WithCancel(ctx)
	go h.renew(rctx, recv, m)
	ok := h.post(ctx, f.Name, env)
	stopRenew()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ok {
		if err := recv.CompleteMessage(sctx, m, nil); err == nil {
			h.Completed.Add(1)
		}
		return
	}
	h.Abandoned.Add(1)
	recv.AbandonMessage(sctx, m, nil)
}

func (h *Host) renew(ctx context.Context, recv *azservicebus.Receiver, m *azservicebus.ReceivedMessage) {
	limit, ok := parseTimeSpan(h.app.Host.Extensions.ServiceBus.MaxAutoLockRenewalDuration)
	if !ok {
		limit = 5 * time.Minute
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		wait := time.Until(*m.LockedUntil) / 2
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(wait, 100*time.Millisecond)):
		}
		if err := recv.RenewMessageLock(ctx, m, nil); err != nil {
			return
		}
	}
}

// post invokes POST /{fn} with env and reports whether the invocation
// succeeded: a 2xx answer with a JSON content type and a JSON object body.
// An invocation that passes the function timeout restarts the handler.
func (h *Host) post(ctx context.Context, fn string, env []byte) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.base()+"/"+fn, io.NopCloser(bytes.NewReader(env)))
	req.ContentLength = -1 // the host's ObjectContent has no precomputed length: chunked
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Azure-Functions-InvocationId", newGUID())
	req.Header.Set("X-Azure-Functions-HostVersion", HostVersion)
	req.Header.Set("User-Agent", "Azure-Functions-Host/"+HostVersion)
	h.Invocations.Add(1)
	resp, err := h.invoke.Do(req)
	if err != nil {
		var te interface{ Timeout() bool }
		if errors.As(err, &te) && te.Timeout() && ctx.Err() == nil {
			h.restart(fn)
		}
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return InvocationSucceeded(resp.StatusCode, resp.Header.Get("Content-Type"), body)
}

// InvocationSucceeded applies the host's reading of a handler's answer:
// non-2xx fails; a content type other than JSON fails; a body that is not
// a JSON object fails (an empty 2xx body would hang the real host until the
// function timeout: here it fails at once).
func InvocationSucceeded(status int, contentType string, body []byte) bool {
	if status < 200 || status > 299 {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || (mt != "application/json" && mt != "text/json") {
		return false
	}
	var obj map[string]json.RawMessage
	return json.Unmarshal(body, &obj) == nil && obj != nil
}

// ServiceBusEnvelope builds the invocation body the host sends for a
// message (single dispatch, string data): the body serialized twice,
// metadata scalars as strings, ...Utc dates without offset, the actions as
// {}, sys, and the body's top-level properties merged into Metadata.
func ServiceBusEnvelope(fn, binding string, m *azservicebus.ReceivedMessage) []byte {
	once, _ := json.Marshal(string(m.Body))
	twice, _ := json.Marshal(string(once))
	meta := map[string]any{
		"MessageReceiver": map[string]any{}, "MessageSession": map[string]any{}, "MessageActions": map[string]any{},
		"SessionActions": map[string]any{}, "ReceiveActions": map[string]any{},
		"Client":         map[string]any{"FullyQualifiedNamespace": "127.0.0.1", "IsClosed": false, "TransportType": 0, "Identifier": "fakehost-" + newGUID()},
		"DeliveryCount":  strconv.Itoa(int(m.DeliveryCount)),
		"SequenceNumber": strconv.FormatInt(deref(m.SequenceNumber), 10),
		"LockToken":      quoted(fmt.Sprintf("%x", m.LockToken[:])),
		"MessageId":      quoted(m.MessageID),
		"sys":            map[string]any{"MethodName": fn, "UtcNow": time.Now().UTC().Format(time.RFC3339Nano), "RandGuid": newGUID()},
	}
	if m.ContentType != nil {
		meta["ContentType"] = quoted(*m.ContentType)
	}
	if m.EnqueuedTime != nil {
		meta["EnqueuedTimeUtc"] = m.EnqueuedTime.UTC().Format("2006-01-02T15:04:05")
		meta["EnqueuedTime"] = m.EnqueuedTime.UTC().Format("2006-01-02T15:04:05+00:00")
	}
	if m.ExpiresAt != nil {
		meta["ExpiresAtUtc"] = m.ExpiresAt.UTC().Format("2006-01-02T15:04:05")
		meta["ExpiresAt"] = m.ExpiresAt.UTC().Format("2006-01-02T15:04:05+00:00")
	}
	props := map[string]any{}
	for k, v := range m.ApplicationProperties {
		props[k] = v
	}
	meta["ApplicationProperties"], meta["UserProperties"] = props, props
	mergeBodyProperties(meta, m.Body)
	b, _ := json.Marshal(map[string]any{"Data": map[string]json.RawMessage{binding: twice}, "Metadata": meta})
	return b
}

// mergeBodyProperties copies a JSON-object body's top-level, non-array
// properties into the metadata, overwriting same-named keys whatever their
// case, scalars as quoted strings, as the host's binding data does.
func mergeBodyProperties(meta map[string]any, body []byte) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return
	}
	for k, raw := range obj {
		if len(raw) > 0 && raw[0] == '[' {
			continue
		}
		for existing := range meta {
			if strings.EqualFold(existing, k) {
				delete(meta, existing)
			}
		}
		if len(raw) > 0 && raw[0] == '{' {
			meta[k] = raw
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		meta[k] = quoted(s)
	}
}

func quoted(s string) string { b, _ := json.Marshal(s); return string(b) }

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
