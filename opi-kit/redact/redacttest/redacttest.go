// Package redacttest builds messages whose fields carry the real
// `(opi.common.v1.secret)` option, for tests of code that must never leak
// them. No API message has a secret field yet, so the type is built at run
// time from a FileDescriptorProto.
package redacttest

import (
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Descriptors returns the message types Credentials and Key, built as
//
//	message Credentials {
//	  string user = 1;
//	  string password = 2 [(opi.common.v1.secret) = true];
//	  Key key = 3;
//	  repeated Key keys = 4;
//	  map<string, Key> keys_by_name = 5;
//	}
//	message Key { string label = 1; bytes material = 2 [(opi.common.v1.secret) = true]; }
func Descriptors(t testing.TB) (creds, key protoreflect.MessageDescriptor) {
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

// Credentials returns a Credentials message with every field set: user
// "alice", password "hunter2", and key material "s3cr3t-<label>" in key,
// keys[0..1] and keys_by_name["m"].
func Credentials(t testing.TB) *dynamicpb.Message {
	credsMD, keyMD := Descriptors(t)
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
