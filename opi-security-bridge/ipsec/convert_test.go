package ipsec

import (
	"strings"
	"testing"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
)

func TestValidateConnection(t *testing.T) {
	psk := func() *securityv1.Authentication {
		return &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, PreSharedKey: "preSharedKeys/k"}
	}
	conn := func(f func(c *securityv1.IkeConnection)) *securityv1.IkeConnection {
		c := &securityv1.IkeConnection{LocalAuth: psk(), RemoteAuth: psk(), Children: []*securityv1.ChildSaConfig{{Name: "net"}}}
		f(c)
		return c
	}
	for _, tc := range []struct {
		name    string
		conn    *securityv1.IkeConnection
		wantErr string
	}{
		{name: "a PSK connection naming its key is valid", conn: conn(func(*securityv1.IkeConnection) {})},
		{name: "a connection without children is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children = nil }), wantErr: "at least one child"},
		{name: "two children of one name are refused", conn: conn(func(c *securityv1.IkeConnection) {
			c.Children = append(c.Children, &securityv1.ChildSaConfig{Name: "net"})
		}), wantErr: "appears twice"},
		{name: "a child name that is not an id is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].Name = "Net_1" }), wantErr: "children[0].name"},
		{name: "PSK without any key is refused", conn: conn(func(c *securityv1.IkeConnection) {
			c.LocalAuth.PreSharedKey, c.RemoteAuth.PreSharedKey = "", ""
		}), wantErr: "needs a pre-shared key"},
		{name: "two different keys are refused", conn: conn(func(c *securityv1.IkeConnection) { c.RemoteAuth.PreSharedKey = "preSharedKeys/other" }), wantErr: "different keys"},
		{name: "a key reference of the wrong kind is refused", conn: conn(func(c *securityv1.IkeConnection) { c.LocalAuth.PreSharedKey = "certificates/k" }), wantErr: "local_auth.pre_shared_key"},
		{name: "local public key authentication needs certificate and key", conn: conn(func(c *securityv1.IkeConnection) {
			c.LocalAuth = &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PUBKEY, Certificate: "certificates/own"}
		}), wantErr: "certificate and private_key"},
		{name: "remote public key authentication needs a CA or a certificate", conn: conn(func(c *securityv1.IkeConnection) {
			c.RemoteAuth = &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PUBKEY}
		}), wantErr: "ca_certificate or certificate"},
		{name: "a missing method is refused", conn: conn(func(c *securityv1.IkeConnection) { c.RemoteAuth.Method = 0 }), wantErr: "method"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateConnection(tc.conn)
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("ValidateConnection = %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestKeyAlgorithmNeverQuotesTheKey(t *testing.T) {
	secret := []byte("-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0LW1hdGVyaWFs\n-----END EC PRIVATE KEY-----\n")
	_, err := keyAlgorithm(secret)
	if err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Fatalf("keyAlgorithm error = %v; want an error that does not quote the key", err)
	}
}
