// Package logs builds the process's logger. In Functions and worker mode it
// writes JSON lines to stdout (the Functions host logs a custom handler's
// stdout as Information traces and its stderr as errors); Application
// Insights keeps each line whole as a trace's message, so the fields are
// what a query reads with parse_json(message). A line that names a request
// carries its id three ways: request_id (the key the code logs),
// requestId (the key of the API and the records) and operation_Id (the
// name Application Insights gives the id that ties a request's telemetry
// together). Other stable keys: step, kind, outcome, upstreamRequestId.
package logs

import (
	"context"
	"io"
	"log/slog"
	"strings"

	azlog "github.com/Azure/azure-sdk-for-go/sdk/azcore/log"

	"amldsr/internal/azureapi"
)

// Keys of the request id on a log line.
const (
	KeyRequestID   = "request_id"
	KeyRequestIDv1 = "requestId"
	KeyOperationID = "operation_Id"
)

// New is the logger of a mode: JSON lines, or text for a person (local
// mode), at level.
func New(w io.Writer, level slog.Leveler, json bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if !json {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(&opHandler{inner: slog.NewJSONHandler(w, opts)})
}

// opHandler adds requestId and operation_Id to every line that carries a
// request id (in the call or in With).
type opHandler struct {
	inner slog.Handler
	id    string // from With
	has   bool   // With carried requestId itself
	op    bool   // With carried operation_Id itself
}

func (h *opHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *opHandler) Handle(ctx context.Context, r slog.Record) error {
	id, has, op := h.id, h.has, h.op
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case KeyRequestID, KeyRequestIDv1:
			if v := a.Value.String(); v != "" {
				id = v
			}
			has = has || a.Key == KeyRequestIDv1
		case KeyOperationID:
			op = true
		}
		return true
	})
	if id != "" {
		if !has {
			r.AddAttrs(slog.String(KeyRequestIDv1, id))
		}
		if !op {
			r.AddAttrs(slog.String(KeyOperationID, id))
		}
	}
	return h.inner.Handle(ctx, r)
}

func (h *opHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	n.inner = h.inner.WithAttrs(attrs)
	for _, a := range attrs {
		switch a.Key {
		case KeyRequestID, KeyRequestIDv1:
			n.id = a.Value.String()
			n.has = n.has || a.Key == KeyRequestIDv1
		case KeyOperationID:
			n.op = true
		}
	}
	return &n
}

func (h *opHandler) WithGroup(name string) slog.Handler {
	n := *h
	n.inner = h.inner.WithGroup(name)
	return &n
}

// ListenToAzure sends the Azure SDK's events to log. With debug, every
// event at debug level; otherwise only the retry policy's, at info level
// for what a retry is made of (a try after the first, the delay before it,
// a non-2xx response, an error, the retries running out) and at debug for
// the rest (every first try, every 2xx response). The SDK writes URLs sanitized and no
// headers in these events; SAS signatures are stripped all the same.
func ListenToAzure(log *slog.Logger, debug bool) {
	if debug {
		azlog.SetEvents()
		azlog.SetListener(func(ev azlog.Event, msg string) {
			log.Debug(azureapi.StripSAS(msg), "azure_event", string(ev))
		})
		return
	}
	azlog.SetEvents(azlog.EventRetryPolicy)
	azlog.SetListener(func(ev azlog.Event, msg string) {
		level := slog.LevelDebug
		if ev == azlog.EventRetryPolicy && retryWorthNoting(msg) {
			level = slog.LevelInfo
		}
		log.Log(context.Background(), level, "azure sdk: "+azureapi.StripSAS(msg), "azure_event", string(ev))
	})
}

// retryWorthNoting reports whether a retry policy event is part of a
// retry rather than of every call.
func retryWorthNoting(msg string) bool {
	switch {
	case strings.HasPrefix(msg, "=====> Try=1 "), strings.HasPrefix(msg, "exit due to"):
		return false
	case strings.HasPrefix(msg, "response "):
		// Every call's answer is a "response" event: only those the
		// policy retries (408, 429, 5xx) are part of a retry. A 404 is
		// the normal end of a confirmation.
		code, _, _ := strings.Cut(strings.TrimPrefix(msg, "response "), " ")
		return code == "408" || code == "429" || strings.HasPrefix(code, "5")
	}
	return true
}
