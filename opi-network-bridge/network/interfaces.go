package network

import (
	"context"
	"sort"
	"strings"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// NetInterfacePrefix starts every NetInterface name.
const NetInterfacePrefix = "netInterfaces/"

// ifName returns the kernel name in a NetInterface name.
func ifName(name string) (string, error) {
	ifname, ok := strings.CutPrefix(name, NetInterfacePrefix)
	if !ok {
		return "", errdefs.InvalidArgumentf("name: %s does not match pattern \"netInterfaces/{net_interface}\"", names.Quote(name))
	}
	if err := checkIfName("name", ifname); err != nil {
		return "", err
	}
	return ifname, nil
}

// GetNetInterface returns one kernel interface with its counters.
func (g *Gateway) GetNetInterface(ctx context.Context, name string) (*networkv1.NetInterface, error) {
	ifname, err := ifName(name)
	if err != nil {
		return nil, err
	}
	ifs, err := g.cfg.Kernel.Interfaces(ctx)
	if err != nil {
		return nil, err
	}
	for _, i := range ifs {
		if i.Name == ifname {
			return netInterface(i), nil
		}
	}
	return nil, errdefs.NotFoundf("%s not found", name)
}

// ListNetInterfaces returns one page of the kernel's interfaces, by name.
func (g *Gateway) ListNetInterfaces(ctx context.Context, size int32, token string) ([]*networkv1.NetInterface, string, error) {
	n, err := aip.PageSize(size)
	if err != nil {
		return nil, "", err
	}
	after := ""
	if token != "" {
		if after, err = aip.DecodePageToken(token, "netInterfaces"); err != nil {
			return nil, "", err
		}
	}
	ifs, err := g.cfg.Kernel.Interfaces(ctx)
	if err != nil {
		return nil, "", err
	}
	sort.Slice(ifs, func(i, j int) bool { return ifs[i].Name < ifs[j].Name })
	var out []*networkv1.NetInterface
	for _, i := range ifs {
		if i.Name <= after {
			continue
		}
		if len(out) == n {
			return out, aip.EncodePageToken(out[n-1].GetName()[len(NetInterfacePrefix):], "netInterfaces"), nil
		}
		out = append(out, netInterface(i))
	}
	return out, "", nil
}

// UpdateNetInterface sets an interface's administrative state and MTU
// (paths admin_up and mtu). An empty mask means the fields set in the
// request, so {mtu: 9000} changes the MTU only; setting an interface down
// needs the path admin_up in the mask.
func (g *Gateway) UpdateNetInterface(ctx context.Context, ni *networkv1.NetInterface, mask *fieldmaskpb.FieldMask) (*networkv1.NetInterface, error) {
	cur, err := g.GetNetInterface(ctx, ni.GetName())
	if err != nil {
		return nil, err
	}
	next := &networkv1.NetInterface{Name: cur.GetName(), AdminUp: cur.GetAdminUp(), Mtu: cur.GetMtu()}
	paths := mask.GetPaths()
	if len(paths) == 0 { // the fields set in the request: false and 0 are unset
		if ni.GetAdminUp() {
			paths = append(paths, "admin_up")
		}
		if ni.GetMtu() != 0 {
			paths = append(paths, "mtu")
		}
	}
	for _, p := range paths {
		switch p {
		case "admin_up":
			next.AdminUp = ni.GetAdminUp()
		case "mtu":
			if ni.GetMtu() < 68 || ni.GetMtu() > 65535 {
				return nil, errdefs.InvalidArgumentf("mtu: %d is out of range: 68 to 65535", ni.GetMtu())
			}
			next.Mtu = ni.GetMtu()
		default:
			return nil, errdefs.InvalidArgumentf("update_mask: %s cannot be changed; admin_up and mtu can", names.Quote(p))
		}
	}
	mtu := 0
	if next.GetMtu() != cur.GetMtu() {
		mtu = int(next.GetMtu())
	}
	ifname, _ := ifName(cur.GetName())
	if err := g.cfg.Kernel.SetInterface(ctx, ifname, next.GetAdminUp(), mtu); err != nil {
		return nil, err
	}
	return g.GetNetInterface(ctx, cur.GetName())
}

func netInterface(i Interface) *networkv1.NetInterface {
	out := &networkv1.NetInterface{
		Name: NetInterfacePrefix + i.Name, Kind: i.Kind, Mtu: int32(i.MTU), AdminUp: i.AdminUp, OperUp: i.OperUp,
		Master: i.Master, IfIndex: int32(i.Index),
		Counters: &networkv1.NetInterfaceCounters{
			InBytes: i.Counters.InBytes, InPackets: i.Counters.InPackets, InErrors: i.Counters.InErrors, InDrops: i.Counters.InDrops,
			OutBytes: i.Counters.OutBytes, OutPackets: i.Counters.OutPackets, OutErrors: i.Counters.OutErrors, OutDrops: i.Counters.OutDrops,
		},
	}
	if i.MAC != nil {
		out.MacAddress = i.MAC.String()
	}
	for _, a := range i.Addresses {
		out.Addresses = append(out.Addresses, a.String())
	}
	return out
}
