package authz_test

import (
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-kit/authz"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestReadOnly(t *testing.T) {
	tests := []struct {
		method string
		want   bool
	}{
		{"/opi.inventory.v1.InventoryService/GetInventory", true},
		{"/opi.storage.v1.NvmeService/ListNvmeControllers", true},
		{"/opi.network.v1.EventService/WatchEvents", true},
		{"/opi.storage.v1.NvmeService/StatsNvmeController", true},
		{"/grpc.health.v1.Health/Check", true},
		{"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", true},
		{"/opi.storage.v1.NvmeService/CreateNvmeController", false},
		{"/opi.storage.v1.NvmeService/DeleteNvmeController", false},
		{"/opi.security.v1.IpsecService/Getaway", true}, // the rule is by prefix; names follow AIP verbs
		{"/opi.security.v1.IpsecService/ResetGetCounters", false},
	}
	for _, tt := range tests {
		name := tt.method + " is read-only"
		if !tt.want {
			name = tt.method + " mutates"
		}
		t.Run(name, func(t *testing.T) {
			if got := authz.ReadOnly(tt.method); got != tt.want {
				t.Errorf("ReadOnly(%q) = %v, want %v", tt.method, got, tt.want)
			}
		})
	}
}

func TestAuthorize(t *testing.T) {
	admin := authz.Identity{CommonName: "ops", OrganizationalUnits: []string{"admin"}}
	reader := authz.Identity{CommonName: "dash", OrganizationalUnits: []string{"reader"}}
	both := authz.Identity{CommonName: "root", OrganizationalUnits: []string{"reader", "admin"}}
	nobody := authz.Identity{CommonName: "guest", OrganizationalUnits: []string{"sales"}}
	const get, del = "/opi.x.v1.S/GetThing", "/opi.x.v1.S/DeleteThing"
	tests := []struct {
		name    string
		id      authz.Identity
		method  string
		allowed bool
		// mention must appear in the denial message.
		mention []string
	}{
		{"an admin may read", admin, get, true, nil},
		{"an admin may mutate", admin, del, true, nil},
		{"a holder of both roles acts as admin", both, del, true, nil},
		{"a reader may read", reader, get, true, nil},
		{"a reader may not mutate", reader, del, false, []string{"needs role admin", `CN="dash"`, "role reader"}},
		{"an identity without a role may not read", nobody, get, false, []string{"needs role reader", `CN="guest"`, "no role"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := authz.Authorize(tt.id, tt.method)
			if tt.allowed {
				if err != nil {
					t.Fatalf("denied: %v", err)
				}
				return
			}
			st := status.Convert(err)
			if st.Code() != codes.PermissionDenied {
				t.Fatalf("code = %v, want PermissionDenied", st.Code())
			}
			for _, m := range tt.mention {
				if !strings.Contains(st.Message(), m) {
					t.Errorf("message %q does not mention %q", st.Message(), m)
				}
			}
		})
	}
}
