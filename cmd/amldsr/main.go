// Command amldsr is the command-line client of amldsr's HTTP API v1, for
// people and scripts:
//
//	amldsr submit export|delete --target ID... [--subject-object-id G] [--upn U]
//	       [--display-name N] [--match all|subject] [--dry-run] [--request-id ID] [--wait]
//	amldsr status ID
//	amldsr results ID
//	amldsr fetch ID --out DIR [--from-dir .dsr-data | --blob-url URL | --connection-string CS] [--container dsr]
//	amldsr verify DIR | amldsr verify ID --blob-url URL | --connection-string CS [--container dsr]
//
// The API's base URL comes from --url or AMLDSR_URL (default
// http://127.0.0.1:7071), its function key from --key or AMLDSR_KEY, sent
// as x-functions-key and only to the base URL's origin.
//
// Exit status: 0 done (a waited request succeeded, a bundle verified), 1 the
// answer is bad news (a request failed, a bundle has problems), 2 the
// command could not do its job (usage, network, an API error).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

// Exit statuses.
const (
	exitOK       = 0
	exitProblems = 1
	exitError    = 2
)

// env is the process environment, a function for tests.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// terminal reports whether stdout is a terminal (progress bar or lines).
	terminal bool
	// after waits between polls (time.After).
	after func(time.Duration) <-chan time.Time
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, terminal: isTerminal(os.Stdout), after: time.After}
	os.Exit(run(ctx, e, os.Args[1:]))
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

const usage = `usage: amldsr <command> [flags]

commands:
  submit export|delete --target ID...  submit a data-subject request (--wait to follow it)
  status ID                            print a request's status document
  results ID                           print every result record, one JSON line each
  fetch ID --out DIR                   copy a request's bundle from the local store or a Blob container
  verify DIR | verify ID --blob-url U  check a bundle against its manifest

every command takes --url (AMLDSR_URL) and --key (AMLDSR_KEY); "amldsr <command> -h" lists its flags
`

// errUsage is a usage mistake already explained on stderr.
var errUsage = errors.New("usage")

func run(ctx context.Context, e env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stderr, usage)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	cmds := map[string]func(context.Context, env, []string) (int, error){
		"submit": submit, "status": status, "results": results, "fetch": fetch, "verify": verify,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "amldsr: unknown command %q\n\n%s", args[0], usage)
		return exitError
	}
	code, err := cmd(ctx, e, args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitError
	case err != nil:
		fmt.Fprintf(e.stderr, "amldsr %s: %s\n", args[0], indent(err.Error()))
		return exitError
	}
	return code
}

// indent keeps a multi-line message readable under its first line.
func indent(s string) string { return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") }

// flags is a command's flag set with the API flags every command takes.
type flags struct {
	*flag.FlagSet
	url, key *string
}

func newFlags(e env, name, synopsis string) *flags {
	fs := flag.NewFlagSet("amldsr "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: amldsr %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	base := e.getenv("AMLDSR_URL")
	if base == "" {
		base = "http://127.0.0.1:7071"
	}
	return &flags{
		FlagSet: fs,
		url:     fs.String("url", base, "base URL of the amldsr API (AMLDSR_URL)"),
		key:     fs.String("key", e.getenv("AMLDSR_KEY"), "function key, sent as x-functions-key (AMLDSR_KEY)"),
	}
}

// parse parses flags and positional arguments in any order ("status ID
// --url U" as well as "status --url U ID") and checks the number of
// positional arguments.
func (f *flags) parse(args []string, minArgs, maxArgs int) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) < minArgs || (maxArgs >= 0 && len(pos) > maxArgs) {
		f.Usage()
		return nil, errUsage
	}
	return pos, nil
}

func (f *flags) client() (*client, error) { return newClient(*f.url, *f.key) }

// multi is a flag that may be given several times.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
