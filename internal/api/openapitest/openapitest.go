// Package openapitest checks the API's answers against its OpenAPI 2.0
// document (internal/api/openapi.json), for tests: the unit tests of
// internal/api and, through Transport, every answer the end-to-end tests
// receive. The document is loaded with kin-openapi's openapi2, converted to
// 3.0 with openapi2conv and each answer validated with
// openapi3filter.ValidateResponse.
//
// Swagger 2.0 cannot say everything the API promises, so the converted
// document is tightened before use: a 2xx answer must be application/json
// and an error application/problem+json (2.0 has one "produces" list for
// both), and a 202 must carry Location and Retry-After (2.0 headers cannot
// be required). Undocumented status codes fail.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Validator validates answers against one document.
type Validator struct {
	doc      *openapi3.T
	basePath string
	routes   []route
	problem  *openapi3.Schema
}

type route struct {
	segments []string // of the path after basePath; "{x}" is a parameter
	path     string
	item     *openapi3.PathItem
}

// New loads a Swagger 2.0 document, checks it, and prepares a validator.
func New(doc []byte) (*Validator, error) {
	var d2 openapi2.T
	if err := json.Unmarshal(doc, &d2); err != nil {
		return nil, fmt.Errorf("openapi 2.0: %w", err)
	}
	d3, err := openapi2conv.ToV3(&d2)
	if err != nil {
		return nil, fmt.Errorf("convert to 3.0: %w", err)
	}
	if err := d3.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the converted document is invalid: %w", err)
	}
	tighten(d3)
	v := &Validator{doc: d3, basePath: strings.TrimSuffix(d2.BasePath, "/")}
	for path, item := range d3.Paths.Map() {
		v.routes = append(v.routes, route{segments: strings.Split(strings.Trim(path, "/"), "/"), path: path, item: item})
	}
	if ref := d3.Components.Schemas["Problem"]; ref != nil {
		v.problem = ref.Value
	}
	return v, nil
}

// tighten says in 3.0 what 2.0 could not.
func tighten(d *openapi3.T) {
	for _, item := range d.Paths.Map() {
		for _, op := range item.Operations() {
			for code, ref := range op.Responses.Map() {
				r := ref.Value
				switch {
				case strings.HasPrefix(code, "2"):
					delete(r.Content, "application/problem+json")
				default:
					delete(r.Content, "application/json")
				}
				if code == "202" {
					for _, h := range []string{"Location", "Retry-After"} {
						if hr := r.Headers[h]; hr != nil && hr.Value != nil {
							c := *hr.Value
							c.Required = true
							r.Headers[h] = &openapi3.HeaderRef{Value: &c}
						}
					}
				}
			}
		}
	}
}

// Operation returns the operationId that method and path (a full URL path,
// with the base path, escaped as sent) name, or "" when the document names
// none.
func (v *Validator) Operation(method, path string) string {
	rt, _ := v.find(path)
	if rt == nil {
		return ""
	}
	if op := rt.item.GetOperation(strings.ToUpper(method)); op != nil {
		return op.OperationID
	}
	return ""
}

// Schema returns the schema of the named definition.
func (v *Validator) Schema(name string) *openapi3.Schema {
	if ref := v.doc.Components.Schemas[name]; ref != nil {
		return ref.Value
	}
	return nil
}

// BodySchema returns the request body schema of an operation.
func (v *Validator) BodySchema(operationID string) *openapi3.Schema {
	for _, item := range v.doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == operationID && op.RequestBody != nil && op.RequestBody.Value != nil {
				if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
					return mt.Schema.Value
				}
			}
		}
	}
	return nil
}

// Covers reports whether path is one the document describes: the base path
// followed by the first segment of one of its paths (/api/dsr/...,
// /api/openapi.json). Other paths under the same host (a simulator's) are
// none of its business.
func (v *Validator) Covers(path string) bool {
	rest, ok := strings.CutPrefix(path, v.basePath+"/")
	if !ok {
		return false
	}
	first, _, _ := strings.Cut(rest, "/")
	for _, rt := range v.routes {
		if rt.segments[0] == first {
			return true
		}
	}
	return false
}

func (v *Validator) find(path string) (*route, map[string]string) {
	rest, ok := strings.CutPrefix(path, v.basePath+"/")
	if !ok {
		return nil, nil
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			segs[i] = u
		}
	}
	for i := range v.routes {
		rt := &v.routes[i]
		if params, ok := match(rt.segments, segs); ok {
			return rt, params
		}
	}
	return nil, nil
}

func match(tmpl, segs []string) (map[string]string, bool) {
	if len(tmpl) != len(segs) {
		return nil, false
	}
	params := map[string]string{}
	for i, t := range tmpl {
		switch {
		case strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}"):
			if segs[i] == "" {
				return nil, false
			}
			params[t[1:len(t)-1]] = segs[i]
		case t != segs[i]:
			return nil, false
		}
	}
	return params, true
}

// Check validates one answer to req. An answer to a path or method the
// document does not name must be a 404 or 405 problem document.
func (v *Validator) Check(req *http.Request, status int, header http.Header, body []byte) error {
	rt, params := v.find(req.URL.EscapedPath())
	var op *openapi3.Operation
	if rt != nil {
		op = rt.item.GetOperation(req.Method)
	}
	if op == nil {
		return v.checkUnrouted(req, status, header, body)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      &routers.Route{Spec: v.doc, Path: rt.path, PathItem: rt.item, Method: req.Method, Operation: op},
		},
		Status:  status,
		Header:  header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s → %d (%s): %w", req.Method, req.URL.Path, status, op.OperationID, err)
	}
	return nil
}

func (v *Validator) checkUnrouted(req *http.Request, status int, header http.Header, body []byte) error {
	if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
		return fmt.Errorf("%s %s → %d: the document names no such operation", req.Method, req.URL.Path, status)
	}
	if ct := header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("%s %s → %d: %q, want a problem document", req.Method, req.URL.Path, status, ct)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("%s %s → %d: %w", req.Method, req.URL.Path, status, err)
	}
	if err := v.problem.VisitJSON(doc, openapi3.MultiErrors()); err != nil {
		return fmt.Errorf("%s %s → %d: not a problem document: %w", req.Method, req.URL.Path, status, err)
	}
	return nil
}
