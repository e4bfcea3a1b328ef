package discovery

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// DHCPv4 message types (RFC 2132 section 9.6) and the options the client
// uses.
const (
	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpAck      = 5
	dhcpNak      = 6

	opt4Pad           = 0
	opt4SubnetMask    = 1
	opt4Router        = 3
	opt4DNS           = 6
	opt4DomainName    = 15
	opt4RequestedIP   = 50
	opt4Overload      = 52
	opt4MessageType   = 53
	opt4ServerID      = 54
	opt4ParamRequest  = 55
	opt4MaxMessage    = 57
	opt4ClientID      = 61
	opt4DomainSearch  = 119
	opt4End           = 255
	dhcp4HeaderLength = 236
)

var magicCookie = [4]byte{99, 130, 83, 99}

// Option4 is one instance of a DHCPv4 option as it appeared on the wire.
type Option4 struct {
	Code byte
	Data []byte
}

// Options4 holds a message's option instances in RFC 3396 order: the
// options field, then the file field and then the sname field when the
// overload option (52) says they carry options.
type Options4 []Option4

// Get returns the value of code: the concatenation of every instance, in
// order (RFC 3396 section 7); false when the message has none.
func (o Options4) Get(code byte) ([]byte, bool) {
	var v []byte
	found := false
	for _, op := range o {
		if op.Code == code {
			found = true
			v = append(v, op.Data...)
		}
	}
	return v, found
}

// Add appends code with data, split into as many instances of at most
// 255 octets as it needs (RFC 3396 section 5).
func (o *Options4) Add(code byte, data []byte) {
	if len(data) == 0 {
		*o = append(*o, Option4{Code: code})
		return
	}
	for len(data) > 0 {
		n := min(len(data), 255)
		*o = append(*o, Option4{Code: code, Data: data[:n:n]})
		data = data[n:]
	}
}

// Message4 is a DHCPv4 message (RFC 2131 section 2), reduced to the
// fields a client reads and writes.
type Message4 struct {
	Op      byte // 1 request, 2 reply
	XID     uint32
	Secs    uint16
	Flags   uint16 // 0x8000: broadcast
	CIAddr  netip.Addr
	YIAddr  netip.Addr
	SIAddr  netip.Addr
	GIAddr  netip.Addr
	CHAddr  net.HardwareAddr
	Options Options4
}

// Type is the DHCP message type (option 53), 0 when absent or malformed.
func (m *Message4) Type() byte {
	v, ok := m.Options.Get(opt4MessageType)
	if !ok || len(v) != 1 {
		return 0
	}
	return v[0]
}

// SZTPServers decodes option 143, reassembled across its instances.
func (m *Message4) SZTPServers() (ServerList, bool, error) {
	v, ok := m.Options.Get(OptionV4SZTPRedirect)
	if !ok {
		return ServerList{}, false, nil
	}
	l, err := ParseServerList(v)
	return l, true, err
}

// Marshal encodes m; options go in the options field only.
func (m *Message4) Marshal() []byte {
	b := make([]byte, dhcp4HeaderLength, 300)
	b[0] = m.Op
	b[1] = 1 // Ethernet
	b[2] = 6
	binary.BigEndian.PutUint32(b[4:], m.XID)
	binary.BigEndian.PutUint16(b[8:], m.Secs)
	binary.BigEndian.PutUint16(b[10:], m.Flags)
	put4 := func(off int, a netip.Addr) {
		if a.Is4() {
			v := a.As4()
			copy(b[off:off+4], v[:])
		}
	}
	put4(12, m.CIAddr)
	put4(16, m.YIAddr)
	put4(20, m.SIAddr)
	put4(24, m.GIAddr)
	copy(b[28:44], m.CHAddr)
	b = append(b, magicCookie[:]...)
	for _, o := range m.Options {
		b = append(b, o.Code, byte(len(o.Data)))
		b = append(b, o.Data...)
	}
	b = append(b, opt4End)
	for len(b) < 300 { // BOOTP minimum, which some relays still expect
		b = append(b, opt4Pad)
	}
	return b
}

// ParseMessage4 decodes a DHCPv4 message strictly: the header, the magic
// cookie, and options whose lengths stay inside their field. The file and
// sname fields are read for options when option 52 says so.
func ParseMessage4(b []byte) (*Message4, error) {
	if len(b) < dhcp4HeaderLength+4 {
		return nil, fmt.Errorf("DHCPv4 message of %d octets is shorter than its fixed header", len(b))
	}
	if [4]byte(b[236:240]) != magicCookie {
		return nil, errors.New("DHCPv4 message lacks the magic cookie")
	}
	hlen := int(b[2])
	if hlen > 16 {
		return nil, fmt.Errorf("DHCPv4 hlen %d exceeds 16", hlen)
	}
	m := &Message4{
		Op:     b[0],
		XID:    binary.BigEndian.Uint32(b[4:]),
		Secs:   binary.BigEndian.Uint16(b[8:]),
		Flags:  binary.BigEndian.Uint16(b[10:]),
		CIAddr: netip.AddrFrom4([4]byte(b[12:16])),
		YIAddr: netip.AddrFrom4([4]byte(b[16:20])),
		SIAddr: netip.AddrFrom4([4]byte(b[20:24])),
		GIAddr: netip.AddrFrom4([4]byte(b[24:28])),
		CHAddr: net.HardwareAddr(append([]byte(nil), b[28:28+hlen]...)),
	}
	opts, err := parseOptions4(b[240:], "options")
	if err != nil {
		return nil, err
	}
	m.Options = opts
	if ov, ok := opts.Get(opt4Overload); ok {
		if len(ov) != 1 || ov[0] < 1 || ov[0] > 3 {
			return nil, fmt.Errorf("DHCPv4 option overload has invalid value %x", ov)
		}
		// RFC 3396 section 7: options, then file, then sname.
		if ov[0]&1 != 0 {
			f, err := parseOptions4(b[108:236], "file")
			if err != nil {
				return nil, err
			}
			m.Options = append(m.Options, f...)
		}
		if ov[0]&2 != 0 {
			s, err := parseOptions4(b[44:108], "sname")
			if err != nil {
				return nil, err
			}
			m.Options = append(m.Options, s...)
		}
	}
	return m, nil
}

func parseOptions4(b []byte, field string) (Options4, error) {
	var o Options4
	for i := 0; i < len(b); {
		code := b[i]
		switch code {
		case opt4Pad:
			i++
			continue
		case opt4End:
			return o, nil
		}
		if i+1 >= len(b) {
			return nil, fmt.Errorf("DHCPv4 %s field: option %d at offset %d has no length", field, code, i)
		}
		n := int(b[i+1])
		if i+2+n > len(b) {
			return nil, fmt.Errorf("DHCPv4 %s field: option %d at offset %d, length %d, runs past the end", field, code, i, n)
		}
		o = append(o, Option4{Code: code, Data: append([]byte(nil), b[i+2:i+2+n]...)})
		i += 2 + n
	}
	return o, nil
}

func addr4(o Options4, code byte) netip.Addr {
	v, ok := o.Get(code)
	if !ok || len(v) < 4 {
		return netip.Addr{}
	}
	return netip.AddrFrom4([4]byte(v[:4]))
}
