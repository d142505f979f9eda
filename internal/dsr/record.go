package dsr

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Step is the operation of one resource-level step, as result records name
// it.
type Step string

const (
	StepDiscover Step = "discover"
	StepExport   Step = "export"
	StepDelete   Step = "delete"
)

// Outcome is how a resource-level operation ended.
type Outcome string

const (
	Succeeded Outcome = "succeeded"
	Absent    Outcome = "absent" // a delete (or read) found the resource already gone
	Failed    Outcome = "failed"
	Skipped   Outcome = "skipped"
	Planned   Outcome = "planned" // a dry run's delete
)

// RecordError says why an operation failed or was skipped.
type RecordError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Record is the result record of one resource-level operation, written
// once at requests/{requestId}/results/{opKey}.json.
type Record struct {
	RequestID         string       `json:"requestId"`
	Operation         Step         `json:"operation"`
	Kind              string       `json:"kind"`
	Resource          string       `json:"resource"`
	Outcome           Outcome      `json:"outcome"`
	HTTPStatus        int          `json:"httpStatus,omitempty"`
	Attempts          int          `json:"attempts"`
	StartedAt         time.Time    `json:"startedAt"`
	FinishedAt        time.Time    `json:"finishedAt"`
	UpstreamRequestID string       `json:"upstreamRequestId,omitempty"`
	Document          string       `json:"document,omitempty"`
	Error             *RecordError `json:"error,omitempty"`
	// MatchedBy says why a match "subject" request covered the resource.
	MatchedBy string `json:"matchedBy,omitempty"`
	// Redacted lists the JSON paths of the credentials removed from the
	// exported document (package redact: "properties.storageAccount.accessKey",
	// "contentUri?sig" for a URL's stripped SAS signature).
	Redacted []string `json:"redacted,omitempty"`
	// Note says what a step did beyond its outcome (a barrier's round).
	Note string `json:"note,omitempty"`
}

// OpKey is the deterministic key of one operation: the same step of the
// same resource always gets the same key, which names its result record and
// its pending marker. page distinguishes the pages of one list. ARM paths
// compare without case, as ARM names do; data-plane ids keep theirs.
func OpKey(step Step, kind, resource string, page int) string {
	if len(resource) >= 15 && strings.EqualFold(resource[:15], "/subscriptions/") {
		resource = strings.ToLower(resource)
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d", step, kind, resource, page)))
	return fmt.Sprintf("%s.%s.%s", step, kind, hex.EncodeToString(h[:12]))
}

// Blob names of the contract's layout, and of the bookkeeping beside it.
func RequestPrefix(id string) string { return "requests/" + id + "/" }
func RequestBlob(id string) string   { return RequestPrefix(id) + "request.json" }
func SummaryBlob(id string) string   { return RequestPrefix(id) + "summary.json" }
func ResultsPrefix(id string) string { return RequestPrefix(id) + "results/" }
func ResultBlob(id, opKey string) string {
	return ResultsPrefix(id) + opKey + ".json"
}

// ExportBlob is where the document at catalog path p is written.
func ExportBlob(id, p string) string { return RequestPrefix(id) + "export" + p + ".json" }

// ContentBlob is where the content of artifact artifactPath, listed in
// the container at catalog path container, is streamed.
func ContentBlob(id, container, artifactPath string) string {
	return RequestPrefix(id) + "export" + container + "/content/" + artifactPath
}

// PendingPrefix holds one marker per operation that was started and has no
// result record yet: the durable copy of its queue message (an outbox),
// which the sweep re-drives when a message is lost.
func PendingPrefix(id string) string      { return "pending/" + id + "/" }
func PendingBlob(id, opKey string) string { return PendingPrefix(id) + opKey + ".json" }

// ActivePrefix indexes the requests that are not terminal yet.
const ActivePrefix = "active/"

func ActiveBlob(id string) string { return ActivePrefix + id }

// StatusSnapshotBlob holds the running status last derived for a large
// request (ledger.StatusCacheFrom steps or more), for an instance that
// has not derived one itself; never a terminal status.
func StatusSnapshotBlob(id string) string { return "status/" + id + ".json" }
