package cli

import (
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// serveHealth runs a health server with the given statuses per service.
func serveHealth(t *testing.T, statuses map[string]healthpb.HealthCheckResponse_ServingStatus) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	h := health.NewServer()
	for svc, st := range statuses {
		h.SetServingStatus(svc, st)
	}
	healthpb.RegisterHealthServer(s, h)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func TestHealthExitsZeroOnlyWhenServing(t *testing.T) {
	addr := serveHealth(t, map[string]healthpb.HealthCheckResponse_ServingStatus{
		"":                 healthpb.HealthCheckResponse_SERVING,
		"opi.a.v1.Serving": healthpb.HealthCheckResponse_SERVING,
		"opi.b.v1.Down":    healthpb.HealthCheckResponse_NOT_SERVING,
	})
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"the whole server serving exits 0", nil, 0, "SERVING", ""},
		{"a serving service exits 0", []string{"opi.a.v1.Serving"}, 0, "SERVING", ""},
		{"a service not serving exits 1 and names it", []string{"opi.b.v1.Down"}, 1, "NOT_SERVING", "opi.b.v1.Down is NOT_SERVING"},
		{"an unknown service exits 1", []string{"opi.c.v1.Unknown"}, 1, "", "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, false, append([]string{"--insecure", "--addr", addr, "health"}, tc.args...)...)
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d (stderr %q)", code, tc.wantCode, errOut)
			}
			if strings.TrimSpace(out) != tc.wantOut {
				t.Errorf("stdout %q, want %q", out, tc.wantOut)
			}
			if tc.wantErr != "" && !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut, tc.wantErr)
			}
		})
	}
}

func TestHealthServerEnvProbesTheLocalListener(t *testing.T) {
	addr := serveHealth(t, map[string]healthpb.HealthCheckResponse_ServingStatus{"": healthpb.HealthCheckResponse_SERVING})
	_, port, _ := net.SplitHostPort(addr)
	for _, tc := range []struct {
		name     string
		env      map[string]string
		wantCode int
		wantErr  string
	}{
		{"a port-only OPI_LISTEN and plaintext reach the service", map[string]string{"OPI_LISTEN": ":" + port, "OPI_INSECURE_PLAINTEXT": "true"}, 0, ""},
		{"a host in OPI_LISTEN is replaced by 127.0.0.1", map[string]string{"OPI_LISTEN": "0.0.0.0:" + port, "OPI_INSECURE_PLAINTEXT": "1"}, 0, ""},
		{"a bad boolean names the variable", map[string]string{"OPI_LISTEN": ":" + port, "OPI_INSECURE_PLAINTEXT": "maybe"}, 1, "OPI_INSECURE_PLAINTEXT"},
		{"a bad OPI_LISTEN names the variable", map[string]string{"OPI_LISTEN": "nonsense", "OPI_INSECURE_PLAINTEXT": "true"}, 1, "OPI_LISTEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, _, errOut := run(t, false, "health", "--server-env")
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d (stderr %q)", code, tc.wantCode, errOut)
			}
			if tc.wantErr != "" && !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut, tc.wantErr)
			}
		})
	}
}
