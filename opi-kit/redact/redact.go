// Package redact removes secret material from protobuf messages.
//
// A field is secret when its options set the OPI extension
// `(opi.common.v1.secret) = true` (see opi/common/v1/common.proto). Secret
// fields are write-only: a server accepts them and never returns or logs them.
// The shared bridge runtime uses this package twice, as defence in depth: it
// clears secrets from every response before it is sent (the interceptors
// are server.RedactUnaryServerInterceptor and RedactStreamServerInterceptor),
// and it redacts the copies of requests and responses that go into logs.
// Clients use it too (the CLI's dry run), which is why it imports nothing
// but the protobuf runtime and the API's common package, where the option
// is declared.
package redact

import (
	"slices"
	"sync"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// IsSecret reports whether fd is marked `(opi.common.v1.secret) = true`,
// or was named to MarkSecret.
func IsSecret(fd protoreflect.FieldDescriptor) bool {
	if _, ok := marked.Load(fd.FullName()); ok {
		return true
	}
	opts := fd.Options()
	if opts == nil {
		return false
	}
	secret, _ := proto.GetExtension(opts, commonv1.E_Secret).(bool)
	return secret
}

// marked holds the full names of the fields named to MarkSecret.
var marked sync.Map // protoreflect.FullName -> struct{}

// MarkSecret makes the fields with these full names (for example
// "opi_api.storage.v1.EncryptedVolume.key") secret, as if their protos
// carried the option: for the messages of another project's API (a
// facade's) whose protos have no such annotation. Call it before those
// messages are served, from the facade's package initialisation.
func MarkSecret(fields ...protoreflect.FullName) {
	for _, f := range fields {
		marked.Store(f, struct{}{})
	}
	// A message type checked before may now reach a secret.
	holdsSecret.Clear()
}

// Clear clears, in place, every secret field of m and of every message
// reachable from it (singular fields, lists and map values). Use it only on a
// message you own; Redacted leaves the original alone.
func Clear(m proto.Message) {
	if m == nil {
		return
	}
	type set struct {
		owner protoreflect.Message
		fd    protoreflect.FieldDescriptor
	}
	var found []set
	visitSecrets(m.ProtoReflect(), "", false, func(owner protoreflect.Message, fd protoreflect.FieldDescriptor, _ string) bool {
		found = append(found, set{owner, fd})
		return true
	})
	// Cleared after the walk: a message must not change while it is ranged over.
	for _, s := range found {
		s.owner.Clear(s.fd)
	}
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
	return !visitSecrets(m.ProtoReflect(), "", false, func(protoreflect.Message, protoreflect.FieldDescriptor, string) bool {
		return false
	})
}

// SecretPaths returns, sorted and each once, the paths of the secret fields
// set in m, so that a client can say what it left out (the CLI's dry run):
// "password", "key.material" through a singular field, "keys.material"
// through a list (whatever the element), "keys_by_name[m].material" through
// a map value.
func SecretPaths(m proto.Message) []string {
	if m == nil {
		return nil
	}
	var paths []string
	visitSecrets(m.ProtoReflect(), "", true, func(_ protoreflect.Message, _ protoreflect.FieldDescriptor, path string) bool {
		paths = append(paths, path)
		return true
	})
	slices.Sort(paths)
	return slices.Compact(paths)
}

// visitSecrets calls f with every secret field set in m or in a message
// reachable from it, and the field's owner; with withPaths, also its path
// below prefix (built only then, since the server's per-response checks
// need none). f returns false to stop the walk, and so does visitSecrets.
// One walk serves Clear, HasSecret and SecretPaths, so they cannot disagree
// on what is secret.
func visitSecrets(m protoreflect.Message, prefix string, withPaths bool, f func(owner protoreflect.Message, fd protoreflect.FieldDescriptor, path string) bool) bool {
	if !m.IsValid() || !mayHoldSecret(m.Descriptor()) {
		return true
	}
	more := true
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		var path string
		if withPaths {
			path = prefix + string(fd.Name())
		}
		if IsSecret(fd) {
			more = f(m, fd, path)
			return more
		}
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() == nil {
				return true
			}
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				var sub string
				if withPaths {
					sub = path + "[" + k.String() + "]."
				}
				more = visitSecrets(mv.Message(), sub, withPaths, f)
				return more
			})
		case fd.IsList():
			if fd.Message() == nil {
				return true
			}
			l := v.List()
			for i := 0; i < l.Len() && more; i++ {
				more = visitSecrets(l.Get(i).Message(), path+".", withPaths, f)
			}
		case fd.Message() != nil:
			more = visitSecrets(v.Message(), path+".", withPaths, f)
		}
		return more
	})
	return more
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
