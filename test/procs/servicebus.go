package procs

import (
	"fmt"
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
}

// ServiceBus is a running stand-in for Azure Service Bus
// (test/servicebus-standin): an AMQP 1.0 server on 127.0.0.1 that the
// unmodified azservicebus SDK talks to. Queues are created on first use.
type ServiceBus struct {
	Proc *Proc
	Port int
	// ConnectionString is for azservicebus.NewClientFromConnectionString.
	ConnectionString string
	node, script     string
	opts             ServiceBusOptions
}

var listening = regexp.MustCompile(`servicebus-standin listening on 127\.0\.0\.1:(\d+)`)

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
	return &ServiceBus{
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
	if o.Debug {
		env = append(env, "SB_DEBUG=1")
	}
	return env
}

// waitListening waits for the stand-in's "listening" line and returns the
// port it names.
func waitListening(t testing.TB, p *Proc, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(p.Output()); m != nil {
			port, err := strconv.Atoi(m[1])
			if err != nil {
				t.Fatalf("servicebus-standin: bad port %q", m[1])
			}
			return port
		}
		if p.Exited() {
			t.Fatalf("servicebus-standin exited before listening:\n%s", p.Output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("servicebus-standin not listening after %v:\n%s", timeout, p.Output())
	return 0
}
