package bridge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-kit/telemetry/telemetrytest"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/sim"
)

// syncBuffer is a log destination the server and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// servedProgram runs the storage bridge's Program (what server.Main runs)
// on spdk-sim, with spans going to the returned recorder and logs (at
// debug) to the returned buffer.
func servedProgram(t *testing.T) (*server.Server, *telemetrytest.Spans, *syncBuffer) {
	t.Helper()
	sockDir, err := os.MkdirTemp("", "sb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "spdk.sock")
	sm := sim.New()
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = sm.Serve(l) }()
	t.Cleanup(func() { sm.Close() })

	p := Program()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	p.Flags(fs)
	if err := fs.Set("spdk-socket", sock); err != nil {
		t.Fatal(err)
	}
	cfg := servertest.Config()
	cfg.StateDir = t.TempDir()
	cfg.LogLevel = "debug"
	logs := &syncBuffer{}
	logger, err := server.NewLogger(logs, "debug")
	if err != nil {
		t.Fatal(err)
	}
	spans := telemetrytest.NewSpans()
	s, err := server.New(cfg, server.WithName(p.Name), server.WithVersion("v9.9.9-test"), server.WithLogger(logger),
		server.WithSpanExporter(spans), server.WithShutdownTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := p.Setup(ctx, s, cfg); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if s.Addr() == "" {
		t.Fatal("the server did not listen")
	}
	return s, spans, logs
}

// TestOneTraceSpansTheClientTheServerTheStoreAndSPDK: a volume created by
// a traced client (as opi-cli is with tracing on) is one trace: the
// client's span, the bridge's server span under it (the client's trace id
// carried in W3C trace context), and under that the intent store's bbolt
// update and the SPDK JSON-RPC call, with their semantic-convention
// attributes; the resource names the bridge, its version, the host and
// SPDK's version; the call's log line carries the trace and span ids.
func TestOneTraceSpansTheClientTheServerTheStoreAndSPDK(t *testing.T) {
	s, spans, logs := servedProgram(t)
	client := telemetrytest.Dial(t, s.Addr())
	vols := pb.NewVolumeServiceClient(client.Conn)
	id, err := client.Traced(context.Background(), "opi storage volume create", func(ctx context.Context) error {
		_, err := vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "traced",
			MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const method = "opi.storage.v1.VolumeService/CreateMallocVolume"
	clientSpan := client.ClientSpan(t, id, method)
	srv := spans.One(t, id, method)
	if srv.Parent.SpanID() != clientSpan.SpanContext.SpanID() {
		t.Errorf("the server span's parent is %s, want the client's span %s", srv.Parent.SpanID(), clientSpan.SpanContext.SpanID())
	}
	if got := telemetrytest.Attr(srv, "rpc.system.name"); got != "grpc" {
		t.Errorf("server span rpc.system.name = %q", got)
	}
	// The intent is written (one bbolt update) before SPDK is called, and
	// its status committed after: two updates around the JSON-RPC call.
	rpc := spans.One(t, id, "bdev_malloc_create")
	updates := spans.Named("bbolt update")
	if len(updates) != 2 || !updates[0].EndTime.Before(rpc.StartTime) || updates[1].StartTime.Before(rpc.EndTime) {
		t.Errorf("want a store update before bdev_malloc_create and one after; recorded:\n%s", spans.Tree())
	}
	if !spans.Under(rpc, srv) {
		t.Errorf("the SPDK call is not under the server span:\n%s", spans.Tree())
	}
	for _, u := range updates {
		if !spans.Under(u, srv) {
			t.Errorf("a store update is not under the server span:\n%s", spans.Tree())
		}
		for key, want := range map[string]string{"db.system.name": "bbolt", "db.operation.name": "update",
			"db.namespace": "intent.db", "db.operation.batch.size": "1"} {
			if got := telemetrytest.Attr(u, key); got != want {
				t.Errorf("store span: %s = %q, want %q", key, got, want)
			}
		}
	}
	for key, want := range map[string]string{"rpc.system.name": "jsonrpc", "rpc.method": "bdev_malloc_create",
		"jsonrpc.protocol.version": "2.0", "network.transport": "unix"} {
		if got := telemetrytest.Attr(rpc, key); got != want {
			t.Errorf("SPDK span: %s = %q, want %q", key, got, want)
		}
	}
	host, _ := os.Hostname()
	for key, want := range map[string]string{"service.name": "opi-storage-bridge", "service.version": "v9.9.9-test",
		"host.name": host, "opi.backend": "spdk", "opi.backend.version": "SPDK v26.05"} {
		if got := telemetrytest.ResourceAttr(rpc, key); got != want {
			t.Errorf("resource %s = %q, want %q", key, got, want)
		}
	}

	// The call's log line (debug: "finished call") carries the trace.
	var found bool
	for _, l := range logs.lines() {
		if l["grpc.method"] == "CreateMallocVolume" && strings.Contains(l["msg"].(string), "finished call") {
			found = true
			if l["trace_id"] != id.String() || l["span_id"] != srv.SpanContext.SpanID().String() {
				t.Errorf("the call's log line has trace_id %v span_id %v, want %s %s", l["trace_id"], l["span_id"], id, srv.SpanContext.SpanID())
			}
		}
	}
	if !found {
		t.Errorf("no log line of the call; logs:\n%v", logs.lines())
	}
}
