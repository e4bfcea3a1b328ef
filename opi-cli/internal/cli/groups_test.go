package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestUnknownSubcommandsFailWithASuggestion(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"at the root", []string{"storag"}, []string{`unknown command "storag" for "opi"`, "storage"}},
		{"under storage", []string{"storage", "nvme-subsytem", "list"}, []string{`unknown command "nvme-subsytem" for "opi storage"`, "Did you mean this?", "nvme-subsystem", "opi storage --help"}},
		{"under a resource kind", []string{"storage", "malloc-volume", "lsit"}, []string{`unknown command "lsit" for "opi storage malloc-volume"`, "list"}},
		{"under firewall", []string{"firewall", "polcy"}, []string{`for "opi firewall"`, "policy"}},
		{"under ipsec", []string{"ipsec", "conection", "get", "c1"}, []string{`for "opi ipsec"`, "connection"}},
		{"under network", []string{"network", "vfr", "list"}, []string{`unknown command "vfr" for "opi network"`, "vrf"}},
		{"a verb the API has not for a kind", []string{"network", "interface", "delete", "eth0"}, []string{`unknown command "delete" for "opi network interface"`}},
		{"under completion", []string{"completion", "bsh"}, []string{`for "opi completion"`, "bash"}},
		{"with nothing like it", []string{"storage", "zzz"}, []string{`unknown command "zzz"`, "opi storage --help"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, false, tc.args...)
			if code == 0 {
				t.Errorf("exit 0, want failure")
			}
			if out != "" {
				t.Errorf("stdout has the help instead of nothing:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestEveryGroupRefusesUnknownWords walks the whole command tree, so a
// group added later is covered without a line here.
func TestEveryGroupRefusesUnknownWords(t *testing.T) {
	var groups [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if sub.HasSubCommands() {
				p := append(append([]string{}, path...), sub.Name())
				groups = append(groups, p)
				walk(sub, p)
			}
		}
	}
	walk(NewRootCmd(Streams{}), nil)
	if len(groups) < 20 {
		t.Fatalf("found %d groups, want every storage kind, firewall, ipsec and completion", len(groups))
	}
	for _, g := range groups {
		t.Run(strings.Join(g, " "), func(t *testing.T) {
			code, _, errOut := run(t, false, append(g, "no-such-command")...)
			if code == 0 || !strings.Contains(errOut, `unknown command "no-such-command"`) {
				t.Errorf("exit %d, stderr %q", code, errOut)
			}
			// Alone, a group shows its help and succeeds, as before; its
			// usage names the subcommands only, for the group does nothing
			// alone but show this.
			code, out, errOut := run(t, false, g...)
			if code != 0 {
				t.Errorf("alone: exit %d, stderr %q", code, errOut)
			}
			if want := "Usage:\n  opi " + strings.Join(g, " ") + " [command]\n"; !strings.Contains(out, want) {
				t.Errorf("usage is not %q:\n%s", want, out)
			}
		})
	}
}
