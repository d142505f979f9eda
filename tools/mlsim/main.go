// Command mlsim serves a simulator of the Azure Machine Learning endpoints
// amldsr knows, over HTTPS with a self-signed CA. See README.md.
//
//	go run ./tools/mlsim -addr 127.0.0.1:0 -ca-out /tmp/mlsim-ca.pem -url-out /tmp/mlsim-url
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"amldsr/tools/mlsim/sim"
)

// config is the command line.
type config struct {
	addr, caOut, urlOut string
	opts                sim.Options
	buckets             bucketsFlag // -arm-buckets (buckets.go)
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "mlsim:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mlsim:", err)
		os.Exit(1)
	}
}

// parseFlags reads the flags of README.md, "Running".
func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("mlsim", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8443", "listen address (:0 picks a free port)")
	fs.StringVar(&c.caOut, "ca-out", "./.mlsim/ca.pem", "where the CA certificate (PEM) is written")
	fs.StringVar(&c.urlOut, "url-out", "", "file that receives the base URL once listening")
	fs.Int64Var(&c.opts.Seed, "seed", 1, "seed of the deterministic data set")
	fs.IntVar(&c.opts.Scale, "scale", 1, "multiplies the per-container counts of the data set")
	fs.IntVar(&c.opts.PageSize, "page-size", sim.DefaultPageSize, "items per page on every list")
	fs.DurationVar(&c.opts.Latency, "latency", 0, "added to every call")
	fs.Float64Var(&c.opts.P429, "p429", 0, "fraction of authenticated calls answered 429")
	fs.Float64Var(&c.opts.P503, "p503", 0, "fraction of authenticated calls answered 503")
	fs.IntVar(&c.opts.RetryAfter, "retry-after", sim.DefaultRetryAfter, "seconds in Retry-After of injected 429s")
	polls := fs.Int("lro-polls", sim.DefaultLROPolls, "polls of a long-running delete answered in progress")
	fs.StringVar(&c.opts.LROFailOnce, "lro-fail-once", "", "error code with which the first long-running delete of each resource ends Failed")
	fs.StringVar(&c.opts.Audience, "audience", sim.DefaultAudience, "the only token audience accepted")
	fs.StringVar(&c.opts.IdentityHeader, "identity-header", sim.DefaultIdentityHeader, "X-IDENTITY-HEADER value required by /msi/token")
	fs.BoolVar(&c.opts.OffsetPaging, "offset-paging", false, "continuation tokens are offsets: deletes between pages make lists skip items")
	fs.IntVar(&c.opts.Appear, "appear", 0, "how many items appear while deletes run (a sibling per delete of a model, project or job)")
	fs.Var(&c.buckets, "arm-buckets", `enforce ARM's buckets per subscription on /arm: "arm" (reads 250/25 per s, deletes and writes 200/10) or e.g. "reads=20/10,deletes=20/10"; empty: off`)
	fs.BoolVar(&c.opts.PlantSecrets, "plant-secrets", false, "put a distinct planted-secret-... credential in every document")
	fs.StringVar(&c.opts.Scenario, "scenario", "", `adds to the data set: "people" (mixed ownership of alice, bob and carol; GET /_sim/truth)`)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.opts.Scale < 1:
		return c, errors.New("-scale must be at least 1")
	case c.opts.PageSize < 1:
		return c, errors.New("-page-size must be at least 1")
	case c.opts.P429 < 0 || c.opts.P503 < 0 || c.opts.P429+c.opts.P503 > 1:
		return c, errors.New("-p429 and -p503 must be fractions whose sum is at most 1")
	case c.opts.RetryAfter < 1:
		return c, errors.New("-retry-after must be at least 1")
	case c.opts.Appear < 0:
		return c, errors.New("-appear must not be negative")
	case *polls < 0:
		return c, errors.New("-lro-polls must not be negative")
	case c.opts.Scenario != "" && c.opts.Scenario != sim.ScenarioPeople:
		return c, fmt.Errorf("-scenario %q: the only scenario is %q", c.opts.Scenario, sim.ScenarioPeople)
	}
	c.opts.LROPolls = *polls
	if *polls == 0 {
		c.opts.LROPolls = -1 // Options: negative means none, zero the default
	}
	return c, nil
}

// run serves until ctx is done (SIGINT or SIGTERM in main), then shuts down
// gracefully. It announces the base URL on stdout once listening.
func run(ctx context.Context, c config, stdout io.Writer) error {
	caPEM, tlsCfg, err := sim.NewCA()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	base := baseURL(ln.Addr().(*net.TCPAddr))
	s := sim.New(c.opts)
	s.SetBaseURL(base)
	if c.buckets.limits != nil {
		s.SetARMBuckets(c.buckets.limits, nil)
	}
	if err := writeAtomic(c.caOut, caPEM); err != nil {
		ln.Close()
		return err
	}
	if c.urlOut != "" {
		if err := writeAtomic(c.urlOut, []byte(base+"\n")); err != nil {
			ln.Close()
			return err
		}
	}
	srv := &http.Server{Handler: s.Handler(), TLSConfig: tlsCfg, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	fmt.Fprintln(stdout, "mlsim listening on "+base)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// baseURL is https://host:port for a listening address; unspecified and
// IPv4 addresses are reached at 127.0.0.1, IPv6 loopback at [::1].
func baseURL(a *net.TCPAddr) string {
	host := "127.0.0.1"
	if a.IP.To4() == nil && a.IP.IsLoopback() {
		host = "::1"
	}
	return "https://" + net.JoinHostPort(host, fmt.Sprint(a.Port))
}

// writeAtomic writes data to path through a temporary file in the same
// directory and a rename, creating the directory when needed.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
