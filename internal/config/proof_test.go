package config

import (
	"strings"
	"testing"
)

// TestDueAndRetentionDays: DSR_DUE_DAYS defaults to 30 and takes 1 to 365;
// DSR_RETENTION_DAYS defaults to 0 (keep for ever) and takes 0 to 3650.
func TestDueAndRetentionDays(t *testing.T) {
	c, err := Load(env(nil), nil)
	if err != nil || c.DueDays != 30 || c.RetentionDays != 0 {
		t.Fatalf("defaults: %d %d %v", c.DueDays, c.RetentionDays, err)
	}
	c, err = Load(env(map[string]string{"DSR_DUE_DAYS": "365", "DSR_RETENTION_DAYS": "90"}), nil)
	if err != nil || c.DueDays != 365 || c.RetentionDays != 90 {
		t.Fatalf("set: %d %d %v", c.DueDays, c.RetentionDays, err)
	}
	for _, kv := range []map[string]string{
		{"DSR_DUE_DAYS": "0"}, {"DSR_DUE_DAYS": "366"}, {"DSR_DUE_DAYS": "a month"},
		{"DSR_RETENTION_DAYS": "-1"}, {"DSR_RETENTION_DAYS": "3651"}, {"DSR_RETENTION_DAYS": "30d"},
	} {
		for name := range kv {
			if _, err := Load(env(kv), nil); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%v: %v", kv, err)
			}
		}
	}
}
