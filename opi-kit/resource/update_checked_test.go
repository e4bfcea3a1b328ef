package resource_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/aip/aiptest"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// Two masked updates at once, each valid on the stored resource, whose
// combination the check refuses: UpdateChecked checks each on what it
// would really leave, so one is refused and the stored resource is one
// the check accepted.
func TestUpdateCheckedStoresOnlyWhatWasChecked(t *testing.T) {
	ctx := context.Background()
	const budget = 1500 // max_iops + max_bandwidth may not exceed it
	check := func(next msg) error {
		time.Sleep(2 * time.Millisecond) // a check that asks the backend takes a while
		if aiptest.Get(next, "qos.max_iops").(int64)+aiptest.Get(next, "qos.max_bandwidth").(int64) > budget {
			return aip.InvalidArgumentf("over budget")
		}
		return nil
	}
	for round := range 20 {
		f := newFixture(t, store.NewMemory(), newFakeBackend())
		s1 := must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn.2016-06.io.spdk:s1")))
		ns := namespace(1, "v1")
		aiptest.Set(ns, "qos.max_iops", int64(500))
		aiptest.Set(ns, "qos.max_bandwidth", int64(500))
		created := must(f.namespaces.Create(ctx, aiptest.Get(s1, "name").(string), "ns1", ns))
		name := aiptest.Get(created, "name").(string)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, field := range []string{"qos.max_iops", "qos.max_bandwidth"} {
			patch := namespace(0, "")
			aiptest.Set(patch, "name", name)
			aiptest.Set(patch, field, int64(900))
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.namespaces.UpdateChecked(ctx, patch, &fieldmaskpb.FieldMask{Paths: []string{field}}, false, check)
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: errors %v and %v, want exactly one refused", round, errs[0], errs[1])
		}
		got := must(f.namespaces.Get(ctx, name))
		if sum := aiptest.Get(got, "qos.max_iops").(int64) + aiptest.Get(got, "qos.max_bandwidth").(int64); sum > budget {
			t.Fatalf("round %d: stored %d, over the budget the check enforces", round, sum)
		}
	}
}

// The check sees an allow_missing create as the message itself, and its
// refusal stores nothing.
func TestUpdateCheckedChecksAnAllowMissingCreate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, store.NewMemory(), newFakeBackend())
	s1 := aiptest.Get(must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn.2016-06.io.spdk:s1"))), "name").(string)
	patch := namespace(3, "v3")
	aiptest.Set(patch, "name", s1+"/nvmeNamespaces/new")
	var seen msg
	_, err := f.namespaces.UpdateChecked(ctx, patch, nil, true, func(next msg) error {
		seen = next
		return aip.InvalidArgumentf("no")
	})
	wantClass(t, err, aip.ErrInvalidArgument)
	if seen == nil || aiptest.Get(seen, "volume") != "v3" {
		t.Fatalf("the check saw %v, want the message to create", seen)
	}
	if _, err := f.namespaces.Get(ctx, s1+"/nvmeNamespaces/new"); err == nil {
		t.Fatal("a refused allow_missing create was stored")
	}
}
