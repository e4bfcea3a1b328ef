package upstream

import (
	"errors"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	upstreampb "github.com/opi-suite/opi/opi-upstream/security/v1"
	"google.golang.org/protobuf/proto"
)

func TestProposalIsBuiltAsUpstreamsBridgeBuildsIt(t *testing.T) {
	for _, tc := range []struct {
		p    *upstreampb.Proposals
		want string
	}{
		{&upstreampb.Proposals{
			CryptoAlg: []upstreampb.CryptoAlgorithm{upstreampb.CryptoAlgorithm_CRYPTO_ALGORITHM_AES256GCM128},
			IntegAlg:  []upstreampb.IntegAlgorithm{upstreampb.IntegAlgorithm_INTEG_ALGORITHM_SHA512},
			Dhgroups:  []upstreampb.DHGroups{upstreampb.DHGroups_DH_GROUPS_CURVE25519},
		}, "aes256gcm128-sha512-curve25519"},
		{&upstreampb.Proposals{
			CryptoAlg: []upstreampb.CryptoAlgorithm{upstreampb.CryptoAlgorithm_CRYPTO_ALGORITHM_AES128, upstreampb.CryptoAlgorithm_CRYPTO_ALGORITHM_AES256},
			Prf:       []upstreampb.PRFunction{upstreampb.PRFunction_PR_FUNCTION_SHA256},
			Dhgroups:  []upstreampb.DHGroups{upstreampb.DHGroups_DH_GROUPS_MODP2048},
		}, "aes128-aes256-sha256-modp2048"},
		{&upstreampb.Proposals{}, ""},
	} {
		if got := proposal(tc.p); got != tc.want {
			t.Errorf("proposal(%v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestSelectorsRoundTrip(t *testing.T) {
	in := &upstreampb.TrafficSelectors{Ts: []*upstreampb.TrafficSelectors_TrafficSelector{
		{Cidr: "10.1.0.0/16"}, {Cidr: "10.2.0.0/24", Proto: "tcp", Port: "443"}, {Cidr: "10.3.0.1/32", Proto: "udp"},
	}}
	native, err := selectors("local_ts", in)
	if err != nil || strings.Join(native, " ") != "10.1.0.0/16 10.2.0.0/24[tcp/443] 10.3.0.1/32[udp]" {
		t.Fatalf("selectors = %v, %v", native, err)
	}
	if back := toSelectors(native); !proto.Equal(back, in) {
		t.Fatalf("answered as %v, want %v", back, in)
	}
	_, err = selectors("local_ts", &upstreampb.TrafficSelectors{Ts: []*upstreampb.TrafficSelectors_TrafficSelector{{Cidr: "10.0.0.0/8", Port: "80"}}})
	if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "local_ts.ts[0].port") {
		t.Fatalf("a port without a proto: %v, want InvalidArgument naming it", err)
	}
}

// Upstream's vips pass through; its pool names become native pool names.
func TestVipsAndPoolsMap(t *testing.T) {
	c := &upstreampb.Connection{
		Name:       "c",
		Vips:       &upstreampb.Vips{Vip: []string{"0.0.0.0", "::"}},
		Pools:      &upstreampb.Pools{Pool: []string{"v4", "v6"}},
		LocalAuth:  &upstreampb.LocalAuth{Auth: upstreampb.AuthType_AUTH_TYPE_PSK},
		RemoteAuth: &upstreampb.RemoteAuth{Auth: upstreampb.AuthType_AUTH_TYPE_PSK},
		Children:   []*upstreampb.Child{{Name: "x"}},
	}
	n, err := toNative(c)
	if err != nil || strings.Join(n.GetVips(), " ") != "0.0.0.0 ::" || strings.Join(n.GetPools(), " ") != "addressPools/v4 addressPools/v6" {
		t.Fatalf("toNative = vips %v, pools %v, %v", n.GetVips(), n.GetPools(), err)
	}
}

// Every field without a native counterpart is refused, naming it.
func TestUnmappedFieldsAreRefusedByName(t *testing.T) {
	base := func() *upstreampb.Connection {
		return &upstreampb.Connection{
			Name:       "c",
			LocalAuth:  &upstreampb.LocalAuth{Auth: upstreampb.AuthType_AUTH_TYPE_PSK},
			RemoteAuth: &upstreampb.RemoteAuth{Auth: upstreampb.AuthType_AUTH_TYPE_PSK},
			Children:   []*upstreampb.Child{{Name: "x"}},
		}
	}
	if _, err := toNative(base()); err != nil {
		t.Fatalf("the base connection: %v", err)
	}
	for field, set := range map[string]func(c *upstreampb.Connection){
		"connection.pools.pool[1]":          func(c *upstreampb.Connection) { c.Pools = &upstreampb.Pools{Pool: []string{"p", "Not_An_Id"}} },
		"connection.dscp":                   func(c *upstreampb.Connection) { c.Dscp = 1 },
		"connection.mobike":                 func(c *upstreampb.Connection) { c.Mobike = "no" },
		"connection.dpd_timeout":            func(c *upstreampb.Connection) { c.DpdTimeout = 1 },
		"connection.reauth_time":            func(c *upstreampb.Connection) { c.ReauthTime = 1 },
		"connection.encap":                  func(c *upstreampb.Connection) { c.Encap = "sometimes" },
		"connection.local_auth":             func(c *upstreampb.Connection) { c.LocalAuth = nil },
		"connection.local_auth.auth":        func(c *upstreampb.Connection) { c.LocalAuth.Auth = upstreampb.AuthType_AUTH_TYPE_PUBKEY },
		"connection.local_auth.eap_id":      func(c *upstreampb.Connection) { c.LocalAuth.EapId = "e" },
		"connection.local_auth.certs":       func(c *upstreampb.Connection) { c.LocalAuth.Certs = &upstreampb.Certs{Cert: []string{"c.pem"}} },
		"connection.remote_auth.ca_certs":   func(c *upstreampb.Connection) { c.RemoteAuth.CaCerts = &upstreampb.CaCerts{Cacert: []string{"ca.pem"}} },
		"connection.remote_auth.groups":     func(c *upstreampb.Connection) { c.RemoteAuth.Groups = &upstreampb.Groups{Group: []string{"g"}} },
		"connection.children[0].life_time":  func(c *upstreampb.Connection) { c.Children[0].LifeTime = 1 },
		"connection.children[0].hw_offload": func(c *upstreampb.Connection) { c.Children[0].HwOffload = "yes" },
		"connection.children[0].ag_proposals": func(c *upstreampb.Connection) {
			c.Children[0].AgProposals = &upstreampb.Proposals{}
		},
	} {
		c := base()
		set(c)
		_, err := toNative(c)
		if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), field+":") {
			t.Errorf("%s set: %v, want InvalidArgument naming it", field, err)
		}
	}
}
