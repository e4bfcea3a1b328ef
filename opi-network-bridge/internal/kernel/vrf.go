package kernel

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// EnsureVrf makes the VRF device (vrf<vni> unless named, table TableID or
// the VNI), up, with the loopback address, and for an L3 VNI the bridge
// l3br<vni> enslaved to it and the VXLAN device l3vx<vni> enslaved to
// that bridge. It needs CONFIG_NET_VRF.
func (k *Kernel) EnsureVrf(ctx context.Context, v network.Vrf) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	name := VrfName(v)
	need := fmt.Sprintf("VRF %s", name)
	if err := k.require(need, featVRF); err != nil {
		return err
	}
	table := v.TableID
	if table == 0 {
		table = v.VNI
	}
	if table == 0 {
		return errdefs.InvalidArgumentf("%s: a local VRF (no VNI) needs a routing table id", need)
	}
	local := v.VtepIP
	if !local.IsValid() {
		local = k.cfg.DefaultVtepIP
	}
	if v.VNI != 0 {
		if err := validVNI(v.VNI); err != nil {
			return err
		}
		if err := k.require(need, featBridge, featVXLAN); err != nil {
			return err
		}
		if !usableVtep(local) {
			return errdefs.InvalidArgumentf("%s: no usable local VTEP address (%v) for L3 VNI %d", need, local, v.VNI)
		}
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	var u undo
	err := func() error {
		vrf, err := k.ensureDevice(device{
			link:   &netlink.Vrf{LinkAttrs: netlink.LinkAttrs{Name: name}, Table: table},
			same:   func(want, have netlink.Link) bool { return want.(*netlink.Vrf).Table == have.(*netlink.Vrf).Table },
			master: keepMaster,
		}, &u)
		if err != nil {
			return err
		}
		if v.Loopback.IsValid() {
			if err := k.ensureAddr(vrf, v.Loopback, &u); err != nil {
				return err
			}
		}
		if v.VNI == 0 {
			return nil
		}
		br, err := k.ensureDevice(device{link: newBridge(L3BridgeName(v.VNI)), master: vrf.Attrs().Index}, &u)
		if err != nil {
			return err
		}
		_, err = k.ensureDevice(device{link: k.vxlan(L3VxlanName(v.VNI), v.VNI, local), same: k.sameVxlan, master: br.Attrs().Index}, &u)
		return err
	}()
	if err != nil {
		u.run(k.log)
		return err
	}
	k.want.links[name] = linkWant{up: true}
	if v.VNI != 0 {
		k.want.links[L3BridgeName(v.VNI)] = linkWant{master: name, up: true}
		k.want.links[L3VxlanName(v.VNI)] = linkWant{master: L3BridgeName(v.VNI), up: true}
	}
	return nil
}

// RemoveVrf deletes the L3 VNI's VXLAN device and bridge, then the VRF
// device. Absent is success.
func (k *Kernel) RemoveVrf(ctx context.Context, v network.Vrf) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	devices := []struct{ name, kind string }{}
	if v.VNI != 0 {
		devices = append(devices,
			struct{ name, kind string }{L3VxlanName(v.VNI), "vxlan"},
			struct{ name, kind string }{L3BridgeName(v.VNI), "bridge"})
	}
	devices = append(devices, struct{ name, kind string }{VrfName(v), "vrf"})
	for _, d := range devices {
		delete(k.want.links, d.name)
	}
	for _, d := range devices {
		if err := k.deleteDevice(d.name, map[string]bool{d.kind: true}); err != nil {
			return err
		}
	}
	return nil
}

// EnsureSvi turns the logical bridge's bridge into the SVI: enslaved to
// the VRF device, with the SVI's MAC and gateway addresses, up. The
// logical bridge and the VRF must be realised already.
func (k *Kernel) EnsureSvi(ctx context.Context, s network.Svi) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	brName, vrfName := BridgeName(s.Bridge.VlanID), VrfName(s.Vrf)
	need := fmt.Sprintf("SVI %s in %s", brName, vrfName)
	if err := k.require(need, featVRF); err != nil {
		return err
	}
	if len(s.MAC) != 0 && len(s.MAC) != 6 {
		return errdefs.InvalidArgumentf("%s: MAC %s is not an Ethernet address", need, s.MAC)
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	br, err := k.h.LinkByName(brName)
	if err != nil && !isNotFound(err) {
		return classify(err, "%s: reading %s", need, brName)
	}
	if err != nil || br.Type() != "bridge" {
		return errdefs.NotFoundf("%s: logical bridge (VLAN %d) is not realised: no bridge %s", need, s.Bridge.VlanID, brName)
	}
	vrf, err := k.h.LinkByName(vrfName)
	if err != nil && !isNotFound(err) {
		return classify(err, "%s: reading %s", need, vrfName)
	}
	if err != nil || vrf.Type() != "vrf" {
		return errdefs.NotFoundf("%s: the VRF is not realised: no VRF device %s", need, vrfName)
	}
	var u undo
	err = func() error {
		a := br.Attrs()
		if len(s.MAC) != 0 && !bytes.Equal(a.HardwareAddr, s.MAC) {
			old := a.HardwareAddr
			if err := k.h.LinkSetHardwareAddr(br, s.MAC); err != nil {
				return classify(err, "%s: setting MAC %s", need, s.MAC)
			}
			u.push(func() error { return k.h.LinkSetHardwareAddr(br, old) })
		}
		if old := a.MasterIndex; old != vrf.Attrs().Index {
			if err := k.h.LinkSetMasterByIndex(br, vrf.Attrs().Index); err != nil {
				return classify(err, "%s: enslaving %s to %s", need, brName, vrfName)
			}
			u.push(func() error {
				if old == 0 {
					return k.h.LinkSetNoMaster(br)
				}
				return k.h.LinkSetMasterByIndex(br, old)
			})
		}
		// Enslaving to a VRF takes the bridge down and up again; be sure.
		if err := k.h.LinkSetUp(br); err != nil {
			return classify(err, "%s: setting %s up", need, brName)
		}
		for _, gw := range s.Gateways {
			if err := k.ensureAddr(br, gw, &u); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		u.run(k.log)
		return err
	}
	k.want.links[brName] = linkWant{master: vrfName, up: true}
	return nil
}

// RemoveSvi takes the gateway addresses off the bridge and releases it
// from the VRF; the bridge stays (it is the logical bridge's).
func (k *Kernel) RemoveSvi(ctx context.Context, s network.Svi) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	brName, vrfName := BridgeName(s.Bridge.VlanID), VrfName(s.Vrf)
	if w, ok := k.want.links[brName]; ok {
		k.want.links[brName] = linkWant{up: w.up}
	}
	br, err := k.h.LinkByName(brName)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return classify(err, "reading %s", brName)
	}
	for _, gw := range s.Gateways {
		if err := k.h.AddrDel(br, &netlink.Addr{IPNet: ipNet(gw)}); err != nil && !isNotFound(err) && !isAddrAbsent(err) {
			return classify(err, "removing %s from %s", gw, brName)
		}
	}
	vrf, err := k.h.LinkByName(vrfName)
	if err == nil && br.Attrs().MasterIndex == vrf.Attrs().Index {
		if err := k.h.LinkSetNoMaster(br); err != nil && !isNotFound(err) {
			return classify(err, "releasing %s from %s", brName, vrfName)
		}
	}
	return nil
}

// ensureAddr puts prefix on link unless it is there; an address it added
// it pushes onto u.
func (k *Kernel) ensureAddr(link netlink.Link, prefix netip.Prefix, u *undo) error {
	addrs, err := k.h.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return classify(err, "listing the addresses of %s", link.Attrs().Name)
	}
	for _, a := range addrs {
		if p, ok := toPrefix(a.IPNet); ok && p == prefix {
			return nil
		}
	}
	addr := &netlink.Addr{IPNet: ipNet(prefix)}
	if err := k.h.AddrAdd(link, addr); err != nil {
		return classify(err, "adding %s to %s", prefix, link.Attrs().Name)
	}
	u.push(func() error { return k.h.AddrDel(link, addr) })
	return nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func toPrefix(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}
