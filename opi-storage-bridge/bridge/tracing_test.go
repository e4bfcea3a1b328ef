package bridge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
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
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
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

	cfg := servertest.Config()
	cfg.StateDir = t.TempDir()
	cfg.LogLevel = "debug"
	logs := &syncBuffer{}
	logger, err := server.NewLogger(logs, "debug")
	if err != nil {
		t.Fatal(err)
	}
	spans := telemetrytest.NewSpans()
	s := servertest.StartProgram(t, Program(), cfg, []string{"--spdk-socket", sock},
		server.WithVersion("v9.9.9-test"), server.WithLogger(logger), server.WithSpanExporter(spans))
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

// TestMetricsExpositionIsValidAndCarriesExemplars: /metrics as the
// Program serves it (the registry's families and the volumes' rendered
// ones) parses with Prometheus' own text parser, every volume has its six
// series once, and in OpenMetrics (what Prometheus asks for) the SPDK
// latency histogram carries the trace id of a traced call as exemplar and
// the exposition ends with # EOF.
func TestMetricsExpositionIsValidAndCarriesExemplars(t *testing.T) {
	s, _, _ := servedProgram(t)
	client := telemetrytest.Dial(t, s.Addr())
	vols := pb.NewVolumeServiceClient(client.Conn)
	const n = 40
	var id trace.TraceID
	for i := 0; i < n; i++ {
		var err error
		id, err = client.Traced(context.Background(), "create", func(ctx context.Context) error {
			_, err := vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: fmt.Sprintf("m%02d", i),
				MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	get := func(accept string) (string, string) {
		req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/metrics", nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("/metrics: %s: %s", res.Status, b)
		}
		return string(b), res.Header.Get("Content-Type")
	}
	text, ctype := get("")
	if !strings.HasPrefix(ctype, "text/plain") {
		t.Errorf("plain scrape answered %q", ctype)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	for _, name := range []string{"opi_storage_volume_read_ops_total", "opi_storage_volume_write_ops_total", "opi_storage_volume_read_bytes_total",
		"opi_storage_volume_write_bytes_total", "opi_storage_volume_read_latency_seconds_total", "opi_storage_volume_write_latency_seconds_total"} {
		if got := len(fams[name].GetMetric()); got != n {
			t.Errorf("%s has %d series, want %d", name, got, n)
		}
	}
	for _, name := range []string{"opi_storage_volume_stats_up", "opi_storage_volume_stats_age_seconds", "opi_storage_spdk_requests_total", "grpc_server_handled_total"} {
		if fams[name] == nil {
			t.Errorf("%s is missing", name)
		}
	}
	om, ctype := get("application/openmetrics-text;version=1.0.0")
	if !strings.HasPrefix(ctype, "application/openmetrics-text") || !strings.HasSuffix(om, "# EOF\n") || strings.Count(om, "# EOF") != 1 {
		t.Errorf("OpenMetrics scrape: %q, ending %q", ctype, om[max(0, len(om)-40):])
	}
	var exemplar bool
	for _, l := range strings.Split(om, "\n") {
		if strings.HasPrefix(l, `opi_storage_spdk_request_duration_seconds_bucket{method="bdev_malloc_create"`) &&
			strings.Contains(l, ` # {`) && strings.Contains(l, `trace_id="`+id.String()+`"`) {
			exemplar = true
		}
	}
	if !exemplar {
		t.Errorf("no bucket of the SPDK latency histogram carries the last call's trace id %s as exemplar", id)
	}
}

// discard is a span exporter that drops what it gets: the cost of
// recording spans without the cost of shipping them.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkCreateTracing is one CreateMallocVolume through the runtime
// (bbolt store on disk, spdk-sim with SPDK's 4 ms poller) with tracing
// off and on, side by side: "on" records the server span, two store
// spans and the SPDK call's span, started by a traced client. ratio is
// on/off of the same run.
//
//	go test -run '^$' -bench CreateTracing -benchtime 200x ./bridge/
func BenchmarkCreateTracing(b *testing.B) {
	var off, on time.Duration
	for _, traced := range []bool{false, true} {
		name := "off"
		if traced {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			f := newFixture(b, fixtureConfig{pollInterval: spdkPollInterval})
			opts := []server.Option{server.WithProbeInterval(time.Hour)}
			if traced {
				opts = append(opts, server.WithSpanExporter(discard{}))
			}
			s := servertest.Start(b, f.b.Services(), opts...)
			client := telemetrytest.Dial(b, s.Server.Addr())
			vols := pb.NewVolumeServiceClient(client.Conn)
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				create := func(ctx context.Context) error {
					_, err := vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: fmt.Sprintf("t%06d", i),
						MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}})
					return err
				}
				var err error
				if traced {
					_, err = client.Traced(ctx, "create", create)
				} else {
					err = create(ctx)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			per := time.Since(start) / time.Duration(b.N)
			if traced {
				on = per
				if off > 0 {
					b.ReportMetric(float64(on)/float64(off), "ratio")
				}
			} else {
				off = per
			}
		})
	}
}
