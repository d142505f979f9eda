package procs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// NodeModules installs the test emulators' npm packages (test/package.json,
// pinned by test/package-lock.json) with npm ci when they are missing or
// older than the lock file, and returns the node_modules directory. A file
// lock keeps parallel test binaries from installing at once.
func NodeModules(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(Root(), "test")
	mods := filepath.Join(dir, "node_modules")
	if fresh(dir) {
		return mods
	}
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "amldsr-npm-ci.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if fresh(dir) {
		return mods
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatalf("npm is needed to install the test emulators (Node.js 20 with npm): %v", err)
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
	return mods
}

// fresh reports whether node_modules was installed from the current lock.
func fresh(dir string) bool {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return false
	}
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	return err == nil && !installed.ModTime().Before(lock.ModTime())
}

// NodeBin is the path of an executable installed by npm.
func NodeBin(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(NodeModules(t), ".bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(fmt.Errorf("%s not installed: %w", name, err))
	}
	return p
}
