package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
)

// newFirewallCmd returns `opi firewall`: firewall policies of the security
// bridge, through the same CRUD verbs as the storage kinds.
func newFirewallCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "firewall",
		Short: "Manage XDP firewall policies (security bridge)",
	}
	policy := resourceCommand(g, firewallPolicyKind())
	for _, sub := range policy.Commands() {
		if sub.Name() == "stats" {
			policy.RemoveCommand(sub)
		}
	}
	policy.AddCommand(newFirewallStatsCmd(g))
	cmd.AddCommand(policy)
	return cmd
}

var (
	firewallActions = map[string]securityv1.FirewallAction{"allow": securityv1.FirewallAction_FIREWALL_ACTION_ALLOW, "drop": securityv1.FirewallAction_FIREWALL_ACTION_DROP}
	attachModes     = map[string]securityv1.XdpAttachMode{"auto": securityv1.XdpAttachMode_XDP_ATTACH_MODE_AUTO, "native": securityv1.XdpAttachMode_XDP_ATTACH_MODE_NATIVE, "generic": securityv1.XdpAttachMode_XDP_ATTACH_MODE_GENERIC}
)

func firewallPolicyKind() resourceKind[*securityv1.FirewallPolicy] {
	return resourceKind[*securityv1.FirewallPolicy]{
		use: "policy", noun: "firewall policy",
		example: `  opi firewall policy create edge --interface eth0 --default-action drop --rules-file rules.yaml
  opi firewall policy update edge --rules-file rules.yaml     # replaces the whole rule set atomically
  opi firewall policy stats edge

rules.yaml (YAML or JSON, field names as in the API):
  rules:
    - {priority: 10, protocol: IP_PROTOCOL_TCP, destination_ports: {first: 22}, action: FIREWALL_ACTION_ALLOW}
    - {priority: 20, source_cidrs: [203.0.113.0/24], action: FIREWALL_ACTION_DROP}`,
		columns: []string{"INTERFACES", "MODE", "DEFAULT", "RULES"},
		row: func(p *securityv1.FirewallPolicy) []string {
			return []string{strings.Join(p.GetInterfaces(), ","), shortEnum(p.GetAttachMode().String()),
				shortEnum(p.GetDefaultAction().String()), fmt.Sprint(len(p.GetRules()))}
		},
		spec: func(s *specFlags, p *securityv1.FirewallPolicy) {
			s.flags().StringSliceVar(&p.Interfaces, "interface", nil, "interface to enforce the policy on (repeat or comma-separate)")
			s.bind("interface", "interfaces")
			var mode, def, rulesFile string
			s.flags().StringVar(&mode, "attach-mode", "", "auto, native or generic (default auto)")
			s.bind("attach-mode", "attach_mode")
			s.flags().StringVar(&def, "default-action", "", "allow or drop: what happens to packets no rule decides (default allow)")
			s.bind("default-action", "default_action")
			s.flags().StringVar(&rulesFile, "rules-file", "", "YAML or JSON file with the whole rule set ({rules: [...]}); - reads stdin")
			s.bind("rules-file", "rules")
			s.then(func(in *stdin) error {
				var ok bool
				if s.changed("attach-mode") {
					if p.AttachMode, ok = attachModes[mode]; !ok {
						return fmt.Errorf("--attach-mode: %q is not auto, native or generic", mode)
					}
				}
				if s.changed("default-action") {
					if p.DefaultAction, ok = firewallActions[def]; !ok {
						return fmt.Errorf("--default-action: %q is not allow or drop", def)
					}
				}
				if s.changed("rules-file") {
					rules, err := readRulesFile(rulesFile, in)
					if err != nil {
						return err
					}
					p.Rules = rules
				}
				return nil
			})
		},
	}
}

// readRulesFile reads {rules: [...]} in YAML or JSON.
func readRulesFile(path string, in *stdin) ([]*securityv1.FirewallRule, error) {
	var b []byte
	var err error
	if path == "-" {
		if in.used != "" {
			return nil, fmt.Errorf("--rules-file: stdin is already used by %s", in.used)
		}
		in.used = "--rules-file"
		b, err = io.ReadAll(in.r)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("--rules-file: %w", err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return nil, fmt.Errorf("--rules-file %s: %w", path, err)
	}
	var p securityv1.FirewallPolicy
	if err := protojson.Unmarshal(j, &p); err != nil {
		return nil, fmt.Errorf("--rules-file %s: expected {rules: [...]} with the API's field names: %w", path, err)
	}
	return p.GetRules(), nil
}

func newFirewallStatsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "stats NAME",
		Short: "Show the packet and byte counters of each rule of a firewall policy",
		Args:  oneArg("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.printer()
			if err != nil {
				return err
			}
			name := args[0]
			if !strings.Contains(name, "/") {
				name = "firewallPolicies/" + name
			}
			var resp *securityv1.StatsFirewallPolicyResponse
			err = g.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) error {
				resp, err = securityv1.NewFirewallServiceClient(conn).StatsFirewallPolicy(ctx, &securityv1.StatsFirewallPolicyRequest{Name: name})
				return err
			})
			if err != nil {
				return err
			}
			return p.print(resp, func(t *table) {
				t.section("", "RULE", "PACKETS", "BYTES")
				for _, r := range resp.GetRules() {
					t.row(fmt.Sprint(r.GetPriority()), u64(r.GetCounters().GetPackets()), u64(r.GetCounters().GetBytes()))
				}
				t.row("default", u64(resp.GetDefaultAction().GetPackets()), u64(resp.GetDefaultAction().GetBytes()))
				t.row("malformed", u64(resp.GetMalformed().GetPackets()), u64(resp.GetMalformed().GetBytes()))
			})
		},
	}
}

// shortEnum turns FIREWALL_ACTION_DROP into drop.
func shortEnum(s string) string {
	if s == "" || strings.HasSuffix(s, "_UNSPECIFIED") {
		return ""
	}
	return strings.ToLower(s[strings.LastIndexByte(s, '_')+1:])
}
