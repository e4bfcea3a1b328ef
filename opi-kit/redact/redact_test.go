package redact_test

import (
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/redact"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// secretDescriptor builds, at run time, a message type whose fields carry
// the real `(opi.common.v1.secret)` option, because no API message has a
// secret field yet:
//
//	message Credentials {
//	  string user = 1;
//	  string password = 2 [(opi.common.v1.secret) = true];
//	  Key key = 3;
//	  repeated Key keys = 4;
//	  map<string, Key> keys_by_name = 5;
//	}
//	message Key { string label = 1; bytes material = 2 [(opi.common.v1.secret) = true]; }
func secretDescriptor(t testing.TB) (creds, key protoreflect.MessageDescriptor) {
	t.Helper()
	secret := func() *descriptorpb.FieldOptions {
		o := &descriptorpb.FieldOptions{}
		proto.SetExtension(o, commonv1.E_Secret, true)
		return o
	}
	str, byt, msg := descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), descriptorpb.FieldDescriptorProto_TYPE_BYTES.Enum(), descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
	opt, rep := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	field := func(name string, num int32, typ *descriptorpb.FieldDescriptorProto_Type, label *descriptorpb.FieldDescriptorProto_Label, typeName string, o *descriptorpb.FieldOptions) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Type: typ, Label: label, JsonName: proto.String(name), Options: o}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("opi/test/v1/secret_test.proto"),
		Package:    proto.String("opi.test.v1"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"opi/common/v1/common.proto"},
		MessageType: []*descriptorpb.DescriptorProto{
			{
				Name: proto.String("Credentials"),
				Field: []*descriptorpb.FieldDescriptorProto{
					field("user", 1, str, opt, "", nil),
					field("password", 2, str, opt, "", secret()),
					field("key", 3, msg, opt, ".opi.test.v1.Key", nil),
					field("keys", 4, msg, rep, ".opi.test.v1.Key", nil),
					field("keys_by_name", 5, msg, rep, ".opi.test.v1.Credentials.KeysByNameEntry", nil),
				},
				NestedType: []*descriptorpb.DescriptorProto{{
					Name:    proto.String("KeysByNameEntry"),
					Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
					Field: []*descriptorpb.FieldDescriptorProto{
						field("key", 1, str, opt, "", nil),
						field("value", 2, msg, opt, ".opi.test.v1.Key", nil),
					},
				}},
			},
			{
				Name: proto.String("Key"),
				Field: []*descriptorpb.FieldDescriptorProto{
					field("label", 1, str, opt, "", nil),
					field("material", 2, byt, opt, "", secret()),
				},
			},
		},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatalf("building the test descriptor: %v", err)
	}
	return fd.Messages().ByName("Credentials"), fd.Messages().ByName("Key")
}

// fullCredentials returns a Credentials message with every field set.
func fullCredentials(t testing.TB) *dynamicpb.Message {
	credsMD, keyMD := secretDescriptor(t)
	newKey := func(label string) *dynamicpb.Message {
		k := dynamicpb.NewMessage(keyMD)
		k.Set(keyMD.Fields().ByName("label"), protoreflect.ValueOfString(label))
		k.Set(keyMD.Fields().ByName("material"), protoreflect.ValueOfBytes([]byte("s3cr3t-"+label)))
		return k
	}
	c := dynamicpb.NewMessage(credsMD)
	f := credsMD.Fields()
	c.Set(f.ByName("user"), protoreflect.ValueOfString("alice"))
	c.Set(f.ByName("password"), protoreflect.ValueOfString("hunter2"))
	c.Set(f.ByName("key"), protoreflect.ValueOfMessage(newKey("single")))
	list := c.Mutable(f.ByName("keys")).List()
	list.Append(protoreflect.ValueOfMessage(newKey("first")))
	list.Append(protoreflect.ValueOfMessage(newKey("second")))
	c.Mutable(f.ByName("keys_by_name")).Map().Set(protoreflect.ValueOfString("m").MapKey(), protoreflect.ValueOfMessage(newKey("mapped")))
	return c
}

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
			orig := fullCredentials(t)
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
	credsMD, _ := secretDescriptor(t)
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
