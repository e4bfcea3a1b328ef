package names_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/names"
)

// apiPackages are the Go packages of opi-api whose messages may be
// resources; importing them here is what registers their files. A new API
// package belongs in this list.
var apiPackages = []protoreflect.FileDescriptor{
	inventoryv1.File_opi_inventory_v1_inventory_proto,
	storagev1.File_opi_storage_v1_volumes_proto,
	securityv1.File_opi_security_v1_ipsec_proto,
}

// apiResources returns every message of opi-api that declares a
// google.api.resource, found by walking the registered files of the API's
// proto packages rather than by listing the kinds again.
func apiResources(t *testing.T) []protoreflect.MessageDescriptor {
	t.Helper()
	var out []protoreflect.MessageDescriptor
	for _, pkg := range apiPackages {
		protoregistry.GlobalFiles.RangeFilesByPackage(pkg.Package(), func(fd protoreflect.FileDescriptor) bool {
			msgs := fd.Messages()
			for i := range msgs.Len() {
				if proto.HasExtension(msgs.Get(i).Options(), annotations.E_Resource) {
					out = append(out, msgs.Get(i))
				}
			}
			return true
		})
	}
	// 20 kinds when this test was written: 14 storage, 5 security, 1
	// inventory. Fewer means a package stopped being found, not a smaller API.
	if len(out) < 20 {
		t.Fatalf("found %d resources in opi-api, want at least 20", len(out))
	}
	return out
}

// sampleIDs returns one valid id per variable: "a1", "a2", ...
func sampleIDs(p *names.Pattern) []string {
	ids := make([]string, len(p.Variables()))
	for i := range ids {
		ids[i] = "a" + string(rune('1'+i))
	}
	return ids
}

// malformed returns names that are near misses of a valid name.
func malformed(name string) map[string]string {
	segs := strings.Split(name, "/")
	out := map[string]string{
		"empty":                 "",
		"with a trailing slash": name + "/",
		"with a leading slash":  "/" + name,
		"with a segment more":   name + "/extra",
		"under another kind":    "other/x1/" + name,
	}
	if len(segs) > 1 {
		out["with an empty segment"] = strings.Replace(name, "/", "//", 1)
		out["without its last segment"] = strings.Join(segs[:len(segs)-1], "/")
		out["with an upper-case id"] = strings.Join(segs[:len(segs)-1], "/") + "/A1"
		out["with an id ending in a hyphen"] = strings.Join(segs[:len(segs)-1], "/") + "/a-"
		out["with its collection misspelled"] = strings.Join(append(slices.Clone(segs[:len(segs)-2]), segs[len(segs)-2]+"x", segs[len(segs)-1]), "/")
	} else {
		out["in the plural"] = name + "s"
	}
	return out
}

func TestEveryAPIResourceHasAWorkingPattern(t *testing.T) {
	for _, md := range apiResources(t) {
		t.Run(string(md.FullName()), func(t *testing.T) {
			res, err := names.ForDescriptor(md)
			if err != nil {
				t.Fatal(err)
			}
			if res.Message != md {
				t.Errorf("Message = %v, want %v", res.Message.FullName(), md.FullName())
			}
			// The type names the message: "storage.opi.dev/MallocVolume".
			if _, kind, _ := strings.Cut(res.Type, "/"); kind != string(md.Name()) {
				t.Errorf("type %q does not end in the message name %s", res.Type, md.Name())
			}
			// The plural is the collection id, which the CLI turns into the
			// List method's name and the bridges into a store bucket.
			if c := res.Collection(); c != "" && c != res.Plural {
				t.Errorf("collection %q differs from plural %q", c, res.Plural)
			}
			name, err := res.Pattern.Format(sampleIDs(res.Pattern)...)
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			if err := res.Pattern.Validate(name); err != nil || !res.Pattern.Match(name) {
				t.Fatalf("%s does not accept its own sample %q: %v", res.Pattern, name, err)
			}
			if pp := res.Parent(); pp != nil {
				parent, err := res.Pattern.Parent(name)
				if err != nil || pp.Validate(parent) != nil {
					t.Errorf("parent %q of %q does not match %s: %v", parent, name, pp, err)
				}
			}
			for what, bad := range malformed(name) {
				if err := res.Pattern.Validate(bad); !errors.Is(err, names.ErrInvalid) {
					t.Errorf("a name %s, %q, was not refused: %v", what, bad, err)
				}
			}
			byType, err := names.Lookup(res.Type)
			if err != nil || byType.Message.FullName() != md.FullName() || byType.Pattern.String() != res.Pattern.String() {
				t.Errorf("Lookup(%q) = %v, %v; want the kind of %s", res.Type, byType, err, md.FullName())
			}
		})
	}
}

func TestForMessageNamesTheKindByItsGoType(t *testing.T) {
	res := names.MustForMessage(&storagev1.NvmeNamespace{})
	if res.Type != "storage.opi.dev/NvmeNamespace" || res.Pattern.String() != "nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}" ||
		res.Collection() != "nvmeNamespaces" || res.Parent().String() != "nvmeSubsystems/{nvme_subsystem}" || res.Singular != "nvmeNamespace" {
		t.Fatalf("got %+v", res)
	}
	if _, err := names.ForMessage(&storagev1.NvmeFabricsAddress{}); !errors.Is(err, names.ErrInvalid) {
		t.Fatalf("a message that is no resource: %v, want ErrInvalid", err)
	}
	if _, err := names.Lookup("storage.opi.dev/NoSuchKind"); !errors.Is(err, names.ErrInvalid) {
		t.Fatalf("an unknown type: %v, want ErrInvalid", err)
	}
}

// runtimeFile builds a file the way a descriptor read from the wire arrives:
// its google.api options are unknown fields until re-read. It declares
// Widget (a message resource), Gadget (a file-level resource_definition),
// Broken (a bad pattern) and Twice (declared by both).
func runtimeFile(t *testing.T) *protoregistry.Files {
	t.Helper()
	resource := func(typ string, patterns ...string) *annotations.ResourceDescriptor {
		return &annotations.ResourceDescriptor{Type: typ, Pattern: patterns, Plural: "x"}
	}
	message := func(name string, rd *annotations.ResourceDescriptor) *descriptorpb.DescriptorProto {
		o := &descriptorpb.MessageOptions{}
		proto.SetExtension(o, annotations.E_Resource, rd)
		return &descriptorpb.DescriptorProto{Name: proto.String(name), Options: o}
	}
	fo := &descriptorpb.FileOptions{}
	proto.SetExtension(fo, annotations.E_ResourceDefinition, []*annotations.ResourceDescriptor{
		resource("test.opi.dev/Gadget", "widgets/{widget}/gadgets/{gadget}"),
		resource("test.opi.dev/Twice", "twices/{twice}"),
	})
	fdp := &descriptorpb.FileDescriptorProto{
		Name: proto.String("opi/test/v1/names_test.proto"), Package: proto.String("opi.test.v1"), Syntax: proto.String("proto3"),
		Options: fo,
		MessageType: []*descriptorpb.DescriptorProto{
			message("Widget", resource("test.opi.dev/Widget", "widgets/{widget}")),
			message("Broken", resource("test.opi.dev/Broken", "brokens/{}")),
			message("Twice", resource("test.opi.dev/Twice", "twices/{twice}")),
			message("Many", resource("test.opi.dev/Many", "a/{a}", "b/{b}")),
		},
	}
	// Through the wire with no extension types known, as a reflection client gets it.
	b, err := proto.Marshal(fdp)
	if err != nil {
		t.Fatal(err)
	}
	wire := &descriptorpb.FileDescriptorProto{}
	if err := (proto.UnmarshalOptions{Resolver: (*protoregistry.Types)(nil)}).Unmarshal(b, wire); err != nil {
		t.Fatal(err)
	}
	if proto.HasExtension(wire.GetMessageType()[0].GetOptions(), annotations.E_Resource) {
		t.Fatal("the test file's options were parsed; the unknown-field path is not exercised")
	}
	fd, err := protodesc.NewFile(wire, nil)
	if err != nil {
		t.Fatal(err)
	}
	files := &protoregistry.Files{}
	if err := files.RegisterFile(fd); err != nil {
		t.Fatal(err)
	}
	return files
}

func TestRegistryReadsMessagesAndFileDefinitions(t *testing.T) {
	reg := names.NewRegistry(runtimeFile(t))
	tests := []struct {
		name    string
		typ     string
		pattern string // "" when the lookup must fail
		message string
	}{
		{name: "a message resource is found by type", typ: "test.opi.dev/Widget", pattern: "widgets/{widget}", message: "opi.test.v1.Widget"},
		{name: "a file-level definition is found by type, without a message", typ: "test.opi.dev/Gadget", pattern: "widgets/{widget}/gadgets/{gadget}"},
		{name: "a malformed pattern fails its own lookup", typ: "test.opi.dev/Broken"},
		{name: "a type declared twice is refused", typ: "test.opi.dev/Twice"},
		{name: "a kind with two patterns is refused", typ: "test.opi.dev/Many"},
		{name: "an undeclared type is refused", typ: "test.opi.dev/Nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := reg.Lookup(tt.typ)
			if tt.pattern == "" {
				if !errors.Is(err, names.ErrInvalid) || res != nil {
					t.Fatalf("Lookup(%q) = %v, %v; want ErrInvalid", tt.typ, res, err)
				}
				return
			}
			if err != nil || res.Pattern.String() != tt.pattern {
				t.Fatalf("Lookup(%q) = %v, %v; want pattern %q", tt.typ, res, err, tt.pattern)
			}
			if got := ""; res.Message != nil {
				got = string(res.Message.FullName())
				if got != tt.message {
					t.Errorf("Message = %q, want %q", got, tt.message)
				}
			} else if tt.message != "" {
				t.Errorf("Message = nil, want %q", tt.message)
			}
		})
	}
	if got, want := reg.Types(), []string{"test.opi.dev/Broken", "test.opi.dev/Gadget", "test.opi.dev/Many", "test.opi.dev/Twice", "test.opi.dev/Widget"}; !slices.Equal(got, want) {
		t.Errorf("Types() = %v, want %v", got, want)
	}
}
