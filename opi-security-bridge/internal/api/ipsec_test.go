package api_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/opi-suite/opi/opi-security-bridge/bridge"
)

// serve builds the bridge for cfg with opts, as a vendor's main would, and
// serves it through the runtime's real interceptor chain.
func serve(t *testing.T, cfg bridge.Config, opts ...bridge.Option) *grpc.ClientConn {
	t.Helper()
	cfg.StateDir = t.TempDir()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := bridge.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		if err := b.Close(); err != nil {
			t.Errorf("closing the bridge: %v", err)
		}
	})
	b.Start(ctx)
	return servertest.Start(t, b.Services()).Conn
}

// wantCode fails unless err has code and its message mentions inMsg.
func wantCode(t *testing.T, err error, code codes.Code, inMsg string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), inMsg) {
		t.Fatalf("error = %v, want %v mentioning %q", err, code, inMsg)
	}
}

func siteConnection(proposal string) *securityv1.IkeConnection {
	psk := func() *securityv1.Authentication {
		return &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, PreSharedKey: "preSharedKeys/site-psk"}
	}
	return &securityv1.IkeConnection{
		Version: securityv1.IkeVersion_IKE_VERSION_IKEV2, LocalAddrs: []string{"192.0.2.1"}, RemoteAddrs: []string{"192.0.2.2"},
		Proposals: []string{proposal}, DpdDelay: durationpb.New(30 * time.Second), LocalAuth: psk(), RemoteAuth: psk(),
		Children: []*securityv1.ChildSaConfig{{Name: "net", LocalTs: []string{"10.0.0.1/32"}, RemoteTs: []string{"10.0.0.2/32"}}},
	}
}

// TestIPsecOnAVendorBackend serves IPsec on an in-process backend given
// through bridge.WithIPsecBackend: the API, the domain's validation and
// naming, the error classes the runtime maps, and the replay pass after
// the backend restarted, all without strongSwan.
func TestIPsecOnAVendorBackend(t *testing.T) {
	fake := newFakeIKE()
	api := securityv1.NewIpsecServiceClient(serve(t, bridge.Config{IPsec: true}, bridge.WithIPsecBackend(fake)))
	ctx := context.Background()

	_, err := api.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{PreSharedKeyId: "short", PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("short")}})
	wantCode(t, err, codes.InvalidArgument, "16 bytes")
	if _, err := api.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{PreSharedKeyId: "site-psk",
		PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "site", IkeConnection: siteConnection("aes128-sha256-modp2048")}); err != nil {
		t.Fatal(err)
	}
	if loaded, key, _ := fake.holds("site"); !loaded || !key {
		t.Fatalf("the backend holds connection site: %v, its key opi-site: %v; want both", loaded, key)
	}
	psk, err := api.GetPreSharedKey(ctx, &securityv1.GetPreSharedKeyRequest{Name: "preSharedKeys/site-psk"})
	if err != nil || len(psk.GetSecret()) != 0 {
		t.Fatalf("GetPreSharedKey = %v, %v; the secret must never be returned", psk, err)
	}

	for _, tc := range []struct {
		name  string
		call  func() error
		code  codes.Code
		inMsg string
	}{
		{"a proposal the backend refuses is InvalidArgument with its text", func() error {
			_, err := api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "bad", IkeConnection: siteConnection("aes999-bogus")})
			return err
		}, codes.InvalidArgument, "invalid value for: proposals"},
		{"a connection naming a missing key is NotFound", func() error {
			c := siteConnection("aes128-sha256-modp2048")
			c.LocalAuth.PreSharedKey, c.RemoteAuth.PreSharedKey = "preSharedKeys/missing", ""
			_, err := api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "bad", IkeConnection: c})
			return err
		}, codes.NotFound, "preSharedKeys/missing"},
		{"deleting a key in use is FailedPrecondition", func() error {
			_, err := api.DeletePreSharedKey(ctx, &securityv1.DeletePreSharedKeyRequest{Name: "preSharedKeys/site-psk"})
			return err
		}, codes.FailedPrecondition, ""},
		{"a negative initiate timeout is InvalidArgument", func() error {
			_, err := api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site", Timeout: durationpb.New(-time.Second)})
			return err
		}, codes.InvalidArgument, "timeout"},
		{"initiating an unknown child is InvalidArgument", func() error {
			_, err := api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site", Child: "nochild"})
			return err
		}, codes.InvalidArgument, "nochild"},
		{"a certificate that is not PEM is InvalidArgument", func() error {
			_, err := api.CreateCertificate(ctx, &securityv1.CreateCertificateRequest{CertificateId: "junk", Certificate: &securityv1.Certificate{Pem: "junk"}})
			return err
		}, codes.InvalidArgument, "PEM"},
		{"an unknown connection is NotFound", func() error {
			_, err := api.GetIkeConnection(ctx, &securityv1.GetIkeConnectionRequest{Name: "ikeConnections/nope"})
			return err
		}, codes.NotFound, "ikeConnections/nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, tc.call(), tc.code, tc.inMsg)
			conns, err := api.ListIkeConnections(ctx, &securityv1.ListIkeConnectionsRequest{})
			if err != nil || len(conns.GetIkeConnections()) != 1 || conns.GetIkeConnections()[0].GetProposals()[0] != "aes128-sha256-modp2048" {
				t.Fatalf("stored connections changed: %v, %v", conns, err)
			}
		})
	}

	resp, err := api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site"})
	if err != nil || len(resp.GetIkeSas()) != 1 || resp.GetIkeSas()[0].GetIkeConnection() != "ikeConnections/site" ||
		resp.GetIkeSas()[0].GetState() != securityv1.IkeSaState_IKE_SA_STATE_ESTABLISHED {
		t.Fatalf("Initiate = %v, %v; want one ESTABLISHED SA of ikeConnections/site", resp, err)
	}
	children, err := api.ListChildSas(ctx, &securityv1.ListChildSasRequest{IkeConnection: "ikeConnections/site"})
	if err != nil || len(children.GetChildSas()) != 1 || children.GetChildSas()[0].GetBytesIn() != 84 ||
		children.GetChildSas()[0].GetState() != securityv1.ChildSaState_CHILD_SA_STATE_INSTALLED {
		t.Fatalf("ListChildSas = %v, %v; want the backend's INSTALLED child with its counters", children, err)
	}
	conn, err := api.GetIkeConnection(ctx, &securityv1.GetIkeConnectionRequest{Name: "ikeConnections/site"})
	if err != nil || !conn.GetDesiredUp() {
		t.Fatalf("GetIkeConnection = %v, %v; want desired up after Initiate", conn, err)
	}

	// The backend restarts empty: the replay pass loads the connection
	// and its key again and initiates it, since it should be up.
	fake.restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		loaded, key, up := fake.holds("site")
		if loaded && key && up {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the backend restarted: site loaded %v, key %v, up %v; want all three", loaded, key, up)
		}
		time.Sleep(20 * time.Millisecond)
	}

	v, err := api.GetIpsecVersion(ctx, &securityv1.GetIpsecVersionRequest{})
	if err != nil || v.GetDaemon() != "fake-charon" {
		t.Fatalf("GetIpsecVersion = %v, %v", v, err)
	}
	fake.setDown(true)
	_, err = api.GetIpsecVersion(ctx, &securityv1.GetIpsecVersionRequest{})
	wantCode(t, err, codes.Unavailable, "down")
	fake.setDown(false)
}
