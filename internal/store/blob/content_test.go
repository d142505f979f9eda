package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"amldsr/internal/content/contenttest"
	"amldsr/internal/store"
	"amldsr/test/procs"
)

// testContent checks the content write paths against Azurite (TestAzurite
// runs it): a streamed put of several blocks reads back byte for byte, a
// body that breaks midway leaves no blob, and Azurite's refusal of Put Blob
// From URL is recognised as store.ErrCopyRefused without the source's
// signature in the error.
func testContent(t *testing.T, az *procs.Azurite) {
	ctx := context.Background()

	t.Run("PutStreamReadsBack", func(t *testing.T) {
		s := fresh(t, az)
		const size = 2*BlockSize + 12345
		if err := s.PutStream(ctx, "c/big", &contenttest.Pattern{N: size}, store.PutOptions{ContentType: "application/octet-stream"}); err != nil {
			t.Fatal(err)
		}
		rc, info, err := s.Get(ctx, "c/big")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, n, _ := contenttest.Digest(rc)
		want, _, _ := contenttest.Digest(&contenttest.Pattern{N: size})
		if n != size || info.Size != size || !bytes.Equal(got, want) {
			t.Errorf("read back %d bytes (size %d), digest equal %v", n, info.Size, bytes.Equal(got, want))
		}
	})

	t.Run("PutStreamBrokenLeavesNothing", func(t *testing.T) {
		s := fresh(t, az)
		body := io.MultiReader(&contenttest.Pattern{N: BlockSize + 100}, errReader{})
		if err := s.PutStream(ctx, "c/broken", body, store.PutOptions{}); err == nil {
			t.Fatal("a body that broke was stored")
		}
		if _, _, err := s.Get(ctx, "c/broken"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after a broken put: %v, want ErrNotFound", err)
		}
	})

	t.Run("CopyFromURLRefused", func(t *testing.T) {
		s := fresh(t, az)
		_, uri := contenttest.Serve(t, 1<<20)
		_, err := s.CopyFromURL(ctx, "c/copied", uri, store.PutOptions{})
		if !errors.Is(err, store.ErrCopyRefused) {
			t.Fatalf("copy from URL on Azurite: %v, want ErrCopyRefused", err)
		}
		if strings.Contains(err.Error(), contenttest.Secret) {
			t.Errorf("the error carries the source's signature: %v", err)
		}
		t.Logf("Azurite answered: %v", err)
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("source broke") }
