package sim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"amldsr/tools/mlsim/sim"
)

func TestContent(t *testing.T) {
	e := seeded(t, sim.Options{})
	var runs page
	e.get(hist+"/runs").json(t, &runs)
	runID := field(t, runs.Value[0], "runId")
	const path = "logs/driver/stdout.txt"
	r := e.get(art + "/artifacts/contentinfo/ExperimentRun/" + runID + "/" + path)
	wantStatus(t, r, http.StatusOK, "contentinfo")
	var info struct {
		ContentURI, Origin, Container, Path string
	}
	r.json(t, &info)
	if info.Origin != "ExperimentRun" || info.Container != runID || info.Path != path || !strings.HasPrefix(info.ContentURI, e.ts.URL+"/content/") {
		t.Fatalf("contentinfo %s", r.body)
	}

	r = e.get(hist + "/runs/" + runID + "/artifacturi?name=" + url.QueryEscape(path))
	wantStatus(t, r, http.StatusOK, "artifacturi")
	var uri string
	r.json(t, &uri)
	if uri != info.ContentURI {
		t.Errorf("artifacturi %q differs from contentUri %q", uri, info.ContentURI)
	}

	var want []byte
	for _, res := range e.resources(sim.KindArtifact, true) {
		if strings.HasSuffix(res.Path, "/"+runID+"/"+path) && strings.Contains(res.Path, expProj) {
			want = res.Content
		}
	}
	got := e.send(http.MethodGet, info.ContentURI, "", nil, nil)
	wantStatus(t, got, http.StatusOK, "content")
	if len(want) == 0 || !bytes.Equal(got.body, want) {
		t.Errorf("content: %d bytes, /_sim/resources holds %d", len(got.body), len(want))
	}
	if ct := got.header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("content type %q", ct)
	}

	wantStatus(t, e.send(http.MethodGet, info.ContentURI, e.token, nil, nil), http.StatusForbidden, "content with a bearer token")
	wantStatus(t, e.send(http.MethodGet, info.ContentURI, "", map[string]string{"Authorization": "SharedKey x"}, nil), http.StatusForbidden, "content with any Authorization")
	u, _ := url.Parse(info.ContentURI)
	q := u.Query()
	q.Set("sig", strings.Repeat("0", len(q.Get("sig"))))
	u.RawQuery = q.Encode()
	wantStatus(t, e.send(http.MethodGet, u.String(), "", nil, nil), http.StatusForbidden, "content with a bad sig")
	u.RawQuery = ""
	wantStatus(t, e.send(http.MethodGet, u.String(), "", nil, nil), http.StatusForbidden, "content without sig")

	wantStatus(t, e.get(hist+"/runs/"+runID+"/artifacturi"), http.StatusBadRequest, "artifacturi without name")
	wantStatus(t, e.get(hist+"/runs/"+runID+"/artifacturi?name=nope.txt"), http.StatusNotFound, "artifacturi of an unknown artifact")
}

// TestContentStable checks that content URLs do not change between calls or
// between servers of the same seed, so exported documents are reproducible.
func TestContentStable(t *testing.T) {
	a, b := sim.New(sim.Options{Seed: 7}), sim.New(sim.Options{Seed: 7})
	ra, rb := a.Resources("https://127.0.0.1:1", sim.KindArtifactURI, false), b.Resources("https://127.0.0.1:1", sim.KindArtifactURI, false)
	if len(ra) == 0 || len(ra) != len(rb) {
		t.Fatalf("%d and %d artifact URIs", len(ra), len(rb))
	}
	for i := range ra {
		var u string
		if err := json.Unmarshal(ra[i].Document, &u); err != nil || !strings.HasPrefix(u, "https://127.0.0.1:1/content/") {
			t.Fatalf("artifacturi document %s", ra[i].Document)
		}
		if string(ra[i].Document) != string(rb[i].Document) {
			t.Fatalf("same seed, different URIs: %s %s", ra[i].Document, rb[i].Document)
		}
	}
}
