package bridge_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-ai-bridge/internal/standin"
)

func code(err error) codes.Code { return status.Code(err) }

func TestInferencePoolLifecycleThroughTheAPI(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	ss := standins(t, 2, standin.Config{})
	p := f.createPool(t, "llama", ss[:1], func(p *aiv1.InferencePool) {
		p.Objectives = []*aiv1.InferenceObjective{{Model: "batch", Priority: -1}}
	})
	if p.GetName() != "inferencePools/llama" {
		t.Fatalf("name %q", p.GetName())
	}
	// A retried create with the same spec is the same pool.
	again, err := f.pools.CreateInferencePool(ctx, &aiv1.CreateInferencePoolRequest{InferencePoolId: "llama", InferencePool: &aiv1.InferencePool{
		ServedModelNames: []string{"model"}, Endpoints: addrs(ss[:1]), ScrapeIntervalMs: 50,
		Objectives: []*aiv1.InferenceObjective{{Model: "batch", Priority: -1}}}})
	if err != nil || again.GetName() != p.GetName() {
		t.Fatalf("retried create: %v %v", again, err)
	}
	for _, tc := range []struct {
		name string
		id   string
		pool *aiv1.InferencePool
		want codes.Code
	}{
		{"a model another pool serves is refused", "other", &aiv1.InferencePool{ServedModelNames: []string{"model"}, Endpoints: []string{"127.0.0.1:1"}}, codes.AlreadyExists},
		{"a pool without endpoints is refused", "empty", &aiv1.InferencePool{ServedModelNames: []string{"m2"}}, codes.InvalidArgument},
		{"an endpoint that is no host:port is refused", "bad", &aiv1.InferencePool{ServedModelNames: []string{"m2"}, Endpoints: []string{"a b:x"}}, codes.InvalidArgument},
		{"a pool without model names is refused", "nomodel", &aiv1.InferencePool{Endpoints: []string{"127.0.0.1:1"}}, codes.InvalidArgument},
		{"two objectives for one model are refused", "twice", &aiv1.InferencePool{ServedModelNames: []string{"m2"}, Endpoints: []string{"127.0.0.1:1"},
			Objectives: []*aiv1.InferenceObjective{{Model: "m2"}, {Model: "m2", Priority: 2}}}, codes.InvalidArgument},
		{"an unknown protocol is refused", "proto", &aiv1.InferencePool{ServedModelNames: []string{"m3"}, Endpoints: []string{"127.0.0.1:1"}, Protocol: 7}, codes.InvalidArgument},
		{"a metrics port out of range is refused", "mport", &aiv1.InferencePool{ServedModelNames: []string{"m3"}, Endpoints: []string{"127.0.0.1:1"}, MetricsPort: 70000}, codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.pools.CreateInferencePool(ctx, &aiv1.CreateInferencePoolRequest{InferencePoolId: tc.id, InferencePool: tc.pool})
			if code(err) != tc.want {
				t.Fatalf("create: %v, want %v", err, tc.want)
			}
		})
	}
	// Update the endpoints: the new one is scraped and picked.
	up, err := f.pools.UpdateInferencePool(ctx, &aiv1.UpdateInferencePoolRequest{
		InferencePool: &aiv1.InferencePool{Name: p.GetName(), Endpoints: addrs(ss)},
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"endpoints"}},
	})
	if err != nil || len(up.GetEndpoints()) != 2 || len(up.GetObjectives()) != 1 {
		t.Fatalf("update: %v %v", up, err)
	}
	f.waitStats(t, p.GetName(), "two healthy endpoints", func(st *aiv1.InferencePoolStats) bool {
		return len(st.GetEndpoints()) == 2 && st.GetEndpoints()[0].GetHealthy() && st.GetEndpoints()[1].GetHealthy()
	})
	list, err := f.pools.ListInferencePools(ctx, &aiv1.ListInferencePoolsRequest{})
	if err != nil || len(list.GetInferencePools()) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	if _, err := f.pools.DeleteInferencePool(ctx, &aiv1.DeleteInferencePoolRequest{Name: p.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pools.PickEndpoint(ctx, &aiv1.PickEndpointRequest{Pool: p.GetName()}); code(err) != codes.NotFound {
		t.Fatalf("pick in a deleted pool: %v, want NotFound", err)
	}
	if st, _, _ := do(t, f.proxy, chat("model", "s", "u", false)); st != http.StatusNotFound {
		t.Fatalf("a model no pool serves: HTTP %d, want 404", st)
	}
}

func TestAcceleratorsThroughTheAPI(t *testing.T) {
	f := start(t) // an empty sysfs tree: no PCI bus at all
	ctx := context.Background()
	list, err := f.accs.ListAccelerators(ctx, &aiv1.ListAcceleratorsRequest{})
	if err != nil || len(list.GetAccelerators()) != 0 {
		t.Fatalf("list: %v %v; want an empty list", list, err)
	}
	if _, err := f.accs.GetAccelerator(ctx, &aiv1.GetAcceleratorRequest{Name: "accelerators/pci-0000-03-00-0"}); code(err) != codes.NotFound {
		t.Fatalf("get: %v, want NotFound", err)
	}
	if _, err := f.accs.GetAccelerator(ctx, &aiv1.GetAcceleratorRequest{Name: "gpus/x"}); code(err) != codes.InvalidArgument {
		t.Fatalf("get of a bad name: %v, want InvalidArgument", err)
	}
}

func TestPickOrderFollowsTheQueues(t *testing.T) {
	f := start(t)
	ss := standins(t, 3, standin.Config{MaxRunning: 1})
	p := f.createPool(t, "pool", ss, nil)
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
	pk, err := f.pools.PickEndpoint(context.Background(), &aiv1.PickEndpointRequest{Pool: p.GetName(), Model: "model"})
	if err != nil {
		t.Fatal(err)
	}
	if pk.GetDecision() != aiv1.PickDecision_PICK_DECISION_PICKED || pk.GetHttpStatus() != 0 || len(pk.GetCandidates()) != 3 {
		t.Fatalf("pick: %v", pk)
	}
	if last := pk.GetCandidates()[2]; last.GetEndpoint() != ss[1].Addr() {
		t.Fatalf("the endpoint with the queue is not last: %v", pk)
	}
	for _, c := range pk.GetCandidates() {
		if len(c.GetScores()) != 4 {
			t.Fatalf("candidate %s has scores %v, want all four scorers", c.GetEndpoint(), c.GetScores())
		}
	}
}

func TestPrefixStickiness(t *testing.T) {
	f := start(t)
	ss := standins(t, 3, standin.Config{})
	f.createPool(t, "pool", ss, nil)
	var sticky stickiness
	for round := range 4 {
		for _, tag := range []string{"billing", "weather", "recipes", "travel"} {
			st, hdr, body := do(t, f.proxy, chat("model", longPrompt(tag, 10), "question "+string(rune('a'+round)), false))
			if st != http.StatusOK {
				t.Fatalf("HTTP %d: %s", st, body)
			}
			sticky.served(tag, hdr.Get("X-Standin-Name"))
		}
	}
	sticky.check(t)
	var hits uint64
	for _, s := range ss {
		hits += s.Stats().PrefixHits
	}
	if hits == 0 {
		t.Errorf("no prefix-cache hits on the stand-ins")
	}
}

func TestShedsLowPriorityRequestsUnderSaturation(t *testing.T) {
	f := start(t)
	ss := standins(t, 2, standin.Config{MaxRunning: 1, LoRAAdapters: []string{"batch"}})
	p := f.createPool(t, "pool", ss, func(p *aiv1.InferencePool) {
		p.SaturationQueueDepth = 1
		p.Objectives = []*aiv1.InferenceObjective{{Model: "batch", Priority: -1}, {Model: "model", Priority: 1}}
	})
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
	ctx := context.Background()
	for model, want := range map[string]aiv1.PickDecision{"batch": aiv1.PickDecision_PICK_DECISION_SHED, "model": aiv1.PickDecision_PICK_DECISION_PICKED} {
		pk, err := f.pools.PickEndpoint(ctx, &aiv1.PickEndpointRequest{Pool: p.GetName(), Model: model})
		if err != nil || pk.GetDecision() != want {
			t.Fatalf("pick %s: %v %v, want %v", model, pk, err, want)
		}
	}
	st, hdr, body := do(t, f.proxy, chat("batch", "s", "u", false))
	if st != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" || !strings.Contains(string(body), "rate_limit_error") {
		t.Fatalf("low priority under saturation: HTTP %d %v %s, want 429 with Retry-After", st, hdr, body)
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
	if st, _, body := do(t, f.proxy, chat("batch", "s", "u", false)); st != http.StatusOK {
		t.Fatalf("low priority without saturation: HTTP %d %s", st, body)
	}
	if st := f.waitStats(t, p.GetName(), "stats", func(*aiv1.InferencePoolStats) bool { return true }); st.GetShed() != 1 {
		t.Fatalf("shed = %d, want the one request the proxy shed", st.GetShed())
	}
}

func TestAnEndpointThatDiesIsDroppedAndItsStreamsFail(t *testing.T) {
	f := start(t)
	ss := standins(t, 2, standin.Config{TokenInterval: 200 * time.Millisecond, OutputTokens: 20})
	p := f.createPool(t, "pool", ss, nil)
	resp := post(t, context.Background(), f.proxy, chat("model", "s", "u", true))
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	if line, err := rd.ReadString('\n'); err != nil || !strings.HasPrefix(line, "data: ") {
		t.Fatalf("first event: %q %v", line, err)
	}
	name := resp.Header.Get("X-Standin-Name")
	dead, alive := ss[0], ss[1]
	if name == "s1" {
		dead, alive = ss[1], ss[0]
	}
	dead.Kill()
	rest, err := io.ReadAll(rd)
	if err == nil || strings.Contains(string(rest), "[DONE]") {
		t.Fatalf("the stream of a dead endpoint ended cleanly (%v, %q); it must fail", err, rest)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Logf("the client saw: %v", err)
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
			t.Errorf("the cut stream is not counted as an error: %v", e)
		}
	}
	pk, err := f.pools.PickEndpoint(context.Background(), &aiv1.PickEndpointRequest{Pool: p.GetName(), Model: "model"})
	if err != nil || len(pk.GetCandidates()) != 1 || pk.GetCandidates()[0].GetEndpoint() != alive.Addr() {
		t.Fatalf("pick after the death: %v %v, want only %s", pk, err, alive.Addr())
	}
	for range 3 {
		if code, hdr, body := do(t, f.proxy, chat("model", "s", "u", false, 1)); code != http.StatusOK || hdr.Get("X-Standin-Name") != alive.Name() {
			t.Fatalf("after the death: HTTP %d from %q: %s", code, hdr.Get("X-Standin-Name"), body)
		}
	}
	alive.Kill()
	f.waitStats(t, p.GetName(), "no endpoint healthy", func(st *aiv1.InferencePoolStats) bool {
		return !st.GetEndpoints()[0].GetHealthy() && !st.GetEndpoints()[1].GetHealthy()
	})
	if code, _, body := do(t, f.proxy, chat("model", "s", "u", false)); code != http.StatusServiceUnavailable {
		t.Fatalf("with every endpoint dead: HTTP %d %s, want 503", code, body)
	}
}

func TestStreamingPassesThroughByteForByteAndUnbuffered(t *testing.T) {
	f := start(t)
	ss := standins(t, 1, standin.Config{TokenInterval: 300 * time.Millisecond, OutputTokens: 5})
	f.createPool(t, "pool", ss, nil)
	body := chat("model", longPrompt("stream", 2), "tell me", true)

	resp := post(t, context.Background(), f.proxy, body)
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	rd := bufio.NewReader(resp.Body)
	first, err := rd.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	// The first event arrived while the model server still produces the
	// rest (four more tokens, 300 ms apart): nothing held it back.
	if st := ss[0].Stats(); st.Running != 1 {
		t.Fatalf("the first event came after the answer ended (stand-in: %+v): the proxy buffers", st)
	}
	rest, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	viaProxy := first + string(rest)

	_, _, direct := do(t, "http://"+ss[0].Addr(), body)
	if viaProxy != string(direct) {
		t.Fatalf("the proxy changed the stream:\nproxy:  %q\ndirect: %q", viaProxy, direct)
	}
	if !strings.HasSuffix(viaProxy, "data: [DONE]\n\n") || strings.Count(viaProxy, "data: ") != 6 {
		t.Fatalf("unexpected stream %q", viaProxy)
	}
}
