package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"amldsr/internal/dsr"
	"amldsr/internal/manifest"
	"amldsr/internal/store"
	"amldsr/internal/store/blob"
)

// source flags: where a request's bundle is read from.
type sourceFlags struct {
	fromDir, blobURL, connString, container *string
}

func addSource(f *flags, e env) sourceFlags {
	return sourceFlags{
		fromDir:    f.String("from-dir", ".dsr-data", "the local store's data directory (DSR_DATA_DIR of local mode)"),
		blobURL:    f.String("blob-url", "", "a Blob service URL (https://<account>.blob.core.windows.net), read with DefaultAzureCredential"),
		connString: f.String("connection-string", e.getenv("AZURE_STORAGE_CONNECTION_STRING"), "a storage connection string, Azurite's for instance (AZURE_STORAGE_CONNECTION_STRING)"),
		container:  f.String("container", "dsr", "the container (DSR_CONTAINER)"),
	}
}

// open returns the bundle of request id.
func (s sourceFlags) open(id string) (manifest.Source, string, error) {
	if err := store.ValidKey(id); err != nil || filepath.Base(id) != id {
		return nil, "", fmt.Errorf("%q is not a request id", id)
	}
	prefix := dsr.RequestPrefix(id)
	switch {
	case *s.blobURL != "":
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, "", fmt.Errorf("no Azure credential: %w", err)
		}
		c, err := blob.NewContainerClient(*s.blobURL, *s.container, cred)
		if err != nil {
			return nil, "", err
		}
		return manifest.StoreSource(blob.New(c), prefix), c.URL() + "/" + prefix, nil
	case *s.connString != "":
		c, err := blob.NewContainerClientFromConnectionString(*s.connString, *s.container)
		if err != nil {
			return nil, "", err
		}
		return manifest.StoreSource(blob.New(c), prefix), c.URL() + "/" + prefix, nil
	}
	dir := filepath.Join(*s.fromDir, *s.container, "requests", id)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, "", fmt.Errorf("no bundle of %s in %s (is --from-dir the data directory of local mode?)", id, dir)
	}
	return manifest.DirSource(dir), dir, nil
}

// fetch copies a request's bundle into a folder of its own.
func fetch(ctx context.Context, e env, args []string) (int, error) {
	f := newFlags(e, "fetch", "ID --out DIR [--from-dir DATA | --blob-url URL | --connection-string CS] [--container dsr]")
	src := addSource(f, e)
	out := f.String("out", "", "the folder to write the bundle to (new or empty)")
	pos, err := f.parse(args, 1, 1)
	if err != nil {
		return 0, err
	}
	if *out == "" {
		fmt.Fprintln(e.stderr, "amldsr fetch: --out DIR is required")
		return 0, errUsage
	}
	if ents, err := os.ReadDir(*out); err == nil && len(ents) > 0 {
		return 0, fmt.Errorf("%s is not empty: fetch writes a bundle into a new or empty folder", *out)
	}
	bundle, from, err := src.open(pos[0])
	if err != nil {
		return 0, err
	}
	var files, bytes int64
	err = bundle.Walk(ctx, func(name string, _ int64) error {
		n, err := copyFile(ctx, bundle, name, *out)
		files, bytes = files+1, bytes+n
		return err
	})
	if err != nil {
		return 0, err
	}
	if files == 0 {
		return 0, fmt.Errorf("no bundle of %s at %s", pos[0], from)
	}
	fmt.Fprintf(e.stdout, "fetched %s: %d files, %d bytes from %s to %s\n", pos[0], files, bytes, from, *out)
	return exitOK, nil
}

// copyFile writes one file of the bundle under dir, through a temporary
// file, refusing a name that would leave dir.
func copyFile(ctx context.Context, b manifest.Source, name, dir string) (int64, error) {
	if err := store.ValidKey(name); err != nil {
		return 0, fmt.Errorf("refusing file %q: %w", name, err)
	}
	dst := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	rc, err := b.Open(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".fetch-*")
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(tmp, store.ContextReader(ctx, rc))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}

// verify checks a bundle against its manifest and names every missing,
// extra or changed file.
func verify(ctx context.Context, e env, args []string) (int, error) {
	f := newFlags(e, "verify", "DIR | ID (--blob-url URL | --connection-string CS | --from-dir DATA) [--container dsr]")
	src := addSource(f, e)
	pos, err := f.parse(args, 1, 1)
	if err != nil {
		return 0, err
	}
	var bundle manifest.Source
	from := pos[0]
	if fi, serr := os.Stat(pos[0]); serr == nil && fi.IsDir() {
		bundle = manifest.DirSource(pos[0])
	} else if strings.ContainsAny(pos[0], `/\`) {
		return 0, fmt.Errorf("%s is not a folder", pos[0])
	} else if bundle, from, err = src.open(pos[0]); err != nil {
		return 0, err
	}
	r, err := manifest.Verify(ctx, bundle)
	if err != nil {
		return 0, err
	}
	return report(e.stdout, from, r), nil
}

// report prints what Verify found, one finding a line, and returns the
// exit status.
func report(w io.Writer, from string, r *manifest.Result) int {
	for _, p := range r.Problems {
		fmt.Fprintf(w, "problem  %s\n", p)
	}
	for _, n := range r.Missing {
		fmt.Fprintf(w, "missing  %s\n", n)
	}
	for _, c := range r.Changed {
		fmt.Fprintf(w, "changed  %s: %s\n", c.Name, c.Reason)
	}
	for _, n := range r.Extra {
		fmt.Fprintf(w, "extra    %s\n", n)
	}
	if len(r.Purged) > 0 {
		fmt.Fprintf(w, "purged   %d exported files removed by the retention purge (purged.json)\n", len(r.Purged))
	}
	if r.OK() {
		fmt.Fprintf(w, "verified %s: %d files match the manifest of %s, root %s\n", from, r.Checked, r.RequestID, r.Root)
		return exitOK
	}
	n := len(r.Problems) + len(r.Missing) + len(r.Changed) + len(r.Extra)
	fmt.Fprintf(w, "NOT verified %s: %d findings\n", from, n)
	return exitProblems
}
