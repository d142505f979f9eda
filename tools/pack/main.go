// Command pack stages the Functions app as the host reads it (host.json,
// the handler binary and one folder per function, all at the root: the
// host only looks at top-level folders) and zips it for zip deploy.
//
//	go run ./tools/pack -bin dist/handler -stage dist/app -zip dist/amldsr.zip
package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

func main() {
	bin := flag.String("bin", "dist/handler", "the linux/amd64 handler binary")
	stage := flag.String("stage", "dist/app", "staging folder (recreated)")
	out := flag.String("zip", "dist/amldsr.zip", "zip file to write")
	root := flag.String("root", ".", "repository root (host.json, functions/)")
	flag.Parse()
	if err := pack(*root, *bin, *stage, *out); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
	fmt.Println("wrote", *out)
}

func pack(root, bin, stage, out string) error {
	if err := os.RemoveAll(stage); err != nil {
		return err
	}
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(root, "host.json"), filepath.Join(stage, "host.json"), 0o644); err != nil {
		return err
	}
	if err := copyFile(bin, filepath.Join(stage, "handler"), 0o755); err != nil {
		return err
	}
	fns, err := filepath.Glob(filepath.Join(root, "functions", "*", "function.json"))
	if err != nil || len(fns) == 0 {
		return fmt.Errorf("no functions/*/function.json under %s", root)
	}
	for _, f := range fns {
		name := filepath.Base(filepath.Dir(f))
		if err := copyFile(f, filepath.Join(stage, name, "function.json"), 0o644); err != nil {
			return err
		}
	}
	return zipDir(stage, out)
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	o, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(o, in); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}

// zipDir writes dir's files into out with paths relative to dir, keeping
// the executable bit (the host also restores it on Linux Consumption).
func zipDir(dir, out string) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	for _, p := range files {
		if err := addFile(zw, dir, p); err != nil {
			f.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func addFile(zw *zip.Writer, dir, p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(dir, p)
	h, err := zip.FileInfoHeader(st)
	if err != nil {
		return err
	}
	h.Name, h.Method = filepath.ToSlash(rel), zip.Deflate
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = io.Copy(w, in)
	return err
}
