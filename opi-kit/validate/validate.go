// Package validate checks requests against the rules their proto
// descriptors declare, so that no bridge has to repeat them by hand and no
// generated Validate methods are needed:
//
//   - a field annotated `(google.api.field_behavior) = REQUIRED` must be set
//     (non-zero, or present for message and optional fields; non-empty for
//     lists and maps);
//   - set message fields are checked the same way, recursively, except in
//     requests that carry an `update_mask` (AIP-134): there a partial resource
//     is expected and only the request's own REQUIRED fields apply;
//   - a string field named `*_id` that is REQUIRED or set must be a valid
//     resource id (aip.ValidateID);
//   - OUTPUT_ONLY fields are ignored: servers ignore them on input (AIP-203).
//
// Every violation is reported at once as codes.InvalidArgument with a
// google.rpc.BadRequest detail naming each field path and how to fix it.
package validate

import (
	"fmt"
	"strings"
	"sync"

	"github.com/opi-suite/opi/opi-kit/aip"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Violation is one broken rule: the dotted field path from the request
// root (list indexes and map keys in brackets) and what to do about it.
type Violation struct {
	Field       string
	Description string
}

// Request checks m and returns nil or a codes.InvalidArgument status error
// listing every violation.
func Request(m proto.Message) error {
	if m == nil {
		return nil
	}
	vs := Check(m)
	if len(vs) == 0 {
		return nil
	}
	msgs := make([]string, len(vs))
	br := &errdetails.BadRequest{}
	for i, v := range vs {
		msgs[i] = v.Field + ": " + v.Description
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	st := status.New(codes.InvalidArgument, "invalid request: "+strings.Join(msgs, "; "))
	if withDetails, err := st.WithDetails(br); err == nil {
		st = withDetails
	}
	return st.Err()
}

// Check returns every violation in m, in field order.
func Check(m proto.Message) []Violation {
	r := m.ProtoReflect()
	rules := rulesFor(r.Descriptor())
	var vs []Violation
	checkMessage(r, "", !rules.hasUpdateMask, &vs)
	return vs
}

func checkMessage(m protoreflect.Message, prefix string, recurse bool, vs *[]Violation) {
	rules := rulesFor(m.Descriptor())
	for _, f := range rules.fields {
		path := prefix + string(f.fd.Name())
		set := m.Has(f.fd)
		if f.required && !set {
			*vs = append(*vs, Violation{path, "the field is required: set it"})
			continue
		}
		if !set {
			continue
		}
		if f.id {
			if err := aip.ValidateID(m.Get(f.fd).String()); err != nil {
				*vs = append(*vs, Violation{path, err.Error()})
			}
		}
		if recurse && f.message {
			v := m.Get(f.fd)
			switch {
			case f.fd.IsMap():
				v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
					checkMessage(mv.Message(), fmt.Sprintf("%s[%v].", path, k.Interface()), true, vs)
					return true
				})
			case f.fd.IsList():
				for i := range v.List().Len() {
					checkMessage(v.List().Get(i).Message(), fmt.Sprintf("%s[%d].", path, i), true, vs)
				}
			default:
				checkMessage(v.Message(), path+".", true, vs)
			}
		}
	}
}

// fieldRule is what the descriptor says about one field, worked out once.
type fieldRule struct {
	fd       protoreflect.FieldDescriptor
	required bool
	id       bool // a string *_id field: must be a valid resource id when set
	message  bool // holds messages (singular, list or map values)
}

type messageRules struct {
	fields        []fieldRule
	hasUpdateMask bool
}

// cache holds the rules per message type: reading options through
// protoreflect on every call would dominate the cost of validation.
var cache sync.Map // protoreflect.MessageDescriptor -> *messageRules

func rulesFor(md protoreflect.MessageDescriptor) *messageRules {
	if r, ok := cache.Load(md); ok {
		return r.(*messageRules)
	}
	r := &messageRules{}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Name() == "update_mask" {
			r.hasUpdateMask = true
		}
		required, outputOnly := behaviors(fd)
		if outputOnly {
			continue
		}
		rule := fieldRule{
			fd:       fd,
			required: required,
			id:       isIDField(fd),
			message:  fd.Message() != nil && (!fd.IsMap() || fd.MapValue().Message() != nil),
		}
		if rule.required || rule.id || rule.message {
			r.fields = append(r.fields, rule)
		}
	}
	cache.Store(md, r)
	return r
}

func behaviors(fd protoreflect.FieldDescriptor) (required, outputOnly bool) {
	opts := fd.Options()
	if opts == nil {
		return false, false
	}
	bs, _ := proto.GetExtension(opts, annotations.E_FieldBehavior).([]annotations.FieldBehavior)
	for _, b := range bs {
		switch b {
		case annotations.FieldBehavior_REQUIRED:
			required = true
		case annotations.FieldBehavior_OUTPUT_ONLY:
			outputOnly = true
		}
	}
	return required, outputOnly
}

// isIDField reports whether fd holds a resource id. request_id is the
// exception: AIP-155 makes it a client-chosen UUID, not a resource id.
func isIDField(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.StringKind && !fd.IsList() && !fd.IsMap() &&
		strings.HasSuffix(string(fd.Name()), "_id") && fd.Name() != "request_id"
}
