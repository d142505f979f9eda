package api

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"net/url"
)

// OpenAPI is the OpenAPI 2.0 (Swagger) description of API v1, as kept in
// openapi.json: the form a Logic Apps custom connector imports. The file
// names no host, since it cannot know where the app is deployed; the copy
// served at GET /api/openapi.json carries the host and scheme it was asked
// at (see serveOpenAPI). Tests validate the API's answers against it.
//
//go:embed openapi.json
var OpenAPI []byte

// serveOpenAPI answers GET /api/openapi.json: the document with host and
// schemes set from the base of the links the API returns (DSR_PUBLIC_URL,
// else the request's own host), so that a connector imported from this URL
// calls the app that served it. The function key is never written into it.
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		panic("api: openapi.json: " + err.Error()) // the embedded file is tested
	}
	if base, err := url.Parse(s.link(r, "/api", nil)); err == nil && base.Host != "" {
		doc["host"], _ = json.Marshal(base.Host)
		doc["schemes"], _ = json.Marshal([]string{base.Scheme})
	}
	writeJSON(w, http.StatusOK, doc)
}
