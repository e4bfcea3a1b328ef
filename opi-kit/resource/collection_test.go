package resource_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/aip/aiptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

const s1 = "nvmeSubsystems/s1"

func TestCollection(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, f *fixture)
	}{
		{"a created resource is stored, made in the backend and ready", func(t *testing.T, f *fixture) {
			got := must(f.namespaces.Create(ctx, s1, "ns1", namespace(1<<20, "v1")))
			name := s1 + "/nvmeNamespaces/ns1"
			if aiptest.Get(got, "name") != name || aiptest.Get(got, "uuid") != "uuid-of-"+name {
				t.Fatalf("created %v", got)
			}
			st := aiptest.Get(got, "status.state")
			if st != commonv1.ResourceState_RESOURCE_STATE_READY.Number() {
				t.Fatalf("status = %v, want READY", st)
			}
			if !f.backend.has(name) {
				t.Fatal("backend does not hold the namespace")
			}
			if again := must(f.namespaces.Get(ctx, name)); !proto.Equal(again, got) {
				t.Fatalf("Get = %v, want %v", again, got)
			}
		}},
		{"creating the same spec again returns the stored one without a write", func(t *testing.T, f *fixture) {
			first := must(f.namespaces.Create(ctx, s1, "ns1", namespace(1<<20, "v1")))
			retry := namespace(1<<20, "v1")
			aiptest.Set(retry, "uuid", "client-made-up") // output only: ignored
			second := must(f.namespaces.Create(ctx, s1, "ns1", retry))
			if !proto.Equal(first, second) || f.backend.count("create") != 2 { // subsystem + one namespace
				t.Fatalf("retry changed something: %v vs %v, %d backend creates", first, second, f.backend.count("create"))
			}
		}},
		{"creating the same id with another spec already exists", func(t *testing.T, f *fixture) {
			must(f.namespaces.Create(ctx, s1, "ns1", namespace(1<<20, "v1")))
			_, err := f.namespaces.Create(ctx, s1, "ns1", namespace(1<<20, "v2"))
			wantClass(t, err, aip.ErrAlreadyExists)
		}},
		{"creating under a missing parent is not found", func(t *testing.T, f *fixture) {
			_, err := f.namespaces.Create(ctx, "nvmeSubsystems/nope", "ns1", namespace(1, ""))
			wantClass(t, err, aip.ErrNotFound)
		}},
		{"creating with a bad id is an invalid argument", func(t *testing.T, f *fixture) {
			_, err := f.namespaces.Create(ctx, s1, "NS_1", namespace(1, ""))
			wantClass(t, err, aip.ErrInvalidArgument)
		}},
		{"a backend refusal leaves nothing stored", func(t *testing.T, f *fixture) {
			f.backend.fail = aip.InvalidArgumentf("no such bdev")
			_, err := f.namespaces.Create(ctx, s1, "ns1", namespace(1, "v1"))
			wantClass(t, err, aip.ErrInvalidArgument)
			_, err = f.namespaces.Get(ctx, s1+"/nvmeNamespaces/ns1")
			wantClass(t, err, aip.ErrNotFound)
			if err := f.subsystems.Delete(ctx, s1, false); err != nil {
				t.Fatalf("the failed child still holds its parent: %v", err)
			}
		}},
		{"a parent with children cannot be deleted", func(t *testing.T, f *fixture) {
			must(f.namespaces.Create(ctx, s1, "ns1", namespace(1, "")))
			wantClass(t, f.subsystems.Delete(ctx, s1, false), aip.ErrFailedPrecondition)
			if err := f.namespaces.Delete(ctx, s1+"/nvmeNamespaces/ns1", false); err != nil {
				t.Fatal(err)
			}
			if err := f.subsystems.Delete(ctx, s1, false); err != nil {
				t.Fatalf("delete after the child went: %v", err)
			}
			if f.backend.has(s1) {
				t.Fatal("backend still holds the subsystem")
			}
		}},
		{"deleting a missing resource is not found unless allowed", func(t *testing.T, f *fixture) {
			wantClass(t, f.namespaces.Delete(ctx, s1+"/nvmeNamespaces/gone", false), aip.ErrNotFound)
			if err := f.namespaces.Delete(ctx, s1+"/nvmeNamespaces/gone", true); err != nil {
				t.Fatalf("allow_missing delete = %v", err)
			}
			if n := f.backend.count("delete"); n != 0 {
				t.Fatalf("backend saw %d deletes for nothing", n)
			}
		}},
		{"a failed backend delete keeps the resource", func(t *testing.T, f *fixture) {
			must(f.namespaces.Create(ctx, s1, "ns1", namespace(1, "")))
			f.backend.fail = aip.Unavailablef("spdk is restarting")
			wantClass(t, f.namespaces.Delete(ctx, s1+"/nvmeNamespaces/ns1", false), aip.ErrUnavailable)
			must(f.namespaces.Get(ctx, s1+"/nvmeNamespaces/ns1"))
			if _, err := f.namespaces.Create(ctx, s1, "ns2", namespace(1, "")); err != nil {
				t.Fatalf("the parent is still marked as being deleted: %v", err)
			}
		}},
		{"an update with a mask changes the backend and the store", func(t *testing.T, f *fixture) {
			must(f.namespaces.Create(ctx, s1, "ns1", namespace(1, "v1")))
			patch := namespace(0, "v2")
			aiptest.Set(patch, "name", s1+"/nvmeNamespaces/ns1")
			got := must(f.namespaces.Update(ctx, patch, &fieldmaskpb.FieldMask{Paths: []string{"volume"}}, false))
			if aiptest.Get(got, "volume") != "v2" || aiptest.Get(got, "size_bytes") != int64(1) || f.backend.count("update") != 1 {
				t.Fatalf("updated = %v, %d backend updates", got, f.backend.count("update"))
			}
			if aiptest.Get(got, "uuid") != "uuid-of-"+s1+"/nvmeNamespaces/ns1" {
				t.Fatalf("update lost an output-only field: %v", got)
			}
		}},
		{"an update that changes nothing does not touch the backend", func(t *testing.T, f *fixture) {
			must(f.namespaces.Create(ctx, s1, "ns1", namespace(1, "v1")))
			patch := namespace(1, "v1")
			aiptest.Set(patch, "name", s1+"/nvmeNamespaces/ns1")
			must(f.namespaces.Update(ctx, patch, &fieldmaskpb.FieldMask{Paths: []string{"*"}}, false))
			if n := f.backend.count("update"); n != 0 {
				t.Fatalf("%d backend updates for a no-op", n)
			}
		}},
		{"an update of an immutable field is refused", func(t *testing.T, f *fixture) {
			must(f.namespaces.Create(ctx, s1, "ns1", namespace(1, "v1")))
			patch := namespace(2, "v1")
			aiptest.Set(patch, "name", s1+"/nvmeNamespaces/ns1")
			_, err := f.namespaces.Update(ctx, patch, &fieldmaskpb.FieldMask{Paths: []string{"size_bytes"}}, false)
			wantClass(t, err, aip.ErrInvalidArgument)
		}},
		{"an update of a missing resource is not found unless allowed, then it creates", func(t *testing.T, f *fixture) {
			patch := namespace(3, "v3")
			aiptest.Set(patch, "name", s1+"/nvmeNamespaces/new")
			_, err := f.namespaces.Update(ctx, patch, nil, false)
			wantClass(t, err, aip.ErrNotFound)
			got := must(f.namespaces.Update(ctx, patch, nil, true))
			if aiptest.Get(got, "size_bytes") != int64(3) || !f.backend.has(s1+"/nvmeNamespaces/new") {
				t.Fatalf("allow_missing update did not create: %v", got)
			}
		}},
		{"a refused backend update restores the previous intent", func(t *testing.T, f *fixture) {
			must(f.namespaces.Create(ctx, s1, "ns1", namespace(1, "v1")))
			patch := namespace(1, "v2")
			aiptest.Set(patch, "name", s1+"/nvmeNamespaces/ns1")
			f.backend.fail = errors.New("spdk said no")
			if _, err := f.namespaces.Update(ctx, patch, nil, false); err == nil {
				t.Fatal("update succeeded")
			}
			got := must(f.namespaces.Get(ctx, s1+"/nvmeNamespaces/ns1"))
			if aiptest.Get(got, "volume") != "v1" || aiptest.Get(got, "status.state") != commonv1.ResourceState_RESOURCE_STATE_READY.Number() {
				t.Fatalf("after a failed update: %v", got)
			}
		}},
		{"the reconciler's status is shown on reads", func(t *testing.T, f *fixture) {
			must(f.namespaces.Create(ctx, s1, "ns1", namespace(1, "")))
			name := s1 + "/nvmeNamespaces/ns1"
			if err := f.namespaces.SetStatus(ctx, name, commonv1.ResourceState_RESOURCE_STATE_ERROR, "bdev vanished"); err != nil {
				t.Fatal(err)
			}
			got := must(f.namespaces.Get(ctx, name))
			if aiptest.Get(got, "status.message") != "bdev vanished" {
				t.Fatalf("status not shown: %v", got)
			}
			wantClass(t, f.namespaces.SetStatus(ctx, s1+"/nvmeNamespaces/nope", 0, ""), aip.ErrNotFound)
		}},
		{"walk visits every resource of every parent in name order", func(t *testing.T, f *fixture) {
			must(f.subsystems.Create(ctx, "", "s2", subsystem("nqn.2")))
			for _, n := range []string{"nvmeSubsystems/s2/nvmeNamespaces/b", s1 + "/nvmeNamespaces/z", "nvmeSubsystems/s2/nvmeNamespaces/a"} {
				parent, _ := namespacePattern.Parent(n)
				id, _ := namespacePattern.ID(n)
				must(f.namespaces.Create(ctx, parent, id, namespace(1, "")))
			}
			var got []string
			err := f.namespaces.Walk(ctx, func(m msg) error { got = append(got, aiptest.Get(m, "name").(string)); return nil })
			if err != nil || fmt.Sprint(got) != "[nvmeSubsystems/s1/nvmeNamespaces/z nvmeSubsystems/s2/nvmeNamespaces/a nvmeSubsystems/s2/nvmeNamespaces/b]" {
				t.Fatalf("Walk = %v, %v", got, err)
			}
			names, err := f.namespaces.Names(ctx)
			if err != nil || fmt.Sprint(names) != fmt.Sprint(got) {
				t.Fatalf("Names = %v, %v; want Walk's %v", names, err, got)
			}
		}},
	}
	for _, st := range stores {
		for _, tt := range tests {
			t.Run(st.name+"/"+tt.name, func(t *testing.T) {
				s := st.open(t)
				defer s.Close()
				f := newFixture(t, s, newFakeBackend())
				must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn.2026-01.dev.opi:s1")))
				tt.run(t, f)
			})
		}
	}
}
