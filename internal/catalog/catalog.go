// Package catalog holds every Azure ML endpoint amldsr knows, as data: which
// host serves it, its path template, api-version, how its lists page, which
// kinds live under it, and the order in which they are deleted.
//
// Adding an endpoint means adding a row to Kinds, not a code path. The
// package imports no Azure SDK: it turns validated parameters into catalog
// paths and URLs, and catalog paths back into parameters.
package catalog

// Host names the service that serves a kind. Each has its own configured
// endpoint (see Endpoints).
type Host int

const (
	ARM             Host = iota // Azure Resource Manager, DSR_ARM_ENDPOINT
	ModelManagement             // {location}.modelmanagement.azureml.net, DSR_MODELMANAGEMENT_ENDPOINT
	Experiments                 // {location}.experiments.azureml.net, DSR_EXPERIMENTS_ENDPOINT
	AML                         // {location}.api.azureml.ms, DSR_AML_ENDPOINT: today's run history data plane
)

func (h Host) String() string {
	return [...]string{"arm", "modelmanagement", "experiments", "aml"}[h]
}

// Shape says how a list answers and how its next page is asked for.
type Shape int

const (
	// ShapeARM: {"value": [...], "nextLink": "absolute URL"}.
	ShapeARM Shape = iota
	// ShapeModelManagement: {"value", "nextLink"}; the nextLink carries
	// $skipToken and count.
	ShapeModelManagement
	// ShapeContinuation: {"value", "continuationToken", "nextLink"}. Follow
	// nextLink when present, else send the token back in TokenParam.
	ShapeContinuation
)

// Role separates scopes (discovered through, never exported or deleted)
// from resources.
type Role int

const (
	Resource Role = iota
	Scope
)

// DeleteMode says what a delete request does with a kind.
type DeleteMode int

const (
	// ExportOnly kinds are recorded as skipped by a delete: the seed article
	// offers no delete for them.
	ExportOnly DeleteMode = iota
	// Direct kinds are deleted with DELETE on Path, after every group of
	// DeleteOrder is gone.
	Direct
	// ViaParent kinds go with their parent (a project's run history goes
	// with the project); a delete does not visit them.
	ViaParent
)

// Owner says how an item of a kind is attributed to a person, for
// requests with match "subject".
type Owner int

const (
	// NoOwner: the documents carry no owner (the Workbench-era APIs).
	NoOwner Owner = iota
	// PerUser: the collection is listed per user (notifications), so every
	// item belongs to the subject whose objectId is in its path.
	PerUser
	// SystemData: the item's systemData names its creator (today's ARM
	// resources); model versions also belong to whoever created the job
	// named in properties.jobName.
	SystemData
	// ComputeUser: a compute instance belongs to its assigned user and to
	// its creator (properties.properties.personalComputeInstanceSettings
	// and createdBy), and to the creator in systemData.
	ComputeUser
)

// Kind is one row of the catalog.
type Kind struct {
	Name string
	Role Role
	Host Host
	// Path is the catalog path of one item: the resource field of result
	// records and the place of its document under export/.
	Path Template
	// List is the collection the items are listed from; empty when the kind
	// is only ever a target.
	List Template
	// Get is the item GET when it is not Path itself: a query such as
	// "name" is appended from GetQuery. Empty means GET Path.
	Get      Template
	GetQuery map[string]string // query parameter -> path parameter of Path
	// APIVersion is sent as api-version on every call; empty for the
	// data planes that take none.
	APIVersion string
	Shape      Shape
	// TokenParam is the query parameter that carries a continuation token
	// back (ShapeContinuation only).
	TokenParam string
	// Key is the field of a list item that gives the last parameter of
	// Path. "id" on an ARM kind means: match the item's full ARM id.
	Key string
	// Fixed supplies parameters of List that no parent provides.
	Fixed map[string]string
	// WriteItems marks lists whose items are documents with no GET of their
	// own: each item is written as it was listed.
	WriteItems bool
	// PerItem names kinds visited once per listed item, with the item's
	// parameters (each artifact of a run also has an artifact URI).
	PerItem []string
	// Content marks kinds whose document names a contentUri that is
	// fetched without credentials and streamed into the bundle.
	Content bool
	// Location marks kinds whose document's "location" is the {location}
	// of every data-plane call below them.
	Location bool
	// LocationFrom names the account kind whose location is the
	// {location} of this data-plane kind.
	LocationFrom string
	// NeedsObjectID marks kinds listed per user: they need subject.objectId.
	NeedsObjectID bool
	// Owner attributes items to a subject.
	Owner Owner
	// Shared marks kinds that are shared context under match "subject":
	// exported so the subject's items can be understood, never deleted.
	Shared bool
	// ListQuery is sent with the first page of a list (listViewType=All,
	// so archived items are not missed).
	ListQuery map[string]string
	// DeleteQuery is sent with DELETE (forceToPurge=true: a data-subject
	// delete is permanent, not a 14-day soft delete).
	DeleteQuery map[string]string
	// Children are the kinds listed under an item when it is exported.
	Children []string
	Delete   DeleteMode
	// DeleteOrder groups the child kinds that a delete removes first, group
	// by group, before deleting the item itself.
	DeleteOrder [][]string
	// AsyncDelete marks deletes that may answer 202 and be polled.
	AsyncDelete bool
	// SupersededBy names the row that serves this kind's resources today;
	// a superseded row is kept for its URLs but never discovered or
	// targeted.
	SupersededBy string
}

// CanMatch reports whether items of k, or of kinds below it, can belong to
// a subject. Kinds that cannot are left out of match "subject" requests;
// kinds that only lead to such items are shared context.
func CanMatch(k *Kind) bool {
	if k.Owner != NoOwner {
		return true
	}
	for _, c := range k.Children {
		if CanMatch(Lookup(c)) {
			return true
		}
	}
	return false
}
