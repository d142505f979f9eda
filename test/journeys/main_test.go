// Package journeys holds end-to-end journeys of the product as its users
// take them: the command-line client, standing orders and callbacks, and
// the precision and recall of per-person requests.
package journeys

import (
	"testing"

	"amldsr/internal/api"
	"amldsr/internal/api/openapitest"
)

// TestMain validates every answer of the API this package's tests receive
// against internal/api/openapi.json (see openapitest.Main).
func TestMain(m *testing.M) { openapitest.Main(m, api.OpenAPI, nil) }
