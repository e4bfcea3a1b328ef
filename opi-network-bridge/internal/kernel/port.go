package kernel

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// EnsurePort realises a bridge port on an interface that exists already
// (found by name, else by MAC). An access port is enslaved to the bridge
// of its one logical bridge and set up, and gets a static FDB entry for
// its MAC on the bridge (`bridge fdb replace MAC dev PORT master static`),
// which zebra advertises as an EVPN type-2 route. A trunk port needs
// bridge VLAN filtering.
func (k *Kernel) EnsurePort(ctx context.Context, p network.Port) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	need := fmt.Sprintf("bridge port %s", portLabel(p))
	if err := k.require(need, featBridge); err != nil {
		return err
	}
	if p.Type == network.PortTrunk {
		if err := k.require("trunk "+need, featVlanFiltering); err != nil {
			return err
		}
	}
	if err := validPort(p); err != nil {
		return err
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	link, err := k.findPort(p)
	if err != nil {
		return err
	}
	lb := p.Bridges[0]
	brName := BridgeName(lb.VlanID)
	br, err := k.h.LinkByName(brName)
	if err != nil && !isNotFound(err) {
		return classify(err, "%s: reading %s", need, brName)
	}
	if err != nil || br.Type() != "bridge" {
		return errdefs.NotFoundf("%s: logical bridge (VLAN %d) is not realised: no bridge %s", need, lb.VlanID, brName)
	}
	mac := portMAC(p, link)
	name := link.Attrs().Name

	var u undo
	if err := k.enslavePort(link, br, &u); err != nil {
		u.run(k.log)
		return err
	}
	if p.Type == network.PortTrunk {
		if err := k.trunkVlans(link, br, lb, &u); err != nil {
			u.run(k.log)
			return err
		}
	}
	fdb := staticFDB(link.Attrs().Index, mac)
	if err := k.h.NeighSet(fdb); err != nil {
		u.run(k.log)
		return classify(err, "%s: adding the FDB entry for %s", need, mac)
	}
	k.want.links[name] = linkWant{master: brName, up: true}
	k.want.fdb[newFDBEntry(mac, name)] = true
	return nil
}

// RemovePort deletes the port's FDB entry and releases its interface from
// the logical bridge's bridge. The interface itself stays: it is not the
// bridge's. An interface that is gone, or enslaved elsewhere, is success.
func (k *Kernel) RemovePort(ctx context.Context, p network.Port) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validPort(p); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	link, err := k.findPort(p)
	if isNotFound(err) {
		// The interface is gone, and with it its FDB entries: forget
		// them, and the port, which may have been found by its MAC.
		for e := range k.want.fdb {
			if e.port == p.Interface || (len(p.MAC) != 0 && e.mac == p.MAC.String()) {
				delete(k.want.fdb, e)
				delete(k.want.links, e.port)
			}
		}
		delete(k.want.links, p.Interface)
		return nil
	}
	if err != nil {
		return err
	}
	name, mac := link.Attrs().Name, portMAC(p, link)
	delete(k.want.links, name)
	delete(k.want.fdb, newFDBEntry(mac, name))

	// The FDB entry lives in the bridge: one the port is not in (any
	// more) has none of the port's, and is not the adapter's business.
	br, err := k.h.LinkByName(BridgeName(p.Bridges[0].VlanID))
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return classify(err, "reading %s", BridgeName(p.Bridges[0].VlanID))
	}
	if link.Attrs().MasterIndex != br.Attrs().Index {
		return nil
	}
	if err := k.h.NeighDel(staticFDB(link.Attrs().Index, mac)); err != nil && !isNotFound(err) {
		return classify(err, "removing the FDB entry for %s on %s", mac, name)
	}
	if p.Type == network.PortTrunk && k.features.VlanFiltering {
		vid := uint16(p.Bridges[0].VlanID)
		if err := k.h.BridgeVlanDel(link, vid, false, false, false, true); err != nil && !isNotFound(err) {
			return classify(err, "removing VLAN %d from %s", vid, name)
		}
	}
	if err := k.h.LinkSetNoMaster(link); err != nil && !isNotFound(err) {
		return classify(err, "releasing %s from %s", name, br.Attrs().Name)
	}
	return nil
}

// enslavePort puts link into br and sets it up; what it changed it pushes
// onto u (the previous master back, down again).
func (k *Kernel) enslavePort(link, br netlink.Link, u *undo) error {
	a := link.Attrs()
	if old := a.MasterIndex; old != br.Attrs().Index {
		if err := k.h.LinkSetMasterByIndex(link, br.Attrs().Index); err != nil {
			return classify(err, "enslaving %s to %s", a.Name, br.Attrs().Name)
		}
		u.push(func() error {
			if old == 0 {
				return k.h.LinkSetNoMaster(link)
			}
			return k.h.LinkSetMasterByIndex(link, old)
		})
	}
	if a.Flags&net.FlagUp == 0 {
		if err := k.h.LinkSetUp(link); err != nil {
			return classify(err, "setting %s up", a.Name)
		}
		u.push(func() error { return k.h.LinkSetDown(link) })
	}
	return nil
}

// trunkVlans is the VLAN-filtering realisation of a trunk port: the
// bridge filters VLANs, the port carries the logical bridge's VLAN
// tagged, and the VXLAN device maps it untagged onto the VNI. One bridge
// per logical bridge means a trunk carries one logical bridge here (see
// validPort); several would need one VLAN-aware bridge for all of them.
func (k *Kernel) trunkVlans(link, br netlink.Link, lb network.LogicalBridge, u *undo) error {
	vid := uint16(lb.VlanID)
	if b, ok := br.(*netlink.Bridge); !ok || b.VlanFiltering == nil || !*b.VlanFiltering {
		if err := k.h.BridgeSetVlanFiltering(br, true); err != nil {
			return classify(err, "turning on VLAN filtering on %s", br.Attrs().Name)
		}
		// The bridge itself carries the VLAN untagged, as before.
		if err := k.h.BridgeVlanAdd(br, vid, true, true, true, false); err != nil {
			return classify(err, "adding VLAN %d to %s", vid, br.Attrs().Name)
		}
		if lb.VNI != 0 {
			if vx, err := k.h.LinkByName(VxlanName(lb.VNI)); err == nil {
				if err := k.h.BridgeVlanAdd(vx, vid, true, true, false, true); err != nil {
					return classify(err, "adding VLAN %d to %s", vid, vx.Attrs().Name)
				}
			}
		}
	}
	if err := k.h.BridgeVlanAdd(link, vid, false, false, false, true); err != nil {
		return classify(err, "adding VLAN %d to %s", vid, link.Attrs().Name)
	}
	u.push(func() error { return k.h.BridgeVlanDel(link, vid, false, false, false, true) })
	return nil
}

// findPort finds the port's interface: by name when the request names
// one, else the one whose MAC is the port's.
func (k *Kernel) findPort(p network.Port) (netlink.Link, error) {
	if p.Interface != "" {
		l, err := k.h.LinkByName(p.Interface)
		if isNotFound(err) {
			return nil, errdefs.NotFoundf("no interface named %s", p.Interface)
		}
		if err != nil {
			return nil, classify(err, "reading %s", p.Interface)
		}
		return l, nil
	}
	links, err := k.linkList()
	if err != nil {
		return nil, classify(err, "listing interfaces")
	}
	var found []netlink.Link
	for _, l := range links {
		// A bridge takes the MAC of a port, a VLAN device its parent's:
		// those are never the port itself.
		if bytes.Equal(l.Attrs().HardwareAddr, p.MAC) && !notAPort[l.Type()] {
			found = append(found, l)
		}
	}
	switch len(found) {
	case 0:
		return nil, errdefs.NotFoundf("no interface with MAC %s", p.MAC)
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, l := range found {
		names[i] = l.Attrs().Name
	}
	return nil, errdefs.FailedPreconditionf("MAC %s is on several interfaces (%s): name the port's interface", p.MAC, strings.Join(names, ", "))
}

// notAPort are the kinds of device that share a MAC with another one.
var notAPort = map[string]bool{"bridge": true, "vrf": true, "vlan": true, "macvlan": true, "ipvlan": true}

// portMAC is the MAC of the port's FDB entry: the request's, else the
// interface's own.
func portMAC(p network.Port, link netlink.Link) net.HardwareAddr {
	if len(p.MAC) != 0 {
		return p.MAC
	}
	return link.Attrs().HardwareAddr
}

// staticFDB is `bridge fdb replace MAC dev PORT master static`.
func staticFDB(port int, mac net.HardwareAddr) *netlink.Neigh {
	return &netlink.Neigh{
		LinkIndex:    port,
		Family:       unix.AF_BRIDGE,
		State:        unix.NUD_NOARP,
		Flags:        netlink.NTF_MASTER,
		HardwareAddr: mac,
	}
}

func validPort(p network.Port) error {
	if p.Interface == "" && len(p.MAC) == 0 {
		return errdefs.InvalidArgumentf("bridge port: neither an interface name nor a MAC")
	}
	if len(p.MAC) != 0 && len(p.MAC) != 6 {
		return errdefs.InvalidArgumentf("bridge port %s: MAC %s is not an Ethernet address", portLabel(p), p.MAC)
	}
	switch p.Type {
	case network.PortAccess:
		if len(p.Bridges) != 1 {
			return errdefs.InvalidArgumentf("access port %s: needs exactly one logical bridge, has %d", portLabel(p), len(p.Bridges))
		}
	case network.PortTrunk:
		if len(p.Bridges) != 1 {
			return errdefs.Unimplementedf("trunk port %s: %d logical bridges; with one Linux bridge per logical bridge a trunk carries exactly one", portLabel(p), len(p.Bridges))
		}
	default:
		return errdefs.InvalidArgumentf("bridge port %s: unknown type %d", portLabel(p), p.Type)
	}
	return validVlan(p.Bridges[0].VlanID)
}

func portLabel(p network.Port) string {
	if p.Interface != "" {
		return p.Interface
	}
	return p.MAC.String()
}
