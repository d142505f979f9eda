package sweep

import (
	"context"
	"testing"

	"amldsr/internal/store/blob"
	"amldsr/test/procs"
)

// TestRetentionOnAzurite runs the retention scenario against Azure Blob
// Storage's emulator: listing order, create-only purged.json and deletes
// as the blob adapter does them.
func TestRetentionOnAzurite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Azurite")
	}
	az := procs.StartAzurite(t)
	c, err := blob.NewContainerClientFromConnectionString(az.ConnectionString, "retention")
	if err != nil {
		t.Fatal(err)
	}
	if err := blob.EnsureContainer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	testRetention(t, blob.New(c))
}
