package dsr

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// AttributionBlob is where a request keeps what it decided about whose a
// job is (requests/{id}/attribution/{hash}.json, keyed by the job's
// catalog path, case folded). It is written once, when the job is first
// examined, so that what the job produced is attributed the same way
// whatever happens to the job afterwards.
func AttributionBlob(id, jobPath string) string {
	h := sha256.Sum256([]byte(strings.ToLower(jobPath)))
	return RequestPrefix(id) + "attribution/" + hex.EncodeToString(h[:16]) + ".json"
}
