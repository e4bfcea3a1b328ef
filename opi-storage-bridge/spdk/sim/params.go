package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// kind is the JSON type a parameter decodes as, the way SPDK's
// spdk_json_decode_* functions see it.
type kind int

const (
	kString kind = iota
	kBool
	kU8
	kU16
	kU32
	kU64
	kI32
	kUUID
	kEnum
	kObject
	kArray
)

// field describes one parameter of a method, as the contract lists it.
type field struct {
	name     string
	kind     kind
	required bool
	enum     []string // kEnum, or item enum of kArray
	fields   []field  // kObject
	items    kind     // kArray
	maxItems int      // kArray
}

func req(name string, k kind) field { return field{name: name, kind: k, required: true} }
func opt(name string, k kind) field { return field{name: name, kind: k} }

// args holds the validated members of a params object.
type args map[string]json.RawMessage

func (a args) has(name string) bool { _, ok := a[name]; return ok }

func (a args) str(name string) string {
	var s string
	if v, ok := a[name]; ok {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

func (a args) boolean(name string) bool {
	var b bool
	if v, ok := a[name]; ok {
		_ = json.Unmarshal(v, &b)
	}
	return b
}

func (a args) u64(name string) uint64 {
	n, _ := strconv.ParseUint(string(a[name]), 10, 64)
	return n
}

func (a args) i64(name string) int64 {
	n, _ := strconv.ParseInt(string(a[name]), 10, 64)
	return n
}

func (a args) obj(name string) args {
	m, _ := members(a[name])
	out := args{}
	for _, mb := range m {
		out[mb.key] = mb.val
	}
	return out
}

func (a args) strs(name string) []string {
	var s []string
	if v, ok := a[name]; ok {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

type member struct {
	key string
	val json.RawMessage
}

var errNotObject = errors.New("not an object")

// members splits a JSON object into its members in order, keeping
// duplicates so that the caller can reject them as SPDK does.
func members(raw json.RawMessage) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errNotObject
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{key: key, val: v})
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return nil, err
	}
	return out, nil
}

// decodeObject mirrors spdk_json_decode_object (and its _relaxed form):
// the value must be an object, every required key present, no key twice,
// no unknown key unless relaxed, and every value of its declared type.
func decodeObject(raw json.RawMessage, fields []field, relaxed bool) (args, bool) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	ms, err := members(raw)
	if err != nil {
		return nil, false
	}
	out := args{}
	for _, m := range ms {
		f := findField(fields, m.key)
		if f == nil {
			if relaxed {
				continue
			}
			return nil, false
		}
		if _, dup := out[m.key]; dup {
			return nil, false
		}
		if !checkValue(m.val, f) {
			return nil, false
		}
		out[m.key] = m.val
	}
	for _, f := range fields {
		if f.required && !out.has(f.name) {
			return nil, false
		}
	}
	return out, true
}

func findField(fields []field, name string) *field {
	for i := range fields {
		if fields[i].name == name {
			return &fields[i]
		}
	}
	return nil
}

func checkValue(v json.RawMessage, f *field) bool {
	switch f.kind {
	case kString:
		return isString(v)
	case kBool:
		s := string(v)
		return s == "true" || s == "false"
	case kU8:
		return checkUint(v, 8)
	case kU16:
		return checkUint(v, 16)
	case kU32:
		return checkUint(v, 32)
	case kU64:
		return checkUint(v, 64)
	case kI32:
		return checkInt(v, 32)
	case kUUID:
		var s string
		return isString(v) && json.Unmarshal(v, &s) == nil && validUUID(s)
	case kEnum:
		var s string
		if !isString(v) || json.Unmarshal(v, &s) != nil {
			return false
		}
		for _, e := range f.enum {
			if e == s {
				return true
			}
		}
		return false
	case kObject:
		_, ok := decodeObject(v, f.fields, false)
		return ok
	case kArray:
		var items []json.RawMessage
		if len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &items) != nil {
			return false
		}
		if f.maxItems > 0 && len(items) > f.maxItems {
			return false
		}
		item := field{kind: f.items, enum: f.enum}
		for _, it := range items {
			if !checkValue(it, &item) {
				return false
			}
		}
		return true
	}
	return false
}

func isString(v json.RawMessage) bool { return len(v) > 0 && v[0] == '"' }

// SPDK's integer decoders take plain JSON integers only: no fraction, no
// exponent, no sign for unsigned types, and the value must fit.
func checkUint(v json.RawMessage, bits int) bool {
	s := string(v)
	if strings.ContainsAny(s, ".eE-\"") || s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	_, err := strconv.ParseUint(s, 10, bits)
	return err == nil
}

func checkInt(v json.RawMessage, bits int) bool {
	s := string(v)
	if strings.ContainsAny(s, ".eE\"") || s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	_, err := strconv.ParseInt(s, 10, bits)
	return err == nil
}

// validUUID accepts the 8-4-4-4-12 hex form spdk_uuid_parse accepts.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(byte(c)) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
