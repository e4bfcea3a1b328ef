package ipsec

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/store"
)

// unreachablePeer is a Backend whose initiations fail as toward a peer that
// does not answer, until up is set. Methods the test does not reach are
// the nil interface's (they would panic).
type unreachablePeer struct {
	Backend
	mu        sync.Mutex
	initiates int
	up        bool
}

func (*unreachablePeer) LoadConn(context.Context, Conn) error        { return nil }
func (*unreachablePeer) LoadShared(context.Context, SharedKey) error { return nil }
func (*unreachablePeer) UnloadShared(context.Context, string) error  { return nil }

func (p *unreachablePeer) Initiate(context.Context, string, string, time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initiates++
	if !p.up {
		return errdefs.FailedPreconditionf("strongSwan refused initiate: establishing CHILD_SA 'net' failed")
	}
	return nil
}

func (p *unreachablePeer) ListSAs(context.Context, string) ([]IkeSA, error) { return nil, nil }

func (p *unreachablePeer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.initiates
}

func TestAFailingConnectionIsRetriedWithBackoff(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "intent.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	peer := &unreachablePeer{}
	m, err := New(st, peer, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	if _, err := m.PSKs.Create(ctx, "", "k", &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")}); err != nil {
		t.Fatal(err)
	}
	psk := func() *securityv1.Authentication {
		return &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, PreSharedKey: "preSharedKeys/k"}
	}
	if _, err := m.CreateConnection(ctx, "site", &securityv1.IkeConnection{RemoteAddrs: []string{"192.0.2.2"},
		LocalAuth: psk(), RemoteAuth: psk(), Children: []*securityv1.ChildSaConfig{{Name: "net"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Initiate(ctx, "ikeConnections/site", "", time.Second); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Fatalf("Initiate = %v, want FailedPrecondition", err)
	}
	passes := func(n int) {
		t.Helper()
		for range n {
			if refused, err := m.keepUp(ctx); err != nil || refused != 0 {
				t.Fatalf("keepUp = %d, %v; a failed initiation is neither a refusal nor an error of the pass", refused, err)
			}
		}
	}

	// Passes within the backoff initiate nothing.
	passes(10)
	if n := peer.count(); n != 1 {
		t.Fatalf("%d initiations after a failed Initiate and 10 passes within the backoff, want 1", n)
	}
	c, err := m.GetConnection(ctx, "ikeConnections/site")
	if err != nil || !c.GetDesiredUp() || c.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_ERROR ||
		!strings.Contains(c.GetStatus().GetMessage(), "failed 1 times") || !strings.Contains(c.GetStatus().GetMessage(), "establishing CHILD_SA 'net' failed") {
		t.Fatalf("GetConnection = %v, %v; want desired up, status ERROR with the last error", c, err)
	}

	// Each expiry allows one initiation, and the wait doubles.
	for i, wait := range []time.Duration{FirstInitiateBackoff, 2 * FirstInitiateBackoff, 4 * FirstInitiateBackoff} {
		now = now.Add(wait - time.Second)
		passes(3)
		if n := peer.count(); n != 1+i {
			t.Fatalf("%d initiations a second before backoff %d (%v) ended, want %d", n, i+1, wait, 1+i)
		}
		now = now.Add(time.Second)
		passes(3)
		if n := peer.count(); n != 2+i {
			t.Fatalf("%d initiations once backoff %d (%v) ended, want %d", n, i+1, wait, 2+i)
		}
	}
	list, _, err := m.ListConnections(ctx, 0, "")
	if err != nil || len(list) != 1 || !strings.Contains(list[0].GetStatus().GetMessage(), "failed 4 times") {
		t.Fatalf("ListConnections = %v, %v; want the failure in the status", list, err)
	}

	// The peer answers again: the next try brings it up and clears the error.
	peer.mu.Lock()
	peer.up = true
	peer.mu.Unlock()
	now = now.Add(MaxInitiateBackoff)
	passes(1)
	if c, _ := m.GetConnection(ctx, "ikeConnections/site"); c.GetStatus().GetState() == commonv1.ResourceState_RESOURCE_STATE_ERROR {
		t.Fatalf("after a successful initiation the status is still %v", c.GetStatus())
	}
}
