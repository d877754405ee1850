package open311

import (
	"encoding/json"
	"encoding/xml"
)

// The documents of GeoReport v2 and the mySociety servicerequestupdates extension. Each
// type serves both formats: the XML element names and order follow the spec's tables,
// and the JSON is the spec's "Spark convention" mapping of the same XML (a list root
// becomes an array, an empty element becomes null). Field order is the document order.

// text is a string that is an empty element in XML and null in JSON when empty, as in
// the spec's examples ("description":null).
type text string

func (t text) MarshalJSON() ([]byte, error) {
	if t == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(t))
}

// discovery is the Service Discovery document.
type discovery struct {
	XMLName    xml.Name   `xml:"discovery" json:"-"`
	Changeset  string     `xml:"changeset" json:"changeset"`
	Contact    string     `xml:"contact" json:"contact"`
	KeyService string     `xml:"key_service" json:"key_service"`
	Endpoints  []endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

type endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

// servicesDoc is GET services: <services><service>…</service></services>.
type servicesDoc struct {
	XMLName  xml.Name      `xml:"services"`
	Services []serviceItem `xml:"service"`
}

type serviceItem struct {
	ServiceCode string `xml:"service_code" json:"service_code"`
	ServiceName string `xml:"service_name" json:"service_name"`
	Description text   `xml:"description" json:"description"`
	Metadata    bool   `xml:"metadata" json:"metadata"`
	Type        string `xml:"type" json:"type"`
	Keywords    text   `xml:"keywords" json:"keywords"`
	Group       text   `xml:"group" json:"group"`
}

// serviceDefinition is GET services/{code}.
type serviceDefinition struct {
	XMLName     xml.Name    `xml:"service_definition" json:"-"`
	ServiceCode string      `xml:"service_code" json:"service_code"`
	Attributes  []attribute `xml:"attributes>attribute" json:"attributes"`
}

type attribute struct {
	Variable            bool    `xml:"variable" json:"variable"`
	Code                string  `xml:"code" json:"code"`
	Datatype            string  `xml:"datatype" json:"datatype"`
	Required            bool    `xml:"required" json:"required"`
	DatatypeDescription text    `xml:"datatype_description" json:"datatype_description"`
	Order               int     `xml:"order" json:"order"`
	Description         string  `xml:"description" json:"description"`
	Values              []value `xml:"values>value,omitempty" json:"values,omitempty"` // list datatypes only
}

type value struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

// requestsDoc is <service_requests>, the root of every request answer; its items are
// created (POST requests), tokenRef (GET tokens) or request (GET requests).
type requestsDoc[T any] struct {
	XMLName xml.Name `xml:"service_requests"`
	Items   []T      `xml:"request"`
}

// created answers POST requests. gridloop returns the id and the token together
// (docs/open311.md): the id at once, the token to poll GET tokens/{token} with.
type created struct {
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	Token            string `xml:"token" json:"token"`
	ServiceNotice    text   `xml:"service_notice" json:"service_notice"`
	AccountID        text   `xml:"account_id" json:"account_id"`
}

// tokenRef answers GET tokens/{token}.
type tokenRef struct {
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	Token            string `xml:"token" json:"token"`
}

// request is one service request in GET requests and GET requests/{id}.
type request struct {
	ServiceRequestID   string              `xml:"service_request_id" json:"service_request_id"`
	Status             string              `xml:"status" json:"status"`
	StatusNotes        text                `xml:"status_notes" json:"status_notes"`
	ServiceName        text                `xml:"service_name" json:"service_name"`
	ServiceCode        text                `xml:"service_code" json:"service_code"`
	Description        text                `xml:"description" json:"description"`
	AgencyResponsible  text                `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice      text                `xml:"service_notice" json:"service_notice"`
	RequestedDatetime  string              `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime    string              `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime   text                `xml:"expected_datetime" json:"expected_datetime"`
	Address            text                `xml:"address" json:"address"`
	AddressID          text                `xml:"address_id" json:"address_id"`
	Zipcode            text                `xml:"zipcode" json:"zipcode"`
	Lat                float64             `xml:"lat" json:"lat"`
	Long               float64             `xml:"long" json:"long"`
	MediaURL           text                `xml:"media_url" json:"media_url"`
	ExtendedAttributes *extendedAttributes `xml:"extended_attributes,omitempty" json:"extended_attributes,omitempty"`
}

// extendedAttributes is added with extensions=true: gridloop's own status and the
// FixMyStreet-style detailed status (docs/open311.md has the table).
type extendedAttributes struct {
	GridloopStatus      string `xml:"gridloop_status" json:"gridloop_status"`
	GridloopStatusLabel string `xml:"gridloop_status_label" json:"gridloop_status_label"`
	DetailedStatus      string `xml:"detailed_status" json:"detailed_status"`
}

// updatesDoc is <service_request_updates>, the mySociety extension's root.
type updatesDoc[T any] struct {
	XMLName xml.Name `xml:"service_request_updates"`
	Items   []T      `xml:"request_update"`
}

// update is one entry of GET servicerequestupdates.
type update struct {
	UpdateID         string `xml:"update_id" json:"update_id"`
	ServiceRequestID string `xml:"service_request_id" json:"service_request_id"`
	Status           string `xml:"status" json:"status"`
	UpdatedDatetime  string `xml:"updated_datetime" json:"updated_datetime"`
	Description      text   `xml:"description" json:"description"`
	MediaURL         text   `xml:"media_url" json:"media_url"`
}

// updateRef answers POST servicerequestupdates with gridloop's id of the update.
type updateRef struct {
	UpdateID string `xml:"update_id" json:"update_id"`
}

// errorsDoc is the spec's error document.
type errorsDoc struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []apiError `xml:"error"`
}

type apiError struct {
	Code        int    `xml:"code" json:"code"`
	Description string `xml:"description" json:"description"`
}
