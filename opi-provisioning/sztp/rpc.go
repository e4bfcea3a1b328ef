package sztp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// RESTCONF resources and media type of a bootstrap server (RFC 8572
// section 7, RFC 8040 sections 3.6 and 5.2).
const (
	MediaType                = "application/yang-data+json"
	GetBootstrappingDataPath = "/restconf/operations/" + BootstrapServerModule + ":get-bootstrapping-data"
	ReportProgressPath       = "/restconf/operations/" + BootstrapServerModule + ":report-progress"
)

// Nonce length bounds of the get-bootstrapping-data input (in octets).
const (
	MinNonce = 16
	MaxNonce = 32
)

// ErrInvalidInput is the class of RPC input parse and validation errors.
var ErrInvalidInput = errors.New("invalid RPC input")

// GetBootstrappingDataInput is the input of get-bootstrapping-data.
type GetBootstrappingDataInput struct {
	// SignedDataPreferred: the device accepts only signed data (the
	// leaf of type empty, "[null]" in JSON).
	SignedDataPreferred bool
	HWModel             string
	OSName              string
	OSVersion           string
	// Nonce, when set, must be copied into a freshly issued voucher.
	Nonce []byte
}

type getBootstrappingDataInput struct {
	SignedDataPreferred *[]any `json:"signed-data-preferred,omitempty"`
	HWModel             string `json:"hw-model,omitempty"`
	OSName              string `json:"os-name,omitempty"`
	OSVersion           string `json:"os-version,omitempty"`
	Nonce               []byte `json:"nonce,omitempty"`
}

// GetBootstrappingDataOutput is the output of get-bootstrapping-data.
// The three CMS structures are DER bytes (base64 in JSON).
type GetBootstrappingDataOutput struct {
	// ReportingLevel is "minimal" or "verbose"; empty leaves it out.
	ReportingLevel      string `json:"reporting-level,omitempty"`
	ConveyedInformation []byte `json:"conveyed-information"`
	OwnerCertificate    []byte `json:"owner-certificate,omitempty"`
	OwnershipVoucher    []byte `json:"ownership-voucher,omitempty"`
}

// ProgressType is a report-progress progress-type.
type ProgressType string

// ProgressTypes lists the enumeration of report-progress's progress-type.
var ProgressTypes = []ProgressType{
	"bootstrap-initiated",
	"parsing-initiated", "parsing-warning", "parsing-error", "parsing-complete",
	"boot-image-initiated", "boot-image-warning", "boot-image-error",
	"boot-image-mismatch", "boot-image-installed-rebooting", "boot-image-complete",
	"pre-script-initiated", "pre-script-warning", "pre-script-error", "pre-script-complete",
	"config-initiated", "config-warning", "config-error", "config-complete",
	"post-script-initiated", "post-script-warning", "post-script-error", "post-script-complete",
	"bootstrap-warning", "bootstrap-error", "bootstrap-complete",
	"informational",
}

// Valid says whether p is in the enumeration.
func (p ProgressType) Valid() bool {
	for _, q := range ProgressTypes {
		if p == q {
			return true
		}
	}
	return false
}

// ReportProgressInput is the input of report-progress.
type ReportProgressInput struct {
	ProgressType ProgressType `json:"progress-type"`
	Message      string       `json:"message,omitempty"`
	// SSHHostKeys and TrustAnchorCerts are sent with bootstrap-complete.
	SSHHostKeys      *SSHHostKeys      `json:"ssh-host-keys,omitempty"`
	TrustAnchorCerts *TrustAnchorCerts `json:"trust-anchor-certs,omitempty"`
}

// SSHHostKeys is the ssh-host-keys container.
type SSHHostKeys struct {
	SSHHostKey []SSHHostKey `json:"ssh-host-key"`
}

// SSHHostKey is one SSH host key of the device.
type SSHHostKey struct {
	Algorithm string `json:"algorithm"`
	KeyData   []byte `json:"key-data"`
}

// TrustAnchorCerts is the trust-anchor-certs container: degenerate CMS
// structures of the device's trust anchors.
type TrustAnchorCerts struct {
	TrustAnchorCert [][]byte `json:"trust-anchor-cert"`
}

// RPC documents: the input or output node, module-qualified (RFC 8040
// section 3.6.1).
type inputDocument[T any] struct {
	Input *T `json:"ietf-sztp-bootstrap-server:input"`
}

type outputDocument[T any] struct {
	Output *T `json:"ietf-sztp-bootstrap-server:output"`
}

// Marshal returns the RPC's JSON request body.
func (in *GetBootstrappingDataInput) Marshal() ([]byte, error) {
	w := getBootstrappingDataInput{HWModel: in.HWModel, OSName: in.OSName, OSVersion: in.OSVersion, Nonce: in.Nonce}
	if in.SignedDataPreferred {
		w.SignedDataPreferred = &[]any{nil}
	}
	return json.Marshal(inputDocument[getBootstrappingDataInput]{Input: &w})
}

// ParseGetBootstrappingDataInput parses a request body; an empty body is
// an RPC without input (RFC 8040 section 3.6.1).
func ParseGetBootstrappingDataInput(data []byte) (*GetBootstrappingDataInput, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return &GetBootstrappingDataInput{}, nil
	}
	var doc inputDocument[getBootstrappingDataInput]
	if err := decodeStrict(data, &doc); err != nil {
		return nil, err
	}
	if doc.Input == nil {
		return nil, fmt.Errorf("%w: no %s:input", ErrInvalidInput, BootstrapServerModule)
	}
	w := doc.Input
	in := &GetBootstrappingDataInput{HWModel: w.HWModel, OSName: w.OSName, OSVersion: w.OSVersion, Nonce: w.Nonce}
	if w.SignedDataPreferred != nil {
		if len(*w.SignedDataPreferred) != 1 || (*w.SignedDataPreferred)[0] != nil {
			return nil, fmt.Errorf("%w: signed-data-preferred must be [null]", ErrInvalidInput)
		}
		in.SignedDataPreferred = true
	}
	if w.Nonce != nil && (len(w.Nonce) < MinNonce || len(w.Nonce) > MaxNonce) {
		return nil, fmt.Errorf("%w: nonce of %d octets, want %d to %d", ErrInvalidInput, len(w.Nonce), MinNonce, MaxNonce)
	}
	return in, nil
}

// Marshal returns the RPC's JSON reply body.
func (out *GetBootstrappingDataOutput) Marshal() ([]byte, error) {
	return json.Marshal(outputDocument[GetBootstrappingDataOutput]{Output: out})
}

// ParseGetBootstrappingDataOutput parses a reply body.
func ParseGetBootstrappingDataOutput(data []byte) (*GetBootstrappingDataOutput, error) {
	var doc outputDocument[GetBootstrappingDataOutput]
	if err := decodeStrict(data, &doc); err != nil {
		return nil, err
	}
	if doc.Output == nil || len(doc.Output.ConveyedInformation) == 0 {
		return nil, fmt.Errorf("%w: no conveyed-information in the output", ErrInvalidInput)
	}
	return doc.Output, nil
}

// Marshal returns the RPC's JSON request body.
func (in *ReportProgressInput) Marshal() ([]byte, error) {
	return json.Marshal(inputDocument[ReportProgressInput]{Input: in})
}

// ParseReportProgressInput parses and validates a request body.
func ParseReportProgressInput(data []byte) (*ReportProgressInput, error) {
	var doc inputDocument[ReportProgressInput]
	if err := decodeStrict(data, &doc); err != nil {
		return nil, err
	}
	if doc.Input == nil {
		return nil, fmt.Errorf("%w: no %s:input", ErrInvalidInput, BootstrapServerModule)
	}
	if !doc.Input.ProgressType.Valid() {
		return nil, fmt.Errorf("%w: progress-type %q is not in the enumeration", ErrInvalidInput, doc.Input.ProgressType)
	}
	return doc.Input, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON document", ErrInvalidInput)
	}
	return nil
}

// RESTCONF error tags used by a bootstrap server (RFC 8040 section 7).
const (
	TagInvalidValue     = "invalid-value"
	TagMalformedMessage = "malformed-message"
	TagAccessDenied     = "access-denied"
	TagOperationFailed  = "operation-failed"
	TagOperationNotSupp = "operation-not-supported"
	TagDataMissing      = "data-missing"
	TagTooBig           = "too-big"
)

// RESTCONFError is one error of an "ietf-restconf:errors" body.
type RESTCONFError struct {
	ErrorType    string `json:"error-type"`
	ErrorTag     string `json:"error-tag"`
	ErrorAppTag  string `json:"error-app-tag,omitempty"`
	ErrorMessage string `json:"error-message,omitempty"`
	// Status is the HTTP status it was sent with; not in the body.
	Status int `json:"-"`
}

func (e *RESTCONFError) Error() string {
	return fmt.Sprintf("restconf %d %s/%s: %s", e.Status, e.ErrorType, e.ErrorTag, e.ErrorMessage)
}

type errorsDocument struct {
	Errors struct {
		Error []RESTCONFError `json:"error"`
	} `json:"ietf-restconf:errors"`
}

// MarshalErrors returns the "ietf-restconf:errors" body for errs.
func MarshalErrors(errs ...RESTCONFError) []byte {
	var doc errorsDocument
	doc.Errors.Error = errs
	b, _ := json.Marshal(doc) // strings only
	return b
}

// ParseErrors reads an "ietf-restconf:errors" body; the first error is
// returned with status set. A body that is not one gives a generic error.
func ParseErrors(status int, body []byte) *RESTCONFError {
	var doc errorsDocument
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Errors.Error) == 0 {
		return &RESTCONFError{Status: status, ErrorType: "transport", ErrorTag: TagOperationFailed,
			ErrorMessage: fmt.Sprintf("HTTP %d %s without a RESTCONF error body", status, http.StatusText(status))}
	}
	e := doc.Errors.Error[0]
	e.Status = status
	return &e
}
