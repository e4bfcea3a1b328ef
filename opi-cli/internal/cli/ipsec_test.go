package cli

import (
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
)

func TestIPsecCommands(t *testing.T) {
	spec := writeFile(t, "site.yaml", `version: IKE_VERSION_IKEV2
local_addrs: [192.0.2.1]
remote_addrs: [192.0.2.2]
local_auth: {method: AUTH_METHOD_PSK, pre_shared_key: preSharedKeys/site}
remote_auth: {method: AUTH_METHOD_PSK, pre_shared_key: preSharedKeys/site}
children:
  - {name: net, local_ts: [10.1.0.0/16], remote_ts: [10.2.0.0/16], esp_proposals: [aes128gcm16]}
`)
	badSpec := writeFile(t, "bad.yaml", "colour: red\n")
	key := writeFile(t, "site.key", "a-secret-of-at-least-16-bytes\n")
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		want, never []string
	}{
		{name: "creating a connection sends the whole spec file", args: []string{"ipsec", "connection", "create", "site", "--file", spec, "--dry-run"},
			want: []string{`"ike_connection_id": "site"`, `"IKE_VERSION_IKEV2"`, `"preSharedKeys/site"`, `"10.2.0.0/16"`}},
		{name: "a connection spec with an unknown field is refused", args: []string{"ipsec", "connection", "create", "site", "--file", badSpec, "--dry-run"}, code: 1,
			want: []string{"colour"}},
		{name: "updating a connection sends the file with an empty mask", args: []string{"ipsec", "connection", "update", "site", "--file", spec, "--dry-run", "-o", "json"},
			want: []string{`"name": "ikeConnections/site"`, `"aes128gcm16"`}, never: []string{"update_mask"}},
		{name: "a pre-shared key is read from a file and never printed", args: []string{"ipsec", "psk", "create", "site", "--secret-file", key, "--dry-run"},
			want: []string{`pre_shared_key_id`, "secret fields left out"}, never: []string{"a-secret-of"}},
		{name: "a pre-shared key can come from stdin", stdin: "another-secret-from-stdin", args: []string{"ipsec", "psk", "update", "site", "--secret-file", "-", "--dry-run"},
			want: []string{`update_mask`, `"secret"`}, never: []string{"another-secret"}},
		{name: "a pre-shared key cannot be given as a flag value", args: []string{"ipsec", "psk", "create", "site", "--secret", "x"}, code: 1,
			want: []string{"unknown flag"}},
		{name: "an address pool is created from its addresses and DNS servers", args: []string{"ipsec", "address-pool", "create", "clients", "--addrs", "10.3.0.0/24", "--dns", "10.3.0.53,10.3.0.54", "--dry-run"},
			want: []string{`"address_pool_id": "clients"`, `"addrs": "10.3.0.0/24"`, `"10.3.0.53"`, `"10.3.0.54"`}},
		{name: "an address pool needs its addresses", args: []string{"ipsec", "address-pool", "create", "clients", "--dry-run"}, code: 1,
			want: []string{"addrs"}},
		{name: "updating an address pool's DNS servers sends only them", args: []string{"ipsec", "address-pool", "update", "clients", "--dns", "10.3.0.1", "--dry-run", "-o", "json"},
			want: []string{`"name": "addressPools/clients"`, `"update_mask": "dns"`}, never: []string{"addrs"}},
		{name: "initiate, terminate and rekey are verbs of a connection", args: []string{"ipsec", "connection", "--help"},
			want: []string{"initiate", "terminate", "rekey", "create", "delete"}},
		{name: "the SA listing, version, stats and watch are offered", args: []string{"ipsec", "--help"},
			want: []string{"sas", "version", "stats", "watch", "private-key", "certificate", "psk", "address-pool"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, tc.stdin, false, tc.args...)
			// protojson varies its spacing from build to build on purpose.
			out = strings.ReplaceAll(out, ":  ", ": ")
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(out+errOut, n) {
					t.Errorf("output shows the secret %q:\n%s%s", n, out, errOut)
				}
			}
		})
	}
}

// TestPreSharedKeyFileRule checks what the server gets from --secret-file:
// a text file's trailing line break is not part of the key (a peer
// configured with the same text has none), a binary key is sent whole.
func TestPreSharedKeyFileRule(t *testing.T) {
	binary := string([]byte{0x00, 0xff, 0x13, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0c, '\n'})
	for _, tc := range []struct {
		name, content, want string
	}{
		{name: "a text key file's newline is dropped", content: "a-secret-of-at-least-16-bytes\n", want: "a-secret-of-at-least-16-bytes"},
		{name: "a text key file's CRLF is dropped", content: "a-secret-of-at-least-16-bytes\r\n", want: "a-secret-of-at-least-16-bytes"},
		{name: "spaces inside a text key are kept", content: "correct horse battery staple \n", want: "correct horse battery staple "},
		{name: "a binary key ending in 0x0a is sent whole", content: binary, want: binary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, addr := serveResources(t)
			key := writeFile(t, "site.key", tc.content)
			code, _, errOut := runWith(t, "", false, "--insecure", "--addr", addr, "ipsec", "psk", "create", "site", "--secret-file", key)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			req, ok := lastRequest(f).(*securityv1.CreatePreSharedKeyRequest)
			if !ok || string(req.GetPreSharedKey().GetSecret()) != tc.want {
				t.Fatalf("the server got %v, want the secret %q", lastRequest(f), tc.want)
			}
		})
	}
}

// listIkeSas serves the fake's SAs in pages of at most 50, whatever the
// client asks for, as a server with a lower cap than the CLI's request
// would: the token is the index of the page's first SA.
func (f *fakeResources) listIkeSas(req *securityv1.ListIkeSasRequest, resp *securityv1.ListIkeSasResponse) error {
	from := 0
	if req.GetPageToken() != "" {
		var err error
		if from, err = strconv.Atoi(req.GetPageToken()); err != nil {
			return status.Errorf(codes.InvalidArgument, "page_token %q", req.GetPageToken())
		}
	}
	to := min(from+min(int(req.GetPageSize()), 50), len(f.sas))
	resp.IkeSas = f.sas[from:to]
	if to < len(f.sas) {
		resp.NextPageToken = strconv.Itoa(to)
	}
	return nil
}

// TestSAListingFollowsPages: `opi ipsec sas` shows every SA of a gateway
// that has more than one page of them (issue 9: 501 SAs), in the table and
// in -o json, asking for full pages so a large listing takes few calls.
func TestSAListingFollowsPages(t *testing.T) {
	f, addr := serveResources(t)
	for id := range uint32(501) {
		f.sas = append(f.sas, &securityv1.IkeSa{IkeConnection: "ikeConnections/site", UniqueId: id + 1,
			State: securityv1.IkeSaState_IKE_SA_STATE_ESTABLISHED, RemoteHost: "192.0.2.2"})
	}
	code, out, errOut := runWith(t, "", false, "--insecure", "--addr", addr, "ipsec", "sas")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "ikeConnections/site") {
			rows++
		}
	}
	if rows != 501 || !strings.Contains(out, "\t501\t") {
		t.Fatalf("the table shows %d SAs, want all 501:\n%s", rows, out)
	}
	reqs := f.requests()
	if len(reqs) != 11 {
		t.Fatalf("%d ListIkeSas calls, want 11 pages of 50", len(reqs))
	}
	if r := reqs[0].(*securityv1.ListIkeSasRequest); r.GetPageSize() != 1000 || r.GetPageToken() != "" {
		t.Fatalf("first request %v; want page_size 1000 and no token", r)
	}

	code, out, errOut = runWith(t, "", false, "--insecure", "--addr", addr, "ipsec", "sas", "-o", "json")
	if code != 0 || strings.Count(out, `"uniqueId"`)+strings.Count(out, `"unique_id"`) != 501 || strings.Contains(out, "next") {
		t.Fatalf("-o json: exit %d, %d SAs (want 501, no next page token): %s", code, strings.Count(out, "unique"), errOut)
	}
}
