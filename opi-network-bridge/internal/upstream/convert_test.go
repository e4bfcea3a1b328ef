package upstream

import (
	"regexp"
	"testing"

	"github.com/opi-suite/opi/opi-kit/names"
	netcommon "github.com/opi-suite/opi/opi-upstream/network/opinetcommon/v1alpha1"
	"google.golang.org/protobuf/proto"
)

func TestNamesInUpstreamFormsBecomeNative(t *testing.T) {
	for _, c := range []struct {
		k        kind
		in, want string
	}{
		{lbKind, "blue", "logicalBridges/blue"},
		{lbKind, "logicalBridges/blue", "logicalBridges/blue"},
		{lbKind, "//network.opiproject.org/bridges/blue", "logicalBridges/blue"},
		{lbKind, "//network.opiproject.org/logicalBridges/blue", "logicalBridges/blue"},
		{portKind, "//network.opiproject.org/ports/p1", "bridgePorts/p1"},
		{portKind, "p1", "bridgePorts/p1"},
		{vrfKind, "//network.opiproject.org/vrfs/red", "vrfs/red"},
		{sviKind, "svis/s", "svis/s"},
		{lbKind, "vrfs/red", "vrfs/red"}, // another kind's name is left for the domain to refuse
		{lbKind, "", ""},
		{ifKind, "netInterface/eth1", "netInterfaces/eth1"},
		{ifKind, "//network.opiproject.org/interfaces/eth1", "netInterfaces/eth1"},
		{ifKind, "eth1", "netInterfaces/eth1"},
	} {
		if got := c.k.name(c.in); got != c.want {
			t.Errorf("%s: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNewIDsAreUUIDsThatAreResourceIDs(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 200 {
		id, err := newID()
		if err != nil {
			t.Fatal(err)
		}
		if !uuid.MatchString(id) || names.ValidateID(id) != nil || seen[id] {
			t.Fatalf("%s: not a fresh v4 UUID that is a resource id (%v)", id, names.ValidateID(id))
		}
		seen[id] = true
	}
}

func TestMACsAreSixOctetsOrText(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want string
		ok   bool
	}{
		{[]byte{0x02, 0xaa, 0, 0, 0, 0x01}, "02:aa:00:00:00:01", true},
		{[]byte("02:AA:00:00:00:01"), "02:aa:00:00:00:01", true},
		{nil, "", true},
		{[]byte{1, 2, 3}, "", false},
		{[]byte("02:aa:00:00:00:01:02:03"), "", false},
	} {
		got, err := macFromUpstream("mac", c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%x: got %q, %v", c.in, got, err)
		}
	}
}

func TestPrefixesRoundTrip(t *testing.T) {
	for _, s := range []string{"10.0.0.1/32", "192.168.1.1/24", "2001:db8::1/64"} {
		back, err := prefixFromUpstream("p", prefixToUpstream(s))
		if err != nil || back != s {
			t.Errorf("%s: back %q, %v", s, back, err)
		}
	}
	if p := prefixToUpstream("10.0.0.1"); p.GetLen() != 32 {
		t.Errorf("a bare address is a host prefix: %v", p)
	}
	bad := prefixToUpstream("10.0.0.1/32")
	bad.Len = 33
	if _, err := prefixFromUpstream("p", bad); err == nil {
		t.Error("length 33 of an IPv4 address accepted")
	}
	noAddr := proto.Clone(bad).(*netcommon.IPPrefix)
	noAddr.Len, noAddr.Addr = 24, nil
	if _, err := prefixFromUpstream("p", noAddr); err == nil {
		t.Error("a prefix without an address accepted")
	}
}
