// Package sim simulates the Azure Machine Learning REST endpoints that
// amldsr knows: those of the Workbench era (Azure Resource Manager under
// /arm, the model-management data plane /mm/{location}, the
// experimentation data planes /exp/{location}) and today's ARM API of
// Microsoft.MachineLearningServices 2024-04-01 (workspaces and everything
// in them, registries; aml.go, seed_aml.go), an App Service
// managed-identity token endpoint (/msi/token), SAS-style artifact content
// URLs (/content/...) and an administration API for tests (/_sim/...).
//
// The behaviour is specified in tools/mlsim/README.md. In short:
//   - every call under /arm, /mm and /exp needs a bearer token issued by
//     /msi/token (or IssueToken) for the configured audience;
//   - injected 429/503 faults are decided before any effect;
//   - every list pages (Options.PageSize items per page), in a stable order;
//   - deletes follow the official specs: synchronous 200/204 for
//     experimentation resources and current workspace assets, datastores
//     and connections; long-running 202 for model-management accounts,
//     computes, operationalization clusters and the current workspaces,
//     jobs, schedules, endpoints, deployments, registries and registry
//     assets; 409 on model-management referential conflicts and on asset
//     containers that still have versions.
//
// A Server holds all of its state in memory behind one mutex; it is safe for
// concurrent use. It imports nothing from amldsr.
package sim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Fixed identities of the seeded data set.
const (
	// SubscriptionID is the only subscription of the seeded data set.
	SubscriptionID = "11111111-2222-3333-4444-555555555555"
	// SubjectObjectID is the data subject: the user who owns four
	// notification jobs per project (at scale 1).
	SubjectObjectID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	// OtherObjectID is another user, owning two notification jobs per project.
	OtherObjectID = "99999999-8888-7777-6666-555555555555"
)

// Defaults of Options (the mlsim command's flag defaults).
const (
	DefaultAudience       = "https://management.core.windows.net/"
	DefaultIdentityHeader = "mlsim-identity-secret"
	DefaultPageSize       = 5
	DefaultLROPolls       = 2
	DefaultRetryAfter     = 1
)

// Options configure a Server. The zero value is usable: zero fields take the
// defaults documented on each field.
type Options struct {
	// Seed of the deterministic data set. Zero is a valid seed (the mlsim
	// command's default is 1).
	Seed int64
	// Scale multiplies the per-container counts of the data set; values
	// below 1 mean 1.
	Scale int
	// PageSize is the number of items per page on every list; values below
	// 1 mean DefaultPageSize.
	PageSize int
	// Latency is added to every call except /_sim/ (negative means zero).
	Latency time.Duration
	// P429 and P503 are the fractions of authenticated API calls answered
	// 429 or 503 before any effect; they are clamped to [0, 1].
	P429, P503 float64
	// RetryAfter is the Retry-After (seconds) of injected 429s; values below
	// 1 mean DefaultRetryAfter.
	RetryAfter int
	// LROPolls is how many polls of a long-running delete answer "in
	// progress" before it completes. Zero means DefaultLROPolls; a negative
	// value means none (the first poll completes it).
	LROPolls int
	// LROFailOnce, when set, is the error code with which the first
	// long-running delete of each resource ends Failed (see lro.go); the
	// resource stays, and the next DELETE of it completes as usual.
	LROFailOnce string
	// Audience is the only token audience accepted; empty means
	// DefaultAudience. A trailing slash is not significant.
	Audience string
	// IdentityHeader is the X-IDENTITY-HEADER value /msi/token requires;
	// empty means DefaultIdentityHeader.
	IdentityHeader string
	// OffsetPaging makes continuation tokens offsets (the count of items
	// already returned) instead of keys: deletes between two pages then
	// make the next page skip items, as on many Azure lists.
	OffsetPaging bool
	// Appear is how many items appear while deletes run: each delete of
	// a model-management model, an experimentation project or a job
	// (today's API) creates a sibling (its name plus "-late<N>"), until
	// Appear of them have appeared. Appeared lists them.
	Appear int
	// PlantSecrets puts a distinct credential in every document of every
	// kind (secrets.go), for tests that check none reaches an export.
	PlantSecrets bool
	// Scenario adds to the data set: "" nothing, ScenarioPeople the mixed
	// ownership of seed_people.go (GET /_sim/truth says whose is what).
	Scenario string
}

// withDefaults returns o with every zero or out-of-range field replaced by
// its documented default.
func (o Options) withDefaults() Options {
	if o.Scale < 1 {
		o.Scale = 1
	}
	if o.PageSize < 1 {
		o.PageSize = DefaultPageSize
	}
	if o.Latency < 0 {
		o.Latency = 0
	}
	o.P429 = clamp01(o.P429)
	o.P503 = clamp01(o.P503)
	if o.RetryAfter < 1 {
		o.RetryAfter = DefaultRetryAfter
	}
	switch {
	case o.LROPolls == 0:
		o.LROPolls = DefaultLROPolls
	case o.LROPolls < 0:
		o.LROPolls = 0
	}
	if o.Audience == "" {
		o.Audience = DefaultAudience
	}
	if o.IdentityHeader == "" {
		o.IdentityHeader = DefaultIdentityHeader
	}
	return o
}

func clamp01(p float64) float64 {
	if math.IsNaN(p) || p < 0 {
		return 0
	}
	return min(p, 1)
}

// Server is the simulator. Create it with New or NewEmpty and serve
// Handler() over TLS.
type Server struct {
	opts Options

	mu         sync.Mutex
	st         *store
	ops        map[string]*operation // long-running deletes by lower-case id
	faults     Faults
	rng        *mrand.Rand // fault draws
	log        []LogEntry
	seq        int64
	baseURL    string
	tokenKey   []byte // signs bearer tokens (random per server)
	contentKey []byte // signs content URLs (derived from the seed)
	reads      int    // calls counted for x-ms-ratelimit-remaining-*
	deletes    int
	appeared   []string    // paths of the items that appeared (Options.Appear)
	buckets    *armBuckets // ARM's buckets and counts (buckets.go)
}

// New returns a Server loaded with the deterministic data set of
// opts.Seed and opts.Scale (see the README, "The data set").
func New(opts Options) *Server {
	s := NewEmpty(opts)
	s.seed()
	if opts.PlantSecrets {
		s.plantSecrets()
	}
	return s
}

// NewEmpty returns a Server with no data; load documents with Put.
func NewEmpty(opts Options) *Server {
	opts = opts.withDefaults()
	tokenKey := make([]byte, 32)
	_, _ = rand.Read(tokenKey) // never fails (crypto/rand contract)
	var seed [8]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(opts.Seed))
	ck := sha256.Sum256(append([]byte("mlsim-content-key:"), seed[:]...))
	return &Server{
		opts:       opts,
		st:         newStore(),
		ops:        make(map[string]*operation),
		faults:     Faults{P429: opts.P429, P503: opts.P503, Latency: opts.Latency, RetryAfter: opts.RetryAfter},
		rng:        mrand.New(mrand.NewPCG(uint64(opts.Seed), 0x6d6c73696d)),
		tokenKey:   tokenKey,
		contentKey: ck[:],
	}
}

// Options returns the effective options (defaults applied).
func (s *Server) Options() Options { return s.opts }

// Handler returns the HTTP handler serving every prefix.
func (s *Server) Handler() http.Handler { return s }

// SetBaseURL sets the absolute base (scheme://host:port, no trailing slash)
// used in nextLink, Location, Azure-AsyncOperation and contentUri URLs.
// When unset, the base is derived from each request's Host as https.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseURL = strings.TrimRight(u, "/")
}

// base returns the absolute base URL for links in answers to r.
func (s *Server) base(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	return "https://" + r.Host
}

// ServeHTTP routes by prefix: /_sim/, /msi/token, /content/, /arm, /mm/{location},
// /exp/{location} and /aml/{location}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/_sim/"):
		s.serveAdmin(w, r)
	case p == "/msi/token":
		s.delay(r)
		s.serveToken(w, r)
	case strings.HasPrefix(p, "/content/"):
		s.delay(r)
		s.serveContent(w, r)
	default:
		c, ok := parseCall(p)
		if !ok {
			errorResponse(planeARM, http.StatusNotFound, "NotFound", "no endpoint at "+p).write(w)
			return
		}
		s.serveAPI(w, r, c)
	}
}

// plane names the API family a call belongs to; it decides the error shape.
type plane int

const (
	planeARM plane = iota
	planeMM
	planeExp
	planeAML // today's data plane (run history), /aml/{location}; errors as ARM's
)

// call is an API call split into its prefix and the path after it.
type call struct {
	plane    plane
	prefix   string // "/arm", "/mm/eastus", "/exp/eastus2" as requested
	location string // lower case; empty for ARM
	path     string // after the prefix; starts with "/"
}

// parseCall splits an API path into prefix and rest; ok is false for paths
// outside /arm, /mm/{location}, /exp/{location} and /aml/{location}.
func parseCall(p string) (call, bool) {
	if p == "/arm" || strings.HasPrefix(p, "/arm/") {
		rest := strings.TrimPrefix(p, "/arm")
		if rest == "" {
			rest = "/"
		}
		return call{plane: planeARM, prefix: "/arm", path: rest}, true
	}
	for _, pl := range []struct {
		name  string
		plane plane
	}{{"/mm/", planeMM}, {"/exp/", planeExp}, {"/aml/", planeAML}} {
		if !strings.HasPrefix(p, pl.name) {
			continue
		}
		loc, rest, _ := strings.Cut(strings.TrimPrefix(p, pl.name), "/")
		if loc == "" {
			return call{}, false
		}
		return call{plane: pl.plane, prefix: pl.name + loc, location: strings.ToLower(loc), path: "/" + rest}, true
	}
	return call{}, false
}

// serveAPI answers an authenticated API call: latency, authentication,
// fault injection, dispatch, rate-limit headers, request id and log entry.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, c call) {
	s.delay(r)
	resp := s.answerAPI(r, c)
	resp.write(w)
}

// answerAPI computes the response to an API call under the lock and logs it.
func (s *Server) answerAPI(r *http.Request, c call) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	var resp *response
	fault := false
	switch {
	case !s.authorized(r):
		resp = errorResponse(planeARM, http.StatusUnauthorized, "InvalidAuthenticationToken",
			"the access token is missing, invalid, expired or for another audience")
	default:
		if resp = s.armTake(r.Method, c); resp != nil {
			break
		}
		if resp = s.drawFault(c.plane); resp != nil {
			fault = true
		} else {
			resp = s.dispatch(r, c)
		}
	}
	reqID := newRequestID()
	resp.header.Set("x-ms-request-id", reqID)
	if c.plane == planeARM {
		s.rateLimitHeaders(resp, r.Method)
		s.armCount(r.Method, c, resp)
	}
	s.appendLog(r, c, resp.status, fault, reqID)
	return resp
}

// dispatch hands an authenticated, unfaulted call to its plane.
func (s *Server) dispatch(r *http.Request, c call) *response {
	switch c.plane {
	case planeMM:
		return s.mm(r, c)
	case planeExp:
		return s.exp(r, c)
	case planeAML:
		return s.runHistory(r, c)
	default:
		return s.arm(r, c)
	}
}

// rateLimitHeaders sets x-ms-ratelimit-remaining-subscription-reads (GET) or
// -deletes (DELETE), counting down per call; a throttled call reports 0.
func (s *Server) rateLimitHeaders(resp *response, method string) {
	const reads, deletes = 12000, 15000
	if method == http.MethodDelete {
		s.deletes++
		left := deletes - 1 - s.deletes%deletes
		if resp.status == http.StatusTooManyRequests {
			left = 0
		}
		resp.header.Set("x-ms-ratelimit-remaining-subscription-deletes", itoa(left))
		return
	}
	s.reads++
	left := reads - 1 - s.reads%reads
	if resp.status == http.StatusTooManyRequests {
		left = 0
	}
	resp.header.Set("x-ms-ratelimit-remaining-subscription-reads", itoa(left))
}
