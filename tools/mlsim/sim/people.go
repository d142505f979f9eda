package sim

import (
	"encoding/json"
	"strings"
)

// The people of the current-API data set (resource group rg-aml). Alice is
// the data subject of the seed scenario too: her object id is
// SubjectObjectID.
const (
	AliceObjectID      = SubjectObjectID
	AliceUPN           = "alice@contoso.com"
	BobObjectID        = "bbbbbbbb-2222-3333-4444-555555555555"
	BobUPN             = "bob@contoso.com"
	CarolObjectID      = "cccccccc-2222-3333-4444-555555555555"
	CarolUPN           = "carol@contoso.com"
	AdminObjectID      = "dddddddd-2222-3333-4444-555555555555"
	AdminUPN           = "admin@contoso.com"
	AliceName          = "Alice Example"
	BobName            = "Bob Example"
	CarolName          = "Carol Example"
	AdminName          = "Dana Admin"
	PipelineSPObjectID = "eeeeeeee-2222-3333-4444-555555555555"
	PipelineSPName     = "pipeline-sp"
	// Alice2 is another person whose display name is alice's.
	Alice2ObjectID = "a2a2a2a2-2222-3333-4444-555555555555"
	Alice2UPN      = "alice.example@contoso.com"

	// TenantID is the Entra tenant of the people above.
	TenantID = "ffffffff-2222-3333-4444-555555555555"
)

// Names of the current-API data set.
const (
	AMLResourceGroup = "rg-aml"
	AMLWorkspace     = "ws-shared"
	AMLRegistry      = "reg-shared"
)

// Person is one identity of the current-API data set.
type Person struct {
	// Key names the person in /_sim/resources' owner field: "alice",
	// "bob", "carol", "admin" or "pipeline-sp".
	Key string
	// ObjectID is the Entra object id.
	ObjectID string
	// UPN is the user principal name; empty for the service principal.
	UPN string
	// DisplayName is how systemData.createdBy names a user (as Azure ML
	// does: a display name, not an identity); empty for the service
	// principal, which systemData names by its object id.
	DisplayName string
	// Type is the systemData createdByType: "User" or "Application".
	Type string
}

// People are the identities of the current-API data set, in the order
// alice, bob, carol, admin, pipeline-sp, alice2 (who shares alice's display
// name).
var People = []Person{
	{Key: "alice", ObjectID: AliceObjectID, UPN: AliceUPN, DisplayName: AliceName, Type: "User"},
	{Key: "bob", ObjectID: BobObjectID, UPN: BobUPN, DisplayName: BobName, Type: "User"},
	{Key: "carol", ObjectID: CarolObjectID, UPN: CarolUPN, DisplayName: CarolName, Type: "User"},
	{Key: "admin", ObjectID: AdminObjectID, UPN: AdminUPN, DisplayName: AdminName, Type: "User"},
	{Key: PipelineSPName, ObjectID: PipelineSPObjectID, Type: "Application"},
	{Key: "alice2", ObjectID: Alice2ObjectID, UPN: Alice2UPN, DisplayName: AliceName, Type: "User"},
}

// person returns the Person of key; it panics on an unknown key (seeder
// programming error).
func person(key string) Person {
	for _, p := range People {
		if p.Key == key {
			return p
		}
	}
	panic("sim: unknown person " + key)
}

// ownerOf returns the key of the person who created a document according
// to its systemData.createdBy (display name, object id or UPN,
// case-insensitively), or "" when the document has no systemData or names
// someone else. A display name two people share names the first of them
// in People; creatorOf knows better for seeded items.
func ownerOf(doc json.RawMessage) string {
	if doc == nil {
		return ""
	}
	var d struct {
		SystemData *struct {
			CreatedBy string `json:"createdBy"`
		} `json:"systemData"`
	}
	if json.Unmarshal(doc, &d) != nil || d.SystemData == nil {
		return ""
	}
	by := d.SystemData.CreatedBy
	for _, p := range People {
		if strings.EqualFold(by, p.ObjectID) || (p.UPN != "" && strings.EqualFold(by, p.UPN)) ||
			(p.DisplayName != "" && strings.EqualFold(by, p.DisplayName)) {
			return p.Key
		}
	}
	return ""
}

// creatorOf returns the key of the person who created it: the one the
// seeder noted, else the one its systemData names (ownerOf).
func creatorOf(it *item) string {
	if it.creator != "" {
		return it.creator
	}
	return ownerOf(it.doc)
}
