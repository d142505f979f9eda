package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
)

// stager stages the blocks of one Put, at most Concurrency at a time.
//
// Its block IDs start with a random prefix of its own: writers racing on one
// key stage into the same uncommitted block set, and must not overwrite each
// other's blocks.
type stager struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	bb     *blockblob.Client
	prefix string
	free   chan []byte // buffers back from finished stagings
	made   int         // buffers allocated, the first block's included
	wg     sync.WaitGroup
}

func newStager(ctx context.Context, bb *blockblob.Client) *stager {
	ctx, cancel := context.WithCancelCause(ctx)
	return &stager{
		ctx: ctx, cancel: cancel, bb: bb,
		prefix: rand.Text(),
		free:   make(chan []byte, Concurrency),
		made:   1,
	}
}

// buffer returns a BlockSize buffer to read into, waiting for a staging
// to end when Concurrency are in use; nil if the put was cancelled
// meanwhile.
func (s *stager) buffer() []byte {
	select {
	case b := <-s.free:
		return b
	default:
	}
	if s.made < Concurrency {
		s.made++
		return make([]byte, BlockSize)
	}
	select {
	case b := <-s.free:
		return b
	case <-s.ctx.Done():
		return nil
	}
}

// stageAll stages first (a full block) and the rest of body, one block
// while the next is read, and returns the block IDs in order. The first
// error, of a staging or of the body, stops it.
func (s *stager) stageAll(first []byte, body io.Reader) ([]string, error) {
	var ids []string
	for block := first; ; {
		if len(ids) == MaxBlocks {
			s.cancel(fmt.Errorf("body longer than %d blocks of %d bytes", MaxBlocks, BlockSize))
			break
		}
		ids = append(ids, s.stage(len(ids), block))
		buf := s.buffer()
		if buf == nil || s.ctx.Err() != nil {
			break
		}
		n, err := io.ReadFull(body, buf)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			s.cancel(fmt.Errorf("reading body: %w", err))
		}
		if n == 0 || s.ctx.Err() != nil {
			break
		}
		block = buf[:n]
	}
	s.wg.Wait()
	if err := context.Cause(s.ctx); err != nil {
		return nil, err
	}
	return ids, nil
}

// stage sends block i in the background and returns its ID; the buffer
// comes back to s.free when the staging succeeds.
func (s *stager) stage(i int, block []byte) string {
	id := blockID(s.prefix, i)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_, err := s.bb.StageBlock(s.ctx, id, streaming.NopCloser(bytes.NewReader(block)), nil)
		if err != nil {
			// The buffer is dropped: a transport answered early may
			// still be reading it.
			s.cancel(fmt.Errorf("staging block %d: %w", i, err))
			return
		}
		s.free <- block[:BlockSize]
	}()
	return id
}

// blockID is the ID of block i of an upload whose IDs start with prefix
// (from rand.Text). All IDs have one length, as the service requires of
// the blocks of one blob, committed or not.
func blockID(prefix string, i int) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s-%06d", prefix, i))
}

// close cancels stagings still running and waits for them.
func (s *stager) close() {
	s.cancel(errors.New("put finished"))
	s.wg.Wait()
}

// firstChunk is how much of a body is read before a whole block is
// allocated: small documents cost no more.
const firstChunk = 64 << 10

// readFirst reads up to BlockSize bytes of r. A nil error means a full
// block, with more perhaps to follow; io.EOF or io.ErrUnexpectedEOF that r
// ended within it.
func readFirst(r io.Reader) ([]byte, error) {
	small := make([]byte, firstChunk)
	n, err := io.ReadFull(r, small)
	if err != nil {
		return small[:n], err
	}
	buf := make([]byte, BlockSize)
	copy(buf, small)
	m, err := io.ReadFull(r, buf[n:])
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return buf[:n+m], err
}
