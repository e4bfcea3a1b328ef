package validate_test

import (
	"context"
	"strings"
	"testing"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/validate"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	_ "google.golang.org/protobuf/types/known/fieldmaskpb" // registers google/protobuf/field_mask.proto
)

// testFile declares, with the real google.api.field_behavior option:
//
//	message CreateThingRequest { string parent = 1 [REQUIRED]; Thing thing = 2 [REQUIRED]; string thing_id = 3; string request_id = 4; }
//	message UpdateThingRequest { Thing thing = 1 [REQUIRED]; google.protobuf.FieldMask update_mask = 2; }
//	message Thing { string name = 1; string pool_id = 2 [REQUIRED]; string serial_id = 3 [OUTPUT_ONLY]; repeated Part parts = 4; }
//	message Part { string label = 1 [REQUIRED]; }
func testFile(t *testing.T) protoreflect.FileDescriptor {
	t.Helper()
	behavior := func(b annotations.FieldBehavior) *descriptorpb.FieldOptions {
		o := &descriptorpb.FieldOptions{}
		proto.SetExtension(o, annotations.E_FieldBehavior, []annotations.FieldBehavior{b})
		return o
	}
	req, out := behavior(annotations.FieldBehavior_REQUIRED), behavior(annotations.FieldBehavior_OUTPUT_ONLY)
	str, msg := descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
	field := func(name string, num int32, typ *descriptorpb.FieldDescriptorProto_Type, typeName string, repeated bool, o *descriptorpb.FieldOptions) *descriptorpb.FieldDescriptorProto {
		label := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
		if repeated {
			label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
		}
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Type: typ, Label: label.Enum(), Options: o}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("opi/test/v1/validate_test.proto"),
		Package:    proto.String("opi.test.v1"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/protobuf/field_mask.proto", "google/api/field_behavior.proto"},
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("CreateThingRequest"), Field: []*descriptorpb.FieldDescriptorProto{
				field("parent", 1, str, "", false, req),
				field("thing", 2, msg, ".opi.test.v1.Thing", false, req),
				field("thing_id", 3, str, "", false, nil),
				field("request_id", 4, str, "", false, nil),
			}},
			{Name: proto.String("UpdateThingRequest"), Field: []*descriptorpb.FieldDescriptorProto{
				field("thing", 1, msg, ".opi.test.v1.Thing", false, req),
				field("update_mask", 2, msg, ".google.protobuf.FieldMask", false, nil),
			}},
			{Name: proto.String("Thing"), Field: []*descriptorpb.FieldDescriptorProto{
				field("name", 1, str, "", false, nil),
				field("pool_id", 2, str, "", false, req),
				field("serial_id", 3, str, "", false, out),
				field("parts", 4, msg, ".opi.test.v1.Part", true, nil),
			}},
			{Name: proto.String("Part"), Field: []*descriptorpb.FieldDescriptorProto{
				field("label", 1, str, "", false, req),
			}},
		},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatalf("building the test descriptor: %v", err)
	}
	return fd
}

func TestRequest(t *testing.T) {
	fd := testFile(t)
	parse := func(name, text string) proto.Message {
		m := dynamicpb.NewMessage(fd.Messages().ByName(protoreflect.Name(name)))
		if err := prototext.Unmarshal([]byte(text), m); err != nil {
			t.Fatalf("parsing %s: %v", text, err)
		}
		return m
	}
	tests := []struct {
		name string
		req  proto.Message
		// want lists the field paths that must be reported, in order; none means valid.
		want []string
	}{
		{"a complete create request passes", parse("CreateThingRequest", `parent: "pools" thing: {pool_id: "pool-1" parts: {label: "a"}} thing_id: "thing-1"`), nil},
		{"a missing required top-level field is reported", parse("CreateThingRequest", `thing: {pool_id: "pool-1"}`), []string{"parent"}},
		{"a missing required message field is reported", parse("CreateThingRequest", `parent: "pools"`), []string{"thing"}},
		{"required fields inside a set message are checked", parse("CreateThingRequest", `parent: "p" thing: {name: "x"}`), []string{"thing.pool_id"}},
		{"list elements are checked with their index in the path", parse("CreateThingRequest", `parent: "p" thing: {pool_id: "pool-1" parts: {label: "a"} parts: {}}`), []string{"thing.parts[1].label"}},
		{"a set id field must be a valid resource id", parse("CreateThingRequest", `parent: "p" thing: {pool_id: "Pool_1"} thing_id: "-bad"`), []string{"thing.pool_id", "thing_id"}},
		{"request_id is a UUID and not checked as a resource id", parse("CreateThingRequest", `parent: "p" thing: {pool_id: "pool-1"} request_id: "0b3c4e9a-58f1-4d7e-9a57-3c2f1e0d9b8a"`), nil},
		{"output-only id fields are ignored", parse("CreateThingRequest", `parent: "p" thing: {pool_id: "pool-1" serial_id: "NOT AN ID"}`), nil},
		{"an update with a mask checks only top-level required fields", parse("UpdateThingRequest", `thing: {name: "x"} update_mask: {paths: "name"}`), nil},
		{"an update still needs its required resource", parse("UpdateThingRequest", `update_mask: {paths: "name"}`), []string{"thing"}},
		{"the real inventory request needs a name", &inventoryv1.GetInventoryRequest{}, []string{"name"}},
		{"the real inventory request with a name passes", &inventoryv1.GetInventoryRequest{Name: "inventory"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range validate.Check(tt.req) {
				got = append(got, v.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("violations at %v, want %v", got, tt.want)
			}
			err := validate.Request(tt.req)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Request() = %v, want nil", err)
				}
				return
			}
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument {
				t.Fatalf("code = %v, want InvalidArgument", st.Code())
			}
			for _, f := range tt.want {
				if !strings.Contains(st.Message(), f+": ") {
					t.Errorf("message %q does not name field %s", st.Message(), f)
				}
			}
			if len(st.Details()) != 1 {
				t.Errorf("got %d details, want one google.rpc.BadRequest", len(st.Details()))
			}
		})
	}
}

func BenchmarkRequest(b *testing.B) {
	req := &inventoryv1.GetInventoryRequest{Name: "inventory"}
	for b.Loop() {
		if err := validate.Request(req); err != nil {
			b.Fatal(err)
		}
	}
}

func TestExceptLeavesTheNamedMethodsUnchecked(t *testing.T) {
	intercept := validate.UnaryServerInterceptor(validate.Except(func(m string) bool { return strings.HasPrefix(m, "/other.v1.Inventory/") }))
	handler := func(context.Context, any) (any, error) { return "handled", nil }
	req := &inventoryv1.GetInventoryRequest{} // its name is REQUIRED
	if _, err := intercept(context.Background(), req, &grpc.UnaryServerInfo{FullMethod: "/opi.inventory.v1.InventoryService/GetInventory"}, handler); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a checked method: %v, want InvalidArgument", err)
	}
	if out, err := intercept(context.Background(), req, &grpc.UnaryServerInfo{FullMethod: "/other.v1.Inventory/GetInventory"}, handler); err != nil || out != "handled" {
		t.Fatalf("an excepted method: %v %v, want it handled", out, err)
	}
}
