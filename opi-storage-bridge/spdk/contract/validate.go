package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

var (
	// ErrMethodNotFound matches (errors.Is) a ValidationError for a method
	// SPDK does not serve.
	ErrMethodNotFound = errors.New("method not found")
	// ErrInvalidParams matches (errors.Is) a ValidationError for params SPDK
	// would refuse to decode.
	ErrInvalidParams = errors.New("invalid params")
)

// ValidationError says why SPDK would refuse a request, and how.
type ValidationError struct {
	// Method is the requested method.
	Method string
	// Path locates the offending value ("params.listen_address.trtype"),
	// empty for an unknown method.
	Path string
	// Reason says what is wrong.
	Reason string
	// Code and Message are what SPDK answers in this case: -32601 for an
	// unknown method, otherwise the method's own decode-failure (or
	// params-present) error, -32602 where the contract records none.
	Code    int
	Message string
}

// Error implements error.
func (e *ValidationError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", e.Method, e.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", e.Method, e.Path, e.Reason)
}

// Is makes errors.Is match ErrMethodNotFound or ErrInvalidParams.
func (e *ValidationError) Is(target error) bool {
	if e.Code == spdk.CodeMethodNotFound {
		return target == ErrMethodNotFound
	}
	return target == ErrInvalidParams
}

// ValidateRequest checks a request against the contract as SPDK's decoders
// would: the method exists (else the -32601 condition); params, when present,
// are an object (null counts as absent); a method that takes none gets none;
// no unknown or duplicate keys unless the method allows unknown keys; every
// required key is present; every value has the right JSON type, integers are
// integers within range, enums take a listed value, UUIDs are UUIDs, arrays
// respect their length bound, and nested objects follow the same rules
// (always strictly: SPDK decodes them with strict decoders). It is Decode
// without the result.
func (c *Contract) ValidateRequest(method string, params json.RawMessage) error {
	_, err := c.Decode(method, params)
	return err
}

// Decode is the one decoder of SPDK params: it checks params as
// ValidateRequest describes and returns the members SPDK's handler would
// see (unknown keys of a relaxed method dropped), or the *ValidationError
// carrying the code and message SPDK answers. A method whose handler never
// looks at its params (no decode-failure error, no params-present error,
// no parameters: keyring_get_keys, framework_wait_init) accepts anything,
// as SPDK does.
func (c *Contract) Decode(method string, params json.RawMessage) (Params, error) {
	m := c.Methods[method]
	if m == nil || m.ClientSideOnly {
		return Params{}, &ValidationError{Method: method, Reason: "no such SPDK method", Code: spdk.CodeMethodNotFound, Message: "Method not found"}
	}
	if m.IgnoresParams() {
		return Params{}, nil
	}
	v := validator{m: m}
	params = bytes.TrimSpace(params)
	if len(params) == 0 || string(params) == "null" {
		if len(m.Params) > 0 && !m.ParamsOptional {
			return Params{}, v.fail("params", "missing (the method needs a params object)")
		}
		return Params{}, nil
	}
	if m.ParamsMustBeOmitted {
		return Params{}, v.presentFail()
	}
	return v.object("params", params, m.Params, m.AllowUnknownKeys)
}

// validator checks one request's params for one method.
type validator struct{ m *Method }

func (v validator) fail(path, format string, args ...any) error {
	e := &ValidationError{Method: v.m.Name, Path: path, Reason: fmt.Sprintf(format, args...), Code: spdk.CodeInvalidParams, Message: "Invalid parameters"}
	if d := v.m.DecodeFailure; d != nil {
		e.Code, e.Message = d.Code, d.Message
	}
	return e
}

func (v validator) presentFail() error {
	e := &ValidationError{Method: v.m.Name, Path: "params", Reason: "must be omitted (the method takes no parameters)", Code: spdk.CodeInvalidParams, Message: "Invalid parameters"}
	if p := v.m.ParamsPresent; p != nil {
		e.Code, e.Message = p.Code, p.Message
	}
	return e
}

// object checks a JSON object against its fields and returns its known
// members.
func (v validator) object(path string, raw json.RawMessage, fields []Param, allowUnknown bool) (Params, error) {
	members, err := Members(raw)
	if err != nil {
		return Params{}, v.fail(path, "%v", err)
	}
	seen := make(map[string]bool, len(members))
	known := make(map[string]json.RawMessage, len(members))
	for _, mem := range members {
		if seen[mem.Key] {
			return Params{}, v.fail(path+"."+mem.Key, "duplicate key")
		}
		seen[mem.Key] = true
		p := findParam(fields, mem.Key)
		if p == nil {
			if allowUnknown {
				continue
			}
			return Params{}, v.fail(path+"."+mem.Key, "unknown key")
		}
		if err := v.value(path+"."+mem.Key, mem.Value, p); err != nil {
			return Params{}, err
		}
		known[mem.Key] = mem.Value
	}
	for _, p := range fields {
		if p.Required && !seen[p.Name] {
			return Params{}, v.fail(path+"."+p.Name, "required key missing")
		}
	}
	return Params{members: known}, nil
}

// value checks one value against its parameter description.
func (v validator) value(path string, raw json.RawMessage, p *Param) error {
	kind := jsonKind(raw)
	if p.Type == "object" && p.FreeForm && kind == "null" {
		return nil
	}
	if kind != p.Type {
		return v.fail(path, "want JSON %s, got %s", p.Type, kind)
	}
	switch p.Type {
	case "number":
		return v.integer(path, raw, p)
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return v.fail(path, "%v", err)
		}
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
			return v.fail(path, "%q is not one of %s", s, strings.Join(p.Enum, ", "))
		}
		if (p.SchemaType == "uuid" || p.Format == "uuid") && !IsUUID(s) {
			return v.fail(path, "%q is not a UUID", s)
		}
	case "object":
		if p.FreeForm {
			return nil
		}
		_, err := v.object(path, raw, p.Fields, false)
		return err
	case "array":
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return v.fail(path, "%v", err)
		}
		if p.MaxItems > 0 && len(elems) > p.MaxItems {
			return v.fail(path, "%d elements, at most %d", len(elems), p.MaxItems)
		}
		if p.Items == nil {
			return nil
		}
		for i, el := range elems {
			if err := v.value(fmt.Sprintf("%s[%d]", path, i), el, p.Items); err != nil {
				return err
			}
		}
	}
	return nil
}

// integer checks a number: SPDK's integer decoders take no fraction and no
// exponent, and the value must be within the parameter's range.
func (v validator) integer(path string, raw json.RawMessage, p *Param) error {
	lit := string(raw)
	if strings.ContainsAny(lit, ".eE") {
		return v.fail(path, "%s is not an integer literal", lit)
	}
	n, ok := new(big.Int).SetString(lit, 10)
	if !ok {
		return v.fail(path, "%s is not an integer", lit)
	}
	if len(p.Range) != 2 {
		return nil
	}
	lo, okLo := new(big.Int).SetString(p.Range[0].String(), 10)
	hi, okHi := new(big.Int).SetString(p.Range[1].String(), 10)
	if !okLo || !okHi {
		return nil // a range the extract could not state exactly is not checked
	}
	if n.Cmp(lo) < 0 || n.Cmp(hi) > 0 {
		return v.fail(path, "%s out of range [%s, %s] (%s)", lit, lo, hi, p.SchemaType)
	}
	return nil
}

// Member is one key of a JSON object, in document order.
type Member struct {
	// Key is the member's name.
	Key string
	// Value is the member's JSON value, undecoded.
	Value json.RawMessage
}

// Members splits a JSON object into its members in document order,
// keeping duplicates: SPDK rejects them, and a Go map would hide them.
// spdk-sim parses request envelopes with it too.
func Members(raw json.RawMessage) ([]Member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want a JSON object, got %s", jsonKind(raw))
	}
	var out []Member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, err
		}
		out = append(out, Member{Key: key, Value: val})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the object")
	}
	return out, nil
}

// jsonKind names the JSON type of a value by its first byte.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

func findParam(fields []Param, name string) *Param {
	for i := range fields {
		if fields[i].Name == name {
			return &fields[i]
		}
	}
	return nil
}

// IsUUID reports the canonical 8-4-4-4-12 hexadecimal form SPDK's
// spdk_uuid_parse accepts; spdk-sim checks NQNs of the uuid form with it.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
