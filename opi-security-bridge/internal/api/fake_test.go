package api_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opi-suite/opi/opi-kit/errdefs"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
	"github.com/opi-suite/opi/opi-security-bridge/ipsec"
)

// fakeIKE is an in-process ipsec.Backend: it holds what it was loaded with,
// refuses proposals containing "bogus" as charon would, refuses a
// connection naming an address pool it does not hold (stricter than
// charon, which only fails the assignment later, so that the replay order
// shows), and brings up an IKE SA for every initiated connection.
type fakeIKE struct {
	mu     sync.Mutex
	conns  map[string]ipsec.Conn
	shared map[string]ipsec.SharedKey
	keys   []string
	pools  map[string]ipsec.Pool
	noPool int // connections refused for naming a pool not loaded
	up     map[string]bool
	since  string // changes when the fake daemon "restarts"
	down   bool   // unreachable
	events chan ipsec.Event
}

func newFakeIKE() *fakeIKE {
	return &fakeIKE{conns: map[string]ipsec.Conn{}, shared: map[string]ipsec.SharedKey{}, up: map[string]bool{}, pools: map[string]ipsec.Pool{},
		since: "boot 1", events: make(chan ipsec.Event, 4)}
}

// restart empties the fake daemon, as a charon restart does, and reports
// the reconnection on the watch.
func (f *fakeIKE) restart() {
	f.mu.Lock()
	f.conns, f.shared, f.up, f.keys = map[string]ipsec.Conn{}, map[string]ipsec.SharedKey{}, map[string]bool{}, nil
	f.pools = map[string]ipsec.Pool{}
	f.since = "boot 2"
	f.mu.Unlock()
	f.events <- ipsec.Event{Kind: ipsec.Connected, Time: time.Now(), Reconnect: true}
}

// holds reports whether the fake daemon has connection name loaded, its
// shared key, and an IKE SA of it.
func (f *fakeIKE) holds(name string) (loaded, key, up bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, loaded = f.conns[name]
	_, key = f.shared["opi-"+name]
	return loaded, key, f.up[name]
}

func (f *fakeIKE) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakeIKE) reach() error {
	if f.down {
		return errdefs.Unavailablef("the fake daemon is down")
	}
	return nil
}

func (f *fakeIKE) LoadConn(_ context.Context, c ipsec.Conn) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reach(); err != nil {
		return err
	}
	for _, p := range c.Proposals {
		if strings.Contains(p, "bogus") {
			return errdefs.InvalidArgumentf("fake refused load-conn: invalid value for: proposals")
		}
	}
	for _, p := range c.Pools {
		if _, ok := f.pools[p]; !ok {
			f.noPool++
			return errdefs.InvalidArgumentf("fake refused load-conn: no pool %s", p)
		}
	}
	f.conns[c.Name] = c
	return nil
}

func (f *fakeIKE) UnloadConn(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.conns, name)
	return f.reach()
}

func (f *fakeIKE) LoadShared(_ context.Context, k ipsec.SharedKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shared[k.ID] = k
	return f.reach()
}

func (f *fakeIKE) UnloadShared(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.shared, id)
	return f.reach()
}

func (f *fakeIKE) LoadCert(context.Context, []byte, bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reach()
}

func (f *fakeIKE) LoadKey(context.Context, []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, "k1")
	return "k1", f.reach()
}

func (f *fakeIKE) UnloadKey(context.Context, string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reach()
}

func (f *fakeIKE) Keys(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.keys), f.reach()
}

func (f *fakeIKE) LoadPool(_ context.Context, p ipsec.Pool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reach(); err != nil {
		return err
	}
	f.pools[p.Name] = p
	return nil
}

func (f *fakeIKE) UnloadPool(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reach(); err != nil {
		return err
	}
	delete(f.pools, name)
	return nil
}

func (f *fakeIKE) Pools(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for n := range f.pools {
		names = append(names, n)
	}
	return names, f.reach()
}

// pool returns the address pool the fake daemon holds under name.
func (f *fakeIKE) pool(name string) (ipsec.Pool, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pools[name]
	return p, ok
}

// poolRefusals says how many connections were refused for naming a pool
// the fake daemon did not hold.
func (f *fakeIKE) poolRefusals() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.noPool
}

// conn returns the connection the fake daemon holds under name.
func (f *fakeIKE) conn(name string) (ipsec.Conn, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.conns[name]
	return c, ok
}

func (f *fakeIKE) Initiate(_ context.Context, ike, _ string, _ time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.conns[ike]; !ok {
		return errdefs.FailedPreconditionf("fake refused initiate: no config named %s", ike)
	}
	f.up[ike] = true
	return f.reach()
}

func (f *fakeIKE) Terminate(_ context.Context, ike, _ string, _ bool, _ time.Duration) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.up[ike] {
		return 0, f.reach()
	}
	delete(f.up, ike)
	return 1, f.reach()
}

func (f *fakeIKE) Rekey(context.Context, string, string, bool) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return 1, f.reach()
}

func (f *fakeIKE) ListSAs(_ context.Context, ike string) ([]ipsec.IkeSA, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ipsec.IkeSA
	for name := range f.up {
		if ike == "" || ike == name {
			out = append(out, ipsec.IkeSA{Conn: name, UniqueID: 1, State: "ESTABLISHED", Version: 2,
				Children: []ipsec.ChildSA{{Name: "net", State: "INSTALLED", Mode: "TUNNEL", BytesIn: 84, PacketsIn: 1}}})
		}
	}
	return out, f.reach()
}

func (f *fakeIKE) ListConns(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for name := range f.conns {
		out = append(out, name)
	}
	return out, f.reach()
}

func (f *fakeIKE) Version(context.Context) (ipsec.Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return ipsec.Version{Daemon: "fake-charon", Version: "1.0"}, f.reach()
}

func (f *fakeIKE) Stats(context.Context) (ipsec.Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return ipsec.Stats{Since: f.since, WorkersTotal: 4}, f.reach()
}

func (f *fakeIKE) Watch(ctx context.Context, fn func(ipsec.Event)) {
	fn(ipsec.Event{Kind: ipsec.Connected, Time: time.Now()})
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-f.events:
			fn(e)
		}
	}
}

// fakeFilter is an in-process firewall.Backend with interfaces eth0 and
// eth1: it records what it enforces and counts one packet per rule.
type fakeFilter struct {
	mu       sync.Mutex
	policies map[string]*firewall.Policy
	closed   bool
}

func newFakeFilter() *fakeFilter { return &fakeFilter{policies: map[string]*firewall.Policy{}} }

func (f *fakeFilter) Apply(_ context.Context, id string, p *firewall.Policy) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(p.Rules) > 3 {
		return errdefs.InvalidArgumentf("rules: the fake filter holds at most 3 rules")
	}
	f.policies[id] = p
	return nil
}

func (f *fakeFilter) Remove(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.policies, id)
	return nil
}

func (f *fakeFilter) Stats(_ context.Context, id string, n int) (*firewall.Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.policies[id]; !ok {
		return nil, errdefs.Unavailablef("the fake filter has no policy %s", id)
	}
	s := &firewall.Stats{Default: firewall.Counters{Packets: 7, Bytes: 700}}
	for i := range n {
		s.Rules = append(s.Rules, firewall.Counters{Packets: uint64(i + 1), Bytes: uint64(100 * (i + 1))})
	}
	return s, nil
}

func (f *fakeFilter) Policies(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id := range f.policies {
		ids = append(ids, id)
	}
	return ids, nil
}

func (f *fakeFilter) HasInterface(_ context.Context, name string) (bool, error) {
	return name == "eth0" || name == "eth1", nil
}

func (f *fakeFilter) Probe(context.Context) error { return nil }

// Close is called by the bridge, which owns the backends given to it.
func (f *fakeFilter) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeFilter) enforced(id string) *firewall.Policy {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.policies[id]
}
