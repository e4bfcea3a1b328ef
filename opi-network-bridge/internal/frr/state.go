package frr

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// State reads zebra's VNIs ("show evpn vni json") and BGP's EVPN routes
// ("show bgp l2vpn evpn route detail json": the detail form says which
// routes are local and which VNI a route carries, the short form does not).
func (f *FRR) State(ctx context.Context) (network.RoutingState, error) {
	vnis, err := f.vtysh(ctx, maxStateOutput, "-c", "show evpn vni json")
	if err != nil {
		return network.RoutingState{}, stateErr("show evpn vni", vnis, err)
	}
	routes, err := f.vtysh(ctx, maxStateOutput, "-c", "show bgp l2vpn evpn route detail json")
	if err != nil {
		return network.RoutingState{}, stateErr("show bgp l2vpn evpn route", routes, err)
	}
	for _, r := range []result{vnis, routes} {
		if r.truncated {
			return network.RoutingState{}, errdefs.ResourceExhaustedf("frr: the EVPN state exceeds %d bytes", maxStateOutput)
		}
	}
	var st network.RoutingState
	if st.VNIs, err = ParseVNIs(vnis.stdout); err != nil {
		return network.RoutingState{}, err
	}
	if st.Routes, err = ParseRoutes(routes.stdout); err != nil {
		return network.RoutingState{}, err
	}
	return st, nil
}

func stateErr(what string, res result, err error) error {
	if errdefs.Classified(err) {
		return err
	}
	return errdefs.Internalf("frr: %s: %v: %s", what, err, trim(res.combined()))
}

// vniJSON is one VNI of "show evpn vni json" (FRR 8.4). numRemoteVteps is
// a number for an L2 VNI and "n/a" for an L3 one, so it is not read.
type vniJSON struct {
	VNI         uint32   `json:"vni"`
	Type        string   `json:"type"`
	VxlanIf     string   `json:"vxlanIf"`
	NumMacs     int      `json:"numMacs"`
	RemoteVteps []string `json:"remoteVteps"`
}

// ParseVNIs parses "show evpn vni json": an object keyed by VNI.
func ParseVNIs(data []byte) (map[uint32]network.VNIState, error) {
	data = bytes.TrimSpace(data)
	out := map[uint32]network.VNIState{}
	if len(data) == 0 {
		return out, nil // zebra prints nothing when it knows no VNI
	}
	var raw map[string]vniJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, errdefs.Internalf("frr: parsing show evpn vni json: %v", err)
	}
	for key, v := range raw {
		vni := v.VNI
		if vni == 0 {
			n, err := strconv.ParseUint(key, 10, 32)
			if err != nil {
				return nil, errdefs.Internalf("frr: show evpn vni json: key %q is no VNI", key)
			}
			vni = uint32(n)
		}
		st := network.VNIState{Type: v.Type, VxlanIf: v.VxlanIf, MACs: v.NumMacs}
		for _, s := range v.RemoteVteps {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, errdefs.Internalf("frr: show evpn vni json: VNI %d: remote VTEP %q: %v", vni, s, err)
			}
			st.RemoteVteps = append(st.RemoteVteps, a)
		}
		slices.SortFunc(st.RemoteVteps, netip.Addr.Compare)
		out[vni] = st
	}
	return out, nil
}

// pathJSON is one path of an EVPN route, in either of FRR 8.4's forms:
// "show bgp l2vpn evpn route detail json" (vni, local, peer) or "show bgp
// l2vpn evpn json" (routeType, peerId "(unspec)" for a local path).
type pathJSON struct {
	Valid     bool            `json:"valid"`
	Bestpath  json.RawMessage `json:"bestpath"` // true, or {"overall": true, ...}
	Local     bool            `json:"local"`
	PeerID    string          `json:"peerId"`
	VNI       string          `json:"vni"` // "100", or "100/1000" with the L3 VNI
	RouteType int             `json:"routeType"`
	MAC       string          `json:"mac"`
	IP        string          `json:"ip"`
	IPLen     int             `json:"ipLen"`
	PMSI      *struct {
		Label uint32 `json:"label"`
	} `json:"pmsi"` // a type-3 route's tunnel: the label is its VNI
	Nexthops []struct {
		IP string `json:"ip"`
	} `json:"nexthops"`
}

func (p pathJSON) best() bool {
	b := bytes.TrimSpace(p.Bestpath)
	if bytes.Equal(b, []byte("true")) {
		return true
	}
	var o struct {
		Overall bool `json:"overall"`
	}
	return json.Unmarshal(b, &o) == nil && o.Overall
}

// routeJSON is one prefix of a route distinguisher.
type routeJSON struct {
	Prefix    string            `json:"prefix"`
	RouteType int               `json:"routeType"`
	MAC       string            `json:"mac"`
	IP        string            `json:"ip"`
	IPLen     int               `json:"ipLen"`
	Paths     []json.RawMessage `json:"paths"` // a path, or a list of paths
}

// ParseRoutes parses "show bgp l2vpn evpn route detail json" (or "show bgp
// l2vpn evpn json"): an object keyed by route distinguisher, each keyed by
// prefix ("[2]:[0]:[48]:[mac]:[32]:[ip]", "[3]:[0]:[32]:[ip]",
// "[5]:[0]:[24]:[prefix]"), beside scalar fields of the table. Each prefix
// gives one route, from its best path (its first when none is marked);
// routes come sorted by RD, then type, then prefix.
func ParseRoutes(data []byte) ([]network.EVPNRoute, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil
	}
	var table map[string]json.RawMessage
	if err := json.Unmarshal(data, &table); err != nil {
		return nil, errdefs.Internalf("frr: parsing the EVPN routes: %v", err)
	}
	type keyed struct {
		key   string
		route network.EVPNRoute
	}
	var all []keyed
	for rd, raw := range table {
		var prefixes map[string]json.RawMessage
		if json.Unmarshal(raw, &prefixes) != nil {
			continue // "bgpTableVersion", "numPrefix", ...
		}
		for key, rawRoute := range prefixes {
			if !strings.HasPrefix(key, "[") {
				continue // "rd"
			}
			var r routeJSON
			if err := json.Unmarshal(rawRoute, &r); err != nil {
				return nil, errdefs.Internalf("frr: EVPN route %s %s: %v", rd, key, err)
			}
			route, ok, err := evpnRoute(rd, key, r)
			if err != nil {
				return nil, err
			}
			if ok {
				all = append(all, keyed{key, route})
			}
		}
	}
	slices.SortFunc(all, func(a, b keyed) int {
		return cmp.Or(strings.Compare(a.route.RD, b.route.RD), cmp.Compare(a.route.Type, b.route.Type), strings.Compare(a.key, b.key))
	})
	out := make([]network.EVPNRoute, len(all))
	for i, k := range all {
		out[i] = k.route
	}
	return out, nil
}

func evpnRoute(rd, key string, r routeJSON) (network.EVPNRoute, bool, error) {
	paths, err := flattenPaths(r.Paths)
	if err != nil {
		return network.EVPNRoute{}, false, errdefs.Internalf("frr: EVPN route %s %s: %v", rd, key, err)
	}
	if len(paths) == 0 {
		return network.EVPNRoute{}, false, nil
	}
	p := paths[0]
	for _, c := range paths {
		if c.best() {
			p = c
			break
		}
	}
	route := network.EVPNRoute{RD: rd, Type: cmp.Or(r.RouteType, p.RouteType)}
	if route.Type == 0 {
		// The type is the first field of the prefix: "[2]:...".
		if t, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(key, ":", 2)[0], "["), "]")); err == nil {
			route.Type = t
		}
	}
	mac, ip, ipLen := cmp.Or(r.MAC, p.MAC), cmp.Or(r.IP, p.IP), cmp.Or(r.IPLen, p.IPLen)
	if mac != "" {
		if route.MAC, err = net.ParseMAC(mac); err != nil {
			return route, false, errdefs.Internalf("frr: EVPN route %s %s: %v", rd, key, err)
		}
	}
	if ip != "" {
		if route.IP, err = netip.ParseAddr(ip); err != nil {
			return route, false, errdefs.Internalf("frr: EVPN route %s %s: %v", rd, key, err)
		}
		if route.Type == 5 {
			route.Prefix = netip.PrefixFrom(route.IP, ipLen)
		}
	}
	if v, _, _ := strings.Cut(p.VNI, "/"); v != "" {
		if n, err := strconv.ParseUint(v, 10, 32); err == nil {
			route.VNI = uint32(n)
		}
	} else if p.PMSI != nil {
		route.VNI = p.PMSI.Label
	}
	for _, nh := range p.Nexthops {
		if a, err := netip.ParseAddr(nh.IP); err == nil {
			route.NextHop = a
			break
		}
	}
	route.Local = p.Local || p.PeerID == "(unspec)"
	return route, true, nil
}

// flattenPaths accepts "paths":[{...}] and "paths":[[{...}]].
func flattenPaths(raw []json.RawMessage) ([]pathJSON, error) {
	var out []pathJSON
	for _, r := range raw {
		r = bytes.TrimSpace(r)
		if len(r) > 0 && r[0] == '[' {
			var ps []pathJSON
			if err := json.Unmarshal(r, &ps); err != nil {
				return nil, err
			}
			out = append(out, ps...)
			continue
		}
		var p pathJSON
		if err := json.Unmarshal(r, &p); err != nil {
			return nil, fmt.Errorf("path: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}
