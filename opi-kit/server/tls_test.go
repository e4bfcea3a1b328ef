package server_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func mutualTLSServer(t *testing.T) (*server.Server, *testPKI) {
	pki := newTestPKI(t, map[string]string{"ops": "admin", "dashboard": "reader", "guest": ""})
	cfg := server.Config{Listen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0", TLSCert: pki.certFile, TLSKey: pki.keyFile, TLSCA: pki.caFile}
	inv, _ := inventoryService(nil)
	return startServer(t, cfg, []server.Service{inv, newThingService(nil)}), pki
}

func TestMutualTLSOverGRPC(t *testing.T) {
	s, pki := mutualTLSServer(t)
	const getInventory, deleteThing = "/opi.inventory.v1.InventoryService/GetInventory", "/" + thingService + "/DeleteThing"
	tests := []struct {
		name    string
		client  string // CN of the client certificate; "" presents none
		method  string
		code    codes.Code
		mention []string
	}{
		{"a client without a certificate is refused at the handshake", "", getInventory, codes.Unavailable, nil},
		{"a reader may call a Get method", "dashboard", getInventory, codes.OK, nil},
		{"a reader may not call a mutating method", "dashboard", deleteThing, codes.PermissionDenied, []string{"needs role admin", `CN="dashboard"`}},
		{"an admin may call a mutating method", "ops", deleteThing, codes.OK, nil},
		{"an admin may call a Get method", "ops", getInventory, codes.OK, nil},
		{"a certificate without a role may call nothing", "guest", getInventory, codes.PermissionDenied, []string{"needs role reader", `CN="guest"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := dial(t, s.Addr(), credentials.NewTLS(pki.clientTLS(tt.client)))
			var err error
			if tt.method == getInventory {
				_, err = inventoryv1.NewInventoryServiceClient(conn).GetInventory(callCtx(t), &inventoryv1.GetInventoryRequest{Name: "inventory"})
			} else {
				err = conn.Invoke(callCtx(t), tt.method, &healthpb.HealthCheckRequest{Service: "x"}, &healthpb.HealthCheckResponse{})
			}
			wantCode(t, err, tt.code, tt.mention...)
		})
	}
	t.Run("a reader may check health", func(t *testing.T) {
		conn := dial(t, s.Addr(), credentials.NewTLS(pki.clientTLS("dashboard")))
		_, err := healthpb.NewHealthClient(conn).Check(callCtx(t), &healthpb.HealthCheckRequest{})
		wantCode(t, err, codes.OK)
	})
}

// TestMutualTLSOverREST checks that the gateway applies the same
// authorization, with the HTTP client's certificate, and that a REST
// client cannot claim another identity through metadata headers.
func TestMutualTLSOverREST(t *testing.T) {
	s, pki := mutualTLSServer(t)
	base := "https://" + s.HTTPAddr()
	tests := []struct {
		name   string
		client string
		method string
		path   string
		header http.Header
		code   int
		body   string // a substring of the response body
	}{
		{"a reader reads the inventory as JSON", "dashboard", http.MethodGet, "/v1/inventory", nil, http.StatusOK, `"hostname":"test-host"`},
		{"a reader may not delete", "dashboard", http.MethodDelete, "/v1/things/x", nil, http.StatusForbidden, `CN=\"dashboard\"`},
		{"a reader cannot pose as an admin through gateway metadata headers", "dashboard", http.MethodDelete, "/v1/things/x",
			http.Header{"Grpc-Metadata-X-Opi-Gateway-Client-Ou": {"admin"}, "Grpc-Metadata-X-Opi-Gateway-Client-Cn": {"ops"}}, http.StatusForbidden, `CN=\"dashboard\"`},
		{"a certificate without a role cannot gain one through a gateway metadata header", "guest", http.MethodGet, "/v1/inventory",
			http.Header{"Grpc-Metadata-X-Opi-Gateway-Client-Ou": {"admin"}}, http.StatusForbidden, `CN=\"guest\"`},
		{"an admin may delete", "ops", http.MethodDelete, "/v1/things/x", nil, http.StatusOK, `"status":"SERVING"`},
		{"/healthz is served over TLS", "dashboard", http.MethodGet, "/healthz", nil, 0, `"services"`},
		{"/metrics is served over TLS", "dashboard", http.MethodGet, "/metrics", nil, http.StatusOK, "grpc_server_handled_total"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: pki.clientTLS(tt.client)}}
			t.Cleanup(client.CloseIdleConnections)
			req, _ := http.NewRequestWithContext(callCtx(t), tt.method, base+tt.path, nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			if tt.code != 0 && resp.StatusCode != tt.code {
				t.Errorf("status %d, want %d; body %s", resp.StatusCode, tt.code, body.String())
			}
			if !strings.Contains(body.String(), tt.body) {
				t.Errorf("body %s lacks %s", body.String(), tt.body)
			}
		})
	}
	t.Run("an HTTP client without a certificate is refused", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: pki.clientTLS("")}}
		t.Cleanup(client.CloseIdleConnections)
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got HTTP %d, want a failed handshake", resp.StatusCode)
		}
	})
}

func TestServerOnlyTLSLeavesAuthorizationOff(t *testing.T) {
	pki := newTestPKI(t, nil)
	cfg := server.Config{Listen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0", TLSCert: pki.certFile, TLSKey: pki.keyFile}
	s := startServer(t, cfg, []server.Service{newThingService(nil)})
	conn := dial(t, s.Addr(), credentials.NewTLS(pki.clientTLS("")))
	err := conn.Invoke(callCtx(t), "/"+thingService+"/DeleteThing", &healthpb.HealthCheckRequest{}, &healthpb.HealthCheckResponse{})
	wantCode(t, err, codes.OK)

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.pool}}}
	t.Cleanup(client.CloseIdleConnections)
	code, body := httpGet(t, client, "https://"+s.HTTPAddr()+"/healthz")
	var b map[string]any
	if code != http.StatusOK || json.Unmarshal([]byte(body), &b) != nil {
		// Health may still be starting; what matters is that TLS works.
		if code != http.StatusServiceUnavailable {
			t.Errorf("/healthz over server-only TLS: %d %s", code, body)
		}
	}
}
