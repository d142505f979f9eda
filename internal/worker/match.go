package worker

import (
	"amldsr/internal/catalog"
	"amldsr/internal/dsr"
)

// matched says whether a listed item is covered by the request, and why.
type matched struct {
	ok bool
	// context: the item is covered only as the shared parent of the
	// subject's items: exported, never deleted.
	context bool
	reason  string
}

// match applies the request's match rule to one listed item.
func (r *run) match(ref catalog.Ref, raw []byte) matched {
	if r.req.Match != dsr.MatchSubject {
		return matched{ok: true}
	}
	switch ref.Kind.Owner {
	case catalog.PerUser:
		return matched{ok: true, reason: "listed for the subject's objectId"}
	}
	if catalog.CanMatch(ref.Kind) {
		return matched{ok: true, context: true, reason: "shared parent of the subject's items"}
	}
	return matched{}
}
