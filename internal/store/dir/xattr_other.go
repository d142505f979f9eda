//go:build !linux

package dir

import "errors"

func setXattr(string, map[string]string) error  { return errors.ErrUnsupported }
func getXattr(string) (map[string]string, bool) { return nil, false }
func probeXattr(string) bool                    { return false }
