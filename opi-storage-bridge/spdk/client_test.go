package spdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/opi-suite/opi/opi-kit/errdefs/errgrpc"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestCallSendsJSONRPC2RequestsWithIncreasingIDs(t *testing.T) {
	f := newFakeSPDK(t, nil)
	c := New(f.path)
	defer c.Close()
	ctx := context.Background()

	var version struct{ Version string }
	if err := c.Call(ctx, "spdk_get_version", nil, &version); err != nil {
		t.Fatal(err)
	}
	if version.Version != "SPDK v26.05" {
		t.Errorf("version = %q", version.Version)
	}
	var got map[string]any
	if err := c.Call(ctx, "bdev_get_bdevs", map[string]any{"name": "Malloc0"}, &got); err != nil {
		t.Fatal(err)
	}
	if got["name"] != "Malloc0" {
		t.Errorf("echoed params = %v", got)
	}

	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(reqs))
	}
	if _, ok := reqs[0].Raw["params"]; ok {
		t.Error("a call with nil params sent a params member (SPDK rejects it for methods without parameters)")
	}
	for i, r := range reqs {
		if r.JSONRPC != "2.0" {
			t.Errorf("request %d: jsonrpc = %q", i, r.JSONRPC)
		}
		if len(r.Raw) > 4 {
			t.Errorf("request %d has extra top-level members: %v", i, r.Raw)
		}
	}
	var id0, id1 uint64
	if json.Unmarshal(reqs[0].ID, &id0) != nil || json.Unmarshal(reqs[1].ID, &id1) != nil || id1 <= id0 {
		t.Errorf("ids %s, %s: want increasing integers", reqs[0].ID, reqs[1].ID)
	}
	if n := f.accepts.Load(); n != 1 {
		t.Errorf("server accepted %d connections, want 1 (persistent)", n)
	}
}

func TestPipelinedCallsGetTheirOwnResponsesInAnyOrder(t *testing.T) {
	const n = 16
	var mu sync.Mutex
	var held []*fakeRequest
	// Answer nothing until all n requests are in, then answer in reverse:
	// only pipelining on one connection and matching by id can pass.
	f := newFakeSPDK(t, func(r *fakeRequest) {
		if r.Method == "spdk_get_version" {
			echo(r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		held = append(held, r)
		if len(held) == n {
			for i := n - 1; i >= 0; i-- {
				held[i].reply(held[i].Params)
			}
		}
	})
	c := New(f.path)
	defer c.Close()
	// Connect first, so that the calls below race on the connection, not the dial.
	if err := c.Healthy(context.Background()); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			var got struct{ I int }
			if err := c.Call(ctx, "echo", map[string]int{"i": i}, &got); err != nil {
				errs <- err
				return
			}
			if got.I != i {
				errs <- fmt.Errorf("call %d got the response of call %d", i, got.I)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if a := f.accepts.Load(); a != 1 {
		t.Errorf("server accepted %d connections, want 1", a)
	}
}

func TestResponsesSplitAcrossWritesOrSharingOneWriteAreParsed(t *testing.T) {
	f := newFakeSPDK(t, func(r *fakeRequest) {
		b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": r.ID, "result": r.Method})
		r.conn.mu.Lock()
		defer r.conn.mu.Unlock()
		for _, by := range b { // one byte per write, no newline at all
			_, _ = r.conn.nc.Write([]byte{by})
		}
	})
	c := New(f.path)
	defer c.Close()
	var got string
	if err := c.Call(context.Background(), "trickle", nil, &got); err != nil || got != "trickle" {
		t.Fatalf("Call = %q, %v", got, err)
	}
	if err := c.Call(context.Background(), "again", nil, &got); err != nil || got != "again" {
		t.Fatalf("second Call = %q, %v", got, err)
	}
}

func TestDeadlineReturnsPromptlyAndTheLateResponseIsDropped(t *testing.T) {
	f := newFakeSPDK(t, func(r *fakeRequest) {
		if r.Method == "slow" {
			time.AfterFunc(150*time.Millisecond, func() { r.reply("late") })
			return
		}
		echo(r)
	})
	c := New(f.path)
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Call(ctx, "slow", nil, new(string))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Call = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Call returned after %v, want about 30ms", d)
	}
	if code := errgrpc.Code(Classify(err)); code != codes.DeadlineExceeded {
		t.Errorf("code = %v, want DeadlineExceeded", code)
	}

	time.Sleep(200 * time.Millisecond) // the late response arrives and is dropped
	var got map[string]int
	if err := c.Call(context.Background(), "echo", map[string]int{"x": 7}, &got); err != nil || got["x"] != 7 {
		t.Fatalf("call after the late response = %v, %v", got, err)
	}
	if a := f.accepts.Load(); a != 1 {
		t.Errorf("server accepted %d connections, want 1 (a deadline does not cost the connection)", a)
	}
}

func TestCancelledContextBeforeCallSendsNothing(t *testing.T) {
	f := newFakeSPDK(t, nil)
	c := New(f.path)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Call(ctx, "echo", nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Call = %v, want canceled", err)
	}
	if errgrpc.Code(Classify(c.Call(ctx, "echo", nil, nil))) != codes.Canceled {
		t.Error("a cancelled call is not Canceled")
	}
	if len(f.requests()) != 0 {
		t.Error("a cancelled call reached the server")
	}
}

func TestServerRestartFailsCallsInFlightThenReconnectsAndNotifies(t *testing.T) {
	f := newFakeSPDK(t, func(r *fakeRequest) {
		if r.Method == "hang" {
			return // never answered
		}
		echo(r)
	})
	var notified atomic.Int32
	c := New(f.path, WithBackoff(time.Millisecond, 20*time.Millisecond), WithReconnectNotify(func() { notified.Add(1) }))
	defer c.Close()
	ctx := context.Background()
	if err := c.Healthy(ctx); err != nil {
		t.Fatal(err)
	}
	if notified.Load() != 0 {
		t.Fatal("the first connection notified a reconnect")
	}

	inFlight := make(chan error, 3)
	for range 3 {
		go func() { inFlight <- c.Call(ctx, "hang", nil, nil) }()
	}
	waitFor(t, func() bool { return len(f.requests()) == 4 })
	f.restart()
	for range 3 {
		select {
		case err := <-inFlight:
			if !errors.Is(err, ErrUnavailable) || errgrpc.Code(Classify(err)) != codes.Unavailable {
				t.Errorf("in-flight call = %v, want Unavailable", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("an in-flight call did not fail when the connection dropped")
		}
	}

	if err := c.Healthy(ctx); err != nil {
		t.Fatalf("call after restart = %v", err)
	}
	waitFor(t, func() bool { return notified.Load() == 1 })
	if err := c.Healthy(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if n := notified.Load(); n != 1 {
		t.Errorf("reconnect notified %d times, want 1", n)
	}
	if a := f.accepts.Load(); a != 2 {
		t.Errorf("server accepted %d connections, want 2", a)
	}
}

func TestConcurrentCallsWhileSPDKIsDownShareOneReconnect(t *testing.T) {
	f := newFakeSPDK(t, nil)
	var notified atomic.Int32
	c := New(f.path, WithBackoff(2*time.Millisecond, 10*time.Millisecond), WithReconnectNotify(func() { notified.Add(1) }))
	defer c.Close()
	if err := c.Healthy(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.stop() // SPDK gone, socket removed
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.conn == nil })
	time.AfterFunc(80*time.Millisecond, f.start)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			var got map[string]int
			if err := c.Call(ctx, "echo", map[string]int{"i": i}, &got); err != nil {
				errs <- err
			} else if got["i"] != i {
				errs <- fmt.Errorf("call %d got %v", i, got)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if a := f.accepts.Load(); a != 2 {
		t.Errorf("server accepted %d connections, want 2 (one reconnect for all %d callers)", a, n)
	}
	waitFor(t, func() bool { return notified.Load() == 1 })
}

func TestDialGivesUpWithinTheContextWhenSPDKStaysDown(t *testing.T) {
	tests := []struct {
		name string
		path string
		want string
	}{
		{"a socket path with nothing behind it is Unavailable", "/nonexistent/spdk.sock", "no such file"},
		{"a socket that refuses connections is Unavailable", refusedSocket(t), "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.path, WithBackoff(5*time.Millisecond, 20*time.Millisecond))
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := c.Call(ctx, "bdev_get_bdevs", nil, nil)
			if d := time.Since(start); d < 90*time.Millisecond || d > time.Second {
				t.Errorf("Call returned after %v, want it to retry until the 100ms deadline", d)
			}
			st := status.Convert(errgrpc.ToStatus(Classify(err)))
			if st.Code() != codes.Unavailable || !strings.Contains(st.Message(), tt.want) || !strings.Contains(st.Message(), "bdev_get_bdevs") {
				t.Errorf("status = %v, want Unavailable naming the method and %q", st, tt.want)
			}
		})
	}
}

func TestDialTimeoutBoundsACallWithoutDeadline(t *testing.T) {
	c := New("/nonexistent/spdk.sock", WithDialTimeout(50*time.Millisecond), WithBackoff(5*time.Millisecond, 10*time.Millisecond))
	defer c.Close()
	start := time.Now()
	err := c.Call(context.Background(), "spdk_get_version", nil, nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Call = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Call took %v with a 50ms dial timeout", d)
	}
}

func TestOversizeRequestIsRefusedBeforeSending(t *testing.T) {
	f := newFakeSPDK(t, nil)
	c := New(f.path)
	defer c.Close()
	big := map[string]string{"name": strings.Repeat("x", MaxRequestSize)}
	err := c.Call(context.Background(), "bdev_malloc_create", big, nil)
	if !errors.Is(err, ErrRequestTooLarge) {
		t.Fatalf("Call = %v, want ErrRequestTooLarge", err)
	}
	if code := errgrpc.Code(Classify(err)); code != codes.InvalidArgument {
		t.Errorf("code = %v, want InvalidArgument", code)
	}
	if f.accepts.Load() != 0 {
		t.Error("an oversize request opened a connection")
	}
	fits := map[string]string{"name": strings.Repeat("x", MaxRequestSize-100)}
	if err := c.Call(context.Background(), "echo", fits, nil); err != nil {
		t.Errorf("a request just under the limit failed: %v", err)
	}
}

func TestObserverSeesEveryRequestSent(t *testing.T) {
	f := newFakeSPDK(t, nil)
	type seen struct {
		method string
		params string
	}
	var mu sync.Mutex
	var got []seen
	c := New(f.path, WithObserver(func(method string, params json.RawMessage) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, seen{method, string(params)})
	}))
	defer c.Close()
	ctx := context.Background()
	_ = c.Healthy(ctx)
	_ = c.Call(ctx, "bdev_malloc_delete", map[string]string{"name": "Malloc0"}, nil)
	_ = c.Call(ctx, "nvmf_get_subsystems", json.RawMessage(nil), nil)
	want := []seen{{"spdk_get_version", ""}, {"bdev_malloc_delete", `{"name":"Malloc0"}`}, {"nvmf_get_subsystems", ""}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("observed %v, want %v", got, want)
	}
}

func TestCallDoneSeesEveryCallWithItsOutcome(t *testing.T) {
	f := newFakeSPDK(t, func(r *fakeRequest) {
		if r.Method == "bdev_malloc_delete" {
			r.fail(CodeENODEV, "No such device")
			return
		}
		r.reply(true)
	})
	type done struct {
		method string
		err    error
	}
	var mu sync.Mutex
	var got []done
	c := New(f.path, WithCallDone(func(_ context.Context, method string, took time.Duration, err error) {
		if took <= 0 {
			t.Errorf("%s took %v", method, took)
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, done{method, err})
	}))
	defer c.Close()
	ctx := context.Background()
	_ = c.Call(ctx, "spdk_get_version", nil, nil)
	_ = c.Call(ctx, "bdev_malloc_delete", map[string]string{"name": "Malloc0"}, nil)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_ = c.Call(canceled, "nvmf_get_subsystems", nil, nil)
	mu.Lock()
	defer mu.Unlock()
	var spdkErr *Error
	if len(got) != 3 || got[0].err != nil || !errors.As(got[1].err, &spdkErr) || !errors.Is(got[2].err, context.Canceled) {
		t.Errorf("call-done saw %v, want spdk_get_version ok, bdev_malloc_delete's SPDK error, nvmf_get_subsystems canceled", got)
	}
}

func TestCloseFailsCallsInFlightAndLaterCalls(t *testing.T) {
	f := newFakeSPDK(t, func(r *fakeRequest) {})
	c := New(f.path)
	done := make(chan error, 1)
	go func() { done <- c.Call(context.Background(), "hang", nil, nil) }()
	waitFor(t, func() bool { return len(f.requests()) == 1 })
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("in-flight call = %v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not end the call in flight")
	}
	if err := c.Call(context.Background(), "echo", nil, nil); !errors.Is(err, ErrClosed) || errgrpc.Code(Classify(err)) != codes.Unavailable {
		t.Errorf("call after Close = %v, want ErrClosed (Unavailable)", err)
	}
}

func TestNewDoesNotConnect(t *testing.T) {
	f := newFakeSPDK(t, nil)
	c := New(f.path)
	defer c.Close()
	time.Sleep(10 * time.Millisecond)
	if f.accepts.Load() != 0 {
		t.Error("New connected before the first call")
	}
}

// waitFor polls cond for up to two seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 2s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCloseEndsACallWaitingToReconnect(t *testing.T) {
	c := New("/nonexistent/spdk.sock", WithBackoff(time.Second, time.Second), WithDialTimeout(10*time.Second))
	done := make(chan error, 1)
	go func() { done <- c.Call(context.Background(), "spdk_get_version", nil, nil) }()
	time.Sleep(20 * time.Millisecond) // first dial failed, now in a 1s backoff
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Call = %v, want ErrClosed", err)
		}
	case <-time.After(500 * time.Millisecond):
		t.Fatal("Close did not end the backoff wait")
	}
}
