package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"
)

// Per-container counts of the data set at scale 1 (README, "The data set").
// Scale multiplies the ones marked (×scale); the structure (resource groups,
// accounts, workspaces, projects) and the per-run counts do not change.
const (
	modelsPerAccount      = 12 // ×scale
	manifestsPerAccount   = 6  // ×scale; each references 2 models
	imagesPerAccount      = 4  // ×scale; each references a manifest
	servicesPerAccount    = 3  // ×scale; each uses an image
	workspacesPerAccount  = 2
	projectsPerWorkspace  = 2
	runsPerProject        = 10 // ×scale
	experimentsPerProject = 3  // ×scale
	metricsPerRun         = 2
	assetsPerProject      = 3 // ×scale
	subjectJobsPerProject = 4 // ×scale
	otherJobsPerProject   = 2 // ×scale
	computesPerWorkspace  = 3 // ×scale
	clustersPerGroup      = 2 // ×scale

	maxArtifactSize = 64 << 10 // artifacts hold 1 B to 64 KiB ...
	bigArtifactSize = 1 << 20  // ... except one per project of 1 MiB
)

// artifactPaths are the artifacts of every run (paths with "/").
var artifactPaths = []string{"outputs/model.pkl", "logs/driver/stdout.txt"}

// seedGroups are the resource groups of the data set.
var seedGroups = []string{"rg-dsr-target", "rg-dsr-other"}

// timeLayout is the 7-digit fractional UTC layout of the official examples.
const timeLayout = "2006-01-02T15:04:05.0000000Z"

// obj is a JSON object under construction.
type obj = map[string]any

// gen produces the deterministic values of the data set.
type gen struct {
	seed  int64
	rng   *mrand.Rand
	clock time.Time
}

func newGen(seed int64) *gen {
	return &gen{
		seed:  seed,
		rng:   mrand.New(mrand.NewPCG(uint64(seed), 0x616d6c647372)),
		clock: time.Date(2017, 11, 1, 9, 0, 0, 0, time.UTC),
	}
}

// guid returns the next pseudo-random GUID.
func (g *gen) guid() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], g.rng.Uint64())
	binary.LittleEndian.PutUint64(b[8:], g.rng.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

// hex returns n pseudo-random hex digits.
func (g *gen) hex(n int) string {
	return strings.ReplaceAll(g.guid(), "-", "")[:n]
}

// when advances the clock by 1 to 240 minutes (and some milliseconds) and
// returns it.
func (g *gen) when() string {
	g.clock = g.clock.Add(time.Duration(1+g.rng.IntN(240))*time.Minute + time.Duration(g.rng.IntN(1e6))*time.Microsecond)
	return g.clock.Format(timeLayout)
}

// bytes returns n deterministic pseudo-random bytes for label.
func (g *gen) bytes(n int, label string) []byte {
	seed := sha256.Sum256([]byte(fmt.Sprintf("mlsim-content\n%d\n%s", g.seed, label)))
	b := make([]byte, n)
	_, _ = mrand.NewChaCha8(seed).Read(b)
	return b
}

// putDoc stores a document built by the seeder.
func (s *Server) putDoc(kind, path string, doc any) {
	b, err := json.Marshal(doc)
	if err != nil {
		panic("sim: seed document " + path + ": " + err.Error())
	}
	s.st.put(&item{kind: kind, path: path, doc: b})
}

// seed loads the data set of Options.Seed and Options.Scale: the seed
// scenario's resource groups, then the current-API resource group rg-aml
// (seed_aml.go), whose generator is separate.
func (s *Server) seed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := newGen(s.opts.Seed)
	for _, rg := range seedGroups {
		s.seedGroup(g, rg, s.opts.Scale)
	}
	s.seedAML(s.opts.Seed)
}

// seedGroup loads one resource group and everything in it.
func (s *Server) seedGroup(g *gen, rg string, scale int) {
	short := strings.TrimPrefix(rg, "rg-dsr-")
	rgPath := "/subscriptions/" + SubscriptionID + "/resourceGroups/" + rg
	s.putDoc(KindResourceGroup, rgPath, obj{
		"id":         rgPath,
		"name":       rg,
		"type":       "Microsoft.Resources/resourceGroups",
		"location":   "eastus",
		"tags":       obj{"purpose": "dsr-simulation"},
		"properties": obj{"provisioningState": "Succeeded"},
	})
	clusters := s.seedClusters(g, rg, short, scale)
	s.seedModelManagement(g, rgPath, short, clusters[0], scale)
	s.seedExperimentation(g, rgPath, short, scale)
	s.seedMLServices(g, rgPath, short, scale)
}

// armResource is the ARM envelope shared by the seeded resources.
func armResource(id, name, typ, location string, props obj) obj {
	return obj{
		"id":         id,
		"name":       name,
		"type":       typ,
		"location":   location,
		"tags":       obj{"purpose": "dsr-simulation"},
		"properties": props,
	}
}

// hexDigest is a short stable hex digest of s (for names that must not
// depend on the generator's sequence).
func hexDigest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}
