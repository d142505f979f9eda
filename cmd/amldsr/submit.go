package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// statusDoc is what the client reads of a status document.
type statusDoc struct {
	RequestID string `json:"requestId"`
	State     string `json:"state"`
	Counts    struct {
		Discovered, Succeeded, Failed, Skipped, Pending int
	} `json:"counts"`
	Errors []struct {
		ResourceID string `json:"resourceId"`
		Code       string `json:"code"`
		Message    string `json:"message"`
	} `json:"errors"`
}

func (s *statusDoc) terminal() bool {
	return s.State == "succeeded" || s.State == "failed" || s.State == "cancelled"
}

func (s *statusDoc) done() int { return s.Counts.Succeeded + s.Counts.Failed + s.Counts.Skipped }

func submit(ctx context.Context, e env, args []string) (int, error) {
	f := newFlags(e, "submit", "export|delete --target ID... [flags]")
	var targets multi
	f.Var(&targets, "target", "an ARM id to cover (repeat for several)")
	oid := f.String("subject-object-id", "", "the subject's object id (a GUID)")
	upn := f.String("upn", "", "the subject's user principal name")
	name := f.String("display-name", "", "the subject's display name")
	match := f.String("match", "", `"all" (everything under the targets) or "subject" (only the subject's)`)
	dry := f.Bool("dry-run", false, "delete only: plan every delete, delete nothing")
	allowName := f.Bool("allow-display-name", false, "match subject: a delete also removes what only the display name attributes")
	id := f.String("request-id", "", "the request id (default: the API generates one)")
	wait := f.Bool("wait", false, "follow the request until it ends, showing progress")
	pos, err := f.parse(args, 1, -1)
	if err != nil {
		return 0, err
	}
	op := pos[0]
	if op != "export" && op != "delete" {
		fmt.Fprintf(e.stderr, "amldsr submit: the operation is export or delete, not %q\n", op)
		return 0, errUsage
	}
	targets = append(targets, pos[1:]...)
	body := map[string]any{"operation": op, "targets": []string(targets)}
	if *id != "" {
		body["requestId"] = *id
	}
	if *oid != "" || *upn != "" || *name != "" {
		sub := map[string]string{}
		for k, v := range map[string]string{"objectId": *oid, "userPrincipalName": *upn, "displayName": *name} {
			if v != "" {
				sub[k] = v
			}
		}
		body["subject"] = sub
	}
	if *match != "" {
		body["match"] = *match
	}
	if *dry {
		body["dryRun"] = true
	}
	if *allowName {
		body["allowDisplayName"] = true
	}
	c, err := f.client()
	if err != nil {
		return 0, err
	}
	resp, err := c.do(ctx, http.MethodPost, c.api("/api/dsr/requests"), body)
	if err != nil {
		return 0, err
	}
	var st statusDoc
	if err := json.Unmarshal(resp.body, &st); err != nil {
		return 0, fmt.Errorf("the API answered %d with no status document: %w", resp.status, err)
	}
	if !*wait {
		return exitOK, printJSON(e.stdout, resp.body)
	}
	fmt.Fprintf(e.stderr, "submitted %s (%s)\n", st.RequestID, op)
	final, err := follow(ctx, e, c, resp)
	if err != nil {
		return 0, err
	}
	return finalLine(e.stdout, final), nil
}

// follow polls the Location of each answer (the status URL when an
// answer has none), waiting what its Retry-After asks, and shows the
// progress until the request is terminal.
func follow(ctx context.Context, e env, c *client, resp *response) (*statusDoc, error) {
	p := newProgress(e)
	defer p.close()
	for {
		var st statusDoc
		if err := json.Unmarshal(resp.body, &st); err != nil {
			return nil, fmt.Errorf("status document: %w", err)
		}
		p.show(&st)
		if st.terminal() && resp.status == http.StatusOK {
			return &st, nil
		}
		next := c.api("/api/dsr/requests/" + url.PathEscape(st.RequestID))
		if loc := resp.header.Get("Location"); loc != "" {
			var err error
			if next, err = link(resp.url, loc); err != nil {
				return nil, err
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-e.after(resp.retryAfter()):
		}
		var err error
		if resp, err = c.do(ctx, http.MethodGet, next, nil); err != nil {
			return nil, err
		}
	}
}

// finalLine prints how the request ended and returns the exit status.
func finalLine(w io.Writer, st *statusDoc) int {
	fmt.Fprintf(w, "%s %s: %d steps, %d succeeded, %d failed, %d skipped\n", st.RequestID, st.State,
		st.Counts.Discovered, st.Counts.Succeeded, st.Counts.Failed, st.Counts.Skipped)
	for _, er := range st.Errors {
		fmt.Fprintf(w, "  failed %s: %s %s\n", er.ResourceID, er.Code, er.Message)
	}
	if st.State == "succeeded" {
		return exitOK
	}
	return exitProblems
}

func status(ctx context.Context, e env, args []string) (int, error) {
	f := newFlags(e, "status", "ID")
	pos, err := f.parse(args, 1, 1)
	if err != nil {
		return 0, err
	}
	c, err := f.client()
	if err != nil {
		return 0, err
	}
	resp, err := c.do(ctx, http.MethodGet, c.api("/api/dsr/requests/"+url.PathEscape(pos[0])), nil)
	if err != nil {
		return 0, err
	}
	return exitOK, printJSON(e.stdout, resp.body)
}

// results prints every record of a request, one JSON line each, following
// nextLink to the last page.
func results(ctx context.Context, e env, args []string) (int, error) {
	f := newFlags(e, "results", "ID")
	pos, err := f.parse(args, 1, 1)
	if err != nil {
		return 0, err
	}
	c, err := f.client()
	if err != nil {
		return 0, err
	}
	next := c.api("/api/dsr/requests/" + url.PathEscape(pos[0]) + "/results")
	seen := map[string]bool{}
	for next != nil {
		if seen[next.String()] {
			return 0, fmt.Errorf("the API gave the same nextLink twice: %s", redactURL(next))
		}
		seen[next.String()] = true
		resp, err := c.do(ctx, http.MethodGet, next, nil)
		if err != nil {
			return 0, err
		}
		var page struct {
			Value    []json.RawMessage `json:"value"`
			NextLink string            `json:"nextLink"`
		}
		if err := json.Unmarshal(resp.body, &page); err != nil {
			return 0, fmt.Errorf("results page: %w", err)
		}
		for _, rec := range page.Value {
			var line bytes.Buffer
			if err := json.Compact(&line, rec); err != nil {
				return 0, err
			}
			line.WriteByte('\n')
			if _, err := e.stdout.Write(line.Bytes()); err != nil {
				return 0, err
			}
		}
		next = nil
		if page.NextLink != "" {
			if next, err = link(resp.url, page.NextLink); err != nil {
				return 0, err
			}
		}
	}
	return exitOK, nil
}

func printJSON(w io.Writer, b []byte) error {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		out.Reset()
		out.Write(b)
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}
