package aip

import (
	"sync"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// behaviorSet is the google.api.field_behavior list of one field as bits.
type behaviorSet uint16

func (s behaviorSet) has(b annotations.FieldBehavior) bool { return s&(1<<uint(b)) != 0 }

// notUpdatable is what a client can never set: the server owns OUTPUT_ONLY
// fields and the name (IDENTIFIER) comes from the request's parent and id.
func (s behaviorSet) notUpdatable() bool {
	return s.has(annotations.FieldBehavior_OUTPUT_ONLY) || s.has(annotations.FieldBehavior_IDENTIFIER)
}

// behaviorCache avoids decoding field options on every request: the
// descriptors live for the whole process, so the cache never needs pruning.
var behaviorCache sync.Map // protoreflect.FieldDescriptor -> behaviorSet

func behaviors(fd protoreflect.FieldDescriptor) behaviorSet {
	if v, ok := behaviorCache.Load(fd); ok {
		return v.(behaviorSet)
	}
	var s behaviorSet
	if opts := fd.Options(); opts != nil {
		if list, ok := proto.GetExtension(opts, annotations.E_FieldBehavior).([]annotations.FieldBehavior); ok {
			for _, b := range list {
				if b >= 0 && b < 16 {
					s |= 1 << uint(b)
				}
			}
		}
	}
	behaviorCache.Store(fd, s)
	return s
}

// HasBehavior reports whether the field carries the given
// google.api.field_behavior annotation.
func HasBehavior(fd protoreflect.FieldDescriptor, b annotations.FieldBehavior) bool {
	return behaviors(fd).has(b)
}

// ClearOutputOnly clears every OUTPUT_ONLY field of m, at any depth. AIP-203
// says a server ignores output-only fields in its input, so the API layer
// calls this on the resource of a Create or Update request.
func ClearOutputOnly(m proto.Message) {
	clearFields(m.ProtoReflect(), func(s behaviorSet) bool { return s.has(annotations.FieldBehavior_OUTPUT_ONLY) })
}

// SpecEqual reports whether a and b ask for the same thing: they are equal
// once OUTPUT_ONLY fields and the name (IDENTIFIER) are ignored. It decides
// whether a repeated Create is a harmless retry or a conflict.
func SpecEqual(a, b proto.Message) bool {
	if a.ProtoReflect().Descriptor() != b.ProtoReflect().Descriptor() {
		return false
	}
	ca, cb := proto.Clone(a), proto.Clone(b)
	clearFields(ca.ProtoReflect(), behaviorSet.notUpdatable)
	clearFields(cb.ProtoReflect(), behaviorSet.notUpdatable)
	return proto.Equal(ca, cb)
}

func clearFields(m protoreflect.Message, drop func(behaviorSet) bool) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case drop(behaviors(fd)):
			m.Clear(fd)
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					clearFields(mv.Message(), drop)
					return true
				})
			}
		case fd.IsList():
			if fd.Message() != nil {
				for i := 0; i < v.List().Len(); i++ {
					clearFields(v.List().Get(i).Message(), drop)
				}
			}
		case fd.Message() != nil:
			clearFields(m.Mutable(fd).Message(), drop)
		}
		return true
	})
}

// fieldEqual compares one field of two messages of the same type, whatever
// its kind (scalar, message, list or map), by copying it into two otherwise
// empty messages and letting proto.Equal decide.
func fieldEqual(a, b protoreflect.Message, fd protoreflect.FieldDescriptor) bool {
	only := func(m protoreflect.Message) proto.Message {
		c := m.New()
		if m.IsValid() && m.Has(fd) {
			c.Set(fd, m.Get(fd))
		}
		return c.Interface()
	}
	return proto.Equal(only(a), only(b))
}
