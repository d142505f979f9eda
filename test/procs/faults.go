package procs

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// SetFaults posts body to the simulator's /_sim/faults (see its README).
// It returns an error rather than failing the test, so that it can run
// outside the test's goroutine.
func (s *Sim) SetFaults(body string) error {
	resp, err := s.client.Post(s.URL+"/_sim/faults", "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /_sim/faults %s: %d %s", body, resp.StatusCode, b)
	}
	return nil
}
