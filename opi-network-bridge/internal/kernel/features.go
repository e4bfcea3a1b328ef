package kernel

import (
	"bufio"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// detectFeatures probes the kernel: it creates a throwaway device of each
// kind in the adapter's namespace and deletes it again. "Operation not
// supported" (the kernel does not know the device kind, or the bridge
// option) means the feature is missing. A probe that fails for another
// reason (no CAP_NET_ADMIN, say) says nothing; then /proc/config.gz
// decides where it exists, and otherwise the feature is assumed present
// so that the real request fails with its own, classified error.
func detectFeatures(h *netlink.Handle, log *slog.Logger) network.Features {
	config := kernelConfig()
	tag := probeTag()
	decide := func(f feature, err error) bool {
		switch {
		case err == nil, errors.Is(err, unix.EEXIST):
			return true
		case errors.Is(err, unix.EOPNOTSUPP):
			return false
		}
		if v, ok := config[f.option]; ok {
			log.Warn("feature probe inconclusive; using the kernel config", "option", f.option, "present", v, "err", err)
			return v
		}
		log.Warn("feature probe inconclusive; assuming present", "option", f.option, "err", err)
		return true
	}
	try := func(l netlink.Link) error {
		err := h.LinkAdd(l)
		if err == nil {
			_ = h.LinkDel(l)
		}
		return err
	}

	var f network.Features
	// The VLAN probe needs a parent that accepts VLANs: the bridge probe.
	parent := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "opipb" + tag}}
	err := h.LinkAdd(parent)
	f.Bridge = decide(featBridge, err)
	if err == nil {
		f.VLAN = decide(featVLAN, try(&netlink.Vlan{
			LinkAttrs: netlink.LinkAttrs{Name: "opipv" + tag, ParentIndex: parent.Index}, VlanId: 2}))
		_ = h.LinkDel(parent)
	} else {
		f.VLAN = decide(featVLAN, err)
	}
	on := true
	f.VlanFiltering = decide(featVlanFiltering, try(&netlink.Bridge{
		LinkAttrs: netlink.LinkAttrs{Name: "opipf" + tag}, VlanFiltering: &on}))
	// Port 0 and a VNI no one uses are enough: the device never goes up.
	f.VXLAN = decide(featVXLAN, try(&netlink.Vxlan{
		LinkAttrs: netlink.LinkAttrs{Name: "opipx" + tag}, VxlanId: 16777214, Port: 1}))
	f.VRF = decide(featVRF, try(&netlink.Vrf{
		LinkAttrs: netlink.LinkAttrs{Name: "opipr" + tag}, Table: 4294967294}))
	return f
}

// probeTag makes the probe devices' names unique, so two adapters
// starting in one namespace do not trip over each other's probes.
func probeTag() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// kernelConfig reads /proc/config.gz: option -> built in or a module.
// Nil where the kernel does not publish its config.
func kernelConfig() map[string]bool {
	f, err := os.Open("/proc/config.gz")
	if err != nil {
		return nil
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil
	}
	config := map[string]bool{}
	s := bufio.NewScanner(z)
	for s.Scan() {
		line := s.Text()
		if name, ok := strings.CutPrefix(line, "# "); ok && strings.HasSuffix(name, " is not set") {
			config[strings.TrimSuffix(name, " is not set")] = false
		} else if name, value, ok := strings.Cut(line, "="); ok && strings.HasPrefix(name, "CONFIG_") {
			config[name] = value == "y" || value == "m"
		}
	}
	for _, f := range []feature{featBridge, featVXLAN, featVRF, featVLAN, featVlanFiltering} {
		if _, ok := config[f.option]; !ok {
			config[f.option] = false // an option the config does not mention is off
		}
	}
	return config
}
