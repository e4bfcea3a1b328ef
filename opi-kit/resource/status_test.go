package resource_test

import (
	"context"
	"sync/atomic"
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/store"
)

// countingStore counts read-write transactions: on bbolt each one costs an
// fsync, written or not.
type countingStore struct {
	store.Store
	updates atomic.Int32
}

func (s *countingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

func TestConfirmingAnUnchangedStatusWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := &countingStore{Store: store.NewMemory()}
	f := newFixture(t, s, newFakeBackend())
	must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn.2016-06.io.spdk:s1")))
	ready := commonv1.ResourceState_RESOURCE_STATE_READY
	before := s.updates.Load()
	for range 3 {
		if err := f.subsystems.SetStatus(ctx, s1, ready, ""); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.updates.Load() - before; got != 0 {
		t.Fatalf("confirming READY three times ran %d read-write transactions, want 0", got)
	}
	if err := f.subsystems.SetStatus(ctx, s1, commonv1.ResourceState_RESOURCE_STATE_ERROR, "gone from the backend"); err != nil {
		t.Fatal(err)
	}
	if got := s.updates.Load() - before; got != 1 {
		t.Fatalf("a changed status ran %d read-write transactions, want 1", got)
	}
	st, err := f.subsystems.Status(ctx, s1)
	if err != nil || st.GetState() != commonv1.ResourceState_RESOURCE_STATE_ERROR || st.GetMessage() != "gone from the backend" {
		t.Fatalf("status = %v, %v", st, err)
	}
}
