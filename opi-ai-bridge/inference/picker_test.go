package inference

import (
	"hash/maphash"
	"strings"
	"testing"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
)

func scores(s Scorer, req *Request, views ...View) []float64 { return s.Score(req, views) }

func TestScorers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     Scorer
		req   *Request
		views []View
		want  []float64
	}{
		{"the shortest queue scores 1, each extra request costs 1/spread", QueueScorer{Spread: 4}, &Request{},
			[]View{{Metrics: Metrics{Waiting: 2, Running: 2}}, {Metrics: Metrics{Running: 2}}, {Metrics: Metrics{Waiting: 10}}},
			[]float64{0.5, 1, 0}},
		{"requests in flight count when the scrape is older than them", QueueScorer{Spread: 4}, &Request{},
			[]View{{InFlight: 3}, {Metrics: Metrics{Running: 1}}},
			[]float64{0.5, 1}},
		{"equal queues score alike", QueueScorer{Spread: 4}, &Request{},
			[]View{{InFlight: 2}, {InFlight: 2}}, []float64{1, 1}},
		{"free KV cache is the score", KVCacheScorer{}, &Request{},
			[]View{{Metrics: Metrics{KVCacheUsage: 0.25}}, {Metrics: Metrics{KVCacheUsage: 1}}}, []float64{0.75, 0}},
		{"the share of the prompt's blocks held is the prefix score", PrefixScorer{}, &Request{},
			[]View{{PrefixBlocks: 3, PromptBlocks: 4}, {PromptBlocks: 4}, {}}, []float64{0.75, 0, 0}},
		{"a LoRA adapter favours the endpoints that have it", LoRAScorer{}, &Request{Model: "sql"},
			[]View{{Metrics: Metrics{LoRAAdapters: []string{"chat", "sql"}}}, {}}, []float64{1, 0}},
		{"a base model scores 1 everywhere", LoRAScorer{}, &Request{Model: "llama"},
			[]View{{Base: true}, {Base: true}}, []float64{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scores(tc.s, tc.req, tc.views...)
			for i := range tc.want {
				if d := got[i] - tc.want[i]; d > 1e-9 || d < -1e-9 {
					t.Fatalf("scores = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestRankPutsUnsaturatedFirstThenTheBestTotal(t *testing.T) {
	eps := []*Endpoint{newEndpoint("a:1"), newEndpoint("b:1"), newEndpoint("c:1")}
	views := []View{
		{Addr: "a:1", Metrics: Metrics{Waiting: 20}, Saturated: true, PrefixBlocks: 4, PromptBlocks: 4, Base: true},
		{Addr: "b:1", Metrics: Metrics{KVCacheUsage: 0.5}, Base: true},
		{Addr: "c:1", Metrics: Metrics{KVCacheUsage: 0.1}, Base: true},
	}
	got := rank(&Request{}, eps, views, DefaultScorers(8))
	var order []string
	for _, c := range got {
		order = append(order, c.Endpoint.Addr())
		if len(c.Scores) != 4 {
			t.Fatalf("%s has %d scores, want one per scorer", c.Endpoint.Addr(), len(c.Scores))
		}
	}
	if strings.Join(order, " ") != "c:1 b:1 a:1" {
		t.Fatalf("order = %v, want c:1 b:1 a:1 (the saturated a last despite its prefix)", order)
	}
}

func TestPrefixIndexMatchesLeadingBlocksOnly(t *testing.T) {
	x := newPrefixIndex(1 << 10)
	shared := strings.Repeat("s", 3*BlockSize)
	a := blockHashes(x.seed, shared+strings.Repeat("a", 2*BlockSize))
	b := blockHashes(x.seed, shared+strings.Repeat("b", 2*BlockSize))
	x.record("ep1", a)
	if got := x.matches(a)["ep1"]; got != 5 {
		t.Fatalf("the same prompt matches %d blocks, want 5", got)
	}
	if got := x.matches(b)["ep1"]; got != 3 {
		t.Fatalf("a prompt sharing 3 blocks matches %d, want 3", got)
	}
	// Blocks equal in content but at another position do not match: each
	// hash is chained on the ones before it.
	if got := x.matches(blockHashes(x.seed, strings.Repeat("a", 2*BlockSize)))["ep1"]; got != 0 {
		t.Fatalf("a prompt starting differently matches %d blocks, want 0", got)
	}
	x.forget("ep1")
	if got := x.matches(a)["ep1"]; got != 0 {
		t.Fatalf("after forget, %d blocks match, want 0", got)
	}
}

func TestPrefixIndexStaysBounded(t *testing.T) {
	x := newPrefixIndex(64)
	for i := range 1000 {
		x.record("ep", blockHashes(x.seed, strings.Repeat(string(rune('a'+i%26)), BlockSize)+strings.Repeat("x", i)))
	}
	if n := len(x.young) + len(x.old); n > 64 {
		t.Fatalf("the index holds %d blocks, want at most 64", n)
	}
}

func TestBlockHashesIgnoreTheTailShorterThanABlock(t *testing.T) {
	seed := maphash.MakeSeed()
	if n := len(blockHashes(seed, strings.Repeat("x", 2*BlockSize+BlockSize/2))); n != 2 {
		t.Fatalf("%d blocks, want 2", n)
	}
}

func TestHTTPStatusOfDecisions(t *testing.T) {
	for d, want := range map[aiv1.PickDecision]int{
		aiv1.PickDecision_PICK_DECISION_PICKED: 0, aiv1.PickDecision_PICK_DECISION_SHED: 429, aiv1.PickDecision_PICK_DECISION_NO_ENDPOINT: 503,
	} {
		if got := (&Pick{Decision: d}).HTTPStatus(); got != want {
			t.Errorf("%v: %d, want %d", d, got, want)
		}
	}
}
