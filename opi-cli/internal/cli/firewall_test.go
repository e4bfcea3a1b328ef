package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFirewallCommands(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rules, []byte(`rules:
  - {priority: 10, protocol: IP_PROTOCOL_TCP, destination_ports: {first: 22}, action: FIREWALL_ACTION_ALLOW}
  - {priority: 20, source_cidrs: [203.0.113.0/24], action: FIREWALL_ACTION_DROP}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(bad, []byte("rules: [{priority: 1, colour: red}]\n"), 0o600)
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		want        []string
	}{
		{"create sends the whole policy with rules from a file", "", []string{"firewall", "policy", "create", "edge", "--interface", "eth0,eth1", "--attach-mode", "native", "--default-action", "drop", "--rules-file", rules, "--dry-run"}, 0,
			[]string{`"firewall_policy_id": "edge"`, `"eth1"`, `"XDP_ATTACH_MODE_NATIVE"`, `"FIREWALL_ACTION_DROP"`, `"203.0.113.0/24"`, `"priority": 20`}},
		{"update with a rules file replaces the rule set by the rules mask", "", []string{"firewall", "policy", "update", "edge", "--rules-file", "-", "--dry-run"}, 0,
			[]string{`"update_mask": "rules"`, `"priority": 5`}},
		{"an unknown field in the rules file is refused", "", []string{"firewall", "policy", "create", "edge", "--interface", "eth0", "--rules-file", bad, "--dry-run"}, 1,
			[]string{"colour"}},
		{"an unknown default action is refused", "", []string{"firewall", "policy", "create", "edge", "--interface", "eth0", "--default-action", "count", "--dry-run"}, 1,
			[]string{"not allow or drop"}},
		{"stats is offered for policies", "", []string{"firewall", "policy", "stats", "--help"}, 0, []string{"packet and byte counters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdin := tc.stdin
			if strings.Contains(strings.Join(tc.args, " "), "--rules-file -") {
				stdin = `{"rules": [{"priority": 5, "action": "FIREWALL_ACTION_DROP"}]}`
			}
			code, out, errOut := runWith(t, stdin, false, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
}
