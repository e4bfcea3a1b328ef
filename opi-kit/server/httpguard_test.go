package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func post(t *testing.T, client *http.Client, url, body string) (int, string) {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRESTRefusesUnknownFieldsAsGRPCJSONDoes(t *testing.T) {
	s := startServer(t, plaintextConfig(), []server.Service{newThingService(nil)})
	base := "http://" + s.HTTPAddr()
	if code, body := post(t, nil, base+"/v1/things", `{"service": "db"}`); code != http.StatusOK || !strings.Contains(body, `"service":"db"`) {
		t.Fatalf("a known field: %d %s", code, body)
	}
	code, body := post(t, nil, base+"/v1/things", `{"servcie": "db"}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "servcie") {
		t.Fatalf("a misspelt field: %d %s; want 400 naming it", code, body)
	}
}

func TestRESTBodiesAreBoundedByTheGRPCMessageLimit(t *testing.T) {
	s := startServer(t, plaintextConfig(), []server.Service{newThingService(nil)})
	base := "http://" + s.HTTPAddr()
	huge := `{"service": "` + strings.Repeat("x", server.MaxRESTBody) + `"}`
	t.Run("a declared length over the limit is refused before reading", func(t *testing.T) {
		code, body := post(t, nil, base+"/v1/things", huge)
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "over the limit") {
			t.Fatalf("%d %s; want 413", code, body)
		}
	})
	t.Run("a chunked body that grows past the limit is cut off", func(t *testing.T) {
		// An io.Reader of unknown length makes the client send chunks.
		resp, err := http.Post(base+"/v1/things", "application/json", io.MultiReader(strings.NewReader(huge)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Fatalf("%d %s; want a 4xx", resp.StatusCode, b)
		}
	})
	t.Run("a body under the limit still works", func(t *testing.T) {
		ok := `{"service": "` + strings.Repeat("x", 1<<20) + `"}`
		if code, _ := post(t, nil, base+"/v1/things", ok); code != http.StatusOK {
			t.Fatalf("a 1 MiB body: %d", code)
		}
	})
}

func TestASlowBodyCannotHoldAConnection(t *testing.T) {
	s := startServer(t, plaintextConfig(), []server.Service{newThingService(nil)}, server.WithHTTPReadTimeout(300*time.Millisecond))
	conn, err := net.Dial("tcp", s.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	// Trickle nothing more: the server must give up on its own.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the server kept the connection open for %v: %v", time.Since(start), err)
	}
}

func TestHTTPPortFollowsTheGRPCRuleForEveryIdentity(t *testing.T) {
	s, pki := mutualTLSServer(t)
	base := "https://" + s.HTTPAddr()
	for _, tt := range []struct {
		client, path string
		code         int
	}{
		{"guest", "/healthz", http.StatusForbidden},
		{"guest", "/metrics", http.StatusForbidden},
		{"dashboard", "/metrics", http.StatusOK},
		{"ops", "/metrics", http.StatusOK},
	} {
		t.Run(tt.client+" "+tt.path, func(t *testing.T) {
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: pki.clientTLS(tt.client)}}
			t.Cleanup(client.CloseIdleConnections)
			code, body := httpGet(t, client, base+tt.path)
			if code != tt.code {
				t.Fatalf("%d %s; want %d", code, body, tt.code)
			}
		})
	}
	t.Run("a certificate with no role is refused before its body is read", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: pki.clientTLS("guest")}}
		t.Cleanup(client.CloseIdleConnections)
		// A body that never ends: only a refusal before reading returns.
		pr, pw := io.Pipe()
		defer pw.Close()
		go func() { _, _ = pw.Write(bytes.Repeat([]byte("x"), 1<<16)) }()
		req, _ := http.NewRequestWithContext(callCtx(t), http.MethodPost, base+"/v1/things", pr)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%d; want 403", resp.StatusCode)
		}
	})
}

// TestOneRequestCannotFloodTheLog sends a 3 MB name that the handler's
// error quotes in full: the caller gets a bounded message, and the log,
// at debug with payloads, grows by kilobytes, not megabytes.
func TestOneRequestCannotFloodTheLog(t *testing.T) {
	var logs syncBuffer
	logger, _ := server.NewLogger(&logs, "debug")
	inv, _ := inventoryService(nil)
	s := startServer(t, plaintextConfig(), []server.Service{inv}, server.WithLogger(logger))
	huge := "missing" + strings.Repeat("x", 3<<20)
	_, err := inventoryv1.NewInventoryServiceClient(dial(t, s.Addr(), nil)).GetInventory(callCtx(t), &inventoryv1.GetInventoryRequest{Name: huge})
	wantCode(t, err, codes.NotFound, "bytes in all")
	if n := len(status.Convert(err).Message()); n > 4096 {
		t.Errorf("the caller got a %d-byte message", n)
	}
	if n := len(logs.String()); n > 64<<10 {
		t.Errorf("one request added %d bytes to the log", n)
	}
}
