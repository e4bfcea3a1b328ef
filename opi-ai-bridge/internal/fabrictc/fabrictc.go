// Package fabrictc applies fabric ports with the kernel's tools: ip for
// the MTU, tc for DSCP classification (an HTB qdisc with one class per
// traffic class and u32 filters on the DS field) and ECN marking (RED with
// ecn), and iproute2's dcb for PFC. Its preflight reads the kernel's
// configuration (/proc/config.gz) and asks the driver, so that what cannot
// be applied here is said before anything is tried.
package fabrictc

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// Backend implements fabric.Backend.
type Backend struct {
	netns      string
	kernelConf string
}

// An Option configures a Backend.
type Option func(*Backend)

// WithNetns runs every command in the named network namespace (ip netns).
func WithNetns(name string) Option { return func(b *Backend) { b.netns = name } }

// WithKernelConfig reads the kernel configuration from path (gzipped)
// instead of /proc/config.gz.
func WithKernelConfig(path string) Option { return func(b *Backend) { b.kernelConf = path } }

// New returns a Backend.
func New(opts ...Option) *Backend {
	b := &Backend{kernelConf: "/proc/config.gz"}
	for _, o := range opts {
		o(b)
	}
	return b
}

func (b *Backend) argv(args ...string) []string {
	if b.netns != "" {
		return append([]string{"ip", "netns", "exec", b.netns}, args...)
	}
	return args
}

// run runs one command and classifies its failure.
func (b *Backend) run(ctx context.Context, args ...string) ([]byte, error) {
	argv := b.argv(args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil {
		return out, nil
	}
	if errors.Is(err, exec.ErrNotFound) {
		return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, fmt.Errorf("%s: %w", strings.Join(args, " "), err))
	}
	msg := strings.TrimSpace(stderr.String())
	full := fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, msg)
	switch {
	case strings.Contains(msg, "Cannot find device") || strings.Contains(msg, "does not exist"):
		return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, full)
	case strings.Contains(msg, "not supported") || strings.Contains(msg, "Unknown qdisc") || strings.Contains(msg, "Operation not permitted"):
		return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, full)
	case strings.Contains(msg, "Invalid argument") || strings.Contains(msg, "out of range"):
		return nil, errdefs.Wrap(errdefs.ErrInvalidArgument, full)
	}
	return nil, errdefs.Wrap(errdefs.ErrInternal, full)
}

// kernelHas says whether the kernel configuration sets option (=y or =m);
// known is false when the configuration cannot be read.
func (b *Backend) kernelHas(option string) (has, known bool) {
	f, err := os.Open(b.kernelConf)
	if err != nil {
		return false, false
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return false, false
	}
	conf, err := io.ReadAll(zr)
	if err != nil {
		return false, false
	}
	for _, line := range strings.Split(string(conf), "\n") {
		if line == option+"=y" || line == option+"=m" {
			return true, true
		}
	}
	return false, true
}

// Preflight implements fabric.Backend.
func (b *Backend) Preflight(ctx context.Context, p *aiv1.FabricPort) ([]*aiv1.FabricCheck, error) {
	var checks []*aiv1.FabricCheck
	add := func(feature string, ok bool, reason string) {
		if ok {
			reason = ""
		}
		checks = append(checks, &aiv1.FabricCheck{Feature: feature, Supported: ok, Reason: reason})
	}
	iface := p.GetInterface()
	out, err := b.run(ctx, "ip", "-d", "-j", "link", "show", "dev", iface)
	var links []struct {
		MaxMTU int32 `json:"max_mtu"`
	}
	if errors.Is(err, exec.ErrNotFound) {
		add("interface", false, "iproute2's ip tool is not installed (the bridge's image has none: fabric ports need a host with ip and tc)")
		return checks, nil
	}
	exists := err == nil && json.Unmarshal(out, &links) == nil && len(links) == 1
	add("interface", exists, fmt.Sprintf("no interface %s in the bridge's network namespace", iface))
	if !exists {
		return checks, nil
	}
	if mtu := p.GetMtu(); mtu != 0 {
		max := links[0].MaxMTU
		add("mtu", max == 0 || mtu <= max, fmt.Sprintf("%s allows an MTU of at most %d", iface, max))
	}
	kernel := func(feature string, options ...string) {
		for _, o := range options {
			if has, known := b.kernelHas(o); known && !has {
				add(feature, false, "the kernel lacks "+o)
				return
			}
		}
		add(feature, true, "")
	}
	if p.GetDscpTrust() {
		kernel("dscp-trust", "CONFIG_NET_SCH_HTB", "CONFIG_NET_CLS_U32")
	}
	if p.GetEcn() != nil {
		kernel("ecn", "CONFIG_NET_SCH_RED")
	}
	if len(p.GetPfcPriorities()) > 0 {
		switch _, err := b.run(ctx, "dcb", "pfc", "show", "dev", iface); {
		case err == nil:
			add("pfc", true, "")
		case strings.Contains(err.Error(), "executable file not found"):
			add("pfc", false, "iproute2's dcb tool is not installed")
		default:
			add("pfc", false, fmt.Sprintf("%s's driver does not do DCB (%v)", iface, err))
		}
	}
	return checks, nil
}

// Commands implements fabric.Backend.
func (b *Backend) Commands(p *aiv1.FabricPort) []string {
	var out []string
	for _, c := range b.commands(p) {
		out = append(out, strings.Join(c, " "))
	}
	return out
}

func (b *Backend) commands(p *aiv1.FabricPort) [][]string {
	dev := p.GetInterface()
	var cmds [][]string
	if mtu := p.GetMtu(); mtu != 0 {
		cmds = append(cmds, []string{"ip", "link", "set", "dev", dev, "mtu", fmt.Sprint(mtu)})
	}
	red := func(parent, handle string) []string {
		e := p.GetEcn()
		prob := e.GetMaxProbabilityPercent()
		if prob == 0 {
			prob = 10
		}
		burst := (2*e.GetMinBytes() + e.GetMaxBytes()) / (3 * 1500)
		return []string{"tc", "qdisc", "replace", "dev", dev, "parent", parent, "handle", handle, "red",
			"limit", fmt.Sprint(4 * e.GetMaxBytes()), "min", fmt.Sprint(e.GetMinBytes()), "max", fmt.Sprint(e.GetMaxBytes()),
			"avpkt", "1500", "burst", fmt.Sprint(max(burst, 1)), "probability", fmt.Sprintf("%g", float64(prob)/100), "ecn"}
	}
	switch {
	case p.GetDscpTrust():
		cmds = append(cmds, []string{"tc", "qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb", "default", "1"})
		for prio := range 8 {
			cmds = append(cmds, []string{"tc", "class", "replace", "dev", dev, "parent", "1:", "classid", fmt.Sprintf("1:%d", prio+1),
				"htb", "rate", "100gbit", "prio", fmt.Sprint(prio)})
			if p.GetEcn() != nil {
				cmds = append(cmds, red(fmt.Sprintf("1:%d", prio+1), fmt.Sprintf("%d:", prio+10)))
			}
		}
		for _, d := range p.GetDscpPriorities() {
			// The DS field is the top six bits of the IPv4 TOS byte and of
			// the IPv6 traffic class.
			tos := fmt.Sprintf("0x%02x", d.GetDscp()<<2)
			class := fmt.Sprintf("1:%d", d.GetPriority()+1)
			cmds = append(cmds,
				[]string{"tc", "filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dsfield", tos, "0xfc", "classid", class},
				[]string{"tc", "filter", "add", "dev", dev, "parent", "1:", "protocol", "ipv6", "prio", "2", "u32", "match", "ip6", "priority", tos, "0xfc", "classid", class})
		}
	case p.GetEcn() != nil:
		cmds = append(cmds, red("root", "1:"))
	}
	if len(p.GetPfcPriorities()) > 0 {
		cmd := []string{"dcb", "pfc", "set", "dev", dev, "prio-pfc"}
		for prio := range uint32(8) {
			state := "off"
			for _, q := range p.GetPfcPriorities() {
				if q == prio {
					state = "on"
				}
			}
			cmd = append(cmd, fmt.Sprintf("%d:%s", prio, state))
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// Apply implements fabric.Backend: the root qdisc is removed first, so
// that filters of an earlier configuration do not stay behind.
func (b *Backend) Apply(ctx context.Context, p *aiv1.FabricPort) error {
	if err := b.clear(ctx, p.GetInterface()); err != nil {
		return err
	}
	for _, c := range b.commands(p) {
		if _, err := b.run(ctx, c...); err != nil {
			return err
		}
	}
	return nil
}

// Remove implements fabric.Backend. The MTU stays.
func (b *Backend) Remove(ctx context.Context, p *aiv1.FabricPort) error {
	if err := b.clear(ctx, p.GetInterface()); err != nil {
		return err
	}
	if len(p.GetPfcPriorities()) > 0 {
		_, _ = b.run(ctx, "dcb", "pfc", "set", "dev", p.GetInterface(), "prio-pfc", "all:off")
	}
	return nil
}

// clear removes the root qdisc of dev; none there (or no dev) is success.
func (b *Backend) clear(ctx context.Context, dev string) error {
	_, err := b.run(ctx, "tc", "qdisc", "del", "dev", dev, "root")
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, benign := range []string{"No such file or directory", "Cannot delete qdisc with handle of zero", "Cannot find device", "Invalid handle"} {
		if strings.Contains(msg, benign) {
			return nil
		}
	}
	return err
}
