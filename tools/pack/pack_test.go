package main

import (
	"archive/zip"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// TestMakePackage runs `make package` into a temporary folder and checks
// the layout the Functions host reads: host.json and the handler at the
// root, a top-level folder per function with its function.json, nothing
// nested under functions/, and a static linux/amd64 executable.
func TestMakePackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the linux/amd64 binary")
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	dist := t.TempDir()
	cmd := exec.Command("make", "package", "DIST="+dist)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, out)
	}
	zr, err := zip.OpenReader(filepath.Join(dist, "amldsr.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	mode := map[string]os.FileMode{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		mode[f.Name] = f.Mode()
	}
	sort.Strings(names)
	want := []string{"Api/function.json", "ProcessStep/function.json", "Sweep/function.json", "handler", "host.json"}
	sort.Strings(want)
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("zip holds %v, want %v", names, want)
	}
	if mode["handler"]&0o111 == 0 {
		t.Errorf("handler is not executable: %v", mode["handler"])
	}
	var host struct {
		CustomHandler struct {
			Description                 struct{ DefaultExecutablePath string }
			EnableForwardingHttpRequest bool
		}
	}
	b, _ := os.ReadFile(filepath.Join(dist, "app", "host.json"))
	if err := json.Unmarshal(b, &host); err != nil || host.CustomHandler.Description.DefaultExecutablePath != "handler" || !host.CustomHandler.EnableForwardingHttpRequest {
		t.Fatalf("host.json: %+v %v", host, err)
	}
	ef, err := elf.Open(filepath.Join(dist, "app", "handler"))
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if ef.Machine != elf.EM_X86_64 {
		t.Errorf("machine %v", ef.Machine)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the handler is dynamically linked; the host needs a static binary (CGO_ENABLED=0)")
		}
	}
}
