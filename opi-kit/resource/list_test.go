package resource_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/aip/aiptest"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
)

func names(ms []msg) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		id, _ := namespacePattern.ID(aiptest.Get(m, "name").(string))
		out[i] = id
	}
	return out
}

func TestList(t *testing.T) {
	ctx := context.Background()
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.open(t)
			defer s.Close()
			f := newFixture(t, s, newFakeBackend())
			for _, id := range []string{"s1", "s2"} {
				must(f.subsystems.Create(ctx, "", id, subsystem("nqn."+id)))
			}
			for _, id := range []string{"e", "a", "c", "g"} {
				must(f.namespaces.Create(ctx, s1, id, namespace(1, "")))
			}
			must(f.namespaces.Create(ctx, "nvmeSubsystems/s2", "b", namespace(1, "")))

			t.Run("pages hold only direct children in name order", func(t *testing.T) {
				page1, tok := must2(f.namespaces.List(ctx, s1, 2, ""))
				if !slices.Equal(names(page1), []string{"a", "c"}) || tok == "" {
					t.Fatalf("page 1 = %v, token %q", names(page1), tok)
				}
				// Items created on both sides of the cursor between pages:
				// nothing before it may reappear, nothing after it is skipped.
				must(f.namespaces.Create(ctx, s1, "b", namespace(1, "")))
				must(f.namespaces.Create(ctx, s1, "f", namespace(1, "")))
				page2, tok := must2(f.namespaces.List(ctx, s1, 2, tok))
				page3, tok3 := must2(f.namespaces.List(ctx, s1, 2, tok))
				if got := append(names(page2), names(page3)...); !slices.Equal(got, []string{"e", "f", "g"}) || tok3 != "" {
					t.Fatalf("later pages = %v, last token %q", got, tok3)
				}
			})
			t.Run("a token for another parent is refused", func(t *testing.T) {
				_, tok := must2(f.namespaces.List(ctx, s1, 1, ""))
				_, _, err := f.namespaces.List(ctx, "nvmeSubsystems/s2", 1, tok)
				wantClass(t, err, aip.ErrInvalidArgument)
			})
			t.Run("a token for another filter is refused", func(t *testing.T) {
				_, tok := must2(f.namespaces.List(ctx, s1, 1, "", "volume=v1"))
				_, _, err := f.namespaces.List(ctx, s1, 1, tok, "volume=v2")
				wantClass(t, err, aip.ErrInvalidArgument)
			})
			t.Run("a token from another collection is refused", func(t *testing.T) {
				_, tok := must2(f.subsystems.List(ctx, "", 1, ""))
				_, _, err := f.namespaces.List(ctx, s1, 1, tok)
				wantClass(t, err, aip.ErrInvalidArgument)
			})
			t.Run("a negative page size is refused", func(t *testing.T) {
				_, _, err := f.namespaces.List(ctx, s1, -1, "")
				wantClass(t, err, aip.ErrInvalidArgument)
			})
			t.Run("a malformed parent is refused", func(t *testing.T) {
				_, _, err := f.namespaces.List(ctx, "", 0, "")
				wantClass(t, err, aip.ErrInvalidArgument)
			})
		})
	}
}

func TestPageTokenSurvivesReopeningTheStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intent.db")
	s := must(store.Open(path))
	f := newFixture(t, s, newFakeBackend())
	must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn")))
	for i := range 5 {
		must(f.namespaces.Create(ctx, s1, fmt.Sprintf("ns%d", i), namespace(1, "")))
	}
	_, tok := must2(f.namespaces.List(ctx, s1, 3, ""))
	s.Close()

	s = must(store.Open(path))
	defer s.Close()
	f = newFixture(t, s, newFakeBackend())
	page, next := must2(f.namespaces.List(ctx, s1, 3, tok))
	if !slices.Equal(names(page), []string{"ns3", "ns4"}) || next != "" {
		t.Fatalf("after reopen: %v, next %q", names(page), next)
	}
}

// TestGeneratedMessages uses a real API message: Inventory has only
// output-only fields besides its name, so every create of the same id is
// the same spec.
func TestGeneratedMessages(t *testing.T) {
	ctx := context.Background()
	inv := must(resource.New[*inventoryv1.Inventory](store.NewMemory(), "inventories", aip.MustCompile("inventories/{inventory}")))
	first := must(inv.Create(ctx, "", "host-a", &inventoryv1.Inventory{Hostname: "a"}))
	if first.GetName() != "inventories/host-a" || first.GetHostname() != "" {
		t.Fatalf("created %v: the name is set and output-only input is dropped", first)
	}
	second := must(inv.Create(ctx, "", "host-a", &inventoryv1.Inventory{Hostname: "b"}))
	if !proto.Equal(first, second) {
		t.Fatalf("retry = %v, want %v", second, first)
	}
	items, _ := must2(inv.List(ctx, "", 0, ""))
	if len(items) != 1 {
		t.Fatalf("List = %v", items)
	}
}

func TestNewRejectsMisuse(t *testing.T) {
	s := store.NewMemory()
	tests := []struct {
		name string
		err  error
	}{
		{"a dynamic message without its type", func() error {
			_, err := resource.New[msg](s, "nvmeNamespaces", namespacePattern)
			return err
		}()},
		{"a reserved kind name", func() error {
			_, err := resource.New[*inventoryv1.Inventory](s, "_refs", aip.MustCompile("inventories/{inventory}"))
			return err
		}()},
		{"a singleton pattern", func() error {
			_, err := resource.New[*inventoryv1.Inventory](s, "inventory", aip.MustCompile("inventory"))
			return err
		}()},
		{"a message without a name", func() error {
			_, err := resource.New[*inventoryv1.PciDevice](s, "pciDevices", aip.MustCompile("pciDevices/{pci_device}"))
			return err
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}
