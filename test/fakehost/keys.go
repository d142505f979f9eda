package fakehost

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
)

// Keys are an app's keys as Azure keeps them: each function has its own
// key (the "default" entry of functions/<name>), and the host has keys of
// its own (host keys "default" and "_master") that open every function. A
// function's key opens that function only.
type Keys struct {
	// Functions maps a function's name to its key.
	Functions map[string]string
	// Host maps a host key's name ("default", "_master") to its value.
	Host map[string]string
}

// newKeys gives every function of app a key and the host its "default"
// and "_master" keys; hostDefault, when set, is the "default" host key.
func newKeys(app *App, hostDefault string) Keys {
	k := Keys{Functions: map[string]string{}, Host: map[string]string{"default": hostDefault, "_master": randomKey()}}
	if hostDefault == "" {
		k.Host["default"] = randomKey()
	}
	for name := range app.Functions {
		k.Functions[name] = randomKey()
	}
	return k
}

// Allows reports whether r carries a key that opens function fn: that
// function's key or a host key, in the code query parameter or the
// x-functions-key header.
func (k Keys) Allows(fn string, r *http.Request) bool {
	given := r.URL.Query().Get("code")
	if given == "" {
		given = r.Header.Get("x-functions-key")
	}
	if given == "" {
		return false
	}
	if v, ok := k.Functions[fn]; ok && v == given {
		return true
	}
	for _, v := range k.Host {
		if v == given {
			return true
		}
	}
	return false
}

// randomKey is a key shaped like Azure's: 40 random bytes, URL-safe base64.
func randomKey() string {
	b := make([]byte, 40)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
