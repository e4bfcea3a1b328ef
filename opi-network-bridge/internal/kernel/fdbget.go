package kernel

import (
	"net"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// fdbReader reads single bridge FDB entries with RTM_GETNEIGH requests
// (what `bridge fdb get MAC dev PORT` sends), not dumps: a dump of the
// whole FDB per check made the drift watch quadratic in the number of
// ports, and it holds the adapter's lock while it checks.
type fdbReader struct {
	once sync.Once
	sock *nl.NetlinkSocket
	err  error
	ns   *netns.NsHandle
}

func (r *fdbReader) socket() (*nl.NetlinkSocket, error) {
	r.once.Do(func() {
		ns := netns.None()
		if r.ns != nil {
			ns = *r.ns
		}
		r.sock, r.err = nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	})
	return r.sock, r.err
}

// get returns the FDB entry for mac on the bridge port portIndex, or an
// error satisfying isNotFound when there is none.
func (r *fdbReader) get(portIndex int, mac net.HardwareAddr) (*netlink.Neigh, error) {
	sock, err := r.socket()
	if err != nil {
		return nil, err
	}
	req := nl.NewNetlinkRequest(unix.RTM_GETNEIGH, 0)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: {Socket: sock}}
	req.AddData(&netlink.Ndmsg{Family: unix.AF_BRIDGE, Index: uint32(portIndex)})
	req.AddData(nl.NewRtAttr(unix.NDA_LLADDR, mac))
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWNEIGH)
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, unix.ENOENT
	}
	return netlink.NeighDeserialize(msgs[0])
}

func (r *fdbReader) close() {
	if r.sock != nil {
		r.sock.Close()
	}
}
