package kernel

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// EnsureLogicalBridge makes bridge lb<vlan>, up, and for a VNI the VXLAN
// device vx<vni> (the VNI, the local VTEP address, the configured
// destination port, learning off, no remote or group: zebra fills the
// flood list from EVPN type-3 routes) enslaved to it, up. What is there
// already and right is left alone; a VXLAN device of the adapter's name
// with another VNI, address or port is re-created; a device of another
// kind with one of the names, another VXLAN device with the VNI, or vx<vni>
// in another logical bridge's bridge is AlreadyExists.
func (k *Kernel) EnsureLogicalBridge(ctx context.Context, lb network.LogicalBridge) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validVlan(lb.VlanID); err != nil {
		return err
	}
	local := lb.VtepIP
	if !local.IsValid() {
		local = k.cfg.DefaultVtepIP
	}
	need := fmt.Sprintf("logical bridge (VLAN %d)", lb.VlanID)
	if err := k.require(need, featBridge); err != nil {
		return err
	}
	if lb.VNI != 0 {
		if err := validVNI(lb.VNI); err != nil {
			return err
		}
		if err := k.require(need, featVXLAN); err != nil {
			return err
		}
		if !usableVtep(local) {
			return errdefs.InvalidArgumentf("logical bridge (VLAN %d, VNI %d): no usable local VTEP address (%v); set one in the request or the bridge's default", lb.VlanID, lb.VNI, local)
		}
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	var u undo
	br, err := k.ensureDevice(device{link: newBridge(BridgeName(lb.VlanID)), master: keepMaster}, &u)
	if err == nil && lb.VNI != 0 {
		_, err = k.ensureDevice(device{
			link: k.vxlan(VxlanName(lb.VNI), lb.VNI, local), same: k.sameVxlan, master: br.Attrs().Index,
			inUse: k.inOtherLogicalBridge(lb),
		}, &u)
	}
	if err != nil {
		u.run(k.log)
		return err
	}
	// An SVI may have put the bridge into a VRF: that stays wanted.
	k.want.links[br.Attrs().Name] = linkWant{master: k.want.links[br.Attrs().Name].master, up: true}
	if lb.VNI != 0 {
		k.want.links[VxlanName(lb.VNI)] = linkWant{master: br.Attrs().Name, up: true}
	}
	return nil
}

// RemoveLogicalBridge deletes vx<vni> and lb<vlan> where they are the
// adapter's kinds of device. Absent is success.
func (k *Kernel) RemoveLogicalBridge(ctx context.Context, lb network.LogicalBridge) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	var names []string
	if lb.VNI != 0 {
		names = append(names, VxlanName(lb.VNI))
	}
	names = append(names, BridgeName(lb.VlanID))
	for _, name := range names {
		delete(k.want.links, name)
	}
	for _, name := range names {
		if err := k.deleteDevice(name, map[string]bool{"vxlan": true, "bridge": true}); err != nil {
			return err
		}
	}
	return nil
}

// newBridge describes a bridge as the adapter makes it: with a MAC of its
// own. A bridge without one takes the lowest MAC of its ports and changes
// it when ports come and go, and each change deletes the bridge's FDB
// entry for its old MAC: the static entry of a port whose MAC it was
// (seen when a VXLAN device was re-made). A MAC set at creation stays.
func newBridge(name string) *netlink.Bridge {
	return &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, HardwareAddr: randomMAC()}}
}

// randomMAC is a random locally administered unicast MAC, as the kernel
// would give a new bridge.
func randomMAC() net.HardwareAddr {
	mac := make(net.HardwareAddr, 6)
	_, _ = rand.Read(mac)
	mac[0] = mac[0]&0xfe | 0x02
	return mac
}

// keepMaster tells ensureDevice to leave the device's master alone.
const keepMaster = -1

// vxlan describes a VXLAN device as the adapter makes it.
func (k *Kernel) vxlan(name string, vni uint32, local netip.Addr) *netlink.Vxlan {
	return &netlink.Vxlan{
		LinkAttrs: netlink.LinkAttrs{Name: name},
		VxlanId:   int(vni),
		SrcAddr:   net.IP(local.AsSlice()),
		Port:      k.cfg.VxlanPort,
		Learning:  false,
	}
}

// sameVxlan reports whether an existing VXLAN device has the attributes
// of the one the adapter would make.
func (k *Kernel) sameVxlan(want, have netlink.Link) bool {
	w, h := want.(*netlink.Vxlan), have.(*netlink.Vxlan)
	return w.VxlanId == h.VxlanId && w.SrcAddr.Equal(h.SrcAddr) && w.Port == h.Port &&
		w.Learning == h.Learning && h.Group == nil && h.VtepDevIndex == 0 && !h.FlowBased
}

// inOtherLogicalBridge refuses a VXLAN device that is a port of another
// logical bridge's bridge: two logical bridges with one VNI is a conflict
// to report, not a device to move.
func (k *Kernel) inOtherLogicalBridge(lb network.LogicalBridge) func(have netlink.Link) error {
	return func(have netlink.Link) error {
		m := have.Attrs().MasterIndex
		if m == 0 {
			return nil
		}
		master, err := k.h.LinkByIndex(m)
		if err != nil || master.Type() != "bridge" {
			return nil
		}
		var vlan uint32
		if name := master.Attrs().Name; name != BridgeName(lb.VlanID) {
			if _, err := fmt.Sscanf(name, "lb%d", &vlan); err == nil && BridgeName(vlan) == name {
				return errdefs.AlreadyExistsf("logical bridge (VLAN %d): VNI %d is logical bridge (VLAN %d)'s (%s is in %s)", lb.VlanID, lb.VNI, vlan, have.Attrs().Name, name)
			}
		}
		return nil
	}
}

// device is what ensureDevice makes or corrects.
type device struct {
	link netlink.Link // name, kind and attributes of the device
	// same, when not nil, compares the attributes the kernel cannot change
	// in place: a device that differs is deleted and made again.
	same func(want, have netlink.Link) bool
	// master is the index of the device it must be enslaved to; 0: none;
	// keepMaster: leave it as it is.
	master int
	// inUse, when not nil, refuses a device that is there and serves
	// another object.
	inUse func(have netlink.Link) error
}

// ensureDevice makes the device, up, with the configured MTU and its
// master, or corrects the one there. It returns the device as it is now.
// What it creates it pushes onto u.
func (k *Kernel) ensureDevice(dev device, u *undo) (netlink.Link, error) {
	d, same, master := dev.link, dev.same, dev.master
	name := d.Attrs().Name
	cur, err := k.h.LinkByName(name)
	if err == nil && dev.inUse != nil && cur.Type() == d.Type() {
		if err := dev.inUse(cur); err != nil {
			return nil, err
		}
	}
	switch {
	case err != nil && !isNotFound(err):
		return nil, classify(err, "reading %s", name)
	case err == nil && cur.Type() != d.Type():
		return nil, errdefs.AlreadyExistsf("interface %s exists and is a %q device, not a %q one: it is not the bridge's, so it is left alone", name, cur.Type(), d.Type())
	case err == nil && same != nil && !same(d, cur):
		k.log.Info("re-creating a device whose attributes differ", "device", name)
		if err := k.h.LinkDel(cur); err != nil && !isNotFound(err) {
			return nil, classify(err, "deleting %s to re-create it", name)
		}
		cur = nil
	}
	if cur == nil {
		if cur, err = k.createDevice(d, u); err != nil {
			return nil, err
		}
	}

	a := cur.Attrs()
	if k.cfg.MTU > 0 && a.MTU != k.cfg.MTU {
		if err := k.h.LinkSetMTU(cur, k.cfg.MTU); err != nil {
			return nil, classify(err, "setting the MTU of %s to %d", name, k.cfg.MTU)
		}
	}
	if master != keepMaster && a.MasterIndex != master {
		if master == 0 {
			err = k.h.LinkSetNoMaster(cur)
		} else {
			err = k.h.LinkSetMasterByIndex(cur, master)
		}
		if err != nil {
			return nil, classify(err, "enslaving %s", name)
		}
		a.MasterIndex = master
	}
	if a.Flags&net.FlagUp == 0 {
		if err := k.h.LinkSetUp(cur); err != nil {
			return nil, classify(err, "setting %s up", name)
		}
		a.Flags |= net.FlagUp
	}
	return cur, nil
}

// createDevice adds d (up) and pushes its deletion onto u.
func (k *Kernel) createDevice(d netlink.Link, u *undo) (netlink.Link, error) {
	a := d.Attrs()
	a.Flags |= net.FlagUp
	if k.cfg.MTU > 0 {
		a.MTU = k.cfg.MTU
	}
	if err := k.h.LinkAdd(d); err != nil {
		if vx, ok := d.(*netlink.Vxlan); ok && errors.Is(err, unix.EEXIST) {
			if other := k.vxlanWithVNI(vx.VxlanId, vx.Port); other != "" {
				return nil, errdefs.AlreadyExistsf("creating %s: VNI %d (port %d) is in use by VXLAN device %s, which is not the bridge's", a.Name, vx.VxlanId, vx.Port, other)
			}
		}
		return nil, classify(err, "creating %s device %s", d.Type(), a.Name)
	}
	name := a.Name
	u.push(func() error { return k.deleteByName(name) })
	if a.Index == 0 {
		// The library could not read the index back; read it ourselves.
		l, err := k.h.LinkByName(name)
		if err != nil {
			return nil, classify(err, "reading %s after creating it", name)
		}
		return l, nil
	}
	return d, nil
}

// vxlanWithVNI names the VXLAN device that uses vni on port, if any.
func (k *Kernel) vxlanWithVNI(vni, port int) string {
	links, err := k.linkList()
	if err != nil {
		return ""
	}
	for _, l := range links {
		if vx, ok := l.(*netlink.Vxlan); ok && vx.VxlanId == vni && (vx.Port == port || port == 0) {
			return vx.Name
		}
	}
	return ""
}

// deleteDevice deletes the named device if it is of one of the kinds
// given; absent is success. A device of another kind is not the
// adapter's: it is left, and the call succeeds (there is nothing of the
// adapter's to remove).
func (k *Kernel) deleteDevice(name string, kinds map[string]bool) error {
	l, err := k.h.LinkByName(name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return classify(err, "reading %s", name)
	}
	if !kinds[l.Type()] {
		k.log.Warn("not deleting a device that is not the bridge's", "device", name, "kind", l.Type())
		return nil
	}
	if err := k.h.LinkDel(l); err != nil && !isNotFound(err) {
		return classify(err, "deleting %s", name)
	}
	return nil
}

func (k *Kernel) deleteByName(name string) error {
	return k.h.LinkDel(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: name}})
}

// linkList dumps the links, again when the kernel interrupted the dump
// (the list changed under it).
func (k *Kernel) linkList() ([]netlink.Link, error) {
	for try := 0; ; try++ {
		links, err := k.h.LinkList()
		if errors.Is(err, netlink.ErrDumpInterrupted) && try < 5 {
			continue
		}
		return links, err
	}
}

// kindOf is a link's kind as ip prints it ("" for a physical device).
func kindOf(l netlink.Link) string {
	if t := l.Type(); t != "device" {
		return t
	}
	return ""
}

func validVlan(vlan uint32) error {
	if vlan < 1 || vlan > 4094 {
		return errdefs.InvalidArgumentf("VLAN id %d is out of range 1-4094", vlan)
	}
	return nil
}

func validVNI(vni uint32) error {
	if vni < 1 || vni > 1<<24-1 {
		return errdefs.InvalidArgumentf("VNI %d is out of range 1-16777215", vni)
	}
	return nil
}
