package keyed

import (
	"sync"
	"testing"
)

func TestOneKeyAtATimeAndNothingKeptAfterwards(t *testing.T) {
	var k Mutex
	var wg sync.WaitGroup
	inside := map[string]int{}
	var mu sync.Mutex
	for i := range 40 {
		key := []string{"a", "b"}[i%2]
		wg.Go(func() {
			defer k.Lock(key)()
			mu.Lock()
			inside[key]++
			if inside[key] != 1 {
				t.Errorf("%d holders of %s", inside[key], key)
			}
			mu.Unlock()
			mu.Lock()
			inside[key]--
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(k.locks) != 0 {
		t.Fatalf("%d entries kept", len(k.locks))
	}
}
