package ipsec

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/store"
)

// restartedResponder is a Backend toward a peer whose charon restarted:
// initiations are refused (NO_PROPOSAL_CHOSEN) until loaded is set, and
// the local charon holds the SAs in sas.
type restartedResponder struct {
	Backend
	mu        sync.Mutex
	loaded    bool
	sas       []IkeSA
	initiates int
	listings  int
}

func (*restartedResponder) LoadConn(context.Context, Conn) error        { return nil }
func (*restartedResponder) LoadShared(context.Context, SharedKey) error { return nil }

func (p *restartedResponder) Initiate(_ context.Context, ike, _ string, _ time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initiates++
	if !p.loaded {
		return errdefs.FailedPreconditionf("strongSwan refused initiate: establishing CHILD_SA 'net' failed")
	}
	p.sas = []IkeSA{{Conn: ike, State: "ESTABLISHED"}}
	return nil
}

func (*restartedResponder) Terminate(context.Context, string, string, bool, time.Duration) (int, error) {
	return 0, nil
}

func (p *restartedResponder) ListSAs(context.Context, string) ([]IkeSA, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.listings++
	return p.sas, nil
}

func (p *restartedResponder) set(f func(p *restartedResponder)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *restartedResponder) counts() (initiates, listings int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.initiates, p.listings
}

func TestAConnectionThatWentDownIsRevivedOnceCharonGaveUp(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*Manager, *restartedResponder, *time.Time) {
		st, err := store.Open(filepath.Join(t.TempDir(), "intent.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		peer := &restartedResponder{loaded: true}
		m, err := New(st, peer, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		m.now = func() time.Time { return now }
		if _, err := m.PSKs.Create(ctx, "", "k", &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")}); err != nil {
			t.Fatal(err)
		}
		psk := &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, PreSharedKey: "preSharedKeys/k"}
		if _, err := m.CreateConnection(ctx, "site", &securityv1.IkeConnection{RemoteAddrs: []string{"192.0.2.2"},
			LocalAuth: psk, RemoteAuth: psk, Children: []*securityv1.ChildSaConfig{{Name: "net"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Initiate(ctx, "ikeConnections/site", "", time.Second); err != nil {
			t.Fatal(err)
		}
		// The peer's charon dies and restarts empty; DPD takes the SA down.
		peer.set(func(p *restartedResponder) { p.loaded, p.sas = false, nil })
		m.HandleEvent(Event{Kind: IkeDown, SA: IkeSA{Conn: "site"}})
		return m, peer, &now
	}
	revive := func(t *testing.T, m *Manager) {
		t.Helper()
		if err := m.Revive(ctx); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("it is initiated within seconds, again after 2, 4, 8 s while refused, until the peer has it", func(t *testing.T) {
		m, peer, now := setup(t)
		revive(t, m) // right after the event: charon's own restart is under way
		if n, _ := peer.counts(); n != 1 {
			t.Fatalf("%d initiations right after the down event, want only the first Initiate", n)
		}
		*now = now.Add(ReviveInterval)
		revive(t, m)
		if n, _ := peer.counts(); n != 2 {
			t.Fatalf("%d initiations %v after the down event, want 2 (the replay pass's backoff of %v must not hold it back)", n, ReviveInterval, FirstInitiateBackoff)
		}
		for i, wait := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second} {
			*now = now.Add(wait - time.Second)
			revive(t, m)
			if n, _ := peer.counts(); n != 2+i {
				t.Fatalf("%d initiations a second before the wait of %v ended, want %d", n, wait, 2+i)
			}
			*now = now.Add(time.Second)
			revive(t, m)
			if n, _ := peer.counts(); n != 3+i {
				t.Fatalf("%d initiations once the wait of %v ended, want %d", n, wait, 3+i)
			}
		}
		peer.set(func(p *restartedResponder) { p.loaded = true })
		*now = now.Add(16 * time.Second)
		revive(t, m)
		*now = now.Add(FirstInitiateBackoff)
		revive(t, m)
		if n, _ := peer.counts(); n != 6 {
			t.Fatalf("%d initiations, want 6: one that succeeds, then none", n)
		}
		if c, _ := m.GetConnection(ctx, "ikeConnections/site"); c.GetStatus().GetMessage() != "" {
			t.Fatalf("status after the tunnel came back: %v, want the failures cleared", c.GetStatus())
		}
	})

	t.Run("nothing is initiated while charon still has an IKE SA of it", func(t *testing.T) {
		m, peer, now := setup(t)
		peer.set(func(p *restartedResponder) { p.sas = []IkeSA{{Conn: "site", State: "CONNECTING"}} })
		for range 5 {
			*now = now.Add(ReviveInterval)
			revive(t, m)
		}
		if n, _ := peer.counts(); n != 1 {
			t.Fatalf("%d initiations while charon was retrying, want none after the first Initiate", n)
		}
	})

	t.Run("a terminated connection is left down", func(t *testing.T) {
		m, peer, now := setup(t)
		if _, err := m.Terminate(ctx, "ikeConnections/site", "", false); err != nil {
			t.Fatal(err)
		}
		*now = now.Add(ReviveInterval)
		revive(t, m)
		if n, _ := peer.counts(); n != 1 {
			t.Fatalf("%d initiations of a terminated connection, want none after the first Initiate", n)
		}
	})

	t.Run("after the window the replay pass and its backoff take over", func(t *testing.T) {
		m, peer, now := setup(t)
		*now = now.Add(ReviveWindow)
		revive(t, m)
		if n, _ := peer.counts(); n != 1 {
			t.Fatalf("%d initiations after the window, want none after the first Initiate", n)
		}
	})

	t.Run("without a down event it asks charon nothing", func(t *testing.T) {
		m, peer, now := setup(t)
		peer.set(func(p *restartedResponder) { p.loaded = true })
		*now = now.Add(ReviveInterval)
		revive(t, m) // brings it back
		_, listings := peer.counts()
		for range 5 {
			*now = now.Add(ReviveInterval)
			revive(t, m)
		}
		if _, n := peer.counts(); n != listings {
			t.Fatalf("%d listings with nothing down, want %d", n, listings)
		}
	})
}
