package redact_test

import (
	"slices"
	"testing"

	"github.com/opi-suite/opi/opi-kit/redact"
	"github.com/opi-suite/opi/opi-kit/redact/redacttest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/apipb"
)

// secretsLeft lists every secret value still present, to make failures readable.
func secretsLeft(m protoreflect.Message) []string {
	var left []string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case redact.IsSecret(fd):
			left = append(left, string(fd.FullName()))
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				left = append(left, secretsLeft(mv.Message())...)
				return true
			})
		case fd.IsList():
			for i := range v.List().Len() {
				left = append(left, secretsLeft(v.List().Get(i).Message())...)
			}
		case fd.Message() != nil:
			left = append(left, secretsLeft(v.Message())...)
		}
		return true
	})
	return left
}

func TestRedaction(t *testing.T) {
	tests := []struct {
		name  string
		apply func(m proto.Message) proto.Message
		// original says whether the caller's message must keep its secrets.
		keepsOriginal bool
	}{
		{"Clear removes secrets in place at every depth", func(m proto.Message) proto.Message { redact.Clear(m); return m }, false},
		{"Redacted returns a cleared copy and leaves the original intact", redact.Redacted, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := redacttest.Credentials(t)
			before := proto.Clone(orig)
			got := tt.apply(orig).ProtoReflect()
			if left := secretsLeft(got); len(left) > 0 {
				t.Fatalf("secret fields still set: %v", left)
			}
			if redact.HasSecret(got.Interface()) {
				t.Fatal("HasSecret is true after redaction")
			}
			// Non-secret data survives.
			f := got.Descriptor().Fields()
			if u := got.Get(f.ByName("user")).String(); u != "alice" {
				t.Errorf("user = %q, want alice", u)
			}
			if n := got.Get(f.ByName("keys")).List().Len(); n != 2 {
				t.Errorf("keys has %d entries, want 2", n)
			}
			if l := got.Get(f.ByName("key")).Message().Get(got.Get(f.ByName("key")).Message().Descriptor().Fields().ByName("label")).String(); l != "single" {
				t.Errorf("key.label = %q, want single", l)
			}
			if tt.keepsOriginal && !proto.Equal(orig, before) {
				t.Error("the original message was changed")
			}
		})
	}
}

func TestMessagesWithoutSecretsAreReturnedAsIs(t *testing.T) {
	credsMD, _ := redacttest.Descriptors(t)
	m := dynamicpb.NewMessage(credsMD)
	m.Set(credsMD.Fields().ByName("user"), protoreflect.ValueOfString("bob"))
	if got := redact.Redacted(m); got != proto.Message(m) {
		t.Error("Redacted copied a message that holds no secret value")
	}
	if redact.HasSecret(nil) || redact.Redacted(nil) != nil {
		t.Error("nil messages must pass through")
	}
}

func BenchmarkRedactedWithoutSecretFields(b *testing.B) {
	m := &descriptorpb.FileDescriptorProto{Name: proto.String("x.proto")}
	for b.Loop() {
		_ = redact.Redacted(m)
	}
}

func TestSecretPathsNameEverySecretSet(t *testing.T) {
	m := redacttest.Credentials(t)
	want := []string{"key.material", "keys.material", "keys_by_name[m].material", "password"}
	if got := redact.SecretPaths(m); !slices.Equal(got, want) {
		t.Fatalf("SecretPaths = %q, want %q", got, want)
	}
	redact.Clear(m)
	if got := redact.SecretPaths(m); len(got) != 0 {
		t.Fatalf("after Clear, SecretPaths = %q, want none", got)
	}
	if redact.SecretPaths(nil) != nil {
		t.Fatal("a nil message has secret paths")
	}
}

func TestMarkSecretMakesAFieldOfAnotherAPISecret(t *testing.T) {
	// apipb's Mixin stands for a message of another project's API: its
	// protos carry no secret option. Nothing else in this package uses it.
	api := &apipb.Api{Name: "a", Mixins: []*apipb.Mixin{{Name: "m", Root: "key material"}}}
	if redact.HasSecret(api) {
		t.Fatal("before MarkSecret, Mixin.root is not secret")
	}
	redact.MarkSecret("google.protobuf.Mixin.root")
	// The type was checked (and cached as holding no secret) above; it must
	// be checked again.
	if !redact.HasSecret(api) {
		t.Fatal("after MarkSecret, an Api whose mixin has a root holds a secret")
	}
	got := redact.Redacted(api).(*apipb.Api)
	if got.GetMixins()[0].GetRoot() != "" || got.GetMixins()[0].GetName() != "m" {
		t.Errorf("Redacted = %v, want root cleared and name kept", got)
	}
	if api.GetMixins()[0].GetRoot() != "key material" {
		t.Error("Redacted changed the original")
	}
	if paths := redact.SecretPaths(api); !slices.Equal(paths, []string{"mixins.root"}) {
		t.Errorf("SecretPaths = %v, want [mixins.root]", paths)
	}
}
