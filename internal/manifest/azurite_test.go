package manifest

import (
	"context"
	"slices"
	"testing"

	"amldsr/internal/dsr"
	"amldsr/internal/store/blob"
	"amldsr/test/procs"
)

// TestVerifyOnAzurite: a bundle in a Blob container verifies, and a
// changed byte, a missing and an extra blob are each named.
func TestVerifyOnAzurite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Azurite")
	}
	az := procs.StartAzurite(t)
	c, err := blob.NewContainerClientFromConnectionString(az.ConnectionString, "dsr")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := blob.EnsureContainer(ctx, c); err != nil {
		t.Fatal(err)
	}
	s := blob.New(c)
	for name, body := range bundle {
		put(t, s, name, body)
	}
	m, err := Build(ctx, s, reqID)
	if err != nil {
		t.Fatal(err)
	}
	raw := m.Encode()
	put(t, s, Name, string(raw))
	put(t, s, Summary, `{"manifestSha256":"`+Digest(raw)+`"}`)
	src := StoreSource(s, dsr.RequestPrefix(reqID))
	if r, err := Verify(ctx, src); err != nil || !r.OK() || r.Checked != len(bundle) {
		t.Fatalf("clean bundle: %+v %v", r, err)
	}
	put(t, s, "export/subscriptions/s/m1.json", `{"name":"m9"}`)
	if err := s.Delete(ctx, dsr.RequestPrefix(reqID)+"results/export.b.json"); err != nil {
		t.Fatal(err)
	}
	put(t, s, "export/planted.json", `{}`)
	r, err := Verify(ctx, src)
	if err != nil || r.OK() {
		t.Fatalf("tampered bundle verified: %+v %v", r, err)
	}
	if len(r.Changed) != 1 || r.Changed[0].Name != "export/subscriptions/s/m1.json" ||
		!slices.Equal(r.Missing, []string{"results/export.b.json"}) || !slices.Equal(r.Extra, []string{"export/planted.json"}) {
		t.Errorf("changed %v missing %v extra %v", r.Changed, r.Missing, r.Extra)
	}
}
