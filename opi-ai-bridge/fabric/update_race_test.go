package fabric

import (
	"context"
	"sync"
	"testing"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// appliesAll is a backend that can apply everything and records nothing.
type appliesAll struct{}

func (appliesAll) Preflight(context.Context, *aiv1.FabricPort) ([]*aiv1.FabricCheck, error) {
	return nil, nil
}
func (appliesAll) Commands(*aiv1.FabricPort) []string             { return nil }
func (appliesAll) Apply(context.Context, *aiv1.FabricPort) error  { return nil }
func (appliesAll) Remove(context.Context, *aiv1.FabricPort) error { return nil }

// Two updates at once, one raising the ECN minimum and one lowering the
// maximum, each valid on the stored port: together they would make the
// minimum exceed the maximum, so one of them must be refused, and the
// stored port stays valid.
func TestConcurrentUpdatesStoreOnlyAValidatedPort(t *testing.T) {
	ctx := context.Background()
	for round := range 50 {
		p, err := New(store.NewMemory(), appliesAll{})
		if err != nil {
			t.Fatal(err)
		}
		port, err := p.Create(ctx, "p", &aiv1.FabricPort{Interface: "eth9", Ecn: &aiv1.EcnThresholds{MinBytes: 100, MaxBytes: 1000}}, false)
		if err != nil {
			t.Fatal(err)
		}
		raise := &aiv1.FabricPort{Name: port.GetName(), Ecn: &aiv1.EcnThresholds{MinBytes: 800, MaxBytes: 1000}}
		lower := &aiv1.FabricPort{Name: port.GetName(), Ecn: &aiv1.EcnThresholds{MinBytes: 100, MaxBytes: 500}}
		var wg sync.WaitGroup
		for _, u := range []struct {
			m    *aiv1.FabricPort
			path string
		}{{raise, "ecn.min_bytes"}, {lower, "ecn.max_bytes"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = p.Update(ctx, u.m, &fieldmaskpb.FieldMask{Paths: []string{u.path}}, false)
			}()
		}
		wg.Wait()
		got, err := p.Get(ctx, port.GetName())
		if err != nil {
			t.Fatal(err)
		}
		if e := got.GetEcn(); e.GetMinBytes() >= e.GetMaxBytes() {
			t.Fatalf("round %d: stored ECN min %d >= max %d, which validation refuses", round, e.GetMinBytes(), e.GetMaxBytes())
		}
	}
}
