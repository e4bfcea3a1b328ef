package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// inventoryServer is a small stand-in for the provisioning bridge's
// inventory service. Names steer it: "panic" panics, "missing" returns a
// domain NotFound (any name starting so), "broken" an unclassified error, "slow" takes a while
// (and says when it has started), anything else succeeds.
type inventoryServer struct {
	inventoryv1.UnimplementedInventoryServiceServer
	slowStarted chan struct{}
}

func (s *inventoryServer) GetInventory(_ context.Context, req *inventoryv1.GetInventoryRequest) (*inventoryv1.Inventory, error) {
	if strings.HasPrefix(req.GetName(), "missing") {
		// Quotes the client's input in full, as careless error messages do.
		return nil, errdefs.NotFoundf("inventories/%s does not exist", req.GetName())
	}
	switch req.GetName() {
	case "panic":
		panic("the inventory backend fell over")
	case "broken":
		return nil, errors.New("the disk is on fire")
	case "slow":
		close(s.slowStarted)
		time.Sleep(300 * time.Millisecond)
	}
	return &inventoryv1.Inventory{Name: req.GetName(), Hostname: "test-host"}, nil
}

func inventoryService(probe func(context.Context) error) (server.Service, *inventoryServer) {
	impl := &inventoryServer{slowStarted: make(chan struct{})}
	return server.Service{
		Desc:    &inventoryv1.InventoryService_ServiceDesc,
		Impl:    impl,
		Gateway: inventoryv1.RegisterInventoryServiceHandler,
		Probe:   probe,
	}, impl
}

// thingService is a test-only service with a mutating method, which the
// API does not have yet. It reuses the health messages so that it needs no
// generated code: DeleteThing answers SERVING, GetSecret returns whatever
// message the test put in secret.
const thingService = "opi.test.v1.ThingService"

func newThingService(secret proto.Message) server.Service {
	method := func(name string, reply func() any) grpc.MethodDesc {
		full := "/" + thingService + "/" + name
		handler := func(context.Context, any) (any, error) { return reply(), nil }
		return grpc.MethodDesc{MethodName: name, Handler: func(_ any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			req := &healthpb.HealthCheckRequest{}
			if err := dec(req); err != nil {
				return nil, err
			}
			return ic(ctx, req, &grpc.UnaryServerInfo{FullMethod: full}, handler)
		}}
	}
	deleted := func() any { return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING} }
	desc := &grpc.ServiceDesc{
		ServiceName: thingService,
		HandlerType: (*any)(nil),
		Methods:     []grpc.MethodDesc{method("DeleteThing", deleted), method("GetSecret", func() any { return secret })},
	}
	return server.Service{
		Desc: desc,
		Impl: struct{}{},
		// A hand-written REST route, annotated exactly like generated gateway
		// code, so REST authorization is tested on a mutating method.
		Gateway: func(_ context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
			// POST /v1/things decodes its body as generated gateway code does
			// (the mux's inbound marshaler), then answers with what it read.
			if err := mux.HandlePath(http.MethodPost, "/v1/things", func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
				in, out := runtime.MarshalerForRequest(mux, r)
				req := &healthpb.HealthCheckRequest{}
				if err := in.NewDecoder(r.Body).Decode(req); err != nil {
					runtime.HTTPError(r.Context(), mux, out, w, r, status.Errorf(codes.InvalidArgument, "%v", err))
					return
				}
				b, _ := out.Marshal(req)
				_, _ = w.Write(b)
			}); err != nil {
				return err
			}
			return mux.HandlePath(http.MethodDelete, "/v1/things/{name}", func(w http.ResponseWriter, r *http.Request, params map[string]string) {
				const full = "/" + thingService + "/DeleteThing"
				ctx, err := runtime.AnnotateContext(r.Context(), mux, r, full)
				resp := &healthpb.HealthCheckResponse{}
				if err == nil {
					err = conn.Invoke(ctx, full, &healthpb.HealthCheckRequest{Service: params["name"]}, resp)
				}
				if err != nil {
					runtime.HTTPError(ctx, mux, &runtime.JSONPb{}, w, r, err)
					return
				}
				b, _ := protojson.Marshal(resp)
				_, _ = w.Write(b)
			})
		},
	}
}

// plaintextConfig listens on loopback ports chosen by the kernel.
func plaintextConfig() server.Config {
	return server.Config{Listen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0", InsecurePlaintext: true}
}

// startServer runs a server with services until the test ends, checking
// that it then shuts down cleanly.
func startServer(t *testing.T, cfg server.Config, services []server.Service, opts ...server.Option) *server.Server {
	t.Helper()
	return servertest.StartWith(t, cfg, services, opts...).Server
}

func dial(t *testing.T, addr string, creds credentials.TransportCredentials) *grpc.ClientConn {
	t.Helper()
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventually retries check until it passes or five seconds pass.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func httpGet(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func wantCode(t *testing.T, err error, want codes.Code, mention ...string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != want {
		t.Fatalf("got %v (%q), want %v", st.Code(), st.Message(), want)
	}
	for _, m := range mention {
		if !strings.Contains(st.Message(), m) {
			t.Errorf("message %q does not mention %q", st.Message(), m)
		}
	}
}

// switchableProbe fails while its error is set.
type switchableProbe struct{ err atomic.Pointer[error] }

func (p *switchableProbe) fail(err error) { p.err.Store(&err) }

func (p *switchableProbe) probe(context.Context) error {
	if e := p.err.Load(); e != nil {
		return *e
	}
	return nil
}
