package resource_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/aip/aiptest"
	"github.com/opi-suite/opi/opi-kit/store"
)

// TestRecover kills an operation at each point of the protocol, reopens
// the bbolt file as a restarted bridge would, and checks that Recover
// leaves the store and the backend agreeing.
func TestRecover(t *testing.T) {
	ctx := context.Background()
	const ns1 = s1 + "/nvmeNamespaces/ns1"
	tests := []struct {
		name        string
		setup       func(f *fixture) // before the crash, acknowledged
		crash       func(f *fixture) // the operation that dies
		recoverFail error            // the backend's answer during Recover
		wantStored  bool             // ns1 in the store afterwards
		check       func(t *testing.T, f *fixture)
	}{
		{
			name:       "a create killed after the backend call is committed",
			crash:      func(f *fixture) { f.backend.crash = true; f.namespaces.Create(ctx, s1, "ns1", namespace(1, "v1")) },
			wantStored: true,
		},
		{
			name: "a create killed before the backend call is completed",
			crash: func(f *fixture) {
				f.backend.fail, f.backend.crash = fmt.Errorf("killed before the call took effect"), true
				f.namespaces.Create(ctx, s1, "ns1", namespace(1, "v1"))
			},
			wantStored: true,
		},
		{
			name:        "a create the backend refuses on recovery is removed",
			crash:       func(f *fixture) { f.backend.crash = true; f.namespaces.Create(ctx, s1, "ns1", namespace(1, "v1")) },
			recoverFail: aip.InvalidArgumentf("bdev gone"),
			wantStored:  false,
		},
		{
			name:  "a delete killed after the backend call is completed",
			setup: func(f *fixture) { must(f.namespaces.Create(ctx, s1, "ns1", namespace(1, "v1"))) },
			crash: func(f *fixture) { f.backend.crash = true; f.namespaces.Delete(ctx, ns1, false) },
			check: func(t *testing.T, f *fixture) {
				if err := f.subsystems.Delete(ctx, s1, false); err != nil {
					t.Fatalf("the deleted child still holds its parent: %v", err)
				}
			},
		},
		{
			name:  "an update killed after the backend call is committed",
			setup: func(f *fixture) { must(f.namespaces.Create(ctx, s1, "ns1", namespace(1, "v1"))) },
			crash: func(f *fixture) {
				p := namespace(1, "v2")
				aiptest.Set(p, "name", ns1)
				f.backend.crash = true
				f.namespaces.Update(ctx, p, nil, false)
			},
			wantStored: true,
			check: func(t *testing.T, f *fixture) {
				if v := aiptest.Get(must(f.namespaces.Get(ctx, ns1)), "volume"); v != "v2" {
					t.Fatalf("volume = %v, want the update's v2", v)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "intent.db")
			backend := newFakeBackend()
			s := must(store.Open(path))
			f := newFixture(t, s, backend)
			must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn")))
			if tt.setup != nil {
				tt.setup(f)
			}
			runUntilCrash(func() { tt.crash(f) })
			s.Close()

			s = must(store.Open(path))
			defer s.Close()
			f = newFixture(t, s, backend)
			backend.fail = tt.recoverFail
			if err := f.namespaces.Recover(ctx); err != nil {
				t.Fatalf("Recover: %v", err)
			}
			got, err := f.namespaces.Get(ctx, ns1)
			stored := err == nil
			if stored != tt.wantStored || backend.has(ns1) != tt.wantStored {
				t.Fatalf("stored %v (%v), in backend %v; want both %v", stored, err, backend.has(ns1), tt.wantStored)
			}
			if stored && aiptest.Get(got, "status.state") != commonv1.ResourceState_RESOURCE_STATE_READY.Number() {
				t.Fatalf("status after Recover = %v", aiptest.Get(got, "status"))
			}
			if err := f.namespaces.Recover(ctx); err != nil {
				t.Fatalf("a second Recover: %v", err)
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

func TestConcurrentCreatesOfOneNameReachTheBackendOnce(t *testing.T) {
	ctx := context.Background()
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.open(t)
			defer s.Close()
			f := newFixture(t, s, newFakeBackend())
			must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn")))
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Go(func() {
					if _, err := f.namespaces.Create(ctx, s1, fmt.Sprintf("ns%d", i%4), namespace(1, "")); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if n := f.backend.count("create"); n != 1+4 {
				t.Fatalf("backend creates = %d, want one per name", n)
			}
		})
	}
}
