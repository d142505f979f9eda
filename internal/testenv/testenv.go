// Package testenv finds what tests read from outside the repository: the
// shared folder laid beside it (../shared), with the official Azure specs.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// SpecsDir returns ../shared/azure-specs beside the repository root (the
// directory holding go.mod), or skips the test, saying that need (what the
// test checks) requires the shared folder.
func SpecsDir(t testing.TB, need string) string {
	t.Helper()
	skip := "../shared/azure-specs not found: " + need + " needs the shared folder"
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip(skip)
		}
		dir = parent
	}
	specs := filepath.Join(dir, "..", "shared", "azure-specs")
	if fi, err := os.Stat(specs); err != nil || !fi.IsDir() {
		t.Skip(skip)
	}
	return specs
}
