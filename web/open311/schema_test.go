package open311_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
)

// The spec's documents as element trees: for each document type, each element's
// children in order. "x*" is a repeated child, "x?" an optional one; an element with no
// entry is a leaf (text only). JSON is checked against the same trees by the spec's
// Spark convention: an element whose only child is repeated is an array of it, any
// other element with children is an object with those keys in that order, a leaf is a
// scalar (string, number, boolean or null).
type schema struct {
	root     string
	children map[string][]string
}

var (
	discoverySchema = schema{"discovery", map[string][]string{
		"discovery": {"changeset", "contact", "key_service", "endpoints"},
		"endpoints": {"endpoint*"},
		"endpoint":  {"specification", "url", "changeset", "type", "formats"},
		"formats":   {"format*"},
	}}
	servicesSchema = schema{"services", map[string][]string{
		"services": {"service*"},
		"service":  {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"},
	}}
	definitionSchema = schema{"service_definition", map[string][]string{
		"service_definition": {"service_code", "attributes"},
		"attributes":         {"attribute*"},
		"attribute":          {"variable", "code", "datatype", "required", "datatype_description", "order", "description", "values?"},
		"values":             {"value*"},
		"value":              {"key", "name"},
	}}
	createdSchema = schema{"service_requests", map[string][]string{
		"service_requests": {"request*"},
		"request":          {"service_request_id", "token", "service_notice", "account_id"},
	}}
	tokenSchema = schema{"service_requests", map[string][]string{
		"service_requests": {"request*"},
		"request":          {"service_request_id", "token"},
	}}
	requestsSchema = schema{"service_requests", map[string][]string{
		"service_requests": {"request*"},
		"request": {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
			"agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
			"address", "address_id", "zipcode", "lat", "long", "media_url", "extended_attributes?"},
		"extended_attributes": {"gridloop_status", "gridloop_status_label", "detailed_status"},
	}}
	updatesSchema = schema{"service_request_updates", map[string][]string{
		"service_request_updates": {"request_update*"},
		"request_update":          {"update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"},
	}}
	updateRefSchema = schema{"service_request_updates", map[string][]string{
		"service_request_updates": {"request_update*"},
		"request_update":          {"update_id"},
	}}
	errorsSchema = schema{"errors", map[string][]string{
		"errors": {"error*"},
		"error":  {"code", "description"},
	}}
)

// matchChildren checks names against a pattern of names, "x*" and "x?".
func matchChildren(pattern, names []string) bool {
	i := 0
	for _, p := range pattern {
		switch {
		case strings.HasSuffix(p, "*"):
			for i < len(names) && names[i] == p[:len(p)-1] {
				i++
			}
		case strings.HasSuffix(p, "?"):
			if i < len(names) && names[i] == p[:len(p)-1] {
				i++
			}
		default:
			if i >= len(names) || names[i] != p {
				return false
			}
			i++
		}
	}
	return i == len(names)
}

// xmlNode is an element of a parsed document.
type xmlNode struct {
	name string
	kids []*xmlNode
	text string
}

const xmlDecl = `<?xml version="1.0" encoding="utf-8"?>`

// checkXML parses body and checks it against sc: the declaration, no namespaces or
// attributes, the root, and every element's children.
func checkXML(t *testing.T, sc schema, body []byte) {
	t.Helper()
	if !bytes.HasPrefix(body, []byte(xmlDecl)) {
		t.Fatalf("XML must start with %s:\n%s", xmlDecl, body)
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("bad XML: %v\n%s", err, body)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if tk.Name.Space != "" || len(tk.Attr) > 0 {
				t.Fatalf("element %s has a namespace or attributes:\n%s", tk.Name.Local, body)
			}
			n := &xmlNode{name: tk.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else if root != nil {
				t.Fatalf("two root elements:\n%s", body)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
	if root == nil || root.name != sc.root {
		t.Fatalf("root element %v, want %s:\n%s", root, sc.root, body)
	}
	var walk func(n *xmlNode, path string)
	walk = func(n *xmlNode, path string) {
		path += "/" + n.name
		pattern, ok := sc.children[n.name]
		if !ok {
			if len(n.kids) > 0 {
				t.Errorf("%s must be a leaf, has child elements", path)
			}
			return
		}
		if strings.TrimSpace(n.text) != "" {
			t.Errorf("%s has text beside its elements", path)
		}
		var names []string
		for _, k := range n.kids {
			names = append(names, k.name)
		}
		if !matchChildren(pattern, names) {
			t.Errorf("%s children\n got %v\nwant %v", path, names, pattern)
		}
		for _, k := range n.kids {
			walk(k, path)
		}
	}
	walk(root, "")
}

// jsonNode is a parsed JSON value that keeps the order of object keys.
type jsonNode struct {
	kind string // object, array, string, number, bool, null
	keys []string
	vals []*jsonNode
}

func parseJSON(dec *json.Decoder) (*jsonNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		n := &jsonNode{kind: "object"}
		if v == '[' {
			n.kind = "array"
		}
		for dec.More() {
			if n.kind == "object" {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k.(string))
			}
			c, err := parseJSON(dec)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, c)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return n, nil
	case string:
		return &jsonNode{kind: "string"}, nil
	case json.Number:
		return &jsonNode{kind: "number"}, nil
	case bool:
		return &jsonNode{kind: "bool"}, nil
	case nil:
		return &jsonNode{kind: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// checkJSON parses body strictly (one value, nothing after it) and checks it against sc.
func checkJSON(t *testing.T, sc schema, body []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	root, err := parseJSON(dec)
	if err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, body)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("data after the JSON value:\n%s", body)
	}
	var walk func(n *jsonNode, elem, path string)
	walk = func(n *jsonNode, elem, path string) {
		path += "/" + elem
		pattern, ok := sc.children[elem]
		switch {
		case !ok:
			if n.kind == "object" || n.kind == "array" {
				t.Errorf("%s must be a scalar, is an %s", path, n.kind)
			}
		case len(pattern) == 1 && strings.HasSuffix(pattern[0], "*"):
			if n.kind != "array" {
				t.Errorf("%s must be an array, is %s", path, n.kind)
				return
			}
			for _, v := range n.vals {
				walk(v, strings.TrimSuffix(pattern[0], "*"), path)
			}
		default:
			if n.kind != "object" {
				t.Errorf("%s must be an object, is %s", path, n.kind)
				return
			}
			if !matchChildren(pattern, n.keys) {
				t.Errorf("%s keys\n got %v\nwant %v", path, n.keys, pattern)
			}
			for i, k := range n.keys {
				walk(n.vals[i], k, path)
			}
		}
	}
	walk(root, sc.root, "")
}

// decodeJSON decodes strictly into v: unknown fields and trailing data are errors.
func decodeJSON(t *testing.T, body []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode JSON into %T: %v\n%s", v, err, body)
	}
	if dec.More() {
		t.Fatalf("trailing data after JSON:\n%s", body)
	}
}

func decodeXML(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := xml.Unmarshal(body, v); err != nil {
		t.Fatalf("decode XML into %T: %v\n%s", v, err, body)
	}
}

// The documents as a client would read them, mirroring the spec's schema. The same
// types read both formats; a list root is the XML wrapper or the JSON array.

type tDiscovery struct {
	XMLName    xml.Name    `xml:"discovery" json:"-"`
	Changeset  string      `xml:"changeset" json:"changeset"`
	Contact    string      `xml:"contact" json:"contact"`
	KeyService string      `xml:"key_service" json:"key_service"`
	Endpoints  []tEndpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

type tEndpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

type tService struct {
	ServiceCode string `xml:"service_code" json:"service_code"`
	ServiceName string `xml:"service_name" json:"service_name"`
	Description string `xml:"description" json:"description"`
	Metadata    bool   `xml:"metadata" json:"metadata"`
	Type        string `xml:"type" json:"type"`
	Keywords    string `xml:"keywords" json:"keywords"`
	Group       string `xml:"group" json:"group"`
}

type tServices struct {
	XMLName xml.Name   `xml:"services"`
	Items   []tService `xml:"service"`
}

type tDefinition struct {
	XMLName     xml.Name     `xml:"service_definition" json:"-"`
	ServiceCode string       `xml:"service_code" json:"service_code"`
	Attributes  []tAttribute `xml:"attributes>attribute" json:"attributes"`
}

type tAttribute struct {
	Variable            bool     `xml:"variable" json:"variable"`
	Code                string   `xml:"code" json:"code"`
	Datatype            string   `xml:"datatype" json:"datatype"`
	Required            bool     `xml:"required" json:"required"`
	DatatypeDescription string   `xml:"datatype_description" json:"datatype_description"`
	Order               int      `xml:"order" json:"order"`
	Description         string   `xml:"description" json:"description"`
	Values              []tValue `xml:"values>value" json:"values"`
}

type tValue struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

type tCreated struct {
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	Token            string `xml:"token" json:"token"`
	ServiceNotice    string `xml:"service_notice" json:"service_notice"`
	AccountID        string `xml:"account_id" json:"account_id"`
}

type tToken struct {
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	Token            string `xml:"token" json:"token"`
}

type tRequest struct {
	ServiceRequestID   string     `xml:"service_request_id" json:"service_request_id"`
	Status             string     `xml:"status" json:"status"`
	StatusNotes        string     `xml:"status_notes" json:"status_notes"`
	ServiceName        string     `xml:"service_name" json:"service_name"`
	ServiceCode        string     `xml:"service_code" json:"service_code"`
	Description        string     `xml:"description" json:"description"`
	AgencyResponsible  string     `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice      string     `xml:"service_notice" json:"service_notice"`
	RequestedDatetime  string     `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime    string     `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime   string     `xml:"expected_datetime" json:"expected_datetime"`
	Address            string     `xml:"address" json:"address"`
	AddressID          string     `xml:"address_id" json:"address_id"`
	Zipcode            string     `xml:"zipcode" json:"zipcode"`
	Lat                float64    `xml:"lat" json:"lat"`
	Long               float64    `xml:"long" json:"long"`
	MediaURL           string     `xml:"media_url" json:"media_url"`
	ExtendedAttributes *tExtended `xml:"extended_attributes" json:"extended_attributes"`
}

type tExtended struct {
	GridloopStatus      string `xml:"gridloop_status" json:"gridloop_status"`
	GridloopStatusLabel string `xml:"gridloop_status_label" json:"gridloop_status_label"`
	DetailedStatus      string `xml:"detailed_status" json:"detailed_status"`
}

type tRequests[T any] struct {
	XMLName xml.Name `xml:"service_requests"`
	Items   []T      `xml:"request"`
}

type tUpdate struct {
	UpdateID         string `xml:"update_id" json:"update_id"`
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	Status           string `xml:"status" json:"status"`
	UpdatedDatetime  string `xml:"updated_datetime" json:"updated_datetime"`
	Description      string `xml:"description" json:"description"`
	MediaURL         string `xml:"media_url" json:"media_url"`
}

type tUpdateRef struct {
	UpdateID string `xml:"update_id" json:"update_id"`
}

type tUpdates[T any] struct {
	XMLName xml.Name `xml:"service_request_updates"`
	Items   []T      `xml:"request_update"`
}

type tError struct {
	Code        int    `xml:"code" json:"code"`
	Description string `xml:"description" json:"description"`
}

type tErrors struct {
	XMLName xml.Name `xml:"errors"`
	Items   []tError `xml:"error"`
}

// w3cZoned is a W3C datetime to the second in Asia/Shanghai, as every datetime is written.
var w3cZoned = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$`)
