package worker

import (
	"context"
	"testing"

	"amldsr/internal/azureapi"
	"amldsr/internal/dsr"
	"amldsr/internal/metrics"
	"amldsr/internal/metrics/metricstest"
)

// Every step that ends is counted by kind and outcome, with its latency,
// and a rescheduled step is counted as a reschedule.
func TestStepsAreCounted(t *testing.T) {
	rc := metricstest.Start(t)
	b := setup(t, dsr.Export)
	ctx := context.Background()
	b.api.docs[wsPath] = `{"id":"` + wsPath + `","name":"w1"}`
	ok := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.workspace", Path: wsPath, Loc: "eastus"}
	ok.Op = ok.Key()
	gone := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.workspace", Path: accPath + "/workspaces/w2", Loc: "eastus"}
	gone.Op = gone.Key()
	for _, s := range []Step{ok, gone} {
		if err := deliver(ctx, b, s); err != nil {
			t.Fatal(err)
		}
	}
	throttled := Step{Kind: KindExport, RequestID: "r1", Mode: dsr.Export, Res: "exp.workspace", Path: accPath + "/workspaces/w3", Loc: "eastus"}
	throttled.Op = throttled.Key()
	b.api.err = &azureapi.Error{Class: azureapi.Throttled, Status: 429}
	if err := deliver(ctx, b, throttled); err != nil {
		t.Fatal(err)
	}
	got := rc.Points(t)
	steps := got[metrics.StepsName]
	if steps["kind=export,outcome=succeeded"] != 1 || steps["kind=export,outcome=rescheduled"] != 1 {
		t.Errorf("%s: %v; want one export succeeded and one rescheduled", metrics.StepsName, steps)
	}
	if got[metrics.StepDuration]["kind=export,outcome=succeeded"] != 1 {
		t.Errorf("%s: %v", metrics.StepDuration, got[metrics.StepDuration])
	}
	if got[metrics.RescheduledName]["kind=export"] != 1 {
		t.Errorf("%s: %v", metrics.RescheduledName, got[metrics.RescheduledName])
	}
	total := 0.0
	for _, v := range steps {
		total += v
	}
	if total != 3 {
		t.Errorf("%v steps counted, want 3: %v", total, steps)
	}
}
