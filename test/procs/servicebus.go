package procs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// ServiceBusOptions configure the Service Bus stand-in; zero values take
// its defaults (60 s lock, 10 deliveries, 262,144-byte messages).
type ServiceBusOptions struct {
	LockDuration     time.Duration
	MaxDeliveryCount int
	MaxMessageSize   int
	// DuplicateDetection, when set, is the queue's duplicate detection
	// history window (requiresDuplicateDetection): a message whose id was
	// sent within it is accepted and dropped.
	DuplicateDetection time.Duration
	Debug              bool // log frames and operations to the output
	// Admin starts the stand-in's admin HTTP port (SB_ADMIN_PORT), which
	// counts sends: see ServiceBus.Sends.
	Admin bool
}

// ServiceBus is a running stand-in for Azure Service Bus
// (test/servicebus-standin): an AMQP 1.0 server on 127.0.0.1 that the
// unmodified azservicebus SDK talks to. Queues are created on first use.
type ServiceBus struct {
	Proc *Proc
	Port int
	// ConnectionString is for azservicebus.NewClientFromConnectionString.
	ConnectionString string
	// AdminURL is http://127.0.0.1:PORT of the admin port (Options.Admin).
	AdminURL     string
	node, script string
	opts         ServiceBusOptions
}

var (
	listening = regexp.MustCompile(`servicebus-standin listening on 127\.0\.0\.1:(\d+)`)
	adminLine = regexp.MustCompile(`servicebus-standin admin on 127\.0\.0\.1:(\d+)`)
)

// StartServiceBus installs the npm packages if needed, starts the stand-in
// with node on a free port and waits until it listens. It stops when the
// test ends.
func StartServiceBus(t testing.TB, opts ServiceBusOptions) *ServiceBus {
	t.Helper()
	NodeModules(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node (Node.js 20) is needed for the Service Bus stand-in: %v", err)
	}
	script := filepath.Join(Root(), "test", "servicebus-standin", "standin.js")
	p := Start(t, "servicebus-standin", node, opts.env(), script)
	port := waitListening(t, p, 20*time.Second)
	var admin string
	if opts.Admin {
		admin = fmt.Sprintf("http://127.0.0.1:%d", waitLine(t, p, adminLine, 20*time.Second))
	}
	return &ServiceBus{AdminURL: admin,
		Proc: p, node: node, script: script, opts: opts,
		Port: port,
		ConnectionString: fmt.Sprintf("Endpoint=sb://127.0.0.1:%d/;SharedAccessKeyName=x;SharedAccessKey=y;UseDevelopmentEmulator=true",
			port),
	}
}

func (o ServiceBusOptions) env() []string {
	env := []string{"SB_PORT=0"}
	if o.LockDuration > 0 {
		env = append(env, fmt.Sprintf("SB_LOCK_DURATION_MS=%d", o.LockDuration.Milliseconds()))
	}
	if o.MaxDeliveryCount > 0 {
		env = append(env, fmt.Sprintf("SB_MAX_DELIVERY_COUNT=%d", o.MaxDeliveryCount))
	}
	if o.MaxMessageSize > 0 {
		env = append(env, fmt.Sprintf("SB_MAX_MESSAGE_SIZE=%d", o.MaxMessageSize))
	}
	if o.DuplicateDetection > 0 {
		env = append(env, fmt.Sprintf("SB_DUPLICATE_DETECTION_MS=%d", o.DuplicateDetection.Milliseconds()))
	}
	if o.Admin {
		env = append(env, "SB_ADMIN_PORT=0")
	}
	if o.Debug {
		env = append(env, "SB_DEBUG=1")
	}
	return env
}

// waitListening waits for the stand-in's "listening" line and returns the
// port it names.
func waitListening(t testing.TB, p *Proc, timeout time.Duration) int {
	t.Helper()
	return waitLine(t, p, listening, timeout)
}

// waitLine waits for a line of p's output that re matches and returns the
// port its first group names.
func waitLine(t testing.TB, p *Proc, re *regexp.Regexp, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.Output()); m != nil {
			port, err := strconv.Atoi(m[1])
			if err != nil {
				t.Fatalf("servicebus-standin: bad port %q", m[1])
			}
			return port
		}
		if p.Exited() {
			t.Fatalf("servicebus-standin exited before %q:\n%s", re, p.Output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("servicebus-standin: no %q after %v:\n%s", re, timeout, p.Output())
	return 0
}

// SendCounts are the stand-in's counts of sends (GET /sends). A message id
// "<id>.r<time>" (a re-drive, worker.RedriveID) counts as a send of <id>.
type SendCounts struct {
	IDs       int `json:"ids"`       // distinct message ids
	Sends     int `json:"sends"`     // messages sent, dropped duplicates included
	SentTwice int `json:"sentTwice"` // ids sent more than once
	// SentTwiceRedriven is how many of SentTwice had a re-drive among
	// their sends.
	SentTwiceRedriven int `json:"sentTwiceRedriven"`
	Examples          []struct {
		RequestID string `json:"requestId"`
		ID        string `json:"id"`
		Sends     int    `json:"sends"`
		Redrives  int    `json:"redrives"`
	} `json:"examples"`
}

// Sends returns the counts of sends of the messages whose requestId
// application property is one of requestIDs (all messages when none are
// named). It needs Options.Admin.
func (b *ServiceBus) Sends(t testing.TB, requestIDs ...string) SendCounts {
	t.Helper()
	if b.AdminURL == "" {
		t.Fatal("servicebus-standin: Sends needs ServiceBusOptions.Admin")
	}
	q := url.Values{"requestId": requestIDs}
	resp, err := http.Get(b.AdminURL + "/sends?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c SendCounts
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("servicebus-standin GET /sends: %d %v", resp.StatusCode, err)
	}
	return c
}
