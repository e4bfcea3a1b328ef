package xdp

import (
	"context"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
)

// The Host tells the bridge when interfaces come and go.
var _ firewall.InterfaceWatcher = (*Host)(nil)

// WatchInterfaces calls changed whenever an interface of the bridge's
// network namespace is added, removed or renamed, until ctx ends. When an
// interface is deleted the kernel detaches its XDP program (the pinned
// link stays, attached to nothing), so the firewall must learn of it to
// report the policy as not enforced, and to attach again when an
// interface of that name returns.
//
// Only changes of the set of (index, name) pairs count: the rtnetlink
// messages a link change of any other kind sends (carrier, our own XDP
// attach) would otherwise make each replay pass trigger the next.
func (h *Host) WatchInterfaces(ctx context.Context, changed func()) error {
	updates := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	defer close(done)
	failed := make(chan error, 1)
	err := netlink.LinkSubscribeWithOptions(updates, done, netlink.LinkSubscribeOptions{
		ErrorCallback: func(err error) {
			select {
			case failed <- err:
			default:
			}
		},
	})
	if err != nil {
		return fmt.Errorf("xdp: watching interfaces: %w", err)
	}
	// Listed after subscribing, so no change falls between the two.
	links, err := netlink.LinkList()
	if err != nil {
		return fmt.Errorf("xdp: listing interfaces: %w", err)
	}
	known := map[int32]string{}
	for _, l := range links {
		known[int32(l.Attrs().Index)] = l.Attrs().Name
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-failed:
			return fmt.Errorf("xdp: watching interfaces: %w", err)
		case u, ok := <-updates:
			if !ok {
				return fmt.Errorf("xdp: watching interfaces: the netlink subscription ended")
			}
			idx, name := u.Index, u.Link.Attrs().Name
			switch u.Header.Type {
			case unix.RTM_DELLINK:
				if _, ok := known[idx]; !ok {
					continue
				}
				delete(known, idx)
			case unix.RTM_NEWLINK:
				if known[idx] == name {
					continue
				}
				known[idx] = name
			default:
				continue
			}
			changed()
		}
	}
}
