package journeys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"amldsr/test/procs"
	"amldsr/test/scenario"
)

// cliBinary builds cmd/amldsr as make build does.
func cliBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "amldsr")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/amldsr")
	cmd.Dir = procs.Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/amldsr: %v\n%s", err, out)
	}
	return bin
}

// cli runs the client as a person would, in a terminal when one can be
// had (util-linux script gives it a pseudo-terminal), and returns its
// output and exit status.
func cli(t *testing.T, env []string, tty bool, bin string, args ...string) (string, int) {
	t.Helper()
	var cmd *exec.Cmd
	if tty {
		line := bin
		for _, a := range args {
			line += " '" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		cmd = exec.Command("script", "-qefc", line, "/dev/null")
	} else {
		cmd = exec.Command(bin, args...)
	}
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("amldsr %v: %v", args, err)
	}
	shown := out.String()
	if lines := strings.SplitAfter(shown, "\n"); len(lines) > 12 {
		shown = strings.Join(lines[:6], "") + fmt.Sprintf("… %d more lines …\n", len(lines)-12) + strings.Join(lines[len(lines)-6:], "")
	}
	t.Logf("$ amldsr %s\n%s(exit %d)", strings.Join(args, " "), shown, code)
	return out.String(), code
}

// TestCLI drives local mode with the command-line client: submit --wait
// with its progress bar, results as JSON lines, fetch of the bundle,
// verify of it, and verify of a tampered copy.
func TestCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes")
	}
	bin := cliBinary(t)
	sim := procs.StartSim(t)
	h := procs.StartLocal(t, sim, "")
	env := []string{"AMLDSR_URL=" + h.URL, "AMLDSR_KEY=local-key", "AZURE_STORAGE_CONNECTION_STRING="}

	// A small target: one model management account of the scenario.
	target := ""
	acct := regexp.MustCompile(`(?i)^/subscriptions/[^/]+/resourceGroups/` + scenario.TargetRG + `/providers/Microsoft\.MachineLearningModelManagement/accounts/[^/]+$`)
	for _, r := range sim.Resources(t) {
		if acct.MatchString(r.Path) {
			target = r.Path
			break
		}
	}
	if target == "" {
		t.Fatal("the simulator holds no model management account in " + scenario.TargetRG)
	}

	_, tty := exec.LookPath("script")
	if tty != nil {
		t.Log("no util-linux script: the client runs without a terminal, so it prints progress lines instead of a bar")
	}
	out, code := cli(t, env, tty == nil, bin, "submit", "export", "--target", target, "--request-id", "cli-export", "--wait")
	if code != 0 || !strings.Contains(out, "cli-export succeeded:") {
		t.Fatalf("submit --wait: exit %d", code)
	}
	progress := out

	out, code = cli(t, env, false, bin, "status", "cli-export")
	var st struct {
		State          string `json:"state"`
		ManifestSHA256 string `json:"manifestSha256"`
		Counts         struct{ Discovered int }
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 || st.State != "succeeded" || st.ManifestSHA256 == "" {
		t.Fatalf("status: %v %+v", err, st)
	}
	// The bar (or, without a terminal, the last progress line) ends at
	// every step done out of every step discovered.
	done := fmt.Sprintf("(%d/%d)", st.Counts.Discovered, st.Counts.Discovered)
	if tty == nil && !regexp.MustCompile(`\rcli-export succeeded +100% \|[^|\r\n]*\| `+regexp.QuoteMeta(done)).MatchString(progress) {
		t.Errorf("no progress bar at %s on the terminal", done)
	} else if tty != nil && !strings.Contains(progress, fmt.Sprintf("%d of %d steps done", st.Counts.Discovered, st.Counts.Discovered)) {
		t.Errorf("no progress lines")
	}
	out, code = cli(t, env, false, bin, "results", "cli-export")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != st.Counts.Discovered || st.Counts.Discovered < 2 {
		t.Fatalf("results: %d lines, %d records", len(lines), st.Counts.Discovered)
	}
	for _, l := range lines {
		var rec struct{ RequestID string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.RequestID != "cli-export" {
			t.Fatalf("results line %q: %v", l, err)
		}
	}

	dir := filepath.Join(t.TempDir(), "bundle")
	if _, code = cli(t, env, false, bin, "fetch", "cli-export", "--out", dir, "--from-dir", h.DataDir); code != 0 {
		t.Fatal("fetch failed")
	}
	for _, name := range []string{"manifest.json", "summary.json", "report.html", "request.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("the fetched bundle lacks %s", name)
		}
	}
	if out, code = cli(t, env, false, bin, "verify", dir); code != 0 || !strings.Contains(out, "verified ") {
		t.Fatal("the fetched bundle does not verify")
	}

	// Tamper: one byte of an exported document, one record gone, one file planted.
	var doc, rec string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
		case doc == "" && strings.HasPrefix(rel, "export/") && strings.HasSuffix(rel, ".json"):
			doc = rel
		case rec == "" && strings.HasPrefix(rel, "results/"):
			rec = rel
		}
		return nil
	})
	if doc == "" || rec == "" {
		t.Fatalf("no exported document or record in the bundle")
	}
	b, _ := os.ReadFile(filepath.Join(dir, doc))
	b[len(b)/2] ^= 0x20
	os.WriteFile(filepath.Join(dir, doc), b, 0o644)
	os.Remove(filepath.Join(dir, rec))
	os.WriteFile(filepath.Join(dir, "export", "planted.json"), []byte("{}"), 0o644)
	out, code = cli(t, env, false, bin, "verify", dir)
	for _, want := range []string{"changed  " + doc + ":", "missing  " + rec, "extra    export/planted.json", "NOT verified"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify of the tampered bundle does not say %q", want)
		}
	}
	if code != 1 {
		t.Errorf("verify of the tampered bundle: exit %d, want 1", code)
	}
}
