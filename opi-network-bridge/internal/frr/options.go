package frr

import (
	"net/netip"
	"time"
)

// Debian's paths of FRR 8.4.
const (
	DefaultVtysh  = "/usr/bin/vtysh"
	DefaultReload = "/usr/lib/frr/frr-reload.py"
)

// config is what the options set.
type config struct {
	Vtysh, Reload string
	// VtySocketDir: vtysh's --vty_socket; empty: FRR's default.
	VtySocketDir string
	ConfDir      string
	RunDir       string
	ASN          uint32
	RouterID     netip.Addr
	Base         string
	BaseFile     string
	Daemons      []string
	Timeout      time.Duration
}

func defaultConfig() config {
	return config{
		Vtysh:   DefaultVtysh,
		Reload:  DefaultReload,
		ConfDir: "/etc/frr",
		RunDir:  "/var/run/frr",
		Daemons: []string{"zebra", "bgpd"},
		Timeout: 2 * time.Minute,
	}
}

// Option configures the adapter.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithBinaries sets the paths of vtysh and frr-reload.py (DefaultVtysh and
// DefaultReload otherwise). frr-reload.py runs the vtysh of the same
// directory.
func WithBinaries(vtysh, reload string) Option {
	return optionFunc(func(c *config) { c.Vtysh, c.Reload = vtysh, reload })
}

// WithVtySocketDir sets the directory of the daemons' vty sockets (vtysh's
// and frr-reload.py's --vty_socket); FRR's default otherwise.
func WithVtySocketDir(dir string) Option {
	return optionFunc(func(c *config) { c.VtySocketDir = dir })
}

// WithConfDir sets the instance's configuration directory (vtysh.conf, and
// the frr.conf that frr-reload.py writes after a reload); /etc/frr
// otherwise.
func WithConfDir(dir string) Option {
	return optionFunc(func(c *config) { c.ConfDir = dir })
}

// WithRunDir sets the directory of the candidate files, frr-reload.py's
// temporary files and the record of the last applied configuration;
// /var/run/frr otherwise.
func WithRunDir(dir string) Option {
	return optionFunc(func(c *config) { c.RunDir = dir })
}

// WithRouterID makes the managed part set "bgp router-id", in the default
// instance and in every VRF instance; the base must then not set it.
func WithRouterID(id netip.Addr) Option {
	return optionFunc(func(c *config) { c.RouterID = id })
}

// WithBase sets the operator's base configuration as text.
func WithBase(text string) Option {
	return optionFunc(func(c *config) { c.Base = text })
}

// WithBaseFile sets a file holding the operator's base configuration, read
// on every Apply, so an operator's edit is picked up by the next one.
func WithBaseFile(path string) Option {
	return optionFunc(func(c *config) { c.BaseFile = path })
}

// WithDaemons sets the daemons that must all run for an Apply (zebra and
// bgpd otherwise).
func WithDaemons(names ...string) Option {
	return optionFunc(func(c *config) { c.Daemons = names })
}

// WithTimeout bounds each command (vtysh, frr-reload.py); 2 minutes
// otherwise.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.Timeout = d })
}
