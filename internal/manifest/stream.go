package manifest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Facts is what the ledger keeps of a manifest it wrote or read: how many
// files it lists, its root, and the SHA-256 of its bytes (Digest).
type Facts struct {
	Files  int
	Root   string
	Digest string
}

// window is how many files Write holds at a time: the ones whose hash is
// read are read together (hashers at a time), then written out.
const window = 256

// Write builds the manifest of the bundle in src, as BuildFrom does, and
// writes its blob (the bytes Encode gives for it) to w as it goes. It
// holds at most a window of files, whatever the bundle's size: a bundle
// of 100,000 steps lists about 200,000 files, a manifest of about 60 MB,
// which must not sit in a finalizer's memory.
//
// src must walk in byte order of name, as a store listing does
// (StoreSource); a walk out of order is an error (BuildFrom sorts).
func Write(ctx context.Context, src Source, id string, w io.Writer) (Facts, error) {
	e := newEncoder(w, id)
	batch := make([]File, 0, window)
	flush := func() error {
		if err := fillSums(ctx, src, batch); err != nil {
			return err
		}
		for _, f := range batch {
			e.file(f)
		}
		batch = batch[:0]
		return e.err
	}
	prev := ""
	err := walk(ctx, src, func(name string, size int64, sum string) error {
		if Unlisted(name) {
			return nil
		}
		if prev != "" && name <= prev {
			return fmt.Errorf("manifest: the bundle's files are not walked in byte order (%q after %q)", name, prev)
		}
		prev = name
		batch = append(batch, File{Name: name, Size: size, SHA256: sum})
		if len(batch) == window {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return Facts{}, err
	}
	return e.close()
}

// encoder writes a manifest's blob file by file, byte for byte as Encode
// (json.MarshalIndent with two spaces) writes the whole document, and
// hashes the root and the bytes on the way.
type encoder struct {
	out    *bufio.Writer
	digest hash.Hash
	root   hash.Hash
	n      int
	err    error
}

func newEncoder(w io.Writer, id string) *encoder {
	e := &encoder{digest: sha256.New(), root: sha256.New()}
	e.out = bufio.NewWriterSize(io.MultiWriter(w, e.digest), 64<<10)
	e.write("{\n  \"v\": 1,\n  \"requestId\": ", quote(id), ",\n  \"algorithm\": ", quote(Algorithm), ",\n  \"files\": [")
	return e
}

func (e *encoder) file(f File) {
	b, err := json.MarshalIndent(f, "    ", "  ")
	if err != nil {
		e.err = err
		return
	}
	sep := ",\n    "
	if e.n == 0 {
		sep = "\n    "
	}
	e.write(sep, string(b))
	rootLine(e.root, f)
	e.n++
}

// close writes the end of the document and flushes it.
func (e *encoder) close() (Facts, error) {
	root := hex.EncodeToString(e.root.Sum(nil))
	if e.n > 0 {
		e.write("\n  ")
	}
	e.write("],\n  \"root\": ", quote(root), "\n}\n")
	if e.err == nil {
		e.err = e.out.Flush()
	}
	return Facts{Files: e.n, Root: root, Digest: hex.EncodeToString(e.digest.Sum(nil))}, e.err
}

func (e *encoder) write(parts ...string) {
	for _, p := range parts {
		if e.err != nil {
			return
		}
		_, e.err = e.out.WriteString(p)
	}
}

// quote is s as a JSON string, escaped as encoding/json escapes a field.
func quote(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}

// Scan reads a manifest's blob as it streams, holding one file at a time,
// and returns its facts: the number of files, its root (checked against
// the files) and the hash of the bytes read.
func Scan(r io.Reader) (Facts, error) {
	d := sha256.New()
	tee := io.TeeReader(r, d)
	dec := json.NewDecoder(tee)
	dec.DisallowUnknownFields()
	var f Facts
	root := sha256.New()
	var v int
	var algorithm string
	err := object(dec, func(key string) error {
		switch key {
		case "v":
			return dec.Decode(&v)
		case "requestId":
			var s string
			return dec.Decode(&s)
		case "algorithm":
			return dec.Decode(&algorithm)
		case "root":
			return dec.Decode(&f.Root)
		case "files":
			return array(dec, func() error {
				var file File
				if err := dec.Decode(&file); err != nil {
					return err
				}
				rootLine(root, file)
				f.Files++
				return nil
			})
		}
		return fmt.Errorf("unknown field %q", key)
	})
	if err == nil {
		_, err = io.Copy(io.Discard, tee) // the digest covers every byte
	}
	switch {
	case err != nil:
		return Facts{}, fmt.Errorf("manifest: %w", err)
	case v != 1 || algorithm != Algorithm:
		return Facts{}, fmt.Errorf("manifest: version %d, algorithm %q (want 1, %s)", v, algorithm, Algorithm)
	case hex.EncodeToString(root.Sum(nil)) != f.Root:
		return Facts{}, errors.New("manifest: its root does not match its files")
	}
	f.Digest = hex.EncodeToString(d.Sum(nil))
	return f, nil
}

// object reads a JSON object, calling field for each key with the
// decoder at its value.
func object(dec *json.Decoder, field func(key string) error) error {
	if err := delim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		if err := field(key); err != nil {
			return err
		}
	}
	return delim(dec, '}')
}

// array reads a JSON array, calling elem with the decoder at each element.
func array(dec *json.Decoder, elem func() error) error {
	if err := delim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		if err := elem(); err != nil {
			return err
		}
	}
	return delim(dec, ']')
}

func delim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, found %v", want, t)
	}
	return nil
}
