package contract

import (
	"encoding/json"
	"strconv"
)

// Params is a params object that Decode has accepted: the members SPDK's
// handler gets, each known to the contract and of the type it lists, so
// the accessors below cannot meet an ill-typed value. The zero value is an
// empty object (params omitted). A handler that wants a typed struct calls
// Into.
type Params struct {
	members map[string]json.RawMessage
}

// Has reports whether the request carried the key: SPDK's handlers tell
// "not given" from a zero value for many options.
func (p Params) Has(name string) bool {
	_, ok := p.members[name]
	return ok
}

// Raw returns a member's JSON value as sent, nil when absent.
func (p Params) Raw(name string) json.RawMessage { return p.members[name] }

// String returns a string member, "" when absent.
func (p Params) String(name string) string {
	var s string
	if v, ok := p.members[name]; ok {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

// Bool returns a boolean member, false when absent.
func (p Params) Bool(name string) bool {
	var b bool
	if v, ok := p.members[name]; ok {
		_ = json.Unmarshal(v, &b)
	}
	return b
}

// Uint returns an unsigned integer member, 0 when absent. The contract
// has checked its range, so it fits the parameter's SPDK type.
func (p Params) Uint(name string) uint64 {
	n, _ := strconv.ParseUint(string(p.members[name]), 10, 64)
	return n
}

// Int returns a signed integer member, 0 when absent.
func (p Params) Int(name string) int64 {
	n, _ := strconv.ParseInt(string(p.members[name]), 10, 64)
	return n
}

// Strings returns an array-of-strings member, nil when absent.
func (p Params) Strings(name string) []string {
	var s []string
	if v, ok := p.members[name]; ok {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

// Object returns a nested object member (listen_address, namespace), whose
// fields the contract has checked as strictly as SPDK does; empty when
// absent.
func (p Params) Object(name string) Params {
	v, ok := p.members[name]
	if !ok {
		return Params{}
	}
	ms, err := Members(v)
	if err != nil {
		return Params{}
	}
	out := Params{members: make(map[string]json.RawMessage, len(ms))}
	for _, m := range ms {
		out.members[m.Key] = m.Value
	}
	return out
}

// Into decodes the accepted members into v (a pointer to a wire struct) with
// encoding/json: what the contract accepted always fits a struct whose
// fields have the contract's types.
func (p Params) Into(v any) error {
	b, err := json.Marshal(p.members)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
