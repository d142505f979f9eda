package main

import (
	"fmt"

	"github.com/schollz/progressbar/v3"
)

// progress shows a request's steps done out of discovered: a bar on a
// terminal, a plain line per change otherwise (a log, a pipe, CI).
type progress struct {
	e    env
	bar  *progressbar.ProgressBar
	last string
}

func newProgress(e env) *progress { return &progress{e: e} }

func (p *progress) show(st *statusDoc) {
	if !p.e.terminal {
		line := fmt.Sprintf("%s %s: %d of %d steps done (%d succeeded, %d failed, %d skipped)", st.RequestID, st.State,
			st.done(), st.Counts.Discovered, st.Counts.Succeeded, st.Counts.Failed, st.Counts.Skipped)
		if line != p.last {
			fmt.Fprintln(p.e.stdout, line)
			p.last = line
		}
		return
	}
	total := int64(max(st.Counts.Discovered, 1))
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(p.e.stdout),
			progressbar.OptionSetDescription(st.RequestID),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.e.stdout) }),
		)
	}
	if p.bar.GetMax64() != total {
		p.bar.ChangeMax64(total)
	}
	p.bar.Describe(fmt.Sprintf("%s %s", st.RequestID, st.State))
	done := int64(st.done())
	if !st.terminal() && done >= total { // a bar at its end finishes: not before the request does
		done = total - 1
	}
	p.bar.Set64(done)
}

func (p *progress) close() {
	if p.bar != nil && !p.bar.IsFinished() {
		p.bar.Exit()
		fmt.Fprintln(p.e.stdout)
	}
}
