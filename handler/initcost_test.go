package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// maxInitBytes bounds what one amldsr package allocates in its package
// initialization: everything initialized there is paid before the
// handler answers its first request (the readiness goal is 20 ms), so a
// large table or a regexp with a big bounded repetition is built lazily
// or by hand instead.
const maxInitBytes = 48 << 10

// The packages of this test binary are the handler's: their init costs,
// read from the runtime's init trace of a run of this binary that runs no
// test.
func TestPackageInitIsSmall(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	re := regexp.MustCompile(`(?m)^init (amldsr/\S+) @.* ms clock, (\d+) bytes, (\d+) allocs$`)
	ms := re.FindAllSubmatch(out, -1)
	if len(ms) == 0 {
		t.Fatalf("no init trace of an amldsr package in:\n%s", out)
	}
	for _, m := range ms {
		b, _ := strconv.Atoi(string(m[2]))
		if b > maxInitBytes {
			t.Errorf("package %s allocates %d bytes (%s allocs) in its init; at most %d", m[1], b, m[3], maxInitBytes)
		}
	}
}
