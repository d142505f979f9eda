package funchost

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Payloads in the shapes the host sends (../shared/reference/functions-host-contract.md §2).
const serviceBusEnvelope = `{"Data":{"msg":"\"{\\\"v\\\":1,\\\"kind\\\":\\\"export\\\"}\""},
 "Metadata":{"MessageReceiver":{},"MessageSession":{},"MessageActions":{},"SessionActions":{},"ReceiveActions":{},
  "Client":{"FullyQualifiedNamespace":"namespace","IsClosed":false,"TransportType":0,"Identifier":"namespace-4e77"},
  "DeliveryCount":"3","LockToken":"\"4e77\"","ExpiresAtUtc":"2023-10-12T20:13:49","ExpiresAt":"2023-10-12T20:13:49+00:00",
  "EnqueuedTimeUtc":"2023-10-12T20:13:49","EnqueuedTime":"2023-10-12T20:13:49+00:00","MessageId":"\"msg-1\"",
  "ContentType":"\"application/json\"","SequenceNumber":"1","ApplicationProperties":{"requestId":"r1"},"UserProperties":{"requestId":"r1"},
  "sys":{"MethodName":"ProcessStep","UtcNow":"2023-10-12T20:13:49.640002Z","RandGuid":"4e77"},"v":"1","kind":"\"export\""}}`

func TestServiceBusEnvelope(t *testing.T) {
	inv, err := Decode(strings.NewReader(serviceBusEnvelope))
	if err != nil {
		t.Fatal(err)
	}
	b, err := inv.Bytes("msg")
	if err != nil || string(b) != `{"v":1,"kind":"export"}` {
		t.Fatalf("body %q %v", b, err)
	}
	if n, ok := inv.MetaInt("DeliveryCount"); !ok || n != 3 {
		t.Errorf("DeliveryCount %d %v", n, ok)
	}
	if id := inv.MetaString("MessageId"); id != "msg-1" {
		t.Errorf("MessageId %q", id)
	}
	if ParseTime(inv.MetaString("EnqueuedTimeUtc")).IsZero() {
		t.Error("EnqueuedTimeUtc without offset did not parse")
	}
}

func TestBodyForms(t *testing.T) {
	body := `{"v":1}`
	single, _ := json.Marshal(body)
	double, _ := json.Marshal(string(single))
	for name, raw := range map[string]string{
		"double-encoded (the host's code)": string(double),
		"single-encoded (the docs)":        string(single),
		"base64 (dataType binary)":         `"eyJ2IjoxfQ=="`,
		"an object":                        body,
	} {
		inv := &Invocation{Data: map[string]json.RawMessage{"msg": json.RawMessage(raw)}}
		if b, err := inv.Bytes("msg"); err != nil || string(b) != body {
			t.Errorf("%s: %q %v", name, b, err)
		}
	}
	inv := &Invocation{Data: map[string]json.RawMessage{"msg": json.RawMessage(`"\"plain text\""`)}}
	if b, _ := inv.Bytes("msg"); string(b) != "plain text" {
		t.Errorf("double-encoded text: %q", b)
	}
}

func TestTimerEnvelopes(t *testing.T) {
	with := `{"Data":{"myTimer":{"Schedule":{"AdjustForDST":true},
  "ScheduleStatus":{"Last":"2023-10-12T20:13:49.640002Z","Next":"2023-10-12T20:18:49+00:00","LastUpdated":"2023-10-12T20:13:49"},
  "IsPastDue":false}},"Metadata":{"sys":{"MethodName":"Sweep","UtcNow":"2023-10-12T20:13:49.640002Z","RandGuid":"x"}}}`
	without := `{"Data":{"myTimer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}},"Metadata":{"sys":{}}}`
	inv, err := Decode(strings.NewReader(with))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := inv.Timer("myTimer")
	if err != nil || tm.ScheduleStatus == nil || tm.ScheduleStatus.Next.Sub(tm.ScheduleStatus.Last) < 4*time.Minute || tm.ScheduleStatus.LastUpdated.IsZero() {
		t.Fatalf("%+v %v", tm, err)
	}
	inv, _ = Decode(strings.NewReader(without))
	tm, err = inv.Timer("myTimer")
	if err != nil || tm.ScheduleStatus != nil || !tm.IsPastDue {
		t.Fatalf("%+v %v", tm, err)
	}
}

func TestWriteIsAlwaysAFullJSONObject(t *testing.T) {
	for _, status := range []int{200, 500} {
		rec := httptest.NewRecorder()
		Write(rec, status)
		if rec.Code != status || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		var r map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if _, ok := r["Outputs"].(map[string]any); !ok || r["Logs"] == nil {
			t.Fatalf("result %s", rec.Body)
		}
		if _, ok := r["ReturnValue"]; !ok {
			t.Fatalf("no ReturnValue in %s", rec.Body)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, s := range []string{"", "[]", `{"Metadata":{}}`, "not json"} {
		if _, err := Decode(strings.NewReader(s)); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(serviceBusEnvelope)
	f.Add(`{"Data":{"msg":"eyJ2IjoxfQ=="},"Metadata":{"DeliveryCount":1}}`)
	f.Fuzz(func(t *testing.T, s string) {
		inv, err := Decode(strings.NewReader(s))
		if err != nil {
			return
		}
		for name := range inv.Data {
			inv.Bytes(name)
			inv.Timer(name)
		}
		inv.MetaInt("DeliveryCount")
	})
}
