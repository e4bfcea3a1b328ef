// Package redact removes secret material from protobuf messages.
//
// A field is secret when its options set the OPI extension
// `(opi.common.v1.secret) = true` (see opi/common/v1/common.proto). Secret
// fields are write-only: a server accepts them and never returns or logs them.
// The shared bridge runtime uses this package twice, as defence in depth: it
// clears secrets from every response before it is sent, and it redacts the
// copies of requests and responses that go into logs.
package redact

import (
	"sync"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// IsSecret reports whether fd is marked `(opi.common.v1.secret) = true`.
func IsSecret(fd protoreflect.FieldDescriptor) bool {
	opts := fd.Options()
	if opts == nil {
		return false
	}
	secret, _ := proto.GetExtension(opts, commonv1.E_Secret).(bool)
	return secret
}

// Clear clears, in place, every secret field of m and of every message
// reachable from it (singular fields, lists and map values). Use it only on a
// message you own; Redacted leaves the original alone.
func Clear(m proto.Message) {
	if m == nil {
		return
	}
	clearMessage(m.ProtoReflect())
}

// Redacted returns m itself when it holds no secret value, and otherwise a
// copy of m with every secret field cleared. It never changes m, so it is
// safe on messages a handler still holds (for example its stored intent).
// The check is cheap for message types that cannot hold secrets at all,
// which is most of them.
func Redacted(m proto.Message) proto.Message {
	if m == nil || !HasSecret(m) {
		return m
	}
	c := proto.Clone(m)
	Clear(c)
	return c
}

// HasSecret reports whether a secret field of m, or of a message reachable
// from it, is set.
func HasSecret(m proto.Message) bool {
	if m == nil {
		return false
	}
	return hasSecretValue(m.ProtoReflect())
}

func clearMessage(m protoreflect.Message) {
	if !m.IsValid() || !mayHoldSecret(m.Descriptor()) {
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if IsSecret(fd) {
			// Clearing the field being ranged over is allowed by protoreflect.
			m.Clear(fd)
			return true
		}
		forEachMessage(fd, v, clearMessage)
		return true
	})
}

func hasSecretValue(m protoreflect.Message) bool {
	if !m.IsValid() || !mayHoldSecret(m.Descriptor()) {
		return false
	}
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if IsSecret(fd) {
			found = true
			return false
		}
		forEachMessage(fd, v, func(sub protoreflect.Message) {
			if !found && hasSecretValue(sub) {
				found = true
			}
		})
		return !found
	})
	return found
}

// forEachMessage calls f on each message held by the field value v: the
// value itself, each list element, or each map value.
func forEachMessage(fd protoreflect.FieldDescriptor, v protoreflect.Value, f func(protoreflect.Message)) {
	switch {
	case fd.IsMap():
		if fd.MapValue().Message() == nil {
			return
		}
		v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
			f(mv.Message())
			return true
		})
	case fd.IsList():
		if fd.Message() == nil {
			return
		}
		l := v.List()
		for i := range l.Len() {
			f(l.Get(i).Message())
		}
	case fd.Message() != nil:
		f(v.Message())
	}
}

// holdsSecret caches, per message type, whether any secret field is
// reachable from it, so that the per-call cost for ordinary messages is one
// map lookup rather than a walk.
var holdsSecret sync.Map // protoreflect.MessageDescriptor -> bool

func mayHoldSecret(md protoreflect.MessageDescriptor) bool {
	if v, ok := holdsSecret.Load(md); ok {
		return v.(bool)
	}
	v := reachesSecret(md, map[protoreflect.FullName]bool{})
	holdsSecret.Store(md, v)
	return v
}

// reachesSecret walks the type graph; seen breaks cycles (a recursive
// message type reaches a secret only through a field it has anyway).
func reachesSecret(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) bool {
	if seen[md.FullName()] {
		return false
	}
	seen[md.FullName()] = true
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if IsSecret(fd) {
			return true
		}
		sub := fd.Message()
		if fd.IsMap() {
			sub = fd.MapValue().Message()
		}
		if sub != nil && reachesSecret(sub, seen) {
			return true
		}
	}
	return false
}
