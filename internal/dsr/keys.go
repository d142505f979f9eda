package dsr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode"
)

// requestType is the shape a request body is scanned against.
var requestType = reflect.TypeFor[Request]()

// scanKeys walks the JSON tokens of body and rejects, at every level, a
// key that repeats another key of its object or differs from one only in
// case, and a key that differs only in case from the name of the field of t
// it would fill. encoding/json matches keys without case and lets the last
// duplicate win, so without this `{"dryRun":true,"DRYRUN":false}` would be
// a delete. A ValidationError lists the offending keys; any other error is
// malformed JSON, which the decoder reports in its own words.
func scanKeys(body []byte, t reflect.Type) error {
	s := keyScanner{dec: json.NewDecoder(bytes.NewReader(body))}
	s.dec.UseNumber()
	if err := s.value("", t); err != nil {
		return err
	}
	if len(s.errs) > 0 {
		return s.errs
	}
	return nil
}

type keyScanner struct {
	dec  *json.Decoder
	errs ValidationError
}

// value reads one JSON value at path; t is the Go type it fills (nil when
// unknown).
func (s *keyScanner) value(path string, t reflect.Type) error {
	tok, err := s.dec.Token()
	if err != nil {
		return err
	}
	t = deref(t)
	switch tok {
	case json.Delim('{'):
		return s.object(path, t)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; s.dec.More(); i++ {
			if err := s.value(fmt.Sprintf("%s[%d]", path, i), elem); err != nil {
				return err
			}
		}
		_, err = s.dec.Token() // ']'
		return err
	}
	return nil
}

func (s *keyScanner) object(path string, t reflect.Type) error {
	names := fieldNames(t)
	seen := map[string]string{} // folded key -> first spelling
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		field := key
		if path != "" {
			field = path + "." + key
		}
		folded := foldKey(key)
		name, known := names[folded]
		switch prev, dup := seen[folded]; {
		case dup && prev == key:
			s.add(field, fmt.Sprintf("the key %q appears more than once", key))
		case dup:
			s.add(field, fmt.Sprintf("the keys %q and %q differ only in case; give the field once", prev, key))
		case known && name.json != key:
			s.add(field, fmt.Sprintf("must be spelled %q", name.json))
		default:
			seen[folded] = key
		}
		if err := s.value(field, name.typ); err != nil {
			return err
		}
	}
	_, err := s.dec.Token() // '}'
	return err
}

func (s *keyScanner) add(field, msg string) {
	if len(s.errs) < 20 {
		s.errs = append(s.errs, FieldError{Field: field, Message: msg})
	}
}

type fieldName struct {
	json string
	typ  reflect.Type
}

// fieldNames maps the folded JSON names of struct t's fields to their
// spelling and type (nil when t is not a struct).
func fieldNames(t reflect.Type) map[string]fieldName {
	out := map[string]fieldName{}
	if t == nil || t.Kind() != reflect.Struct {
		return out
	}
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-" || !f.IsExported() && !f.Anonymous:
			continue
		case f.Anonymous && tag == "":
			for k, v := range fieldNames(deref(f.Type)) {
				out[k] = v
			}
			continue
		case tag == "":
			tag = f.Name
		}
		out[foldKey(tag)] = fieldName{json: tag, typ: f.Type}
	}
	return out
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// foldKey maps every rune to the smallest of its case-folding orbit, so
// that two keys fold equal exactly when strings.EqualFold says they are.
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}
