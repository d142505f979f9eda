package sim_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"amldsr/tools/mlsim/sim"
)

// try performs an authenticated call without touching testing.T (safe in
// goroutines), returning the status and body.
func (e *env) try(method, target string) (int, []byte, http.Header, error) {
	if !strings.HasPrefix(target, "https://") {
		target = e.ts.URL + target
	}
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

// TestConcurrentCalls runs lists, deletes and polls in parallel (meaningful
// under -race) and checks their outcomes and that the log stays ordered.
func TestConcurrentCalls(t *testing.T) {
	e := seeded(t, sim.Options{PageSize: 3, LROPolls: 1})
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.concurrentStep(i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	log := e.srv.Log(0)
	for i := 1; i < len(log); i++ {
		if log[i].Seq != log[i-1].Seq+1 {
			t.Fatalf("log seq %d after %d", log[i].Seq, log[i-1].Seq)
		}
	}
	wantStatus(t, e.get("/arm"+expProj2+"?"+apiExp), http.StatusNotFound, "deleted project")
	wantStatus(t, e.get("/arm"+clusters+"/opcluster-02?"+apiMLC), http.StatusNotFound, "deleted cluster")
}

// concurrentStep is one goroutine's work in TestConcurrentCalls.
func (e *env) concurrentStep(i int) error {
	switch i % 3 {
	case 0: // page through runs of a project nobody deletes
		next, n := hist+"/runs", 0
		for next != "" {
			status, body, _, err := e.try(http.MethodGet, next)
			if err != nil || status != http.StatusOK {
				return fmt.Errorf("runs page: %d %v", status, err)
			}
			var p page
			if err := json.Unmarshal(body, &p); err != nil {
				return err
			}
			n += len(p.Value)
			next = p.NextLink
		}
		if n != 10 {
			return fmt.Errorf("listed %d runs, want 10", n)
		}
	case 1: // delete a project (200 once, 204 after)
		status, _, _, err := e.try(http.MethodDelete, "/arm"+expProj2+"?"+apiExp)
		if err != nil || (status != http.StatusOK && status != http.StatusNoContent) {
			return fmt.Errorf("project delete: %d %v", status, err)
		}
	default: // delete a cluster and poll it to the end
		status, _, hdr, err := e.try(http.MethodDelete, "/arm"+clusters+"/opcluster-02?"+apiMLC)
		if err != nil || (status != http.StatusAccepted && status != http.StatusNoContent) {
			return fmt.Errorf("cluster delete: %d %v", status, err)
		}
		for status == http.StatusAccepted {
			if status, _, _, err = e.try(http.MethodGet, hdr.Get("Location")); err != nil {
				return err
			}
		}
		if status != http.StatusOK && status != http.StatusNoContent {
			return fmt.Errorf("cluster poll: %d", status)
		}
	}
	return nil
}
