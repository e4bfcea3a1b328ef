package inference

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

type noScrape struct{}

func (noScrape) Scrape(context.Context, string, string) (Metrics, error) {
	return Metrics{}, fmt.Errorf("no endpoint in this test")
}

func newTestPools(t *testing.T) *Pools {
	t.Helper()
	p, err := New(Config{Store: store.NewMemory(), Scraper: noScrape{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func poolFor(models ...string) *aiv1.InferencePool {
	return &aiv1.InferencePool{ServedModelNames: models, Endpoints: []string{"127.0.0.1:1"}}
}

// concurrently runs f(i) for i in 0..n-1 at once and returns the errors.
func concurrently(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func oneSucceeds(t *testing.T, errs []error) {
	t.Helper()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, errdefs.ErrAlreadyExists):
			t.Errorf("a losing request: %v, want ALREADY_EXISTS", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d conflicting requests succeeded, want exactly 1", ok, len(errs))
	}
}

// Twenty pools created at once for one model name: one wins, the others
// are refused, and the model is served by one pool only.
func TestConcurrentCreatesClaimAModelOnce(t *testing.T) {
	p := newTestPools(t)
	ctx := context.Background()
	oneSucceeds(t, concurrently(20, func(i int) error {
		_, err := p.Create(ctx, fmt.Sprintf("p%d", i), poolFor("llama"))
		return err
	}))
	pools, _, err := p.List(ctx, 100, "")
	if err != nil || len(pools) != 1 {
		t.Fatalf("stored pools: %d (%v), want 1", len(pools), err)
	}
}

// Twenty pools each updated at once to serve the same new model: one wins.
func TestConcurrentUpdatesClaimAModelOnce(t *testing.T) {
	p := newTestPools(t)
	ctx := context.Background()
	for i := range 20 {
		if _, err := p.Create(ctx, fmt.Sprintf("p%d", i), poolFor(fmt.Sprintf("m%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	oneSucceeds(t, concurrently(20, func(i int) error {
		m := poolFor("shared")
		m.Name = fmt.Sprintf("inferencePools/p%d", i)
		_, err := p.Update(ctx, m, &fieldmaskpb.FieldMask{Paths: []string{"served_model_names"}}, false)
		return err
	}))
}
