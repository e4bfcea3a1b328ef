package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"sigs.k8s.io/yaml"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-cli/client"
)

// newIPsecCmd returns `opi ipsec`: IKE connections, their credentials and
// the address pools of their virtual IPs through the same CRUD verbs as the storage kinds, plus initiate,
// terminate, rekey, the live SAs, charon's version and stats, and a watch
// of SA events.
func newIPsecCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ipsec",
		Short: "Manage IPsec on strongSwan: connections, keys, certificates, address pools, SAs (security bridge)",
	}
	conn := resourceCommand(g, ikeConnectionKind())
	for _, sub := range conn.Commands() {
		if sub.Name() == "update" {
			conn.RemoveCommand(sub)
		}
	}
	conn.AddCommand(newIPsecConnUpdateCmd(g),
		newIPsecControlCmd(g, "initiate"), newIPsecControlCmd(g, "terminate"), newIPsecControlCmd(g, "rekey"))
	cmd.AddCommand(conn, resourceCommand(g, preSharedKeyKind()), resourceCommand(g, certificateKind()), resourceCommand(g, privateKeyKind()),
		resourceCommand(g, addressPoolKind()))
	cmd.AddCommand(newIPsecSAsCmd(g), newIPsecVersionCmd(g), newIPsecStatsCmd(g), newIPsecWatchCmd(g))
	return cmd
}

func ikeConnectionKind() resourceKind[*securityv1.IkeConnection] {
	return resourceKind[*securityv1.IkeConnection]{
		use: "connection", noun: "IKE connection",
		example: `  opi ipsec connection create site --file site.yaml
  opi ipsec connection initiate site
  opi ipsec sas --connection site

site.yaml (YAML or JSON, field names as in the API):
  version: IKE_VERSION_IKEV2
  local_addrs: [192.0.2.1]
  remote_addrs: [192.0.2.2]
  proposals: [aes128-sha256-modp2048]
  local_auth: {method: AUTH_METHOD_PSK, pre_shared_key: preSharedKeys/site}
  remote_auth: {method: AUTH_METHOD_PSK, pre_shared_key: preSharedKeys/site}
  children:
    - {name: net, local_ts: [10.1.0.0/16], remote_ts: [10.2.0.0/16], esp_proposals: [aes128gcm16]}`,
		columns: []string{"REMOTE", "AUTH", "CHILDREN", "UP"},
		row: func(c *securityv1.IkeConnection) []string {
			var children []string
			for _, ch := range c.GetChildren() {
				children = append(children, ch.GetName())
			}
			return []string{strings.Join(c.GetRemoteAddrs(), ","), shortEnum(c.GetLocalAuth().GetMethod().String()) + "/" + shortEnum(c.GetRemoteAuth().GetMethod().String()),
				strings.Join(children, ","), yes(c.GetDesiredUp())}
		},
		spec: func(s *specFlags, c *securityv1.IkeConnection) {
			var file string
			s.flags().StringVar(&file, "file", "", `YAML or JSON file with the whole connection (field names as in the API); "-" reads stdin`)
			// Bound to a required field so create requires --file; update
			// has its own command, which sends the file with an empty mask.
			s.bind("file", "children")
			s.then(func(in *stdin) error {
				if !s.changed("file") {
					return nil
				}
				b, err := readSpecFile("--file", file, in)
				if err != nil {
					return err
				}
				var parsed securityv1.IkeConnection
				if err := protojson.Unmarshal(b, &parsed); err != nil {
					return fmt.Errorf("--file %s: %w", file, err)
				}
				proto.Merge(c, &parsed)
				return nil
			})
		},
	}
}

func preSharedKeyKind() resourceKind[*securityv1.PreSharedKey] {
	return resourceKind[*securityv1.PreSharedKey]{
		use: "psk", noun: "pre-shared key",
		example: `  opi ipsec psk create site --secret-file site.key
  head -c 32 /dev/urandom | opi ipsec psk update site --secret-file -`,
		columns: []string{},
		row:     func(*securityv1.PreSharedKey) []string { return nil },
		spec: func(s *specFlags, k *securityv1.PreSharedKey) {
			s.secretFile("secret-file", "secret", "the pre-shared key, at least 16 bytes; a text file's trailing line breaks are not part of it", func(b []byte) { k.Secret = pskFromFile(b) })
			s.required = append(s.required, "secret-file")
		},
	}
}

func certificateKind() resourceKind[*securityv1.Certificate] {
	return resourceKind[*securityv1.Certificate]{
		use: "certificate", noun: "certificate",
		example: `  opi ipsec certificate create ca --pem-file ca.pem
  opi ipsec certificate create own --pem-file host.pem`,
		columns: []string{"SUBJECT", "CA", "EXPIRES"},
		row: func(c *securityv1.Certificate) []string {
			return []string{c.GetSubject(), yes(c.GetIsCa()), c.GetNotAfter().AsTime().Format("2006-01-02")}
		},
		spec: func(s *specFlags, c *securityv1.Certificate) {
			var file string
			s.flags().StringVar(&file, "pem-file", "", `PEM certificate file; "-" reads stdin`)
			s.bind("pem-file", "pem")
			s.then(func(in *stdin) error {
				if !s.changed("pem-file") {
					return nil
				}
				b, err := readSpecFile("--pem-file", file, in)
				c.Pem = string(b)
				return err
			})
		},
	}
}

func privateKeyKind() resourceKind[*securityv1.PrivateKey] {
	return resourceKind[*securityv1.PrivateKey]{
		use: "private-key", noun: "private key",
		example: `  opi ipsec private-key create own --pem-file host.key`,
		columns: []string{"ALGORITHM", "KEY ID"},
		row:     func(k *securityv1.PrivateKey) []string { return []string{k.GetAlgorithm(), k.GetKeyId()} },
		spec: func(s *specFlags, k *securityv1.PrivateKey) {
			s.secretFile("pem-file", "pem", "the PEM private key", func(b []byte) { k.Pem = b })
		},
	}
}

func addressPoolKind() resourceKind[*securityv1.AddressPool] {
	return resourceKind[*securityv1.AddressPool]{
		use: "address-pool", noun: "address pool",
		example: `  opi ipsec address-pool create clients --addrs 10.3.0.0/24 --dns 10.3.0.53
  opi ipsec address-pool update clients --dns 10.3.0.53,10.3.0.54

A connection assigns virtual IPs from it with pools: [addressPools/clients];
its peer requests one with vips: [0.0.0.0].`,
		columns: []string{"ADDRS", "DNS"},
		row: func(p *securityv1.AddressPool) []string {
			return []string{p.GetAddrs(), strings.Join(p.GetDns(), ",")}
		},
		spec: func(s *specFlags, p *securityv1.AddressPool) {
			s.str(&p.Addrs, "addrs", "addrs", "the addresses to assign: a CIDR subnet (10.3.0.0/24) or a range (10.3.0.10-10.3.0.20); fixed at creation")
			s.strs(&p.Dns, "dns", "dns", "DNS server address handed out with the virtual IPs (update replaces the list)")
		},
	}
}

// pskFromFile is the pre-shared key a --secret-file holds. A text file
// (UTF-8 with no control characters but tabs) ends with a line break that
// is not part of the key: a peer configured with the same text has none,
// and the bridge refuses a text key ending in one. A binary key (any other
// control byte, or not UTF-8, as from /dev/urandom) is sent as it is.
func pskFromFile(b []byte) []byte {
	text := bytes.TrimRight(b, "\r\n")
	if len(text) == len(b) || !utf8.Valid(text) {
		return b
	}
	for _, r := range string(text) {
		if r != '\t' && unicode.IsControl(r) {
			return b
		}
	}
	return text
}

// readSpecFile reads a file, or stdin for "-" (once per command). It is
// for files that are not secret; secrets go through specFlags.secretFile.
func readSpecFile(flag, path string, in *stdin) ([]byte, error) {
	var b []byte
	var err error
	if path == "-" {
		if in.used != "" {
			return nil, fmt.Errorf("%s: stdin is already used by %s", flag, in.used)
		}
		in.used = strings.TrimPrefix(flag, "--")
		b, err = io.ReadAll(in.r)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if flag == "--file" {
		return yaml.YAMLToJSON(b)
	}
	return b, nil
}

// newIPsecConnUpdateCmd returns `opi ipsec connection update NAME --file`:
// the file's fields replace the stored ones (an empty update mask means
// every field the request sets).
func newIPsecConnUpdateCmd(g *globals) *cobra.Command {
	var file string
	var allowMissing, dryRun bool
	cmd := &cobra.Command{Use: "update NAME", Short: "Update an IKE connection from a spec file and reload it", Args: oneArg("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.printer()
			if err != nil {
				return err
			}
			b, err := readSpecFile("--file", file, &stdin{r: g.streams.In})
			if err != nil {
				return err
			}
			c := &securityv1.IkeConnection{}
			if err := protojson.Unmarshal(b, c); err != nil {
				return fmt.Errorf("--file %s: %w", file, err)
			}
			c.Name = connName(args[0])
			req := &securityv1.UpdateIkeConnectionRequest{IkeConnection: c, AllowMissing: allowMissing}
			if dryRun {
				return p.print(req, func(t *table) { t.row(protojson.Format(req)) })
			}
			var resp *securityv1.IkeConnection
			err = g.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) error {
				resp, err = securityv1.NewIpsecServiceClient(conn).UpdateIkeConnection(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			return p.print(resp, func(t *table) { t.row(resp.GetName(), "updated") })
		}}
	cmd.Flags().StringVar(&file, "file", "", `YAML or JSON file with the connection's new fields; "-" reads stdin`)
	_ = cmd.MarkFlagRequired("file")
	cmd.Flags().BoolVar(&allowMissing, "allow-missing", false, "create the connection if it does not exist")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the request as JSON and send nothing")
	return cmd
}

// connName turns an id into a connection's full name.
func connName(arg string) string {
	if arg == "" || strings.Contains(arg, "/") {
		return arg
	}
	return "ikeConnections/" + arg
}

func newIPsecControlCmd(g *globals, verb string) *cobra.Command {
	var child string
	var force, reauth bool
	var timeout *durationpb.Duration
	short := map[string]string{
		"initiate":  "Bring a connection (or one child SA) up and keep it up",
		"terminate": "Close a connection's SAs (or one child SA's) and stop keeping it up",
		"rekey":     "Rekey a connection's IKE SA (or one child SA)",
	}[verb]
	cmd := &cobra.Command{Use: verb + " NAME", Short: short, Args: oneArg("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.printer()
			if err != nil {
				return err
			}
			name := connName(args[0])
			var resp proto.Message
			err = g.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) error {
				c := securityv1.NewIpsecServiceClient(conn)
				switch verb {
				case "initiate":
					resp, err = c.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: name, Child: child, Timeout: timeout})
				case "terminate":
					resp, err = c.TerminateIkeConnection(ctx, &securityv1.TerminateIkeConnectionRequest{Name: name, Child: child, Force: force})
				default:
					resp, err = c.RekeyIkeConnection(ctx, &securityv1.RekeyIkeConnectionRequest{Name: name, Child: child, Reauth: reauth})
				}
				return err
			})
			if err != nil {
				return err
			}
			return p.print(resp, func(t *table) {
				switch r := resp.(type) {
				case *securityv1.InitiateIkeConnectionResponse:
					sasTable(t, r.GetIkeSas())
				case *securityv1.TerminateIkeConnectionResponse:
					t.row("terminated", fmt.Sprint(r.GetTerminated()))
				case *securityv1.RekeyIkeConnectionResponse:
					t.row("rekeyed", fmt.Sprint(r.GetRekeyed()))
				}
			})
		}}
	cmd.Flags().StringVar(&child, "child", "", "only this child SA")
	switch verb {
	case "initiate":
		cmd.Flags().Func("wait", "how long to wait for the SAs (default 30s)", func(s string) error {
			d, err := time.ParseDuration(s)
			timeout = durationpb.New(d)
			return err
		})
	case "terminate":
		cmd.Flags().BoolVar(&force, "force", false, "delete the SAs without waiting for the peer")
	case "rekey":
		cmd.Flags().BoolVar(&reauth, "reauth", false, "reauthenticate instead of only rekeying the IKE SA")
	}
	return cmd
}

// sasTable lists IKE SAs with their child SAs beneath.
func sasTable(t *table, sas []*securityv1.IkeSa) {
	t.section("", "CONNECTION", "SA", "STATE", "REMOTE", "CHILD", "CHILD STATE", "BYTES IN", "BYTES OUT", "PACKETS IN", "PACKETS OUT")
	for _, sa := range sas {
		state := strings.TrimPrefix(sa.GetState().String(), "IKE_SA_STATE_")
		if len(sa.GetChildSas()) == 0 {
			t.row(sa.GetIkeConnection(), fmt.Sprint(sa.GetUniqueId()), state, sa.GetRemoteHost(), "", "", "", "", "", "")
		}
		for _, c := range sa.GetChildSas() {
			t.row(sa.GetIkeConnection(), fmt.Sprint(sa.GetUniqueId()), state, sa.GetRemoteHost(), c.GetName(),
				strings.TrimPrefix(c.GetState().String(), "CHILD_SA_STATE_"), u64(c.GetBytesIn()), u64(c.GetBytesOut()), u64(c.GetPacketsIn()), u64(c.GetPacketsOut()))
		}
	}
}

func newIPsecSAsCmd(g *globals) *cobra.Command {
	var conn string
	cmd := &cobra.Command{Use: "sas", Short: "List the live IKE and child SAs with their counters", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.printer()
			if err != nil {
				return err
			}
			var resp *securityv1.ListIkeSasResponse
			err = g.call(cmd.Context(), func(ctx context.Context, c *grpc.ClientConn) error {
				resp, err = listAllIkeSas(ctx, securityv1.NewIpsecServiceClient(c), connName(conn))
				return err
			})
			if err != nil {
				return err
			}
			return p.print(resp, func(t *table) { sasTable(t, resp.GetIkeSas()) })
		}}
	cmd.Flags().StringVar(&conn, "connection", "", "only the SAs of this connection")
	return cmd
}

// saPageSize asks for the largest page OPI servers return (AIP-158's cap
// in opi-kit/aip, which the command line does not import: it keeps to
// opi-kit's leaf packages), so a large listing takes few calls.
const saPageSize = 1000

// listAllIkeSas follows ListIkeSas's pages to the end and returns every
// SA in one response: a gateway can hold thousands, and a listing that
// showed only the server's first page would hide the rest without a word.
func listAllIkeSas(ctx context.Context, c securityv1.IpsecServiceClient, conn string) (*securityv1.ListIkeSasResponse, error) {
	all := &securityv1.ListIkeSasResponse{}
	seen := map[string]bool{}
	token := ""
	for {
		page, err := c.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{IkeConnection: conn, PageSize: saPageSize, PageToken: token})
		if err != nil {
			return nil, err
		}
		all.IkeSas = append(all.IkeSas, page.GetIkeSas()...)
		if token = page.GetNextPageToken(); token == "" {
			return all, nil
		}
		if seen[token] {
			return nil, fmt.Errorf("the service returned page token %q twice", token)
		}
		seen[token] = true
	}
}

func newIPsecVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Show the IKE daemon's version", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.printer()
			if err != nil {
				return err
			}
			var v *securityv1.IpsecVersion
			err = g.call(cmd.Context(), func(ctx context.Context, c *grpc.ClientConn) error {
				v, err = securityv1.NewIpsecServiceClient(c).GetIpsecVersion(ctx, &securityv1.GetIpsecVersionRequest{})
				return err
			})
			if err != nil {
				return err
			}
			return p.print(v, func(t *table) {
				t.row("DAEMON", v.GetDaemon()+" "+v.GetVersion())
				t.row("SYSTEM", join(v.GetSysname(), v.GetRelease(), v.GetMachine()))
			})
		}}
}

func newIPsecStatsCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "stats", Short: "Show the IKE daemon's counters", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.printer()
			if err != nil {
				return err
			}
			var s *securityv1.IpsecStats
			err = g.call(cmd.Context(), func(ctx context.Context, c *grpc.ClientConn) error {
				s, err = securityv1.NewIpsecServiceClient(c).GetIpsecStats(ctx, &securityv1.GetIpsecStatsRequest{})
				return err
			})
			if err != nil {
				return err
			}
			return p.print(s, func(t *table) {
				t.row("UPTIME", s.GetUptime().AsDuration().String())
				t.row("IKE SAS", fmt.Sprint(s.GetIkeSasTotal()), fmt.Sprintf("%d half-open", s.GetIkeSasHalfOpen()))
				t.row("WORKERS", fmt.Sprint(s.GetWorkersTotal()), fmt.Sprintf("%d idle", s.GetWorkersIdle()))
				t.row("PLUGINS", strings.Join(s.GetPlugins(), " "))
			})
		}}
}

func newIPsecWatchCmd(g *globals) *cobra.Command {
	var conn string
	cmd := &cobra.Command{Use: "watch", Short: "Print SA events (up, down, rekeyed) as they happen, until interrupted", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.printer()
			if err != nil {
				return err
			}
			// A watch has no deadline: --timeout bounds single calls only.
			c, err := client.Dial(g.conn)
			if err != nil {
				return err
			}
			defer c.Close()
			stream, err := securityv1.NewIpsecServiceClient(c).WatchSaEvents(cmd.Context(), &securityv1.WatchSaEventsRequest{IkeConnection: connName(conn)})
			if err != nil {
				return err
			}
			for {
				ev, err := stream.Recv()
				if err != nil {
					if cmd.Context().Err() != nil {
						return nil
					}
					return err
				}
				if err := p.print(ev, func(t *table) {
					t.row(ev.GetEventTime().AsTime().Format("15:04:05.000"), strings.TrimPrefix(ev.GetType().String(), "SA_EVENT_TYPE_"), ev.GetIkeConnection(), fmt.Sprint(ev.GetIkeSa().GetUniqueId()))
				}); err != nil {
					return err
				}
			}
		}}
	cmd.Flags().StringVar(&conn, "connection", "", "only the events of this connection")
	return cmd
}
