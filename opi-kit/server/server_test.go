package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/redact"
	"github.com/opi-suite/opi/opi-kit/redact/redacttest"
	"github.com/opi-suite/opi/opi-kit/server"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
)

func TestHealthFollowsTheProbe(t *testing.T) {
	probe := &switchableProbe{}
	inv, _ := inventoryService(probe.probe)
	s := startServer(t, plaintextConfig(), []server.Service{inv, newThingService(nil)})
	health := healthpb.NewHealthClient(dial(t, s.Addr(), nil))
	healthz := "http://" + s.HTTPAddr() + "/healthz"

	expect := func(service string, want healthpb.HealthCheckResponse_ServingStatus) func() error {
		return func() error {
			resp, err := health.Check(callCtx(t), &healthpb.HealthCheckRequest{Service: service})
			if err != nil {
				return err
			}
			if resp.GetStatus() != want {
				return fmt.Errorf("%q is %v, want %v", service, resp.GetStatus(), want)
			}
			return nil
		}
	}
	expectHealthz := func(code int, status string) func() error {
		return func() error {
			got, body := httpGet(t, nil, healthz)
			var b struct {
				Status   string            `json:"status"`
				Services map[string]string `json:"services"`
			}
			if err := json.Unmarshal([]byte(body), &b); err != nil {
				return fmt.Errorf("body %q: %w", body, err)
			}
			if got != code || b.Status != status || b.Services["opi.inventory.v1.InventoryService"] != status {
				return fmt.Errorf("/healthz answered %d %s", got, body)
			}
			return nil
		}
	}

	steps := []struct {
		name  string
		fail  error
		check []func() error
	}{
		{"a passing probe makes the service and the server SERVING with /healthz 200", nil, []func() error{
			expect("opi.inventory.v1.InventoryService", healthpb.HealthCheckResponse_SERVING),
			expect(thingService, healthpb.HealthCheckResponse_SERVING),
			expect("", healthpb.HealthCheckResponse_SERVING),
			expectHealthz(http.StatusOK, "SERVING"),
		}},
		{"a failing probe makes the service and the server NOT_SERVING with /healthz 503", errors.New("backend socket gone"), []func() error{
			expect("opi.inventory.v1.InventoryService", healthpb.HealthCheckResponse_NOT_SERVING),
			expect(thingService, healthpb.HealthCheckResponse_SERVING),
			expect("", healthpb.HealthCheckResponse_NOT_SERVING),
			expectHealthz(http.StatusServiceUnavailable, "NOT_SERVING"),
		}},
		{"a probe that passes again restores SERVING", nil, []func() error{
			expect("opi.inventory.v1.InventoryService", healthpb.HealthCheckResponse_SERVING),
			expect("", healthpb.HealthCheckResponse_SERVING),
			expectHealthz(http.StatusOK, "SERVING"),
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			probe.fail(step.fail)
			if step.fail == nil {
				probe.err.Store(nil)
			}
			for _, c := range step.check {
				eventually(t, step.name, c)
			}
		})
	}
}

func TestReflectionListsTheServices(t *testing.T) {
	inv, _ := inventoryService(nil)
	s := startServer(t, plaintextConfig(), []server.Service{inv})
	stream, err := reflectionpb.NewServerReflectionClient(dial(t, s.Addr(), nil)).ServerReflectionInfo(callCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, svc := range resp.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	for _, want := range []string{"opi.inventory.v1.InventoryService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}
}

func TestCalls(t *testing.T) {
	inv, _ := inventoryService(nil)
	s := startServer(t, plaintextConfig(), []server.Service{inv})
	client := inventoryv1.NewInventoryServiceClient(dial(t, s.Addr(), nil))

	tests := []struct {
		name    string
		req     *inventoryv1.GetInventoryRequest
		code    codes.Code
		mention []string
	}{
		{"a valid request succeeds", &inventoryv1.GetInventoryRequest{Name: "inventory"}, codes.OK, nil},
		{"a request missing a required field is rejected as InvalidArgument", &inventoryv1.GetInventoryRequest{}, codes.InvalidArgument, []string{"name", "required"}},
		{"a handler that panics returns a generic Internal error", &inventoryv1.GetInventoryRequest{Name: "panic"}, codes.Internal, []string{"internal error"}},
		{"the next call after a panic succeeds", &inventoryv1.GetInventoryRequest{Name: "inventory"}, codes.OK, nil},
		{"a domain error's class becomes its code in the runtime", &inventoryv1.GetInventoryRequest{Name: "missing"}, codes.NotFound, []string{"inventories/missing does not exist"}},
		{"an unclassified handler error is Internal", &inventoryv1.GetInventoryRequest{Name: "broken"}, codes.Internal, []string{"disk is on fire"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.GetInventory(callCtx(t), tt.req)
			wantCode(t, err, tt.code, tt.mention...)
			if err == nil && resp.GetHostname() != "test-host" {
				t.Errorf("response %v", resp)
			}
			if strings.Contains(fmt.Sprint(err), "fell over") {
				t.Errorf("the panic value leaked to the caller: %v", err)
			}
		})
	}

	t.Run("metrics count each call by code and record handling-time buckets", func(t *testing.T) {
		code, body := httpGet(t, nil, "http://"+s.HTTPAddr()+"/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics answered %d", code)
		}
		for _, want := range []string{
			`grpc_server_handled_total{grpc_code="OK",grpc_method="GetInventory",grpc_service="opi.inventory.v1.InventoryService",grpc_type="unary"} 2`,
			`grpc_server_handled_total{grpc_code="InvalidArgument",grpc_method="GetInventory",grpc_service="opi.inventory.v1.InventoryService",grpc_type="unary"} 1`,
			`grpc_server_handled_total{grpc_code="Internal",grpc_method="GetInventory",grpc_service="opi.inventory.v1.InventoryService",grpc_type="unary"} 2`,
			`grpc_server_handled_total{grpc_code="NotFound",grpc_method="GetInventory",grpc_service="opi.inventory.v1.InventoryService",grpc_type="unary"} 1`,
			`grpc_server_handling_seconds_bucket{grpc_method="GetInventory",grpc_service="opi.inventory.v1.InventoryService",grpc_type="unary",le="0.005"}`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

func TestRESTGatewayServesJSONThroughTheInterceptors(t *testing.T) {
	inv, _ := inventoryService(nil)
	s := startServer(t, plaintextConfig(), []server.Service{inv})
	base := "http://" + s.HTTPAddr()

	code, body := httpGet(t, nil, base+"/v1/inventory")
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil || code != http.StatusOK {
		t.Fatalf("GET /v1/inventory: %d %s (%v)", code, body, err)
	}
	if got["name"] != "inventory" || got["hostname"] != "test-host" {
		t.Errorf("GET /v1/inventory returned %v", got)
	}
	// The gateway's call is counted like a direct gRPC call: it went
	// through the same server.
	_, metrics := httpGet(t, nil, base+"/metrics")
	if !strings.Contains(metrics, `grpc_server_handled_total{grpc_code="OK",grpc_method="GetInventory",grpc_service="opi.inventory.v1.InventoryService",grpc_type="unary"} 1`) {
		t.Error("the REST call was not counted by the gRPC metrics")
	}
}

// TestSecretsNeverLeave checks both defences: responses are cleared before
// they are sent, and payload logs are cleared, while the handler's own
// message keeps its secrets.
func TestSecretsNeverLeave(t *testing.T) {
	stored := redacttest.Credentials(t)
	before := proto.Clone(stored)
	var logs syncBuffer
	logger, _ := server.NewLogger(&logs, "debug")
	s := startServer(t, plaintextConfig(), []server.Service{newThingService(stored)}, server.WithLogger(logger))

	credsMD, _ := redacttest.Descriptors(t)
	reply := dynamicpb.NewMessage(credsMD)
	err := dial(t, s.Addr(), nil).Invoke(callCtx(t), "/"+thingService+"/GetSecret", &healthpb.HealthCheckRequest{}, reply)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"the caller receives no secret field", !redact.HasSecret(reply)},
		{"the caller still receives the other fields", reply.Get(credsMD.Fields().ByName("user")).String() == "alice"},
		{"the handler's stored message keeps its secrets", proto.Equal(stored, before)},
		{"the payload log names the user", strings.Contains(logs.String(), "alice")},
		{"the payload log holds no secret", !strings.Contains(logs.String(), "hunter2") && !strings.Contains(logs.String(), "czNjcjN0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("failed; logs:\n%s", logs.String())
			}
		})
	}
}

func TestGracefulStopLetsCallsInFlightFinish(t *testing.T) {
	inv, impl := inventoryService(nil)
	logger, _ := server.NewLogger(t.Output(), "info")
	s, err := server.New(plaintextConfig(), server.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	s.AddService(inv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	client := inventoryv1.NewInventoryServiceClient(dial(t, s.Addr(), nil))

	var wg sync.WaitGroup
	var callErr error
	wg.Go(func() { _, callErr = client.GetInventory(callCtx(t), &inventoryv1.GetInventoryRequest{Name: "slow"}) })
	<-impl.slowStarted
	cancel() // what SIGTERM does in Main
	wg.Wait()
	if callErr != nil {
		t.Errorf("the call in flight failed: %v", callErr)
	}
	if err := <-done; err != nil {
		t.Errorf("Run returned %v, want nil", err)
	}
	if _, err := client.GetInventory(callCtx(t), &inventoryv1.GetInventoryRequest{Name: "inventory"}); status.Code(err) != codes.Unavailable {
		t.Errorf("a call after shutdown got %v, want Unavailable", err)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestRunThatCannotListenReportsNoAddress(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := plaintextConfig()
	cfg.HTTPListen = taken.Addr().String() // gRPC listens, then HTTP fails
	logger, _ := server.NewLogger(t.Output(), "error")
	s, err := server.New(cfg, server.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "--http-listen") {
		t.Fatalf("Run = %v, want the --http-listen error", err)
	}
	if s.Addr() != "" || s.HTTPAddr() != "" {
		t.Errorf("Addr = %q, HTTPAddr = %q after Run failed; want both empty (the listeners are closed)", s.Addr(), s.HTTPAddr())
	}
}

func TestNewRefusesNonPositiveDurations(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  server.Option
	}{
		{"a zero probe interval", server.WithProbeInterval(0)},
		{"a negative shutdown timeout", server.WithShutdownTimeout(-time.Second)},
	} {
		t.Run(tt.name+" is refused by New, not a panic in Run", func(t *testing.T) {
			if _, err := server.New(plaintextConfig(), tt.opt); err == nil || !strings.Contains(err.Error(), "must be positive") {
				t.Errorf("New = %v, want an error saying durations must be positive", err)
			}
		})
	}
}
