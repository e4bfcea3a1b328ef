package xdp

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
)

// ErrNoInterface says the named interface does not exist.
var ErrNoInterface = errors.New("no such interface")

// Attach makes the program judge ifname's received packets, through an XDP
// link pinned in the policy's directory. A link already pinned for ifname
// (left by an earlier run) is re-adopted: its program is replaced in place,
// atomically, by this process's program, so enforcement has no gap. It is
// re-created only when it no longer points at ifname or its mode is not
// the one asked for.
func (d *Dataplane) Attach(ifname string, mode firewall.Mode) error {
	iface, err := net.InterfaceByName(ifname)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrNoInterface, ifname)
	}
	path := d.pinPath(ifname)
	if l, err := link.LoadPinnedLink(path, nil); err == nil {
		ok := linkOn(l, iface.Index) && modeMatches(ifname, mode)
		if ok {
			err = l.Update(d.objs.Firewall)
			l.Close()
			if err == nil {
				return nil
			}
		} else {
			_ = l.Unpin()
			l.Close()
		}
	}
	flags := []link.XDPAttachFlags{link.XDPDriverMode, link.XDPGenericMode}
	switch mode {
	case firewall.ModeNative:
		flags = flags[:1]
	case firewall.ModeGeneric:
		flags = flags[1:]
	}
	var errs []error
	for _, f := range flags {
		l, err := link.AttachXDP(link.XDPOptions{Program: d.objs.Firewall, Interface: iface.Index, Flags: f})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		defer l.Close()
		if err := l.Pin(path); err != nil {
			return fmt.Errorf("xdp: pinning the link of %s: %w", ifname, err)
		}
		return nil
	}
	return fmt.Errorf("xdp: attaching to %s: %w", ifname, errors.Join(errs...))
}

func linkOn(l link.Link, ifindex int) bool {
	info, err := l.Info()
	if err != nil {
		return false
	}
	x := info.XDP()
	return x != nil && int(x.Ifindex) == ifindex
}

// modeMatches reports whether the XDP program on ifname runs in the mode
// asked for.
func modeMatches(ifname string, mode firewall.Mode) bool {
	if mode == firewall.ModeAuto {
		return true
	}
	l, err := netlink.LinkByName(ifname)
	if err != nil || l.Attrs().Xdp == nil {
		return false
	}
	switch l.Attrs().Xdp.AttachMode {
	case nl.XDP_ATTACHED_DRV:
		return mode == firewall.ModeNative
	case nl.XDP_ATTACHED_SKB:
		return mode == firewall.ModeGeneric
	}
	return false
}

// Detach stops judging ifname's packets; a missing link is success.
func (d *Dataplane) Detach(ifname string) error {
	l, err := link.LoadPinnedLink(d.pinPath(ifname), nil)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("xdp: detaching from %s: %w", ifname, err)
	}
	defer l.Close()
	// Detach works on every kernel with XDP links; closing the last handle
	// after unpinning would too, but only once every other holder lets go.
	if err := l.Unpin(); err != nil {
		return fmt.Errorf("xdp: detaching from %s: %w", ifname, err)
	}
	if err := l.Detach(); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("xdp: detaching from %s: %w", ifname, err)
	}
	return nil
}

// Interfaces lists the interfaces with a pinned link of this policy.
func (d *Dataplane) Interfaces() ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(d.dir, "link_*"))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(matches))
	for _, m := range matches {
		out = append(out, strings.TrimPrefix(filepath.Base(m), "link_"))
	}
	return out, nil
}

// Remove detaches every interface, unpins the maps and closes the handles:
// the policy is gone from the kernel.
func (d *Dataplane) Remove() error {
	ifaces, err := d.Interfaces()
	if err != nil {
		return err
	}
	var errs []error
	for _, i := range ifaces {
		errs = append(errs, d.Detach(i))
	}
	errs = append(errs, d.Close(), os.RemoveAll(d.dir))
	return errors.Join(errs...)
}
