package frr

import (
	"slices"
	"strings"
)

// evpnContexts are the parts of a configuration that prune and applyVrfs
// work on, by context, as FRR prints them and as Render writes them.
type evpnContexts struct {
	// l2VNIs are the "vni N" stanzas under "router bgp ASN" / "address-family
	// l2vpn evpn", by their "router bgp" line.
	l2VNIs map[string][]string
	// bgpVrfs are the "router bgp ASN vrf NAME" lines.
	bgpVrfs []string
	// vrfs are the lines inside each "vrf NAME" stanza, by its "vrf" line.
	vrfs map[string][]string
	// vrfOrder lists the "vrf" lines in the order they appear.
	vrfOrder []string
}

// parseContexts reads the contexts of a configuration by their keywords,
// whatever the indentation.
func parseContexts(text string) evpnContexts {
	c := evpnContexts{l2VNIs: map[string][]string{}, vrfs: map[string][]string{}}
	var router, af, vrf string
	inVNI := false
	for _, raw := range strings.Split(text, "\n") {
		line := strings.Join(strings.Fields(raw), " ")
		switch {
		case line == "" || strings.HasPrefix(line, "!"):
		case strings.HasPrefix(line, "router bgp "):
			router, af, vrf, inVNI = line, "", "", false
			if strings.Contains(line, " vrf ") {
				c.bgpVrfs = append(c.bgpVrfs, line)
			}
		case strings.HasPrefix(line, "vrf ") && router == "" && vrf == "":
			vrf = line
			if _, ok := c.vrfs[vrf]; !ok {
				c.vrfs[vrf] = nil
				c.vrfOrder = append(c.vrfOrder, vrf)
			}
		case line == "exit-vrf":
			vrf = ""
		case vrf != "":
			c.vrfs[vrf] = append(c.vrfs[vrf], line)
		case line == "exit":
			router, af, inVNI = "", "", false
		case line == "exit-address-family":
			af, inVNI = "", false
		case line == "exit-vni":
			inVNI = false
		case router != "" && strings.HasPrefix(line, "address-family "):
			af = line
		case af == "address-family l2vpn evpn" && !inVNI && strings.HasPrefix(line, "vni ") && !strings.Contains(router, " vrf "):
			c.l2VNIs[router] = append(c.l2VNIs[router], line)
			inVNI = true
		}
	}
	return c
}

// pruneCommands are the vtysh commands that remove from the running
// configuration the L2 VNI stanzas, BGP VRF instances and VRF stanza lines
// the candidate lacks, all in one vtysh run. frr-reload.py would remove
// each with a vtysh run of its own (a quarter of a second each here), so
// replacing 1,000 VNIs would take minutes; after this it finds nothing of
// the kind to remove. Nil when there is nothing to remove.
func pruneCommands(running, candidate string) []string {
	run, cand := parseContexts(running), parseContexts(candidate)
	var cmds []string
	for _, router := range sortedKeys(run.l2VNIs) {
		var gone []string
		for _, vni := range run.l2VNIs[router] {
			if !slices.Contains(cand.l2VNIs[router], vni) {
				gone = append(gone, "no "+vni)
			}
		}
		if len(gone) > 0 {
			cmds = append(cmds, router, "address-family l2vpn evpn")
			cmds = append(cmds, gone...)
			cmds = append(cmds, "exit-address-family", "exit")
		}
	}
	for _, bv := range run.bgpVrfs {
		if !slices.Contains(cand.bgpVrfs, bv) {
			cmds = append(cmds, "no "+bv)
		}
	}
	for _, vrf := range run.vrfOrder {
		var gone []string
		for _, line := range run.vrfs[vrf] {
			if !slices.Contains(cand.vrfs[vrf], line) {
				gone = append(gone, "no "+line)
			}
		}
		if len(gone) > 0 {
			cmds = append(cmds, vrf)
			cmds = append(cmds, gone...)
			cmds = append(cmds, "exit-vrf")
		}
	}
	return cmds
}

// vrfCommands are the vtysh commands that configure the candidate's "vrf
// NAME" stanzas from the configuration node (see applyVrfs).
func vrfCommands(candidate string) []string {
	c := parseContexts(candidate)
	var cmds []string
	for _, vrf := range c.vrfOrder {
		cmds = append(cmds, vrf)
		cmds = append(cmds, c.vrfs[vrf]...)
		cmds = append(cmds, "exit-vrf")
	}
	return cmds
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
