package kernel

import (
	"context"
	"errors"
	"net"

	"github.com/vishvananda/netlink"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// Interfaces lists the namespace's interfaces with their addresses and
// counters: two dumps (links, addresses), whatever the number of
// interfaces.
func (k *Kernel) Interfaces(ctx context.Context) ([]network.Interface, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	links, err := k.linkList()
	if err != nil {
		return nil, classify(err, "listing interfaces")
	}
	var addrs []netlink.Addr
	for try := 0; ; try++ {
		addrs, err = k.h.AddrList(nil, netlink.FAMILY_ALL)
		if !errors.Is(err, netlink.ErrDumpInterrupted) || try == 5 {
			break
		}
	}
	if err != nil {
		return nil, classify(err, "listing addresses")
	}
	names := make(map[int]string, len(links))
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	byLink := map[int][]netlink.Addr{}
	for _, a := range addrs {
		byLink[a.LinkIndex] = append(byLink[a.LinkIndex], a)
	}
	out := make([]network.Interface, 0, len(links))
	for _, l := range links {
		a := l.Attrs()
		i := network.Interface{
			Name:    a.Name,
			Index:   a.Index,
			Kind:    kindOf(l),
			MAC:     a.HardwareAddr,
			MTU:     a.MTU,
			AdminUp: a.Flags&net.FlagUp != 0,
			OperUp:  a.OperState == netlink.OperUp || (a.OperState == netlink.OperUnknown && a.RawFlags&rawFlagLowerUp != 0),
			Master:  names[a.MasterIndex],
		}
		for _, ad := range byLink[a.Index] {
			if p, ok := toPrefix(ad.IPNet); ok {
				i.Addresses = append(i.Addresses, p)
			}
		}
		if s := a.Statistics; s != nil {
			i.Counters = network.Counters{
				InBytes: s.RxBytes, InPackets: s.RxPackets, InErrors: s.RxErrors, InDrops: s.RxDropped,
				OutBytes: s.TxBytes, OutPackets: s.TxPackets, OutErrors: s.TxErrors, OutDrops: s.TxDropped,
			}
		}
		out = append(out, i)
	}
	return out, nil
}

// rawFlagLowerUp is IFF_LOWER_UP: the carrier of a device whose
// operational state the kernel reports as "unknown" (loopback, VXLAN).
const rawFlagLowerUp = 1 << 16

// SetInterface sets an interface up or down and, for mtu > 0, its MTU.
// On a device the adapter manages the new admin state becomes the wanted
// one, so the watcher does not report it as drift.
func (k *Kernel) SetInterface(ctx context.Context, name string, up bool, mtu int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if mtu < 0 {
		return errdefs.InvalidArgumentf("interface %s: MTU %d is negative", name, mtu)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	l, err := k.h.LinkByName(name)
	if isNotFound(err) {
		return errdefs.NotFoundf("no interface named %s", name)
	}
	if err != nil {
		return classify(err, "reading %s", name)
	}
	a := l.Attrs()
	if mtu > 0 && a.MTU != mtu {
		if err := k.h.LinkSetMTU(l, mtu); err != nil {
			return classify(err, "setting the MTU of %s to %d", name, mtu)
		}
	}
	if isUp := a.Flags&net.FlagUp != 0; isUp != up {
		if up {
			err = k.h.LinkSetUp(l)
		} else {
			err = k.h.LinkSetDown(l)
		}
		if err != nil {
			return classify(err, "setting %s %s", name, map[bool]string{true: "up", false: "down"}[up])
		}
	}
	if w, ok := k.want.links[name]; ok {
		w.up = up
		k.want.links[name] = w
	}
	return nil
}
