package bench

import (
	"testing"

	"amldsr/internal/catalog"
)

func BenchmarkParseTarget(b *testing.B) {
	id := "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.MachineLearningExperimentation/accounts/a/workspaces/w/projects/p"
	for range b.N {
		if _, err := catalog.ParseTarget(id); err != nil {
			b.Fatal(err)
		}
	}
}
