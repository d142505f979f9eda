// Package fakehost is a test host that does what the Azure Functions host
// does for a custom handler (../shared/reference/functions-host-contract.md
// §8): it reads host.json and every function.json, starts the handler with
// the host's environment, waits for GET / every 25 ms, checks function keys
// and forwards HTTP, receives from Service Bus and posts invocation
// envelopes built as the host builds them, completes on a 2xx JSON answer
// and abandons otherwise, fires the timer, and kills and restarts the
// handler when an invocation passes the function timeout.
package fakehost

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// App is a Functions app as the host reads it from its script root.
type App struct {
	Root      string
	Host      HostJSON
	Functions map[string]Function
}

// HostJSON is the part of host.json the test host honours.
type HostJSON struct {
	Version       string `json:"version"`
	CustomHandler struct {
		Description struct {
			DefaultExecutablePath string   `json:"defaultExecutablePath"`
			WorkingDirectory      string   `json:"workingDirectory"`
			Arguments             []string `json:"arguments"`
		} `json:"description"`
		EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
	} `json:"customHandler"`
	ExtensionBundle struct{ ID, Version string } `json:"extensionBundle"`
	FunctionTimeout string                       `json:"functionTimeout"`
	Extensions      struct {
		HTTP struct {
			RoutePrefix *string `json:"routePrefix"`
		} `json:"http"`
		ServiceBus struct {
			AutoCompleteMessages       *bool  `json:"autoCompleteMessages"`
			MaxConcurrentCalls         int    `json:"maxConcurrentCalls"`
			MaxAutoLockRenewalDuration string `json:"maxAutoLockRenewalDuration"`
		} `json:"serviceBus"`
	} `json:"extensions"`
}

// Binding is one binding of a function.json.
type Binding struct {
	Type        string   `json:"type"`
	Direction   string   `json:"direction"`
	Name        string   `json:"name"`
	AuthLevel   string   `json:"authLevel"`
	Methods     []string `json:"methods"`
	Route       string   `json:"route"`
	QueueName   string   `json:"queueName"`
	Connection  string   `json:"connection"`
	Cardinality string   `json:"cardinality"`
	DataType    string   `json:"dataType"`
	Schedule    string   `json:"schedule"`
	UseMonitor  *bool    `json:"useMonitor"`
}

// Function is one function folder.
type Function struct {
	Name     string
	Bindings []Binding `json:"bindings"`
}

// Trigger returns the function's trigger binding.
func (f Function) Trigger() Binding {
	for _, b := range f.Bindings {
		if strings.HasSuffix(b.Type, "Trigger") {
			return b
		}
	}
	return Binding{}
}

// forwarded reports whether the host forwards this function's HTTP calls:
// exactly one httpTrigger in and one http out, with the flag on.
func (a *App) forwarded(f Function) bool {
	if !a.Host.CustomHandler.EnableForwardingHTTPRequest || len(f.Bindings) != 2 {
		return false
	}
	return f.Bindings[0].Type == "httpTrigger" && f.Bindings[1].Type == "http" && f.Bindings[1].Direction == "out"
}

// LoadApp reads host.json and the top-level function folders of root; the
// host ignores anything deeper.
func LoadApp(root string) (*App, error) {
	a := &App{Root: root, Functions: map[string]Function{}}
	b, err := os.ReadFile(filepath.Join(root, "host.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &a.Host); err != nil {
		return nil, fmt.Errorf("host.json: %w", err)
	}
	if a.Host.CustomHandler.Description.DefaultExecutablePath == "" {
		return nil, fmt.Errorf("host.json: WorkerDescription DefaultExecutablePath cannot be empty")
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		fb, err := os.ReadFile(filepath.Join(root, e.Name(), "function.json"))
		if !e.IsDir() || err != nil {
			continue
		}
		f := Function{Name: e.Name()}
		if err := json.Unmarshal(fb, &f); err != nil {
			return nil, fmt.Errorf("%s/function.json: %w", e.Name(), err)
		}
		a.Functions[f.Name] = f
	}
	return a, nil
}

// timeout is functionTimeout (hh:mm:ss), default 30 minutes.
func (a *App) timeout() time.Duration {
	if d, ok := parseTimeSpan(a.Host.FunctionTimeout); ok {
		return d
	}
	return 30 * time.Minute
}

func parseTimeSpan(s string) (time.Duration, bool) {
	var h, m int
	var sec float64
	if _, err := fmt.Sscanf(s, "%d:%d:%f", &h, &m, &sec); err != nil {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec*float64(time.Second)), true
}

var settingRE = regexp.MustCompile(`%([A-Za-z0-9_]+)%`)

// resolve expands %SETTING% from the app settings, as binding
// expressions do; an unknown setting is an error at start-up.
func resolve(s string, settings map[string]string) (string, error) {
	var missing string
	out := settingRE.ReplaceAllStringFunc(s, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := settings[name]
		if !ok {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("the app setting %s referenced by a binding is not set", missing)
	}
	return out, nil
}
