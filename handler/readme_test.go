package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeNamesEveryPackage: the README's folder table names every folder
// of the repository that holds Go code, either in its own row or by its last
// element in its parent's row (`memory` in the `internal/queue` row).
func TestReadmeNamesEveryPackage(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := folderRows(string(readme))
	if len(rows) == 0 {
		t.Fatal("README.md has no folder table (a table whose header is | Folder |)")
	}
	for _, dir := range goFolders(t, "..") {
		if !named(rows, dir) {
			t.Errorf("README's folder table does not name %s", dir)
		}
	}
}

// folderRows returns the rows of the table headed "| Folder |".
func folderRows(readme string) []string {
	var rows []string
	in := false
	for _, line := range strings.Split(readme, "\n") {
		switch {
		case strings.HasPrefix(line, "| Folder |"):
			in = true
		case in && strings.HasPrefix(line, "|"):
			rows = append(rows, line)
		case in:
			return rows
		}
	}
	return rows
}

// named reports whether a row names dir, or dir's parent row names its base.
func named(rows []string, dir string) bool {
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	for _, row := range rows {
		if strings.Contains(row, "`"+dir+"`") || strings.Contains(row, "`"+dir+"/`") {
			return true
		}
		if parent != "." && (strings.Contains(row, "`"+parent+"`") || strings.Contains(row, "`"+parent+"/`")) &&
			strings.Contains(row, "`"+base+"`") {
			return true
		}
	}
	return false
}

// goFolders lists, relative to root, every folder holding a .go file, and
// every top-level folder of test/ (which holds the non-Go stand-in too).
func goFolders(t *testing.T, root string) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || name == "bin" || name == "dist") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(name, ".go") {
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			if rel != "." {
				seen[filepath.ToSlash(rel)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for dir := range seen {
		out = append(out, dir)
	}
	return out
}
