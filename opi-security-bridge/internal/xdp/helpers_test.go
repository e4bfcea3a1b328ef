package xdp

import (
	"encoding/binary"
	"net/netip"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
)

// needRoot skips tests that load BPF programs or touch the network unless
// the process may (CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN: CI runs as root).
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN) to load XDP programs and mount bpffs")
	}
}

// bpffs mounts a private bpffs for the test and unmounts it afterwards.
func bpffs(t testing.TB) string {
	t.Helper()
	needRoot(t)
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, ""); err != nil {
		t.Skipf("cannot mount bpffs (kernel without CONFIG_BPF_SYSCALL?): %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// openLoaded opens a data plane on a fresh bpffs and loads rules into it.
func openLoaded(t testing.TB, rules []firewall.Rule, def firewall.Action) *Dataplane {
	t.Helper()
	d, err := Open(bpffs(t) + "/p")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	tb, err := Compile(rules, def)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Load(tb); err != nil {
		t.Fatal(err)
	}
	return d
}

// frame describes a packet to build by hand.
type frame struct {
	src, dst     netip.Addr
	proto        uint8
	sport, dport uint16
	vlans        int    // 802.1Q tags before the IP header
	fragOffset   uint16 // in 8-byte units
	ihl          int    // IPv4 header length in words; 0 means 5
	l4len        int    // bytes of transport header; -1 means the full one
	payload      int
	dstOpts      int // IPv6: 8-byte destination options headers before the transport (or fragment) header
	tcpDoff      int // TCP data offset in words; 0 means 5
	totLen       int // IPv4 total length; 0 means the real one
}

func (f frame) bytes() []byte {
	b := make([]byte, 0, 128)
	b = append(b, 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1) // dst, src MAC
	for range f.vlans {
		b = binary.BigEndian.AppendUint16(b, 0x8100)
		b = binary.BigEndian.AppendUint16(b, 42)
	}
	l4 := f.l4()
	if f.src.Is4() {
		ihl := f.ihl
		if ihl == 0 {
			ihl = 5
		}
		hl := max(ihl, 5) * 4
		b = binary.BigEndian.AppendUint16(b, 0x0800)
		ip := make([]byte, hl)
		ip[0] = 0x40 | byte(ihl)
		tot := hl + len(l4)
		if f.totLen != 0 {
			tot = f.totLen
		}
		binary.BigEndian.PutUint16(ip[2:], uint16(tot))
		binary.BigEndian.PutUint16(ip[6:], f.fragOffset)
		ip[8] = 64
		ip[9] = f.proto
		s, d := f.src.As4(), f.dst.As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		return append(append(b, ip...), l4...)
	}
	b = binary.BigEndian.AppendUint16(b, 0x86dd)
	ip := make([]byte, 40)
	ip[0] = 0x60
	next := f.proto
	var ext []byte
	if f.fragOffset != 0 {
		ext = make([]byte, 8)
		ext[0] = f.proto
		binary.BigEndian.PutUint16(ext[2:], f.fragOffset<<3)
		next = 44
	}
	for range f.dstOpts {
		h := make([]byte, 8) // length 0: 8 bytes, padding only
		h[0] = next
		ext = append(h, ext...)
		next = 60
	}
	binary.BigEndian.PutUint16(ip[4:], uint16(len(ext)+len(l4)))
	ip[6] = next
	ip[7] = 64
	s, d := f.src.As16(), f.dst.As16()
	copy(ip[8:], s[:])
	copy(ip[24:], d[:])
	return append(append(append(b, ip...), ext...), l4...)
}

func (f frame) l4() []byte {
	var h []byte
	switch f.proto {
	case 6:
		h = make([]byte, 20)
		doff := f.tcpDoff
		if doff == 0 {
			doff = 5
		}
		h[12] = byte(doff) << 4
	case 17:
		h = make([]byte, 8)
	case 132:
		h = make([]byte, 12)
	case 1, 58:
		h = make([]byte, 8)
	}
	if len(h) >= 4 && f.proto != 1 && f.proto != 58 {
		binary.BigEndian.PutUint16(h[0:], f.sport)
		binary.BigEndian.PutUint16(h[2:], f.dport)
	}
	if f.l4len >= 0 && f.l4len < len(h) && f.l4len != 0 {
		h = h[:f.l4len]
	}
	if f.l4len == -2 { // no transport header at all
		h = nil
	}
	return append(h, make([]byte, f.payload)...)
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }
func pfx(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}
