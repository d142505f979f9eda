package procs

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// StageApp lays the Functions app out as `make package` does (host.json,
// the handler, one folder per function) in a new folder, with the handler
// built for this machine, and returns the folder.
func StageApp(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	stage := filepath.Join(dir, "app")
	cmd := exec.Command("go", "run", "./tools/pack", "-root", ".", "-bin", filepath.Join(Binaries(t), "handler"),
		"-stage", stage, "-zip", filepath.Join(dir, "app.zip"))
	cmd.Dir = Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("staging the app: %v\n%s", err, out)
	}
	return stage
}
