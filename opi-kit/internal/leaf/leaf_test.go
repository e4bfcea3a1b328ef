package leaf_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	// Linked in although only go list reads them: a change to them then
	// changes this test's binary, so go test cannot answer from its cache
	// (it does not see what the go list it runs reads).
	_ "github.com/opi-suite/opi/opi-kit/aip"
	_ "github.com/opi-suite/opi/opi-kit/names"
	_ "github.com/opi-suite/opi/opi-kit/redact"
)

const kit = "github.com/opi-suite/opi/opi-kit/"

// protobuf is the one third-party module a leaf package may use.
const protobuf = "google.golang.org/protobuf/"

// allowed lists, beyond the standard library and protobuf, what each leaf
// package may depend on: generated packages that only declare the
// annotations the package reads.
var allowed = map[string][]string{
	"names": {
		"google.golang.org/genproto/googleapis/api",             // google.api.resource, google.api.resource_definition
		"google.golang.org/genproto/googleapis/api/annotations", // (imported by the line above)
		"github.com/opi-suite/opi/opi-kit/errdefs",              // the error classes: standard library only
	},
	"errdefs": {},
	"redact": {
		"github.com/opi-suite/opi/opi-api/common/v1", // (opi.common.v1.secret)
	},
}

// deps returns the non-standard packages in the non-test dependency
// closure of pkg, pkg itself included, as the go command resolves them.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// foreign returns the dependencies of pkg that its allowlist does not cover.
func foreign(t *testing.T, pkg string, allow []string) []string {
	var bad []string
	for _, d := range deps(t, kit+pkg) {
		if d != kit+pkg && !strings.HasPrefix(d, protobuf) && !slices.Contains(allow, d) {
			bad = append(bad, d)
		}
	}
	return bad
}

func TestLeafPackagesDependOnlyOnProtobuf(t *testing.T) {
	for pkg, allow := range allowed {
		t.Run(pkg, func(t *testing.T) {
			if bad := foreign(t, pkg, allow); len(bad) > 0 {
				t.Fatalf("%s depends on %s; keep server-side code out of it (see internal/leaf)", pkg, strings.Join(bad, ", "))
			}
		})
	}
}

// TestTheCheckSeesServerDependencies runs the same check on errgrpc,
// which maps errors to gRPC codes and must therefore be caught, so that a
// check that lists nothing (a go list that resolves no dependencies)
// cannot pass for a clean one.
func TestTheCheckSeesServerDependencies(t *testing.T) {
	bad := foreign(t, "errdefs/errgrpc", allowed["names"])
	if !slices.Contains(bad, "google.golang.org/grpc/status") {
		t.Fatalf("the check found %v in errdefs/errgrpc, want google.golang.org/grpc/status among them", bad)
	}
}
