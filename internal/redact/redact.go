// Package redact removes credentials from JSON documents before they are
// exported (ARCHITECTURE.md, "Exported documents hold no credentials").
//
// The rules are generic: they look at property names and the objects
// around them, never at the kind of document, so a credential in a kind
// nobody thought of is removed all the same. TestEverySpecSecretIsRemoved
// checks them against every property the official specs mark x-ms-secret.
package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// secretNames hold a secret wherever they appear (compared in lower case).
var secretNames = map[string]bool{
	"accesskey": true, "primarykey": true, "secondarykey": true, "primaryaccesskey": true, "secondaryaccesskey": true,
	"secretaccesskey": true, "accountkey": true, "storageaccountkey": true, "sharedaccesskey": true, "masterkey": true,
	"userstoragekey": true, "appinsightsinstrumentationkey": true, "instrumentationkey": true, "keys": true,
	"password": true, "passwords": true, "adminuserpassword": true, "secret": true, "secrets": true, "clientsecret": true,
	"apikey": true, "sastoken": true, "sasuri": true, "connectionstring": true,
	"accesstoken": true, "refreshtoken": true, "securitytoken": true, "developertoken": true,
	"privatekey": true, "privatekeydata": true, "publickeydata": true, "adminusersshpublickey": true,
}

// secretSuffixes: a name that ends with one of them holds a secret too
// (adminPassword, storageConnectionString, ...).
var secretSuffixes = []string{"password", "secret", "connectionstring", "apikey", "accesskey", "sastoken", "privatekey",
	"accesstoken", "refreshtoken"}

// In credentials (an object under a name that says so), in a certificate
// or TLS configuration, and in a connection's properties (an object with an
// authType), these names hold a secret as well.
var (
	credentialNames = map[string]bool{"token": true, "key": true, "pat": true, "sas": true, "value": true, "cert": true}
	tlsNames        = map[string]bool{"key": true, "cert": true}
	connectionNames = map[string]bool{"credentials": true, "value": true}
)

// sigRE finds a SAS signature parameter in a URL, wherever the URL is.
var sigRE = regexp.MustCompile(`(?i)[?&]sig=[^&#\s"'<>]*`)

// Document returns doc without its credentials, and the JSON paths of what
// it removed, in document order: a removed property as
// "properties.storageAccount.accessKey" (array elements as "[0]", odd names
// as ["a.b"], the document itself as "$"), a SAS signature stripped from a
// URL as the path of the string followed by "?sig". A document with nothing
// to remove comes back byte for byte; otherwise it is re-encoded compactly,
// keeping the order of keys, the text of numbers and every other value.
// A document that is not exactly one JSON value is an error: what cannot be
// read cannot be checked.
func Document(doc []byte) ([]byte, []string, error) {
	root, err := parse(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("the document is not JSON: %w", err)
	}
	var r redactor
	r.value(root, "", "")
	if len(r.removed) == 0 {
		return doc, nil, nil
	}
	var buf bytes.Buffer
	if err := write(&buf, root); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), slices.Compact(r.removed), nil
}

// node is a JSON value that keeps the order of an object's keys (and
// duplicates) and the text of numbers.
type node struct {
	members []member // object
	items   []*node  // array
	str     string   // string
	lit     string   // number, true, false, null
	kind    byte     // '{', '[', '"' or 0 for a literal
}

type member struct {
	key string
	val *node
	cut bool // removed
}

func parse(doc []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	n, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the document")
	}
	return n, nil
}

func parseValue(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return parseObject(dec)
		}
		return parseArray(dec)
	case string:
		return &node{kind: '"', str: t}, nil
	case json.Number:
		return &node{lit: t.String()}, nil
	case bool:
		return &node{lit: strconv.FormatBool(t)}, nil
	default:
		return &node{lit: "null"}, nil
	}
}

func parseObject(dec *json.Decoder) (*node, error) {
	n := &node{kind: '{'}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		v, err := parseValue(dec)
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, member{key: tok.(string), val: v})
	}
	_, err := dec.Token() // '}'
	return n, err
}

func parseArray(dec *json.Decoder) (*node, error) {
	n := &node{kind: '['}
	for dec.More() {
		v, err := parseValue(dec)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
	}
	_, err := dec.Token() // ']'
	return n, err
}

// redactor walks a document and marks what it removes.
type redactor struct{ removed []string }

// value redacts n, found at path under the property named name.
func (r *redactor) value(n *node, path, name string) {
	switch n.kind {
	case '{':
		r.object(n, path, name)
	case '[':
		for i, it := range n.items {
			r.value(it, path+"["+strconv.Itoa(i)+"]", name)
		}
	case '"':
		if s := stripSig(n.str); s != n.str {
			n.str = s
			r.removed = append(r.removed, show(path)+"?sig")
		}
	}
}

func (r *redactor) object(n *node, path, name string) {
	keys := map[string]bool{}
	for _, m := range n.members {
		keys[strings.ToLower(m.key)] = true
	}
	ctx := context{
		credentials: strings.Contains(strings.ToLower(name), "credential"),
		tls:         isTLS(name) || keys["cert"] && keys["key"],
		connection:  keys["authtype"],
	}
	for i := range n.members {
		m := &n.members[i]
		p := join(path, m.key)
		if ctx.secret(m.key, m.val) {
			m.cut = true
			r.removed = append(r.removed, p)
			continue
		}
		r.value(m.val, p, m.key)
	}
}

// context is what an object's surroundings say about its properties.
type context struct{ credentials, tls, connection bool }

// secret reports whether the property key (with value v) holds a secret.
func (c context) secret(key string, v *node) bool {
	k := strings.ToLower(key)
	switch {
	case secretNames[k],
		c.credentials && credentialNames[k],
		c.tls && tlsNames[k],
		c.connection && connectionNames[k],
		(k == "credential" || k == "credentials") && v.kind == '"':
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

func isTLS(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "ssl") || strings.Contains(n, "tls") || strings.Contains(n, "cert")
}

// stripSig removes every sig parameter from the URLs in s, keeping the
// rest of each URL.
func stripSig(s string) string {
	for {
		loc := sigRE.FindStringIndex(s)
		if loc == nil {
			return s
		}
		i, j := loc[0], loc[1]
		switch {
		case s[i] == '&':
			s = s[:i] + s[j:]
		case j < len(s) && s[j] == '&': // ?sig=x&b=2 -> ?b=2
			s = s[:i+1] + s[j+1:]
		default: // ?sig=x at the end of the query
			s = s[:i] + s[j:]
		}
	}
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_$@-]+$`)

func join(path, key string) string {
	if !plainKey.MatchString(key) {
		b, _ := json.Marshal(key)
		return path + "[" + string(b) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func show(path string) string {
	if path == "" {
		return "$"
	}
	return path
}

// write encodes n compactly, leaving out removed members.
func write(buf *bytes.Buffer, n *node) error {
	switch n.kind {
	case '{':
		buf.WriteByte('{')
		first := true
		for _, m := range n.members {
			if m.cut {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			writeString(buf, m.key)
			buf.WriteByte(':')
			if err := write(buf, m.val); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case '[':
		buf.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := write(buf, it); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case '"':
		writeString(buf, n.str)
	default:
		buf.WriteString(n.lit)
	}
	return nil
}

// writeString encodes s as JSON without escaping <, > and &.
func writeString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode's newline
}
