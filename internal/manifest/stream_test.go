package manifest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// orderedSource is a bundle in memory that walks in byte order of name,
// as a store listing does, and carries a written hash for the files in
// sums; seen is called before each file is walked.
type orderedSource struct {
	mapSource
	sums map[string]string
	seen func(i int, name string)
}

func (o orderedSource) walkSums(_ context.Context, fn func(string, int64, string) error) error {
	names := make([]string, 0, len(o.files))
	for n := range o.files {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, n := range names {
		if o.seen != nil {
			o.seen(i, n)
		}
		if err := fn(n, int64(len(o.files[n])), o.sums[n]); err != nil {
			return err
		}
	}
	return nil
}

func orderedBundle(n int, withSums bool, names ...string) orderedSource {
	src := orderedSource{mapSource: mapSource{files: map[string]string{}}, sums: map[string]string{}}
	add := func(name string) {
		body := fmt.Sprintf(`{"name":%q}`, name)
		src.files[name] = body
		if withSums && len(src.files)%3 != 0 { // every third file is read
			src.sums[name] = Digest([]byte(body))
		}
	}
	for i := range n {
		add(fmt.Sprintf("results/op-%05d.json", i))
	}
	for _, name := range names {
		add(name)
	}
	return src
}

// TestWriteGivesEncodesBytes: the streamed manifest is byte for byte the
// one BuildFrom builds and Encode writes, with its file count, root and
// digest, for bundles empty, small, over several windows, with names JSON
// escapes (HTML characters, quotes, non-ASCII), and with the files the
// manifest never lists.
func TestWriteGivesEncodesBytes(t *testing.T) {
	odd := []string{`export/a<b>&c.json`, `export/quote"d.json`, "export/né\u2028.json", "request.json", Summary, Report, Name, Purged}
	cases := map[string]orderedSource{
		"empty":              orderedBundle(0, false),
		"only unlisted":      orderedBundle(0, false, Summary, Report),
		"one":                orderedBundle(1, false),
		"odd names":          orderedBundle(3, true, odd...),
		"several windows":    orderedBundle(3*window+7, true, odd...),
		"exactly a window":   orderedBundle(window, false),
		"sums, none to read": orderedBundle(2, true),
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			m, err := BuildFrom(ctx, src, "req-<1>")
			if err != nil {
				t.Fatal(err)
			}
			want := m.Encode()
			var got bytes.Buffer
			f, err := Write(ctx, src, "req-<1>", &got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("streamed:\n%s\nencoded:\n%s", got.Bytes(), want)
			}
			if f != (Facts{Files: len(m.Files), Root: m.Root, Digest: Digest(want)}) {
				t.Fatalf("facts %+v, want %d files, root %s, digest %s", f, len(m.Files), m.Root, Digest(want))
			}
			scanned, err := Scan(bytes.NewReader(want))
			if err != nil || scanned != f {
				t.Fatalf("Scan: %+v, %v; want %+v", scanned, err, f)
			}
		})
	}
}

// TestWriteStreams: the first window of files reaches the writer before
// the walk is past the third (three windows are more than Write's 64 KiB
// buffer): Write holds a window, not the bundle.
func TestWriteStreams(t *testing.T) {
	var out bytes.Buffer
	src := orderedBundle(5*window, true)
	first := ""
	behind := -1
	src.seen = func(i int, name string) {
		if i == 0 {
			first = name
		}
		if i == 3*window && !strings.Contains(out.String(), first) {
			behind = i
		}
	}
	if _, err := Write(context.Background(), src, "r1", &out); err != nil {
		t.Fatal(err)
	}
	if first == "" || behind >= 0 {
		t.Fatalf("the first file (%q) was not written when the walk reached file %d", first, behind)
	}
}

// TestWriteRefusesAWalkOutOfOrder: a source that does not walk in byte
// order cannot be streamed (the manifest would not be sorted).
func TestWriteRefusesAWalkOutOfOrder(t *testing.T) {
	src := mapSource{files: map[string]string{"b.json": "1", "a.json": "2", "c.json": "3"}}
	// mapSource walks in map order: try until it is out of order once
	for range 50 {
		_, err := Write(context.Background(), src, "r1", io.Discard)
		if err != nil {
			if !strings.Contains(err.Error(), "byte order") {
				t.Fatalf("error %v, want one about byte order", err)
			}
			return
		}
	}
	t.Fatal("a walk out of byte order was never refused")
}

// TestWriteNamesAFileItCannotRead: a read that fails ends the manifest,
// naming the file.
func TestWriteNamesAFileItCannotRead(t *testing.T) {
	src := orderedBundle(2*window, false)
	src.broken = "results/op-00300.json"
	if _, err := Write(context.Background(), src, "r1", io.Discard); err == nil || !strings.Contains(err.Error(), "op-00300") {
		t.Fatalf("Write with a broken file: %v, want its error", err)
	}
}

// TestScanRefusesWhatIsNotAManifest: a root that is not its files', an
// unknown field, another version or algorithm, a cut-off blob.
func TestScanRefusesWhatIsNotAManifest(t *testing.T) {
	m, err := BuildFrom(context.Background(), orderedBundle(3, false), "r1")
	if err != nil {
		t.Fatal(err)
	}
	good := string(m.Encode())
	for name, b := range map[string]string{
		"root":      strings.Replace(good, m.Root, strings.Repeat("0", 64), 1),
		"size":      strings.Replace(good, `"size": `, `"size": 1`, 1),
		"unknown":   strings.Replace(good, `"v": 1,`, `"v": 1, "extra": true,`, 1),
		"file key":  strings.Replace(good, `"size"`, `"bytes"`, 1),
		"version":   strings.Replace(good, `"v": 1,`, `"v": 2,`, 1),
		"algorithm": strings.Replace(good, `"algorithm": "sha256"`, `"algorithm": "md5"`, 1),
		"cut off":   good[:len(good)/2],
		"not json":  "<html>",
	} {
		if b == good {
			t.Fatalf("%s: the mutation changed nothing", name)
		}
		if f, err := Scan(strings.NewReader(b)); err == nil {
			t.Errorf("%s: Scan accepted it: %+v", name, f)
		}
	}
}

// FuzzWriteMatchesEncode: for any file names, the streamed manifest is
// Encode's.
func FuzzWriteMatchesEncode(f *testing.F) {
	f.Add("a.json\nb<&>.json\nresults/x.json", "r1")
	f.Add("\x00\n\xff\nz", "\"")
	f.Fuzz(func(t *testing.T, names, id string) {
		src := orderedBundle(0, true, strings.Split(names, "\n")...)
		delete(src.files, "")
		m, err := BuildFrom(context.Background(), src, id)
		if err != nil {
			t.Skip()
		}
		var got bytes.Buffer
		if _, err := Write(context.Background(), src, id, &got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), m.Encode()) {
			t.Fatalf("streamed:\n%q\nencoded:\n%q", got.Bytes(), m.Encode())
		}
	})
}
