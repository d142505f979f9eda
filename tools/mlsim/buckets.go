package main

import (
	"fmt"
	"strconv"
	"strings"

	"amldsr/tools/mlsim/sim"
)

// bucketsFlag is -arm-buckets: empty (off, the default), "arm" (ARM's
// limits), or class=burst/refill pairs separated by commas, e.g.
// "reads=20/10,deletes=20/10"; classes not named keep ARM's limits.
type bucketsFlag struct{ limits *sim.BucketLimits }

func (f *bucketsFlag) String() string {
	if f == nil || f.limits == nil {
		return ""
	}
	l := f.limits
	return fmt.Sprintf("reads=%g/%g,deletes=%g/%g,writes=%g/%g", l.ReadBurst, l.ReadRate, l.DeleteBurst, l.DeleteRate, l.WriteBurst, l.WriteRate)
}

func (f *bucketsFlag) Set(v string) error {
	v = strings.TrimSpace(v)
	if v == "" || v == "off" {
		f.limits = nil
		return nil
	}
	l := sim.DefaultBucketLimits()
	if v != "arm" && v != "on" {
		for _, part := range strings.Split(v, ",") {
			class, spec, ok := strings.Cut(part, "=")
			b, r, ok2 := strings.Cut(spec, "/")
			burst, err1 := strconv.ParseFloat(b, 64)
			rate, err2 := strconv.ParseFloat(r, 64)
			if !ok || !ok2 || err1 != nil || err2 != nil || burst < 1 || rate <= 0 {
				return fmt.Errorf("%q: want class=burst/refill with burst >= 1 and refill > 0", part)
			}
			switch strings.TrimSpace(class) {
			case "reads":
				l.ReadBurst, l.ReadRate = burst, rate
			case "deletes":
				l.DeleteBurst, l.DeleteRate = burst, rate
			case "writes":
				l.WriteBurst, l.WriteRate = burst, rate
			default:
				return fmt.Errorf("%q: the classes are reads, deletes and writes", class)
			}
		}
	}
	f.limits = &l
	return nil
}
