package apidoc_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-tools/internal/apidoc"
	_ "google.golang.org/genproto/googleapis/api/annotations" // the google.api options in demoProto
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// demoProto is a small package with comments (source info), written as a
// FileDescriptorProto: a service with an HTTP binding and a streaming
// method, a resource message with field behaviors, a reference, a map, a
// oneof, an optional field, a nested message and enums.
const demoProto = `
name: "demo/v1/demo.proto"
package: "demo.v1"
dependency: ["google/api/annotations.proto", "google/api/field_behavior.proto", "google/api/resource.proto", "google/protobuf/timestamp.proto"]
syntax: "proto3"
options { go_package: "example.com/demo/v1;demov1" }
service {
  name: "ShelfService"
  method {
    name: "GetShelf" input_type: ".demo.v1.GetShelfRequest" output_type: ".demo.v1.Shelf"
    options { [google.api.http] { get: "/v1/{name=shelves/*}" additional_bindings { post: "/v1/{name=shelves/*}:get" body: "*" } } }
  }
  method { name: "WatchShelves" input_type: ".demo.v1.GetShelfRequest" output_type: ".demo.v1.Shelf" server_streaming: true }
}
message_type {
  name: "GetShelfRequest"
  field {
    name: "name" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "name"
    options { [google.api.field_behavior]: REQUIRED [google.api.resource_reference] { type: "demo.example.com/Shelf" } }
  }
}
message_type {
  name: "Shelf"
  options { [google.api.resource] { type: "demo.example.com/Shelf" pattern: "shelves/{shelf}" } }
  field { name: "name" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "name" options { [google.api.field_behavior]: IDENTIFIER } }
  field { name: "labels" number: 2 type: TYPE_MESSAGE label: LABEL_REPEATED type_name: ".demo.v1.Shelf.LabelsEntry" json_name: "labels" }
  field { name: "books" number: 3 type: TYPE_MESSAGE label: LABEL_REPEATED type_name: ".demo.v1.Shelf.Book" json_name: "books" options { [google.api.field_behavior]: OUTPUT_ONLY } }
  field { name: "color" number: 4 type: TYPE_ENUM label: LABEL_OPTIONAL type_name: ".demo.v1.Color" json_name: "color" oneof_index: 0 }
  field { name: "paint" number: 5 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "paint" oneof_index: 0 options { deprecated: true } }
  field { name: "capacity" number: 6 type: TYPE_INT32 label: LABEL_OPTIONAL json_name: "capacity" proto3_optional: true oneof_index: 1 }
  field { name: "create_time" number: 7 type: TYPE_MESSAGE label: LABEL_OPTIONAL type_name: ".google.protobuf.Timestamp" json_name: "createTime" }
  nested_type {
    name: "LabelsEntry"
    field { name: "key" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "key" }
    field { name: "value" number: 2 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "value" }
    options { map_entry: true }
  }
  nested_type { name: "Book" field { name: "title" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "title" } }
  oneof_decl { name: "finish" }
  oneof_decl { name: "_capacity" }
}
enum_type {
  name: "Color"
  value { name: "COLOR_UNSPECIFIED" number: 0 }
  value { name: "COLOR_OAK" number: 1 }
}
source_code_info {
  location { path: [2] span: [2, 0, 16] leading_comments: " Package demo.v1 is a test package.\n" }
  location { path: [6, 0] span: [5, 0, 9, 1] leading_comments: " ShelfService keeps shelves.\n\n It has | pipes | in its comment.\n" }
  location { path: [6, 0, 2, 0] span: [6, 2, 60] leading_comments: " Returns one shelf.\n" }
  location { path: [4, 1] span: [10, 0, 20, 1] leading_comments: " Shelf holds books.\n" }
  location { path: [4, 1, 2, 0] span: [11, 2, 20] leading_comments: " The resource name.\n" }
  location { path: [4, 1, 2, 1] span: [12, 2, 20] leading_comments: " Free-form labels.\n Second line.\n" }
  location { path: [4, 1, 3, 1] span: [13, 2, 20] leading_comments: " Book is one book.\n" }
  location { path: [5, 0, 2, 1] span: [14, 2, 20] leading_comments: " Oak wood.\n" }
}
`

// request builds a code generator request for the files to generate, with
// their imports first as protoc sends them.
func request(t *testing.T, generate []*descriptorpb.FileDescriptorProto, imports ...protoreflect.FileDescriptor) *pluginpb.CodeGeneratorRequest {
	t.Helper()
	req := &pluginpb.CodeGeneratorRequest{}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		for i := 0; i < fd.Imports().Len(); i++ {
			add(fd.Imports().Get(i).FileDescriptor)
		}
		req.ProtoFile = append(req.ProtoFile, protodesc.ToFileDescriptorProto(fd))
	}
	for _, fd := range imports {
		add(fd)
	}
	for _, f := range generate {
		if !seen[f.GetName()] {
			req.ProtoFile = append(req.ProtoFile, f)
		}
		req.FileToGenerate = append(req.FileToGenerate, f.GetName())
	}
	return req
}

// generate runs the plugin and returns its files by name.
func generate(t *testing.T, req *pluginpb.CodeGeneratorRequest) map[string]string {
	t.Helper()
	resp, err := apidoc.Run(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetError() != "" {
		t.Fatal(resp.GetError())
	}
	files := map[string]string{}
	for _, f := range resp.GetFile() {
		files[f.GetName()] = f.GetContent()
	}
	return files
}

func importsOf(t *testing.T, names ...string) []protoreflect.FileDescriptor {
	t.Helper()
	var fds []protoreflect.FileDescriptor
	for _, n := range names {
		fd, err := protoregistry.GlobalFiles.FindFileByPath(n)
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
	}
	return fds
}

func TestGenerateMatchesGolden(t *testing.T) {
	demo := &descriptorpb.FileDescriptorProto{}
	if err := prototext.Unmarshal([]byte(demoProto), demo); err != nil {
		t.Fatal(err)
	}
	imports := importsOf(t, "google/api/annotations.proto", "google/api/field_behavior.proto", "google/api/resource.proto", "google/protobuf/timestamp.proto")
	files := generate(t, request(t, []*descriptorpb.FileDescriptorProto{demo}, imports...))
	if len(files) != 2 {
		t.Fatalf("want demo.v1.md and README.md, got %d files", len(files))
	}
	for name, got := range files {
		golden := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s (run go test -update and review the diff):\n%s", name, golden, got)
		}
	}
	if again := generate(t, request(t, []*descriptorpb.FileDescriptorProto{demo}, imports...)); again["demo.v1.md"] != files["demo.v1.md"] {
		t.Error("two runs over the same request differ")
	}
}

func TestGenerateInventoryAPI(t *testing.T) {
	inv := protodesc.ToFileDescriptorProto(inventoryv1.File_opi_inventory_v1_inventory_proto)
	files := generate(t, request(t, []*descriptorpb.FileDescriptorProto{inv}, inventoryv1.File_opi_inventory_v1_inventory_proto))
	page := files["opi.inventory.v1.md"]
	for _, want := range []string{
		"# opi.inventory.v1",
		"## InventoryService",
		"| [GetInventory](#inventoryservicegetinventory) | [GetInventoryRequest](#getinventoryrequest) | [Inventory](#inventory) | `GET /v1/{name=inventory}` |",
		"| `inventory.opi.dev/Inventory` | `inventory` | [Inventory](#inventory) |",
		"| `name` | string | REQUIRED | Resource reference: `inventory.opi.dev/Inventory`. |",
		"| `pci_devices` | repeated [PciDevice](#pcidevice) | OUTPUT_ONLY | - |",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("opi.inventory.v1.md lacks %q:\n%s", want, page)
		}
	}
	if !strings.Contains(files["README.md"], "| [opi.inventory.v1](opi.inventory.v1.md) | [InventoryService](opi.inventory.v1.md#inventoryservice) |") {
		t.Errorf("README.md does not list the package:\n%s", files["README.md"])
	}
}
