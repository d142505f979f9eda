package dsr

import (
	"net/url"
	"slices"
	"strings"
)

// MaxCallbackURL bounds the length of a callback URL.
const MaxCallbackURL = 2048

// CallbackPolicy is what the deployment allows of callbacks: the hosts a
// callback may name (DSR_CALLBACK_HOSTS) and whether a signing secret
// (DSR_CALLBACK_SECRET) is configured.
type CallbackPolicy struct {
	Hosts     []string
	HasSecret bool
}

// validateCallbackURL checks the form of a callback: an absolute https URL
// with a host, without user information or a fragment. Whether its host
// is allowed is CheckCallback's.
func validateCallbackURL(raw string) ValidationError {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case len(raw) > MaxCallbackURL:
		return ValidationError{{Field: "callback", Message: "must be at most 2048 characters"}}
	case err != nil || !u.IsAbs() || u.Hostname() == "":
		return ValidationError{{Field: "callback", Message: "must be an absolute https URL"}}
	case u.Scheme != "https":
		return ValidationError{{Field: "callback", Message: "must be an https URL"}}
	case u.User != nil || u.Fragment != "":
		return ValidationError{{Field: "callback", Message: "must not carry user information or a fragment"}}
	}
	return nil
}

// CheckCallback checks the request's callback against the deployment's
// policy: callbacks configured (DSR_CALLBACK_HOSTS), a secret to sign
// with (DSR_CALLBACK_SECRET), and the URL's host listed. No callback is
// always fine. Each error names the setting or the field.
func (r Request) CheckCallback(p CallbackPolicy) ValidationError {
	if r.Callback == "" {
		return nil
	}
	if errs := validateCallbackURL(r.Callback); errs != nil {
		return errs
	}
	switch {
	case len(p.Hosts) == 0:
		return ValidationError{{Field: "callback", Message: "callbacks are not enabled here: DSR_CALLBACK_HOSTS is empty"}}
	case !p.HasSecret:
		return ValidationError{{Field: "callback", Message: "callbacks are not enabled here: DSR_CALLBACK_SECRET is not set"}}
	case !CallbackHostAllowed(r.Callback, p.Hosts):
		return ValidationError{{Field: "callback", Message: "the host is not in DSR_CALLBACK_HOSTS"}}
	}
	return nil
}

// CallbackHostAllowed reports whether raw is an https URL whose host name
// (without port) is one of hosts, compared without regard to case.
func CallbackHostAllowed(raw string, hosts []string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return false
	}
	h := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	return h != "" && slices.ContainsFunc(hosts, func(a string) bool { return strings.EqualFold(strings.TrimSpace(a), h) })
}

// WithoutQuery is raw without its query and fragment: what may be stored
// with the request and logged (a Logic App's callback URL carries its
// credential, sig=, in the query).
func WithoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment, u.User = "", false, "", "", nil
	return u.String()
}
