package kernel

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// Watch reports changes to the devices and FDB entries the adapter
// manages that the adapter did not make, until ctx ends:
//
//	"link vx100"                    deleted | down | released (no master) | moved (another master)
//	"fdb 02:00:00:00:00:01 dev p1"  deleted
//
// How it tells drift from the adapter's own changes: it does not look at
// what an event says but at the object the event is about. For each link
// or FDB event that concerns a managed object it compares that object's
// state in the kernel now with the desired state (what the adapter
// applied and has not removed), while holding the adapter's lock. Every
// Ensure and Remove runs under that lock and ends either in the desired
// state or, undone, with the object not desired at all; so the watcher
// only ever compares between two of the adapter's changes, and the
// events of the adapter's own steps (a device created down then set up,
// a VXLAN device re-created, a Remove's deletions, which leave the
// desired state first) find the object as it should be, or unmanaged.
// Each difference is reported once, and again only after the object was
// right in between (an Ensure repaired it, say). On start, and after the
// kernel dropped events (a receive buffer overrun), every managed object
// is compared, so nothing that changed while no one listened is missed.
func (k *Kernel) Watch(ctx context.Context, drift func(network.Drift)) error {
	w := &watcher{k: k, drift: drift, reported: map[network.Drift]bool{}, indexes: map[int]string{}}
	for {
		err := w.run(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, errSubscriptionLost) {
			return err
		}
		k.log.Warn("netlink subscription lost; subscribing again and comparing everything", "err", err)
	}
}

var errSubscriptionLost = errors.New("netlink subscription lost")

type watcher struct {
	k        *Kernel
	drift    func(network.Drift)
	reported map[network.Drift]bool
	// indexes maps the ifindex of each managed link seen to its name, so
	// that a rename (an event with a new name) still finds the old one.
	indexes map[int]string
}

// verdict is the drift found on one object; none means it is as wanted.
type verdict struct {
	object string
	drifts []network.Drift
}

func (w *watcher) run(ctx context.Context) error {
	done := make(chan struct{})
	defer close(done)
	links := make(chan netlink.LinkUpdate, 1024)
	neighs := make(chan netlink.NeighUpdate, 1024)
	failed := make(chan error, 1)
	onError := func(err error) {
		select {
		case failed <- err:
		default:
		}
	}
	lost := func() error {
		select {
		case err := <-failed:
			return err
		default:
			return errors.New("the subscription ended")
		}
	}
	const rcvbuf = 4 << 20 // bursts of a replay pass; capped by net.core.rmem_max
	if err := netlink.LinkSubscribeWithOptions(links, done, netlink.LinkSubscribeOptions{
		Namespace: w.k.ns, ErrorCallback: onError, ReceiveBufferSize: rcvbuf,
	}); err != nil {
		return classify(err, "subscribing to link changes")
	}
	if err := netlink.NeighSubscribeWithOptions(neighs, done, netlink.NeighSubscribeOptions{
		Namespace: w.k.ns, ErrorCallback: onError, ReceiveBufferSize: rcvbuf,
	}); err != nil {
		return classify(err, "subscribing to neighbour changes")
	}
	// Compared after subscribing, so no change falls between the two.
	w.report(w.k.checkAll(w.indexes))
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case u, ok := <-links:
			if !ok {
				return fmt.Errorf("%w: links: %v", errSubscriptionLost, lost())
			}
			w.report(w.k.checkLinkEvent(u.Link.Attrs().Name, int(u.Index), w.indexes))
		case u, ok := <-neighs:
			if !ok {
				return fmt.Errorf("%w: neighbours: %v", errSubscriptionLost, lost())
			}
			if u.Family == unix.AF_BRIDGE {
				w.report(w.k.checkFDBEvent(u.HardwareAddr))
			}
		}
	}
}

// report calls drift for each difference not reported yet, and forgets
// the reported ones of objects that are right again.
func (w *watcher) report(vs []verdict) {
	for _, v := range vs {
		now := map[network.Drift]bool{}
		for _, d := range v.drifts {
			now[d] = true
		}
		for d := range w.reported {
			if d.Object == v.object && !now[d] {
				delete(w.reported, d)
			}
		}
		for _, d := range v.drifts {
			if !w.reported[d] {
				w.reported[d] = true
				w.drift(d)
			}
		}
	}
}

// checkAll compares every managed object.
func (k *Kernel) checkAll(indexes map[int]string) []verdict {
	k.mu.Lock()
	defer k.mu.Unlock()
	var vs []verdict
	for name := range k.want.links {
		vs = append(vs, k.checkLink(name, indexes))
	}
	for e := range k.want.fdb {
		vs = append(vs, k.checkFDB(e))
	}
	return vs
}

// checkLinkEvent compares the managed links an event may concern: the one
// of its name, the one last seen with its index, and the FDB entries on
// them.
func (k *Kernel) checkLinkEvent(name string, index int, indexes map[int]string) []verdict {
	k.mu.Lock()
	defer k.mu.Unlock()
	names := []string{name}
	if old := indexes[index]; old != "" && old != name {
		names = append(names, old)
	}
	var vs []verdict
	for _, n := range names {
		if _, ok := k.want.links[n]; !ok {
			continue
		}
		vs = append(vs, k.checkLink(n, indexes))
		for e := range k.want.fdb {
			if e.port == n {
				vs = append(vs, k.checkFDB(e))
			}
		}
	}
	return vs
}

// checkFDBEvent compares the managed FDB entries of a MAC.
func (k *Kernel) checkFDBEvent(mac net.HardwareAddr) []verdict {
	k.mu.Lock()
	defer k.mu.Unlock()
	var vs []verdict
	for e := range k.want.fdb {
		if e.mac == mac.String() {
			vs = append(vs, k.checkFDB(e))
		}
	}
	return vs
}

// checkLink compares one managed link with its wanted state. k.mu is held.
func (k *Kernel) checkLink(name string, indexes map[int]string) verdict {
	v := verdict{object: "link " + name}
	want := k.want.links[name]
	l, err := k.h.LinkByName(name)
	if isNotFound(err) {
		v.drifts = append(v.drifts, network.Drift{Object: v.object, Change: "deleted"})
		return v
	}
	if err != nil {
		k.log.Warn("watch: reading a managed link", "link", name, "err", err)
		return verdict{} // no verdict: nothing reported, nothing forgotten
	}
	a := l.Attrs()
	indexes[a.Index] = name
	if want.up && a.Flags&net.FlagUp == 0 {
		v.drifts = append(v.drifts, network.Drift{Object: v.object, Change: "down"})
	}
	if want.master != "" {
		switch master := k.nameOf(a.MasterIndex); {
		case master == "":
			v.drifts = append(v.drifts, network.Drift{Object: v.object, Change: "released"})
		case master != want.master:
			v.drifts = append(v.drifts, network.Drift{Object: v.object, Change: "moved"})
		}
	}
	return v
}

// checkFDB compares one managed FDB entry with the kernel. k.mu is held.
func (k *Kernel) checkFDB(e fdbEntry) verdict {
	v := verdict{object: fmt.Sprintf("fdb %s dev %s", e.mac, e.port)}
	port, err := k.h.LinkByName(e.port)
	if err == nil {
		var mac net.HardwareAddr
		if port.Attrs().MasterIndex == 0 {
			err = unix.ENOENT // not a bridge port: it has no FDB entries
		} else if mac, err = net.ParseMAC(e.mac); err == nil {
			var n *netlink.Neigh
			if n, err = k.fdb.get(port.Attrs().Index, mac); err == nil && n.State&unix.NUD_NOARP != 0 {
				return v
			}
		}
	}
	if err != nil && !isNotFound(err) {
		k.log.Warn("watch: reading a managed FDB entry", "entry", v.object, "err", err)
		return verdict{}
	}
	v.drifts = append(v.drifts, network.Drift{Object: v.object, Change: "deleted"})
	return v
}

func (k *Kernel) nameOf(index int) string {
	if index == 0 {
		return ""
	}
	l, err := k.h.LinkByIndex(index)
	if err != nil {
		return ""
	}
	return l.Attrs().Name
}
