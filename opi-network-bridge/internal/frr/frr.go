// Package frr is the network bridge's routing adapter: it implements
// network.Routing on FRR (zebra + bgpd) through vtysh and frr-reload.py.
//
// The configuration FRR runs is always one whole file: the operator's base
// configuration (the underlay: "router bgp ASN", its neighbors and their
// l2vpn evpn activation) followed by the managed part, rendered from the
// intent on every Apply (see Render). Apply validates the candidate with
// vtysh's dry run, then lets frr-reload.py turn the running configuration
// into the candidate; when FRR refuses a line, the configuration FRR ran
// before is reloaded, so a failed Apply leaves FRR as it was.
package frr

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// FRR is the routing adapter for one FRR instance. Its methods are safe
// for concurrent use; Applies run one at a time.
type FRR struct {
	cfg config

	mu      sync.Mutex // serialises Apply
	reloads int        // Applies that went past validation to change FRR
}

var _ network.Routing = (*FRR)(nil)

// Bounds on what a command may print.
const (
	maxStateOutput  = 256 << 20 // a full EVPN table of a large fabric
	maxConfigOutput = 32 << 20
)

// New returns the adapter for the FRR instance the options name, whose
// local BGP AS is asn. It checks that vtysh and frr-reload.py exist; it
// does not contact FRR.
func New(asn uint32, opts ...Option) (*FRR, error) {
	cfg := defaultConfig()
	cfg.ASN = asn
	for _, o := range opts {
		o.apply(&cfg)
	}
	if cfg.ASN == 0 {
		return nil, errdefs.InvalidArgumentf("frr: the BGP AS number is required")
	}
	if cfg.Base != "" && cfg.BaseFile != "" {
		return nil, errdefs.InvalidArgumentf("frr: set the base configuration as text or as a file, not both")
	}
	for _, p := range []string{cfg.Vtysh, cfg.Reload} {
		if _, err := os.Stat(p); err != nil {
			return nil, errdefs.FailedPreconditionf("frr: %v (install frr and frr-pythontools)", err)
		}
	}
	return &FRR{cfg: cfg}, nil
}

// Reloads returns how many Applies went past validation to change FRR
// (successful or rolled back); an Apply that found nothing to do does not
// count.
func (f *FRR) Reloads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reloads
}

// Render returns the complete configuration Apply would give FRR for cfg.
func (f *FRR) Render(cfg network.RoutingConfig) (string, error) {
	base, err := f.base()
	if err != nil {
		return "", err
	}
	return Render(base, f.cfg.ASN, f.cfg.RouterID, cfg), nil
}

func (f *FRR) base() (string, error) {
	if f.cfg.BaseFile == "" {
		return f.cfg.Base, nil
	}
	b, err := os.ReadFile(f.cfg.BaseFile)
	if err != nil {
		return "", errdefs.FailedPreconditionf("frr: reading the base configuration: %v", err)
	}
	return string(b), nil
}

// Files in RunDir recording the last successful Apply, so that a restarted
// bridge with nothing changed does not reload FRR.
const (
	appliedFile = "opi-applied.conf"    // the candidate
	runningFile = "opi-applied.running" // FRR's running configuration after it
)

// Apply makes FRR run the base configuration plus the managed part rendered
// from cfg. It does nothing when that is what was last applied and FRR's
// running configuration is still what it was then.
func (f *FRR) Apply(ctx context.Context, cfg network.RoutingConfig) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	base, err := f.base()
	if err != nil {
		return err
	}
	candidate := Render(base, f.cfg.ASN, f.cfg.RouterID, cfg)

	before, err := f.running(ctx)
	if err != nil {
		return err
	}
	if f.unchanged(candidate, before) {
		return nil
	}
	if err := os.MkdirAll(f.cfg.RunDir, 0o755); err != nil {
		return errdefs.FailedPreconditionf("frr: run directory: %v", err)
	}
	candFile, err := writeTemp(f.cfg.RunDir, "opi-candidate-*.conf", candidate)
	if err != nil {
		return err
	}
	defer os.Remove(candFile)
	if err := f.dryRun(ctx, candFile); err != nil {
		return err
	}
	// From here FRR may change: whatever fails, FRR gets back what it ran.
	f.reloads++
	if err := f.reload(ctx, before, candFile, candidate); err != nil {
		if rbErr := f.rollback(ctx, before); rbErr != nil {
			return fmt.Errorf("%w (and restoring the previous configuration failed: %v)", err, rbErr)
		}
		return err
	}
	after, err := f.running(ctx)
	if err != nil {
		return err
	}
	f.record(candidate, after)
	return nil
}

// unchanged reports whether candidate is what the last Apply gave FRR and
// running is what FRR ran after it.
func (f *FRR) unchanged(candidate, running string) bool {
	applied, err1 := os.ReadFile(filepath.Join(f.cfg.RunDir, appliedFile))
	ran, err2 := os.ReadFile(filepath.Join(f.cfg.RunDir, runningFile))
	return err1 == nil && err2 == nil && string(applied) == candidate && string(ran) == running
}

// record saves what was applied; failing to is not an error of the Apply,
// it only costs a reload next time.
func (f *FRR) record(candidate, running string) {
	_ = writeFile(filepath.Join(f.cfg.RunDir, appliedFile), candidate)
	_ = writeFile(filepath.Join(f.cfg.RunDir, runningFile), running)
}

// forget drops the record, so the next Apply reloads whatever it finds.
func (f *FRR) forget() {
	_ = os.Remove(filepath.Join(f.cfg.RunDir, appliedFile))
	_ = os.Remove(filepath.Join(f.cfg.RunDir, runningFile))
}

// rollback reloads the configuration FRR ran before a failed Apply.
func (f *FRR) rollback(ctx context.Context, before string) error {
	f.forget()
	// The caller's context may be what ended the Apply: the rollback gets
	// its own time.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.cfg.Timeout)
	defer cancel()
	text := configText(before)
	file, err := writeTemp(f.cfg.RunDir, "opi-rollback-*.conf", text)
	if err != nil {
		return err
	}
	defer os.Remove(file)
	now, err := f.running(ctx)
	if err != nil {
		return err
	}
	return f.reload(ctx, now, file, text)
}

// configText turns "show running-config" output back into a configuration
// file.
func configText(running string) string {
	var b strings.Builder
	for _, line := range strings.Split(running, "\n") {
		switch strings.TrimSpace(line) {
		case "Building configuration...", "Current configuration:":
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// running returns FRR's running configuration, after checking that every
// daemon of the instance answers.
func (f *FRR) running(ctx context.Context) (string, error) {
	res, err := f.vtysh(ctx, maxConfigOutput, "-c", "show daemons", "-c", "show running-config")
	if err != nil {
		return "", err
	}
	out := string(res.stdout)
	daemons, cfg, _ := strings.Cut(out, "\n")
	have := strings.Fields(daemons)
	for _, d := range f.cfg.Daemons {
		if !contains(have, d) {
			return "", errdefs.Unavailablef("frr: %s is not running (vtysh reaches %q)", d, strings.Join(have, " "))
		}
	}
	if res.truncated {
		return "", errdefs.ResourceExhaustedf("frr: the running configuration exceeds %d bytes", maxConfigOutput)
	}
	return cfg, nil
}

// Running returns FRR's running configuration ("show running-config").
func (f *FRR) Running(ctx context.Context) (string, error) { return f.running(ctx) }

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// dryRun checks the candidate's syntax with vtysh alone (no daemon is
// asked): an unknown or malformed command is InvalidArgument.
func (f *FRR) dryRun(ctx context.Context, file string) error {
	res, err := run(ctx, f.cfg.Timeout, maxConfigOutput, f.cfg.Vtysh, f.vtyshArgs("-C", "-f", file)...)
	if err == nil {
		return nil
	}
	if cerr := classifyExec("vtysh", err); cerr != nil {
		return cerr
	}
	return refused(res.combined())
}

// reload makes FRR, which runs running, run file (whose text is text):
// prepare, then frr-reload.py --reload.
func (f *FRR) reload(ctx context.Context, running, file, text string) error {
	if err := f.prepare(ctx, running, text); err != nil {
		return err
	}
	args := []string{
		"--reload", "--stdout", "--log-level", "warning",
		"--bindir", filepath.Dir(f.cfg.Vtysh),
		"--confdir", f.cfg.ConfDir,
		"--rundir", f.cfg.RunDir,
	}
	if f.cfg.VtySocketDir != "" {
		args = append(args, "--vty_socket", f.cfg.VtySocketDir)
	}
	args = append(args, file)
	res, err := run(ctx, f.cfg.Timeout, maxConfigOutput, f.cfg.Reload, args...)
	if cerr := classifyExec("frr-reload.py", err); cerr != nil {
		return cerr
	}
	out := res.combined()
	if unreachable(out) {
		return errdefs.Unavailablef("frr: FRR cannot be reached: %s", trim(out))
	}
	if reasons := refusals(out); len(reasons) > 0 || err != nil {
		if len(reasons) == 0 {
			return errdefs.Internalf("frr: frr-reload.py failed: %v: %s", err, trim(out))
		}
		return refused(out)
	}
	return nil
}

// prepare brings the running configuration half way to text with one
// vtysh run, in two steps frr-reload.py (FRR 8.4) gets wrong or slow:
//
//   - it removes the L2 VNIs, BGP VRF instances and VRF lines that text
//     lacks (see pruneCommands), which frr-reload.py would remove one
//     vtysh run at a time;
//   - it configures the "vrf NAME" stanzas of text from the configuration
//     node. frr-reload.py sends a new "vrf NAME" line right after lines of
//     a "router bgp" block, where vtysh completes "vrf" to bgpd's
//     "vrf-policy" and the stanza's "vni N" lands at the top level (the
//     default VRF's L3 VNI).
//
// frr-reload.py then finds none of these left to do.
func (f *FRR) prepare(ctx context.Context, running, text string) error {
	cmds := append(pruneCommands(running, text), vrfCommands(text)...)
	if len(cmds) == 0 {
		return nil
	}
	args := []string{"-c", "configure"}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	res, err := f.vtysh(ctx, maxConfigOutput, args...)
	if err != nil && errdefs.Classified(err) {
		return err
	}
	if reasons := refusals(res.combined()); len(reasons) > 0 || err != nil {
		return refused(res.combined())
	}
	return nil
}

// vtysh runs vtysh on the instance's sockets with args. Failing to reach
// the daemons is Unavailable; other failures are returned with the output.
func (f *FRR) vtysh(ctx context.Context, maxOut int, args ...string) (result, error) {
	res, err := run(ctx, f.cfg.Timeout, maxOut, f.cfg.Vtysh, f.vtyshArgs(args...)...)
	if cerr := classifyExec("vtysh", err); cerr != nil {
		return res, cerr
	}
	if out := res.combined(); unreachable(out) {
		return res, errdefs.Unavailablef("frr: FRR cannot be reached: %s", trim(out))
	}
	return res, err
}

func (f *FRR) vtyshArgs(args ...string) []string {
	common := []string{"--config_dir", f.cfg.ConfDir}
	if f.cfg.VtySocketDir != "" {
		common = append(common, "--vty_socket", f.cfg.VtySocketDir)
	}
	return append(common, args...)
}

// classifyExec classifies what is not FRR's answer: a missing binary, a
// command that timed out or was cancelled. It returns nil for an exit
// status, whose meaning is in the output.
func classifyExec(name string, err error) error {
	if err == nil {
		return nil
	}
	var exitErr *exec.ExitError
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return errdefs.Wrap(errdefs.ErrUnavailable, fmt.Errorf("frr: %s did not finish: %w", name, err))
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, exec.ErrNotFound):
		return errdefs.FailedPreconditionf("frr: %v", err)
	case errors.As(err, &exitErr):
		return nil
	}
	return errdefs.Internalf("frr: running %s: %v", name, err)
}

// unreachable reports whether vtysh said it reached no daemon, or found
// the configuration locked by another session.
func unreachable(out string) bool {
	return strings.Contains(out, "failed to connect to any daemons") ||
		strings.Contains(out, "VTY configuration is locked")
}

var (
	ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	// "line 4: % Unknown command[82]:    route-target bogus 1:1"
	lineRef = regexp.MustCompile(`^line \d+: `)
	// frr-reload.py's log prefix: "2026-12-05 10:45:15,857 ERROR: "
	logPrefix = regexp.MustCompile(`^\d{4}-\d\d-\d\d [\d:,]+\s+(ERROR|WARNING):\s*`)
)

// refusals picks FRR's reasons out of vtysh's and frr-reload.py's output:
// the lines vtysh prints for a command a daemon refused ("% Malformed
// Route Target list", "Error description: ...") and frr-reload.py's errors.
func refusals(out string) []string {
	var reasons []string
	for _, line := range strings.Split(ansi.ReplaceAllString(out, ""), "\n") {
		line = strings.TrimSpace(line)
		line = lineRef.ReplaceAllString(line, "")
		switch {
		case strings.Contains(line, "Can't open configuration file"):
			// vtysh.conf is optional.
		case strings.HasPrefix(line, "%"):
			reasons = append(reasons, strings.TrimSpace(strings.TrimPrefix(line, "%")))
		case strings.HasPrefix(line, "Error description:"):
			reasons = append(reasons, strings.TrimSpace(strings.TrimPrefix(line, "Error description:")))
		case logPrefix.MatchString(line):
			if m := logPrefix.FindStringSubmatch(line); m[1] == "ERROR" {
				reasons = append(reasons, logPrefix.ReplaceAllString(line, ""))
			}
		}
	}
	return reasons
}

// refused is InvalidArgument with FRR's reasons, trimmed.
func refused(out string) error {
	reasons := refusals(out)
	if len(reasons) == 0 {
		return errdefs.InvalidArgumentf("frr refused the configuration: %s", trim(out))
	}
	seen := map[string]bool{}
	var uniq []string
	for _, r := range reasons {
		if r != "" && !seen[r] && r != "Configuration failed." {
			seen[r] = true
			uniq = append(uniq, r)
		}
	}
	return errdefs.InvalidArgumentf("frr refused the configuration: %s", trim(strings.Join(uniq, "; ")))
}

// trim bounds a message taken from FRR's output.
func trim(s string) string {
	s = strings.TrimSpace(ansi.ReplaceAllString(s, ""))
	const max = 512
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

func writeTemp(dir, pattern, text string) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", errdefs.FailedPreconditionf("frr: %v", err)
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", errdefs.FailedPreconditionf("frr: writing %s: %v", f.Name(), err)
	}
	return f.Name(), nil
}

// writeFile replaces path atomically.
func writeFile(path, text string) error {
	tmp, err := writeTemp(filepath.Dir(path), filepath.Base(path)+".*", text)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Version is FRR's version as its running configuration states it
// ("frr version 8.4.4" gives "8.4.4").
func (f *FRR) Version(ctx context.Context) (string, error) {
	cfg, err := f.running(ctx)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(cfg, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "frr version "); ok {
			return v, nil
		}
	}
	return "", errdefs.Unavailablef("frr: the running configuration does not state a version")
}
