// Package faults runs the fault matrix: the whole scenario while one part
// of the platform fails, compared with a clean run.
package faults

import (
	"testing"

	"amldsr/internal/api"
	"amldsr/internal/api/openapitest"
)

// TestMain validates every answer of the API this package's tests receive
// against internal/api/openapi.json (see openapitest.Main).
func TestMain(m *testing.M) { openapitest.Main(m, api.OpenAPI, nil) }
