package fakehost

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"

	"amldsr/test/procs"
)

func TestMatchRoute(t *testing.T) {
	for _, c := range []struct {
		tmpl, path string
		ok         bool
	}{
		{"dsr/requests", "dsr/requests", true},
		{"dsr/requests", "DSR/Requests", true},
		{"dsr/requests/{requestId}", "dsr/requests/r1", true},
		{"dsr/requests/{requestId}", "dsr/requests", false},
		{"dsr/requests/{requestId}", "dsr/requests/r1/results", false},
		{"dsr/requests/{requestId}/results", "dsr/requests/r1/results", true},
		{"items/{id:int?}", "items", true},
		{"files/{*rest}", "files/a/b/c", true},
	} {
		if got := matchRoute(c.tmpl, c.path); got != c.ok {
			t.Errorf("%s ~ %s: %v", c.tmpl, c.path, got)
		}
	}
}

// The envelope is built as the host builds it: the body serialized twice,
// metadata scalars as strings, dates without offset, body properties
// merged into Metadata.
func TestServiceBusEnvelopeShape(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 4, 5, 600, time.UTC)
	seq := int64(42)
	ct := "application/json"
	env := ServiceBusEnvelope("ProcessStep", "msg", &azservicebus.ReceivedMessage{MessageID: "m1", Body: []byte(`{"v":1,"MessageId":"body-wins"}`),
		DeliveryCount: 2, EnqueuedTime: &now, SequenceNumber: &seq, ContentType: &ct, ApplicationProperties: map[string]any{"kind": "export"}})
	var got struct {
		Data     map[string]string
		Metadata map[string]json.RawMessage
	}
	if err := json.Unmarshal(env, &got); err != nil {
		t.Fatal(err)
	}
	if got.Data["msg"] != `"{\"v\":1,\"MessageId\":\"body-wins\"}"` {
		t.Errorf("Data.msg %q is not the body serialized twice", got.Data["msg"])
	}
	for k, want := range map[string]string{
		"DeliveryCount": `"2"`, "SequenceNumber": `"42"`, "ContentType": `"\"application/json\""`,
		"EnqueuedTimeUtc": `"2026-11-27T03:04:05"`, "EnqueuedTime": `"2026-11-27T03:04:05+00:00"`,
		"v": `"\"1\""`, "MessageId": `"\"body-wins\""`, "MessageActions": `{}`,
	} {
		if string(got.Metadata[k]) != want {
			t.Errorf("Metadata.%s = %s, want %s", k, got.Metadata[k], want)
		}
	}
	if _, ok := got.Metadata["sys"]; !ok {
		t.Error("no sys")
	}
}

// An invocation that passes the function timeout makes the host kill and
// restart the handler; the message is abandoned and comes back.
func TestFunctionTimeoutRestartsTheHandler(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	root := t.TempDir()
	for name, body := range map[string]string{
		"host.json": `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"slowhandler"}},"functionTimeout":"00:00:01",
			"extensions":{"serviceBus":{"maxConcurrentCalls":1,"maxAutoLockRenewalDuration":"00:00:30"}}}`,
		"ProcessStep/function.json": `{"bindings":[{"type":"serviceBusTrigger","direction":"in","name":"msg","queueName":"%Q%","connection":"SB"}]}`,
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755)
		os.WriteFile(filepath.Join(root, name), []byte(body), 0o644)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(root, "slowhandler"), "./testdata/slowhandler")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	bus := procs.StartServiceBus(t, procs.ServiceBusOptions{LockDuration: 5 * time.Second, MaxDeliveryCount: 10})
	h := Start(t, root, Options{Settings: map[string]string{"Q": "slow", "SB": bus.ConnectionString}, ServiceBus: bus.ConnectionString})
	client, _ := azservicebus.NewClientFromConnectionString(bus.ConnectionString, nil)
	sender, _ := client.NewSender("slow", nil)
	if err := sender.SendMessage(context.Background(), &azservicebus.Message{Body: []byte("sleep:3s")}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for h.Completed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if h.Timeouts.Load() != 1 || h.Abandoned.Load() != 1 || h.Completed.Load() != 1 || h.Starts() != 2 {
		t.Fatalf("timeouts %d abandoned %d completed %d starts %d; want 1, 1, 1, 2",
			h.Timeouts.Load(), h.Abandoned.Load(), h.Completed.Load(), h.Starts())
	}
	if !strings.Contains(h.Output(), "processed sleep:3s") {
		t.Errorf("the restarted handler did not process the redelivered message: %q", h.Output())
	}
}
