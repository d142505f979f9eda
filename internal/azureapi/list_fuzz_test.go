package azureapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"amldsr/internal/catalog"
)

// pageTransport answers every request with one list page.
type pageTransport struct{ body []byte }

func (p pageTransport) Do(req *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {"application/json"}, "X-Ms-Request-Id": {"fuzz"}}
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(p.body)), Request: req,
		ContentLength: int64(len(p.body))}, nil
}

// FuzzListPage: whatever a list page holds, ListPage answers a page or a
// typed *Error; a next page it gives is on a configured endpoint, is not
// the page just read.
func FuzzListPage(f *testing.F) {
	for _, s := range []string{
		`{"value":[{"id":"a"}],"nextLink":"https://arm.example/arm/x?$skipToken=2"}`,
		`{"value":[],"continuationToken":"abc"}`,
		`{"value":[{"id":"a"}],"nextLink":"https://evil.example/x"}`,
		`{"value":[{"id":"a"}],"nextLink":"/arm/x?api-version=1"}`,
		`{"value":null}`, `[]`, `{"value":[1,2,"x"]}`, `{"nextLink":"https://user:pw@arm.example/arm/x"}`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	endpoints := catalog.Endpoints{ARM: "https://arm.example/arm", ModelManagement: "https://mm.example/{location}", Experiments: "https://exp.example/{location}"}
	f.Fuzz(func(t *testing.T, body []byte, shape uint8) {
		c, err := New(&staticCred{}, Options{Endpoints: endpoints, Transport: pageTransport{body: body},
			Retry: policy.RetryOptions{MaxRetries: -1, RetryDelay: time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		cur, _ := url.Parse("https://arm.example/arm/subscriptions/s/resourceGroups/g/providers/P/accounts?api-version=1")
		shapes := []catalog.Shape{catalog.ShapeARM, catalog.ShapeModelManagement, catalog.ShapeContinuation}
		p, err := c.ListPage(context.Background(), cur, shapes[int(shape)%len(shapes)], "continuationToken")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if p.Next != nil {
			if !endpoints.Allowed(p.Next) {
				t.Fatalf("next page off the endpoints: %s", p.Next)
			}
			if p.Next.String() == cur.String() {
				t.Fatal("next page is the page just read")
			}
		}
	})
}
