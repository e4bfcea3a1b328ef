package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The poller's timing is checked in ticks (Sim.ticks, counted at the start
// of each tick) where it can be exact, and in wall time with room for a
// loaded machine.

func TestARoundTripWaitsForThePoller(t *testing.T) {
	const interval = 4 * time.Millisecond
	s, path := startSim(t, WithPollInterval(interval))
	c := dial(t, path)
	c.must("framework_wait_init", "") // accepted; the rest measures round trips only
	var took []time.Duration
	for i := range 25 {
		// Start at varying points between ticks, as independent callers do.
		time.Sleep(time.Duration(i%4) * time.Millisecond)
		t0, start := s.ticks.Load(), time.Now()
		c.must("spdk_get_version", "")
		d, ticks := time.Since(start), s.ticks.Load()-t0
		if ticks < 1 {
			t.Fatalf("round trip %d was answered within the tick that read it (%v)", i, d)
		}
		took = append(took, d)
	}
	slices.Sort(took)
	median := took[len(took)/2]
	t.Logf("round trips with a %v poller: min %v, median %v, max %v", interval, took[0], median, took[len(took)-1])
	// Wait for the reading tick (0-4 ms), then one tick to the sending one.
	if took[0] <= 0 || median < interval/2 || median > 2*interval+interval/2 {
		t.Fatalf("median round trip %v, want about %v to %v", median, interval, 2*interval)
	}
}

func TestPipeliningSharesTicksWhileNewConnectionsTakeOneEach(t *testing.T) {
	const n = 16
	cases := []struct {
		name string
		// prepare runs before the ticks are counted; run is measured.
		prepare func(t *testing.T, path string) *client
		run     func(t *testing.T, path string, c *client)
		min     int64 // ticks from the first write to the last response
		max     int64
	}{
		{"sixteen requests pipelined on one connection are answered within two ticks", func(t *testing.T, path string) *client {
			// The connection is accepted (one tick of its own) and a
			// round trip is done before counting: what is measured is
			// the pipelined requests only.
			c := dial(t, path)
			c.must("spdk_get_version", "")
			return c
		}, func(t *testing.T, path string, c *client) {
			var reqs strings.Builder
			for i := range n {
				fmt.Fprintf(&reqs, `{"jsonrpc":"2.0","id":%d,"method":"spdk_get_version"}`, i)
			}
			c.send(reqs.String())
			for range n {
				if r := c.read(); r.Error != nil {
					t.Fatal(r.Error)
				}
			}
		}, 1, 3},
		{"sixteen new connections need a tick each", func(*testing.T, string) *client { return nil }, func(t *testing.T, path string, _ *client) {
			var cs []*client
			for range n {
				c := dial(t, path)
				c.send(`{"jsonrpc":"2.0","id":1,"method":"spdk_get_version"}`)
				cs = append(cs, c)
			}
			for _, c := range cs {
				if r := c.read(); r.Error != nil {
					t.Fatal(r.Error)
				}
			}
		}, n, 3 * n},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, path := startSim(t, WithPollInterval(2*time.Millisecond))
			c := tc.prepare(t, path)
			t0, start := s.ticks.Load(), time.Now()
			tc.run(t, path, c)
			ticks := s.ticks.Load() - t0
			t.Logf("%d ticks, %v", ticks, time.Since(start))
			if ticks < tc.min || ticks > tc.max {
				t.Fatalf("took %d ticks, want %d to %d", ticks, tc.min, tc.max)
			}
		})
	}
}

func TestWithoutThePollerNothingWaitsForTicks(t *testing.T) {
	s, path := startSim(t, WithPollInterval(0))
	c := dial(t, path)
	start := time.Now()
	for range 50 {
		c.must("spdk_get_version", "")
	}
	if d, ticks := time.Since(start), s.ticks.Load(); ticks != 0 || d > time.Second {
		t.Fatalf("50 calls took %v and %d ticks, want well under a second and none", d, ticks)
	}
}
