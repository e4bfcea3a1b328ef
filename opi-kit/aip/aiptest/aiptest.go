// Package aiptest provides resource messages for tests of the shared
// runtime: an NVMe subsystem and its namespaces, shaped like the storage
// API (IDENTIFIER name, IMMUTABLE, OUTPUT_ONLY and nested fields, a map and
// the common ResourceStatus), built at run time with dynamicpb. The
// inventory API has no child resources, and the runtime must not import a
// bridge's API, so tests use these.
package aiptest

import (
	"strings"
	"sync"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Patterns of the two test kinds, as the storage bridge writes them.
const (
	SubsystemPattern = "nvmeSubsystems/{nvme_subsystem}"
	NamespacePattern = "nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}"
)

var file = sync.OnceValue(func() protoreflect.FileDescriptor {
	// Referencing the generated packages registers their files, which the
	// test file imports.
	_ = annotations.E_FieldBehavior
	_ = commonv1.ResourceState_RESOURCE_STATE_READY

	str := descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()
	i64 := descriptorpb.FieldDescriptorProto_TYPE_INT64.Enum()
	boolean := descriptorpb.FieldDescriptorProto_TYPE_BOOL.Enum()
	msg := descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
	field := func(name string, num int32, typ *descriptorpb.FieldDescriptorProto_Type, typeName string, fb ...annotations.FieldBehavior) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{
			Name:     proto.String(name),
			JsonName: proto.String(name),
			Number:   proto.Int32(num),
			Label:    descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			Type:     typ,
		}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		if len(fb) > 0 {
			f.Options = &descriptorpb.FieldOptions{}
			proto.SetExtension(f.Options, annotations.E_FieldBehavior, fb)
		}
		return f
	}
	const (
		identifier = annotations.FieldBehavior_IDENTIFIER
		immutable  = annotations.FieldBehavior_IMMUTABLE
		outputOnly = annotations.FieldBehavior_OUTPUT_ONLY
	)
	labels := field("labels", 6, msg, ".opi.kittest.v1.NvmeNamespace.LabelsEntry")
	labels.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("opi/kittest/v1/kittest.proto"),
		Package:    proto.String("opi.kittest.v1"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/api/field_behavior.proto", "opi/common/v1/common.proto"},
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("NvmeSubsystem"),
			Field: []*descriptorpb.FieldDescriptorProto{
				field("name", 1, str, "", identifier),
				field("nqn", 2, str, "", immutable),
				field("model", 3, str, ""),
				field("status", 4, msg, ".opi.common.v1.ResourceStatus", outputOnly),
			},
		}, {
			Name: proto.String("Qos"),
			Field: []*descriptorpb.FieldDescriptorProto{
				field("max_iops", 1, i64, ""),
				field("max_bandwidth", 2, i64, ""),
				field("applied", 3, boolean, "", outputOnly),
			},
		}, {
			Name: proto.String("NvmeNamespace"),
			Field: []*descriptorpb.FieldDescriptorProto{
				field("name", 1, str, "", identifier),
				field("size_bytes", 2, i64, "", immutable),
				field("volume", 3, str, ""),
				field("uuid", 4, str, "", outputOnly),
				field("qos", 5, msg, ".opi.kittest.v1.Qos"),
				labels,
				field("status", 7, msg, ".opi.common.v1.ResourceStatus", outputOnly),
			},
			NestedType: []*descriptorpb.DescriptorProto{{
				Name:    proto.String("LabelsEntry"),
				Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
				Field: []*descriptorpb.FieldDescriptorProto{
					field("key", 1, str, ""),
					field("value", 2, str, ""),
				},
			}},
		}},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		panic(err)
	}
	return fd
})

// SubsystemType is opi.kittest.v1.NvmeSubsystem: name (IDENTIFIER), nqn
// (IMMUTABLE), model, status (OUTPUT_ONLY ResourceStatus).
func SubsystemType() protoreflect.MessageType {
	return dynamicpb.NewMessageType(file().Messages().ByName("NvmeSubsystem"))
}

// NamespaceType is opi.kittest.v1.NvmeNamespace: name (IDENTIFIER),
// size_bytes (IMMUTABLE), volume, uuid (OUTPUT_ONLY), qos (message with an
// OUTPUT_ONLY "applied"), labels (map), status (OUTPUT_ONLY ResourceStatus).
func NamespaceType() protoreflect.MessageType {
	return dynamicpb.NewMessageType(file().Messages().ByName("NvmeNamespace"))
}

// New returns a message of type t with the given top-level fields set; a
// value is anything protoreflect.ValueOf accepts, or a map[string]string
// for a map field.
func New(t protoreflect.MessageType, fields map[string]any) *dynamicpb.Message {
	m := t.New().Interface().(*dynamicpb.Message)
	for name, v := range fields {
		Set(m, name, v)
	}
	return m
}

// Set sets one field by its (dotted) name, creating parent messages.
func Set(m proto.Message, path string, v any) {
	r, fd := walk(m.ProtoReflect(), path, true)
	if kv, ok := v.(map[string]string); ok {
		mp := r.Mutable(fd).Map()
		for k, val := range kv {
			mp.Set(protoreflect.ValueOfString(k).MapKey(), protoreflect.ValueOfString(val))
		}
		return
	}
	r.Set(fd, protoreflect.ValueOf(v))
}

// Get returns the value of a (dotted) field: a Go scalar, or a
// protoreflect.Message / Map / List for composite fields.
func Get(m proto.Message, path string) any {
	r, fd := walk(m.ProtoReflect(), path, false)
	return r.Get(fd).Interface()
}

func walk(m protoreflect.Message, path string, mutable bool) (protoreflect.Message, protoreflect.FieldDescriptor) {
	for {
		name, rest, more := strings.Cut(path, ".")
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			panic("aiptest: no field " + name + " in " + string(m.Descriptor().FullName()))
		}
		if !more {
			return m, fd
		}
		if mutable {
			m = m.Mutable(fd).Message()
		} else {
			m = m.Get(fd).Message()
		}
		path = rest
	}
}
