// Package config reads the environment into a Config, in one place. A bad
// value stops start-up with an error that names the variable.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"amldsr/internal/catalog"
)

// Mode is how the binary runs.
type Mode string

const (
	Functions Mode = "functions" // FUNCTIONS_CUSTOMHANDLER_PORT is set
	Local     Mode = "local"     // the default
	Worker    Mode = "worker"    // `handler worker`
)

// Config is every setting of the binary.
type Config struct {
	Mode Mode
	// FunctionsPort is FUNCTIONS_CUSTOMHANDLER_PORT.
	FunctionsPort string
	Listen        string // DSR_LISTEN
	// PublicURL is DSR_PUBLIC_URL; in Functions mode, when unset,
	// https://$WEBSITE_HOSTNAME (see deploy.go).
	PublicURL string

	ServiceBusNamespace        string // ServiceBusConnection__fullyQualifiedNamespace
	ServiceBusConnectionString string // ServiceBusConnection
	// ServiceBusCredential and ServiceBusClientID are the trigger's
	// identity settings, which the handler's own client honours too (see
	// deploy.go).
	ServiceBusCredential string // ServiceBusConnection__credential
	ServiceBusClientID   string // ServiceBusConnection__clientId, else AZURE_CLIENT_ID
	Queue                string // DSR_QUEUE
	// HostStorage is the Functions host's own storage (AzureWebJobsStorage
	// by identity); the handler does not use it, only checks it.
	HostStorage string

	StorageURL              string // DSR_STORAGE_URL
	StorageConnectionString string // DSR_STORAGE_CONNECTION_STRING
	DataDir                 string // DSR_DATA_DIR
	Container               string // DSR_CONTAINER

	ClientID      string // AZURE_CLIENT_ID
	Endpoints     catalog.Endpoints
	TokenScope    string   // DSR_TOKEN_SCOPE
	AllowedScopes []string // DSR_ALLOWED_SCOPES
	// CallbackHosts (DSR_CALLBACK_HOSTS) are the host names a request's
	// callback may name (empty: callbacks refused); CallbackSecret
	// (DSR_CALLBACK_SECRET) signs what is posted. Never logged.
	CallbackHosts  []string
	CallbackSecret string
	// TestClockFile (DSR_TEST_CLOCK_FILE) is for tests only: a file holding
	// a Go duration added to the clock that standing orders run by.
	TestClockFile string

	// Beyond the contract: tuning, each with a default.
	Concurrency      int           // DSR_CONCURRENCY: steps at a time in local and worker mode
	SweepInterval    time.Duration // DSR_SWEEP_INTERVAL: the sweep's ticker in local and worker mode
	SweepSchedule    string        // DSR_SWEEP_SCHEDULE: the timer of the Functions app (NCRONTAB)
	RedriveAfter     time.Duration // DSR_REDRIVE_AFTER: when a pending step's message counts as lost
	SweepBudget      time.Duration // DSR_SWEEP_BUDGET: longest single sweep; the next resumes where it stopped
	StepTimeout      time.Duration // DSR_STEP_TIMEOUT: longest single step
	ReadsPerSecond   float64       // DSR_READS_PER_SECOND: pacing per subscription
	DeletesPerSecond float64       // DSR_DELETES_PER_SECOND
	LockDuration     time.Duration // DSR_LOCK_DURATION: the embedded queue's lock
	LogLevel         slog.Level    // DSR_LOG_LEVEL: debug, info, warn, error
	// MaxStepsPerRequest is DSR_MAX_STEPS_PER_REQUEST: a request that
	// starts more operations is stopped and ends failed (see ledger.Cap).
	MaxStepsPerRequest int

	MaxContentBytes     int64 // DSR_MAX_CONTENT_BYTES: largest artifact content fetched
	ContentAllowPrivate bool  // DSR_CONTENT_ALLOW_PRIVATE: fetch content from loopback, private, link-local addresses
	// OutageHold (DSR_OUTAGE_HOLD) is how long a step that failed on the
	// store or the queue is retried in place, with backoff, before its
	// message is released; GiveUpAfter (DSR_GIVE_UP_AFTER) how long the
	// sweep re-drives a step that was dead-lettered for such trouble before
	// it records it failed.
	OutageHold  time.Duration
	GiveUpAfter time.Duration
	// DueDays (DSR_DUE_DAYS, 1 to 365) sets a request's deadline: dueAt
	// is createdAt plus this many days. RetentionDays (DSR_RETENTION_DAYS,
	// 0 to 3650; 0 keeps for ever) is how long after completion the sweep
	// purges a request's exported documents and content.
	DueDays       int
	RetentionDays int
}

// Load reads the environment through getenv; args are the command-line
// arguments after the program name ("worker" selects worker mode).
func Load(getenv func(string) string, args []string) (Config, error) {
	p := parser{getenv: getenv}
	c := Config{
		Mode:                       Local,
		FunctionsPort:              getenv("FUNCTIONS_CUSTOMHANDLER_PORT"),
		Listen:                     p.str("DSR_LISTEN", "127.0.0.1:7071"),
		PublicURL:                  p.str("DSR_PUBLIC_URL", ""),
		ServiceBusNamespace:        getenv("ServiceBusConnection__fullyQualifiedNamespace"),
		ServiceBusConnectionString: getenv("ServiceBusConnection"),
		Queue:                      p.str("DSR_QUEUE", "dsr-work"),
		StorageURL:                 getenv("DSR_STORAGE_URL"),
		StorageConnectionString:    getenv("DSR_STORAGE_CONNECTION_STRING"),
		DataDir:                    p.str("DSR_DATA_DIR", "./.dsr-data"),
		Container:                  p.str("DSR_CONTAINER", "dsr"),
		ClientID:                   getenv("AZURE_CLIENT_ID"),
		Endpoints: catalog.Endpoints{
			ARM:             p.str("DSR_ARM_ENDPOINT", catalog.DefaultARM),
			ModelManagement: p.str("DSR_MODELMANAGEMENT_ENDPOINT", catalog.DefaultModelManagement),
			Experiments:     p.str("DSR_EXPERIMENTS_ENDPOINT", catalog.DefaultExperiments),
			AML:             p.str("DSR_AML_ENDPOINT", catalog.DefaultAML),
		},
		TokenScope:       p.str("DSR_TOKEN_SCOPE", "https://management.core.windows.net//.default"),
		AllowedScopes:    p.list("DSR_ALLOWED_SCOPES"),
		CallbackHosts:    p.list("DSR_CALLBACK_HOSTS"),
		CallbackSecret:   getenv("DSR_CALLBACK_SECRET"),
		TestClockFile:    getenv("DSR_TEST_CLOCK_FILE"),
		Concurrency:      p.integer("DSR_CONCURRENCY", 8, 1, 256),
		SweepInterval:    p.duration("DSR_SWEEP_INTERVAL", time.Minute),
		SweepSchedule:    p.str("DSR_SWEEP_SCHEDULE", "0 */5 * * * *"),
		RedriveAfter:     p.duration("DSR_REDRIVE_AFTER", 30*time.Minute),
		SweepBudget:      p.duration("DSR_SWEEP_BUDGET", 2*time.Minute),
		StepTimeout:      p.duration("DSR_STEP_TIMEOUT", 4*time.Minute),
		ReadsPerSecond:   p.float("DSR_READS_PER_SECOND", 20),
		DeletesPerSecond: p.float("DSR_DELETES_PER_SECOND", 8),
		LockDuration:     p.duration("DSR_LOCK_DURATION", time.Minute),
		LogLevel:         p.level("DSR_LOG_LEVEL"),

		MaxContentBytes:     p.int64("DSR_MAX_CONTENT_BYTES", 5<<30),
		ContentAllowPrivate: p.boolean("DSR_CONTENT_ALLOW_PRIVATE"),
		OutageHold:          p.duration("DSR_OUTAGE_HOLD", 5*time.Minute),
		GiveUpAfter:         p.duration("DSR_GIVE_UP_AFTER", 24*time.Hour),
	}
	c.MaxStepsPerRequest = p.integer("DSR_MAX_STEPS_PER_REQUEST", 1_000_000, 1, 1_000_000_000)
	c.DueDays = p.integer("DSR_DUE_DAYS", 30, 1, 365)
	c.RetentionDays = p.integer("DSR_RETENTION_DAYS", 0, 0, 3650)
	switch {
	case len(args) > 0 && args[0] == "worker":
		c.Mode = Worker
	case len(args) > 0:
		p.fail("arguments", fmt.Errorf("unknown command %q (the only command is \"worker\")", args[0]))
	case c.FunctionsPort != "":
		c.Mode = Functions
	}
	c.loadDeployment(&p)
	c.validate(&p)
	return c, errors.Join(p.errs...)
}

func (c *Config) validate(p *parser) {
	if err := c.Endpoints.Validate(); err != nil {
		p.errs = append(p.errs, err)
	}
	if c.FunctionsPort != "" {
		if n, err := strconv.Atoi(c.FunctionsPort); err != nil || n < 1 || n > 65535 {
			p.fail("FUNCTIONS_CUSTOMHANDLER_PORT", fmt.Errorf("%q is not a port number", c.FunctionsPort))
		}
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		p.fail("DSR_LISTEN", fmt.Errorf("%q is not host:port", c.Listen))
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			p.fail("DSR_PUBLIC_URL", fmt.Errorf("%q is not an absolute http(s) URL", c.PublicURL))
		}
	}
	if !strings.HasSuffix(c.TokenScope, "/.default") {
		p.fail("DSR_TOKEN_SCOPE", fmt.Errorf("%q must end in /.default", c.TokenScope))
	}
	for _, s := range c.AllowedScopes {
		if ref, err := catalog.ParseTarget(s); err != nil || ref.Path == "" {
			p.fail("DSR_ALLOWED_SCOPES", fmt.Errorf("%q is not an ARM scope: %v", s, err))
		}
	}
	if c.StorageURL != "" && c.StorageConnectionString != "" {
		p.fail("DSR_STORAGE_URL", errors.New("set DSR_STORAGE_URL or DSR_STORAGE_CONNECTION_STRING, not both"))
	}
	if c.ServiceBusNamespace != "" && c.ServiceBusConnectionString != "" {
		p.fail("ServiceBusConnection", errors.New("set ServiceBusConnection__fullyQualifiedNamespace or ServiceBusConnection, not both"))
	}
	if c.Mode != Local && !c.HasServiceBus() {
		p.fail("ServiceBusConnection__fullyQualifiedNamespace", fmt.Errorf("%s mode needs Service Bus", c.Mode))
	}
	if c.Mode != Local && !c.HasStorage() {
		p.fail("DSR_STORAGE_URL", fmt.Errorf("%s mode needs a storage account (DSR_STORAGE_URL or DSR_STORAGE_CONNECTION_STRING)", c.Mode))
	}
	if c.Container != strings.ToLower(c.Container) || len(c.Container) < 3 || len(c.Container) > 63 || strings.ContainsAny(c.Container, "/_. ") {
		p.fail("DSR_CONTAINER", fmt.Errorf("%q is not a container name (3 to 63 lower-case letters, digits and '-')", c.Container))
	}
}

// HasServiceBus reports whether a Service Bus is configured.
func (c Config) HasServiceBus() bool {
	return c.ServiceBusNamespace != "" || c.ServiceBusConnectionString != ""
}

// HasStorage reports whether a storage account is configured.
func (c Config) HasStorage() bool { return c.StorageURL != "" || c.StorageConnectionString != "" }

type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) fail(name string, err error) {
	p.errs = append(p.errs, fmt.Errorf("%s: %w", name, err))
}

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *parser) list(name string) []string {
	var out []string
	for _, s := range strings.Split(p.getenv(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) integer(name string, def, lo, hi int) int {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.fail(name, fmt.Errorf("%q is not a whole number from %d to %d", v, lo, hi))
		return def
	}
	return n
}

func (p *parser) int64(name string, def int64) int64 {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		p.fail(name, fmt.Errorf("%q is not a whole number of bytes of at least 1", v))
		return def
	}
	return n
}

func (p *parser) boolean(name string) bool {
	v := p.getenv(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, fmt.Errorf("%q is not true or false", v))
	}
	return b
}

func (p *parser) float(name string, def float64) float64 {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		p.fail(name, fmt.Errorf("%q is not a number of at least 0", v))
		return def
	}
	return f
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(name, fmt.Errorf("%q is not a positive duration such as 30s or 5m", v))
		return def
	}
	return d
}

func (p *parser) level(name string) slog.Level {
	var l slog.Level
	if v := p.getenv(name); v != "" {
		if err := l.UnmarshalText([]byte(v)); err != nil {
			p.fail(name, fmt.Errorf("%q is not debug, info, warn or error", v))
		}
	}
	return l
}
