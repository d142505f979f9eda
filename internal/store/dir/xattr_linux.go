package dir

import (
	"encoding/json"
	"errors"
	"os"
	"syscall"
)

// Metadata is kept in an extended attribute of the blob's file, set on the
// temporary file before it is synced: one file, one fsync and one rename
// (or link) per Put, and the metadata is replaced with the content in the
// same atomic step. File systems without user extended attributes fall
// back to the sidecar tree (see Open).
const xattrName = "user.amldsr.md"

// setXattr stores md (possibly empty: "{}" says the blob has none, so no
// sidecar is looked for) on the file at path.
func setXattr(path string, md map[string]string) error {
	if md == nil {
		md = map[string]string{}
	}
	b, err := json.Marshal(md)
	if err != nil {
		return err
	}
	return syscall.Setxattr(path, xattrName, b, 0)
}

// getXattr reads the metadata of the file at path; ok is false when the
// file has no such attribute (written by the sidecar scheme, or gone).
func getXattr(path string) (md map[string]string, ok bool) {
	buf := make([]byte, 1024)
	n, err := syscall.Getxattr(path, xattrName, buf)
	if errors.Is(err, syscall.ERANGE) {
		if n, err = syscall.Getxattr(path, xattrName, nil); err == nil {
			buf = make([]byte, n)
			n, err = syscall.Getxattr(path, xattrName, buf)
		}
	}
	if err != nil || json.Unmarshal(buf[:n], &md) != nil {
		return nil, false
	}
	if len(md) == 0 {
		md = nil
	}
	return md, true
}

// probeXattr reports whether files under dir take user extended
// attributes.
func probeXattr(dir string) bool {
	f, err := os.CreateTemp(dir, "probe-*")
	if err != nil {
		return false
	}
	defer os.Remove(f.Name())
	f.Close()
	return setXattr(f.Name(), nil) == nil
}
