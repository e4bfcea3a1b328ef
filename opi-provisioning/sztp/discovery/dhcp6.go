package discovery

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"time"
)

// DHCPv6 message types and options (RFC 8415) the client uses.
const (
	dhcp6Reply       = 7
	dhcp6InfoRequest = 11

	opt6ClientID     = 1
	opt6ServerID     = 2
	opt6ORO          = 6
	opt6ElapsedTime  = 8
	opt6DNSServers   = 23
	opt6DomainList   = 24
	dhcp6ClientPort  = 546
	dhcp6ServerPort  = 547
	dhcp6AllServers  = "ff02::1:2"
	dhcp6HeaderBytes = 4
)

// Option6 is one DHCPv6 option.
type Option6 struct {
	Code uint16
	Data []byte
}

// Message6 is a DHCPv6 client/server message (RFC 8415 section 8).
type Message6 struct {
	Type    byte
	XID     [3]byte
	Options []Option6
}

// Marshal encodes m.
func (m *Message6) Marshal() []byte {
	b := []byte{m.Type, m.XID[0], m.XID[1], m.XID[2]}
	for _, o := range m.Options {
		b = binary.BigEndian.AppendUint16(b, o.Code)
		b = binary.BigEndian.AppendUint16(b, uint16(len(o.Data)))
		b = append(b, o.Data...)
	}
	return b
}

// ParseMessage6 decodes a DHCPv6 message strictly: every option's length
// stays inside the message and nothing follows the last option.
func ParseMessage6(b []byte) (*Message6, error) {
	if len(b) < dhcp6HeaderBytes {
		return nil, fmt.Errorf("DHCPv6 message of %d octets is shorter than its header", len(b))
	}
	m := &Message6{Type: b[0], XID: [3]byte(b[1:4])}
	for i := dhcp6HeaderBytes; i < len(b); {
		if len(b)-i < 4 {
			return nil, fmt.Errorf("DHCPv6 message: %d trailing octet(s) at offset %d", len(b)-i, i)
		}
		code := binary.BigEndian.Uint16(b[i:])
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n > len(b)-i-4 {
			return nil, fmt.Errorf("DHCPv6 message: option %d at offset %d, length %d, runs past the end", code, i, n)
		}
		m.Options = append(m.Options, Option6{Code: code, Data: append([]byte(nil), b[i+4:i+4+n]...)})
		i += 4 + n
	}
	return m, nil
}

// SZTPServers decodes option 136. The option is a singleton (RFC 8572
// section 8.2): a message with two is refused rather than guessed at.
func (m *Message6) SZTPServers() (ServerList, bool, error) {
	var found []Option6
	for _, o := range m.Options {
		if o.Code == OptionV6SZTPRedirect {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 0:
		return ServerList{}, false, nil
	case 1:
		l, err := ParseServerList(found[0].Data)
		return l, true, err
	default:
		return ServerList{}, true, fmt.Errorf("%w: OPTION_V6_SZTP_REDIRECT appears %d times; it is a singleton", ErrMalformed, len(found))
	}
}

// Info6 is what a DHCPv6 server answered to an Information-request.
type Info6 struct {
	SZTP    ServerList
	HasSZTP bool
	SZTPErr error
}

// Client6 asks DHCPv6 servers for option 136 with a stateless
// Information-request (RFC 8415 section 18.2.6): the device's address
// comes from SLAAC or stateful DHCPv6, which is the system's business.
type Client6 struct {
	Interface string
	Timeout   time.Duration // first retransmission timeout; default 1 s
	Retries   int           // default 4
}

// Info sends an Information-request on the interface and returns the
// first Reply's SZTP option.
func (c *Client6) Info(ctx context.Context) (*Info6, error) {
	ifc, err := net.InterfaceByName(c.Interface)
	if err != nil {
		return nil, fmt.Errorf("DHCPv6: %w", err)
	}
	if len(ifc.HardwareAddr) != 6 {
		return nil, fmt.Errorf("DHCPv6: interface %s has no Ethernet address", c.Interface)
	}
	conn, err := listenDHCP(ctx, "udp6", fmt.Sprintf("[::]:%d", dhcp6ClientPort), c.Interface)
	if err != nil {
		return nil, fmt.Errorf("DHCPv6: %w", err)
	}
	defer conn.Close()

	m := &Message6{Type: dhcp6InfoRequest}
	_, _ = rand.Read(m.XID[:])
	duid := append([]byte{0, 3, 0, 1}, ifc.HardwareAddr...) // DUID-LL, Ethernet
	oro := []byte{}
	for _, code := range []uint16{OptionV6SZTPRedirect, opt6DNSServers, opt6DomainList} {
		oro = binary.BigEndian.AppendUint16(oro, code)
	}
	m.Options = []Option6{{opt6ClientID, duid}, {opt6ORO, oro}, {opt6ElapsedTime, []byte{0, 0}}}

	dst := &net.UDPAddr{IP: net.ParseIP(dhcp6AllServers), Port: dhcp6ServerPort, Zone: c.Interface}
	var info *Info6
	_, err = roundTrip(ctx, conn, dst, m.Marshal(), c.Timeout, c.Retries, time.Second, func(b []byte) bool {
		r, err := ParseMessage6(b)
		if err != nil || r.Type != dhcp6Reply || r.XID != m.XID || !hasOption6(r, opt6ServerID) {
			return false
		}
		info = &Info6{}
		info.SZTP, info.HasSZTP, info.SZTPErr = r.SZTPServers()
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("DHCPv6 Information-request on %s: %w", c.Interface, err)
	}
	return info, nil
}

func hasOption6(m *Message6, code uint16) bool {
	for _, o := range m.Options {
		if o.Code == code {
			return true
		}
	}
	return false
}
