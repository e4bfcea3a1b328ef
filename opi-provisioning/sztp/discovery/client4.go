package discovery

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Lease4 is what a DHCPv4 server acknowledged. The agent only reads it:
// configuring the address is the operating system's business.
type Lease4 struct {
	Addr     netip.Prefix // yiaddr with the subnet mask
	Router   netip.Addr
	DNS      []netip.Addr
	Domain   string
	ServerID netip.Addr
	// SZTP is option 143; SZTPErr says why it was discarded when present
	// but unusable. HasSZTP is false when the server sent no option 143.
	SZTP    ServerList
	HasSZTP bool
	SZTPErr error
}

// Client4 is a small DHCPv4 client (RFC 2131 DISCOVER, OFFER, REQUEST,
// ACK) bound to one interface, asking for option 143 in its parameter
// request list.
type Client4 struct {
	Interface string
	// Timeout bounds each exchange; Retries is how many times a message
	// is sent before giving up. Defaults: 2 s and 4.
	Timeout time.Duration
	Retries int
}

// Lease runs one DISCOVER/REQUEST exchange and returns the ACK's lease.
func (c *Client4) Lease(ctx context.Context) (*Lease4, error) {
	ifc, err := net.InterfaceByName(c.Interface)
	if err != nil {
		return nil, fmt.Errorf("DHCPv4: %w", err)
	}
	if len(ifc.HardwareAddr) != 6 {
		return nil, fmt.Errorf("DHCPv4: interface %s has no Ethernet address", c.Interface)
	}
	conn, err := listenDHCP(ctx, "udp4", "0.0.0.0:68", c.Interface)
	if err != nil {
		return nil, fmt.Errorf("DHCPv4: %w", err)
	}
	defer conn.Close()

	var x [4]byte
	_, _ = rand.Read(x[:])
	xid := binary.BigEndian.Uint32(x[:])
	clientID := append([]byte{1}, ifc.HardwareAddr...)
	base := func(kind byte) *Message4 {
		m := &Message4{Op: 1, XID: xid, Flags: 0x8000, CHAddr: ifc.HardwareAddr}
		m.Options.Add(opt4MessageType, []byte{kind})
		m.Options.Add(opt4ClientID, clientID)
		m.Options.Add(opt4MaxMessage, []byte{0x05, 0xdc})
		m.Options.Add(opt4ParamRequest, []byte{opt4SubnetMask, opt4Router, opt4DNS, opt4DomainName, opt4DomainSearch, OptionV4SZTPRedirect})
		return m
	}

	offer, err := c.exchange(ctx, conn, base(dhcpDiscover), xid, func(m *Message4) bool { return m.Type() == dhcpOffer })
	if err != nil {
		return nil, fmt.Errorf("DHCPv4 DISCOVER on %s: %w", c.Interface, err)
	}
	serverID := addr4(offer.Options, opt4ServerID)
	if !serverID.IsValid() {
		return nil, errors.New("DHCPv4 OFFER has no server identifier")
	}
	req := base(dhcpRequest)
	req.Options.Add(opt4RequestedIP, offer.YIAddr.AsSlice())
	req.Options.Add(opt4ServerID, serverID.AsSlice())
	ack, err := c.exchange(ctx, conn, req, xid, func(m *Message4) bool {
		t := m.Type()
		return (t == dhcpAck || t == dhcpNak) && addr4(m.Options, opt4ServerID) == serverID
	})
	if err != nil {
		return nil, fmt.Errorf("DHCPv4 REQUEST on %s: %w", c.Interface, err)
	}
	if ack.Type() == dhcpNak {
		return nil, fmt.Errorf("DHCPv4 server %s refused the request (NAK)", serverID)
	}
	return leaseFrom(ack, serverID), nil
}

func leaseFrom(ack *Message4, serverID netip.Addr) *Lease4 {
	l := &Lease4{ServerID: serverID, Router: addr4(ack.Options, opt4Router)}
	bits := 32
	if mask, ok := ack.Options.Get(opt4SubnetMask); ok && len(mask) == 4 {
		ones, size := net.IPMask(mask).Size()
		if size == 32 {
			bits = ones
		}
	}
	l.Addr = netip.PrefixFrom(ack.YIAddr, bits)
	if v, ok := ack.Options.Get(opt4DNS); ok {
		for i := 0; i+4 <= len(v); i += 4 {
			l.DNS = append(l.DNS, netip.AddrFrom4([4]byte(v[i:i+4])))
		}
	}
	if v, ok := ack.Options.Get(opt4DomainName); ok {
		l.Domain = string(v)
	}
	l.SZTP, l.HasSZTP, l.SZTPErr = ack.SZTPServers()
	return l
}

// exchange sends m to the broadcast address and waits for a reply with
// xid that accept takes.
func (c *Client4) exchange(ctx context.Context, conn net.PacketConn, m *Message4, xid uint32, accept func(*Message4) bool) (*Message4, error) {
	var reply *Message4
	_, err := roundTrip(ctx, conn, &net.UDPAddr{IP: net.IPv4bcast, Port: 67}, m.Marshal(), c.Timeout, c.Retries, 2*time.Second, func(b []byte) bool {
		r, err := ParseMessage4(b)
		if err != nil || r.Op != 2 || r.XID != xid || !accept(r) {
			return false // not ours, or not a reply we can read
		}
		reply = r
		return true
	})
	return reply, err
}

// roundTrip sends pkt to dst and waits for a datagram that accept takes,
// resending with a doubling timeout (first, or def when first is 0) up to
// retries times (4 when 0). A failed send (right after the link comes up
// there may be no usable source address yet) waits its round out.
func roundTrip(ctx context.Context, conn net.PacketConn, dst net.Addr, pkt []byte, first time.Duration, retries int, def time.Duration, accept func([]byte) bool) ([]byte, error) {
	if first <= 0 {
		first = def
	}
	if retries <= 0 {
		retries = 4
	}
	buf := make([]byte, 65536)
	lastErr := errors.New("no answer")
	for try := 0; try < retries; try++ {
		deadline := time.Now().Add(first << try)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		if _, err := conn.WriteTo(pkt, dst); err != nil {
			lastErr = err
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Until(deadline)):
			}
			continue
		}
		_ = conn.SetReadDeadline(deadline)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					lastErr = errors.New("no answer")
					break
				}
				return nil, err
			}
			if accept(buf[:n]) {
				return buf[:n], nil
			}
		}
	}
	return nil, fmt.Errorf("%w after %d tries", lastErr, retries)
}

// listenDHCP opens a UDP socket bound to one interface, able to send and
// receive broadcasts before the interface has an address.
func listenDHCP(ctx context.Context, network, addr, ifname string) (net.PacketConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
				return
			}
			if network == "udp4" {
				if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1); serr != nil {
					return
				}
			}
			serr = unix.BindToDevice(int(fd), ifname)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return lc.ListenPacket(ctx, network, addr)
}
