package procs

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"
)

// IdentityHeader is the X-IDENTITY-HEADER the simulator's token endpoint
// requires.
const IdentityHeader = "mlsim-identity-secret"

// Sim is a running simulator.
type Sim struct {
	*Proc
	URL    string // https://127.0.0.1:PORT
	CAFile string
	client *http.Client
}

// StartSim starts the simulator with extra flags.
func StartSim(t testing.TB, flags ...string) *Sim {
	t.Helper()
	dir := t.TempDir()
	ca, urlFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "url")
	args := append([]string{"-addr", "127.0.0.1:0", "-ca-out", ca, "-url-out", urlFile}, flags...)
	p := Start(t, "mlsim", filepath.Join(Binaries(t), "mlsim"), nil, args...)
	u := WaitFile(t, p, urlFile, 20*time.Second)
	s := &Sim{Proc: p, URL: u, CAFile: ca, client: TLSClient(t, ca)}
	return s
}

// Env is the environment that points amldsr at the simulator.
func (s *Sim) Env() []string {
	return []string{
		"DSR_ARM_ENDPOINT=" + s.URL + "/arm",
		"DSR_MODELMANAGEMENT_ENDPOINT=" + s.URL + "/mm/{location}",
		"DSR_EXPERIMENTS_ENDPOINT=" + s.URL + "/exp/{location}",
		"DSR_AML_ENDPOINT=" + s.URL + "/aml/{location}",
		"IDENTITY_ENDPOINT=" + s.URL + "/msi/token",
		"IDENTITY_HEADER=" + IdentityHeader,
		"SSL_CERT_FILE=" + s.CAFile,
		// The simulator serves artifact content from 127.0.0.1.
		"DSR_CONTENT_ALLOW_PRIVATE=true",
	}
}

// Resource is one entry of /_sim/resources.
type Resource struct {
	Kind     string          `json:"kind"`
	Path     string          `json:"path"`
	Document json.RawMessage `json:"document"`
	Content  []byte          `json:"content"`
	// Owner is the simulator's note of who created the resource
	// (alice, bob, carol, admin, pipeline-sp), for today's API.
	Owner string `json:"owner"`
}

// Call is one entry of /_sim/log.
type Call struct {
	Seq    int64     `json:"seq"`
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query"`
	Status int       `json:"status"`
	Fault  bool      `json:"fault"`
	Prefix string    `json:"prefix"`
}

// Resources lists what the simulator holds now.
func (s *Sim) Resources(t testing.TB) []Resource {
	var out []Resource
	s.getJSON(t, "/_sim/resources", &out)
	return out
}

// Log returns every authenticated call so far.
func (s *Sim) Log(t testing.TB) []Call {
	var out []Call
	s.getJSON(t, "/_sim/log", &out)
	return out
}

func (s *Sim) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := s.client.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// Appeared lists the items that appeared while deletes ran (-appear).
func (s *Sim) Appeared(t testing.TB) []string {
	var out []string
	s.getJSON(t, "/_sim/appeared", &out)
	return out
}

// Recreate puts back an item the simulator deleted (POST /_sim/recreate).
func (s *Sim) Recreate(t testing.TB, path string) {
	t.Helper()
	resp, err := s.client.Post(s.URL+"/_sim/recreate?path="+url.QueryEscape(path), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("recreate %s: %d %s", path, resp.StatusCode, b)
	}
}
