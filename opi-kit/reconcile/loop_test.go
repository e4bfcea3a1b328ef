package reconcile_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/opi-suite/opi/opi-kit/reconcile"
)

// fake records when each pass ran (in the bubble's fake time) and fails
// while failing is set.
type fake struct {
	mu      sync.Mutex
	start   time.Time
	at      []time.Duration
	failing bool
	takes   time.Duration // how long each pass runs
}

func (f *fake) Reconcile(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at = append(f.at, time.Since(f.start))
	if f.takes > 0 {
		f.mu.Unlock()
		time.Sleep(f.takes)
		f.mu.Lock()
	}
	if f.failing {
		return errors.New("spdk is down")
	}
	return nil
}

func (f *fake) calls() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.at)
}

func (f *fake) setFailing(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing = v
}

var quiet = reconcile.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

func TestLoop(t *testing.T) {
	s := time.Second
	tests := []struct {
		name  string
		run   func(t *testing.T, f *fake, l *reconcile.Loop)
		takes time.Duration
		want  []time.Duration
	}{
		{
			name: "it runs at start and then every interval",
			run:  func(t *testing.T, f *fake, l *reconcile.Loop) { time.Sleep(25 * s) },
			want: []time.Duration{0, 10 * s, 20 * s},
		},
		{
			name: "a kick runs a pass at once",
			run: func(t *testing.T, f *fake, l *reconcile.Loop) {
				time.Sleep(3 * s)
				l.Kick()
				time.Sleep(s)
			},
			want: []time.Duration{0, 3 * s},
		},
		{
			name: "kicks during a pass make one more pass",
			run: func(t *testing.T, f *fake, l *reconcile.Loop) {
				time.Sleep(s) // the first pass takes 2 s
				l.Kick()
				l.Kick()
				l.Kick()
				time.Sleep(4 * s)
			},
			takes: 2 * s,
			want:  []time.Duration{0, 2 * s},
		},
		{
			name: "failures back off exponentially up to the maximum",
			run: func(t *testing.T, f *fake, l *reconcile.Loop) {
				f.setFailing(true)
				l.Kick()
				time.Sleep(20 * s)
			},
			// start (ok), kick at 0 fails, then 1, 2, 4, 4 s later.
			want: []time.Duration{0, 0, 1 * s, 3 * s, 7 * s, 11 * s, 15 * s, 19 * s},
		},
		{
			name: "success resets the backoff and a kick skips the wait",
			run: func(t *testing.T, f *fake, l *reconcile.Loop) {
				f.setFailing(true)
				l.Kick()                            // fails at 0; retry due at 1
				time.Sleep(1500 * time.Millisecond) // fails at 1; retry due at 3
				f.setFailing(false)
				l.Kick() // backend came back: at 1.5, succeeds
				time.Sleep(2 * s)
			},
			want: []time.Duration{0, 0, 1 * s, 1500 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fake{start: time.Now(), takes: tt.takes}
				l := reconcile.New(f, reconcile.WithInterval(10*s), reconcile.WithBackoff(s, 4*s), quiet)
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error)
				go func() { done <- l.Run(ctx) }()
				synctest.Wait()
				tt.run(t, f, l)
				cancel()
				if err := <-done; !errors.Is(err, context.Canceled) {
					t.Fatalf("Run returned %v, want context.Canceled", err)
				}
				if got := f.calls(); !slices.Equal(got, tt.want) {
					t.Fatalf("passes at %v, want %v", got, tt.want)
				}
			})
		})
	}
}

func TestSyncedWaitsForTheFirstSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fake{start: time.Now(), failing: true}
		l := reconcile.New(f, reconcile.WithBackoff(time.Second, time.Second), quiet)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go l.Run(ctx)
		synctest.Wait()
		select {
		case <-l.Synced():
			t.Fatal("synced after a failed pass")
		default:
		}
		if l.Err() == nil {
			t.Fatal("Err is nil after a failed pass")
		}
		f.setFailing(false)
		time.Sleep(time.Second)
		synctest.Wait()
		select {
		case <-l.Synced():
		default:
			t.Fatal("not synced after a successful pass")
		}
		if l.Err() != nil {
			t.Fatalf("Err = %v after success", l.Err())
		}
	})
}

func TestRunTwiceFailsInsteadOfOverlappingPasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fake{start: time.Now()}
		l := reconcile.New(f, quiet)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go l.Run(ctx)
		synctest.Wait()
		if err := l.Run(ctx); err == nil || errors.Is(err, context.Canceled) {
			t.Fatalf("second Run = %v, want an error saying Run was called twice", err)
		}
		if got := f.calls(); len(got) != 1 {
			t.Errorf("passes at %v, want only the first Run's one", got)
		}
	})
}

func TestZeroBackoffDoesNotSpin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fake{start: time.Now(), failing: true}
		l := reconcile.New(f, reconcile.WithBackoff(0, 0), reconcile.WithInterval(0), quiet)
		ctx, cancel := context.WithCancel(t.Context())
		go l.Run(ctx)
		time.Sleep(2500 * time.Millisecond)
		cancel()
		synctest.Wait()
		// DefaultMinBackoff (1 s) applies: passes at 0, 1 and 2 s.
		if got := f.calls(); len(got) != 3 {
			t.Errorf("%d passes in 2.5 s with a zero backoff, want 3 (the default backoff)", len(got))
		}
	})
}
