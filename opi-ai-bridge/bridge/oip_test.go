package bridge_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/opi-suite/opi/opi-ai-bridge/bridge"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/oip/inferencepb"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/standin"
)

// oipClient serves the fixture's OIP proxy on a loopback port and returns
// a client of it.
func (f *fixture) oipClient(t testing.TB) inferencepb.GRPCInferenceServiceClient {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bridge.ServeOIP(ctx, ln, f.b.OIPServer(), time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	return dialOIP(t, ln.Addr().String())
}

func dialOIP(t testing.TB, addr string) inferencepb.GRPCInferenceServiceClient {
	t.Helper()
	c, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return inferencepb.NewGRPCInferenceServiceClient(c)
}

func oipPool(p *aiv1.InferencePool) { p.Protocol = aiv1.InferenceProtocol_INFERENCE_PROTOCOL_OIP }

// infer is a ModelInfer request with prompt as its text_input.
func infer(model, prompt string, maxTokens int64) *inferencepb.ModelInferRequest {
	return &inferencepb.ModelInferRequest{
		ModelName: model, Id: "req-" + strconv.Itoa(len(prompt)),
		Parameters: map[string]*inferencepb.InferParameter{"max_tokens": {ParameterChoice: &inferencepb.InferParameter_Int64Param{Int64Param: maxTokens}}},
		Inputs: []*inferencepb.ModelInferRequest_InferInputTensor{{
			Name: standin.OIPInput, Datatype: "BYTES", Shape: []int64{1},
			Contents: &inferencepb.InferTensorContents{BytesContents: [][]byte{[]byte(prompt)}},
		}},
	}
}

// inferVia sends req through c and returns the answer and the stand-in
// that served it.
func inferVia(t testing.TB, c inferencepb.GRPCInferenceServiceClient, req *inferencepb.ModelInferRequest) (*inferencepb.ModelInferResponse, string, error) {
	t.Helper()
	var hdr metadata.MD
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := c.ModelInfer(ctx, req, grpc.Header(&hdr))
	name := ""
	if v := hdr.Get("x-standin-name"); len(v) > 0 {
		name = v[0]
	}
	return resp, name, err
}

func TestOIPPassesAnswersThroughUnchangedAndKeepsPrefixes(t *testing.T) {
	f := start(t)
	c := f.oipClient(t)
	ctx := context.Background()
	ss := standins(t, 3, standin.Config{})
	if r, err := c.ServerReady(ctx, &inferencepb.ServerReadyRequest{}); err != nil || r.GetReady() {
		t.Fatalf("ready without a pool: %v %v, want not ready", r, err)
	}
	f.createPool(t, "oip", ss, oipPool)
	if r, err := c.ServerLive(ctx, &inferencepb.ServerLiveRequest{}); err != nil || !r.GetLive() {
		t.Fatalf("live: %v %v", r, err)
	}
	if r, err := c.ServerReady(ctx, &inferencepb.ServerReadyRequest{}); err != nil || !r.GetReady() {
		t.Fatalf("ready: %v %v", r, err)
	}
	if r, err := c.ModelReady(ctx, &inferencepb.ModelReadyRequest{Name: "model"}); err != nil || !r.GetReady() {
		t.Fatalf("model ready: %v %v", r, err)
	}
	meta, err := c.ModelMetadata(ctx, &inferencepb.ModelMetadataRequest{Name: "model"})
	direct, derr := dialOIP(t, ss[0].Addr()).ModelMetadata(ctx, &inferencepb.ModelMetadataRequest{Name: "model"})
	if err != nil || derr != nil || !proto.Equal(meta, direct) {
		t.Fatalf("metadata through the proxy %v (%v), direct %v (%v)", meta, err, direct, derr)
	}
	byName := map[string]*standin.Server{}
	for _, s := range ss {
		byName[s.Name()] = s
	}
	var sticky stickiness
	for round := range 3 {
		for _, tag := range []string{"billing", "weather", "recipes", "travel"} {
			req := infer("model", longPrompt(tag, 10)+"question "+strconv.Itoa(round), int64(3+round))
			got, name, err := inferVia(t, c, req)
			if err != nil || byName[name] == nil {
				t.Fatalf("infer: %v from %q", err, name)
			}
			// The same request straight to the stand-in that answered.
			want, _, err := inferVia(t, dialOIP(t, byName[name].Addr()), req)
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, want) {
				t.Fatalf("the answer changed on its way:\n got %v\nwant %v", got, want)
			}
			sticky.served(tag, name)
		}
	}
	sticky.check(t)
}

func TestOIPPickOrderFollowsTheQueues(t *testing.T) {
	f := start(t)
	c := f.oipClient(t)
	ss := standins(t, 3, standin.Config{MaxRunning: 1})
	p := f.createPool(t, "oip", ss, oipPool)
	ss[1].Pause()
	defer queue(t, ss[1], 4)()
	defer ss[1].Resume()
	f.waitStats(t, p.GetName(), "s1's queue in the metrics", func(st *aiv1.InferencePoolStats) bool {
		for _, e := range st.GetEndpoints() {
			if e.GetEndpoint() == ss[1].Addr() {
				return e.GetRequestsWaiting() >= 3
			}
		}
		return false
	})
	// Short prompts (no whole block): queue and KV cache decide.
	for i := range 6 {
		_, name, err := inferVia(t, c, infer("model", "hi "+strconv.Itoa(i), 1))
		if err != nil {
			t.Fatal(err)
		}
		if name == ss[1].Name() {
			t.Fatalf("request %d went to %s, the server with the queue", i, name)
		}
	}
}

func TestOIPShedsWithResourceExhaustedAndRefusals(t *testing.T) {
	f := start(t)
	c := f.oipClient(t)
	ss := standins(t, 2, standin.Config{MaxRunning: 1, LoRAAdapters: []string{"batch"}})
	p := f.createPool(t, "oip", ss, func(p *aiv1.InferencePool) {
		oipPool(p)
		p.SaturationQueueDepth = 1
		p.Objectives = []*aiv1.InferenceObjective{{Model: "batch", Priority: -1}, {Model: "model", Priority: 1}}
	})
	f.createPool(t, "openai", standins(t, 1, standin.Config{Models: []string{"chat"}}), func(p *aiv1.InferencePool) { p.ServedModelNames = []string{"chat"} })
	for _, tc := range []struct {
		model string
		want  codes.Code
	}{{"nobody", codes.NotFound}, {"chat", codes.FailedPrecondition}, {"", codes.InvalidArgument}} {
		if _, _, err := inferVia(t, c, infer(tc.model, "p", 1)); code(err) != tc.want {
			t.Errorf("model %q: %v, want %v", tc.model, err, tc.want)
		}
	}
	if st, _, body := do(t, f.proxy, chat("model", "s", "u", false)); st != 400 || !strings.Contains(string(body), "Open Inference Protocol") {
		t.Errorf("an OIP model through the OpenAI proxy: HTTP %d %s, want 400", st, body)
	}
	if resp, err := http.Get(f.proxy + "/v1/models"); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"id":"chat"`) || strings.Contains(string(b), `"id":"model"`) || strings.Contains(string(b), `"id":"batch"`) {
			t.Errorf("/v1/models lists %s, want chat and not the OIP pool's models", b)
		}
	}
	for _, s := range ss {
		s.Pause()
		defer queue(t, s, 3)()
		defer s.Resume()
	}
	f.waitStats(t, p.GetName(), "both endpoints saturated", func(st *aiv1.InferencePoolStats) bool {
		for _, e := range st.GetEndpoints() {
			if e.GetRequestsWaiting() < 2 {
				return false
			}
		}
		return true
	})
	if _, _, err := inferVia(t, c, infer("batch", "p", 1)); code(err) != codes.ResourceExhausted {
		t.Fatalf("low priority under saturation: %v, want ResourceExhausted", err)
	}
	for _, s := range ss {
		s.Resume()
	}
	f.waitStats(t, p.GetName(), "the queues drained", func(st *aiv1.InferencePoolStats) bool {
		for _, e := range st.GetEndpoints() {
			if e.GetRequestsWaiting() > 1 {
				return false
			}
		}
		return true
	})
	if _, _, err := inferVia(t, c, infer("batch", "p", 1)); err != nil {
		t.Fatalf("low priority without saturation: %v", err)
	}
	if st := f.waitStats(t, p.GetName(), "stats", func(*aiv1.InferencePoolStats) bool { return true }); st.GetShed() != 1 {
		t.Fatalf("shed = %d, want 1", st.GetShed())
	}
}

func TestOIPEndpointDeathFailsCleanlyAndIsDropped(t *testing.T) {
	f := start(t)
	c := f.oipClient(t)
	ss := standins(t, 2, standin.Config{TokenInterval: 100 * time.Millisecond})
	p := f.createPool(t, "oip", ss, oipPool)
	// A long answer in flight on one of them; kill that one.
	type result struct {
		err  error
		name string
	}
	res := make(chan result, 1)
	go func() {
		_, name, err := inferVia(t, c, infer("model", "p", 40))
		res <- result{err, name}
	}()
	var dead, alive *standin.Server
	deadline := time.Now().Add(10 * time.Second)
	for dead == nil {
		for i, s := range ss {
			if s.Stats().Running > 0 {
				dead, alive = s, ss[1-i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the request never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	dead.Kill()
	r := <-res
	if code(r.err) != codes.Unavailable || !strings.Contains(r.err.Error(), dead.Addr()) {
		t.Fatalf("in flight on a dead server: %v, want Unavailable naming %s", r.err, dead.Addr())
	}
	st := f.waitStats(t, p.GetName(), "the dead endpoint unhealthy", func(st *aiv1.InferencePoolStats) bool {
		for _, e := range st.GetEndpoints() {
			if e.GetEndpoint() == dead.Addr() {
				return !e.GetHealthy()
			}
		}
		return false
	})
	for _, e := range st.GetEndpoints() {
		if e.GetEndpoint() == dead.Addr() && e.GetErrors() < 1 {
			t.Errorf("the failed call is not counted as an error: %v", e)
		}
	}
	for range 3 {
		if _, name, err := inferVia(t, c, infer("model", "p", 1)); err != nil || name != alive.Name() {
			t.Fatalf("after the death: %v from %q, want %s", err, name, alive.Name())
		}
	}
	alive.Kill()
	f.waitStats(t, p.GetName(), "no endpoint healthy", func(st *aiv1.InferencePoolStats) bool {
		return !st.GetEndpoints()[0].GetHealthy() && !st.GetEndpoints()[1].GetHealthy()
	})
	if _, _, err := inferVia(t, c, infer("model", "p", 1)); code(err) != codes.Unavailable {
		t.Fatalf("with every endpoint dead: %v, want Unavailable", err)
	}
	if r, err := c.ModelReady(context.Background(), &inferencepb.ModelReadyRequest{Name: "model"}); err != nil || r.GetReady() {
		t.Fatalf("model ready with every endpoint dead: %v %v, want not ready", r, err)
	}
}

// An endpoint whose metrics are on another port (metrics_port) is scraped
// there; when its inference port refuses the connection, nothing was
// sent, the endpoint leaves the picks and the caller gets UNAVAILABLE.
func TestOIPMetricsPortAndARefusedConnection(t *testing.T) {
	f := start(t)
	c := f.oipClient(t)
	ss := standins(t, 1, standin.Config{})
	_, port, _ := net.SplitHostPort(ss[0].Addr())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	p := &aiv1.InferencePool{ServedModelNames: []string{"model"}, Endpoints: []string{closed}, ScrapeIntervalMs: 50, Protocol: aiv1.InferenceProtocol_INFERENCE_PROTOCOL_OIP}
	p.MetricsPort = int32(mustAtoi(t, port))
	got, err := f.pools.CreateInferencePool(context.Background(), &aiv1.CreateInferencePoolRequest{InferencePoolId: "split", InferencePool: p})
	if err != nil {
		t.Fatal(err)
	}
	f.waitStats(t, got.GetName(), "scraped on the metrics port", func(st *aiv1.InferencePoolStats) bool {
		return len(st.GetEndpoints()) == 1 && st.GetEndpoints()[0].GetHealthy()
	})
	if _, _, err := inferVia(t, c, infer("model", "p", 1)); code(err) != codes.Unavailable || !strings.Contains(err.Error(), "accepted the connection") {
		t.Fatalf("a refused connection: %v, want Unavailable", err)
	}
	if ss[0].Stats().Requests != 0 {
		t.Fatalf("the metrics port's server got a request")
	}
}

func mustAtoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// BenchmarkOIPProxyOverhead is the cost of one ModelInfer through the
// bridge's OIP proxy (pick, a second gRPC hop, the answer back) against a
// direct call, on a stand-in that answers at once. Each iteration makes
// one call of each, alternately, so that both see the same noise; it
// reports their mean times and the difference.
func BenchmarkOIPProxyOverhead(b *testing.B) {
	ss := standins(b, 1, standin.Config{BaseTTFT: time.Microsecond, PrefillPerBlock: time.Nanosecond, TokenInterval: time.Nanosecond, OutputTokens: 1})
	f := start(b)
	proxy := f.oipClient(b)
	f.createPool(b, "bench", ss, oipPool)
	direct := dialOIP(b, ss[0].Addr())
	req := infer("model", longPrompt("overhead", 4), 1)
	ctx := context.Background()
	var dt, pt time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		if _, err := direct.ModelInfer(ctx, req); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := proxy.ModelInfer(ctx, req); err != nil {
			b.Fatal(err)
		}
		dt, pt, n = dt+t1.Sub(t0), pt+time.Since(t1), n+1
	}
	b.ReportMetric(float64(dt.Microseconds())/float64(n), "direct-µs/call")
	b.ReportMetric(float64(pt.Microseconds())/float64(n), "proxy-µs/call")
	b.ReportMetric(float64((pt-dt).Microseconds())/float64(n), "overhead-µs/call")
}
