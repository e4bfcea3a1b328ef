package inference

import (
	"math"
	"slices"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
)

var inf = math.Inf(1)

// Request is what the picker knows of one inference request.
type Request struct {
	// Model is the model the request asks for.
	Model string
	// Prompt is the prompt text (for chat, the messages' contents joined).
	Prompt string
	// Priority is the request's priority, from the pool's objectives.
	Priority int32

	hashes []uint64
}

// View is one endpoint at the moment of a pick: what scorers read.
type View struct {
	Addr string
	Metrics
	// InFlight is the number of requests the proxy has sent the endpoint
	// and not finished: fresher than the scraped queue.
	InFlight int64
	// PrefixBlocks is how many leading prefix blocks of the request the
	// endpoint was sent before; PromptBlocks how many the request has.
	PrefixBlocks, PromptBlocks int
	// Base says whether the request's model is one of the pool's served
	// model names (not a LoRA adapter).
	Base bool
	// Saturated says whether the endpoint is over the pool's thresholds.
	Saturated bool
}

// Load is the endpoint's queue as the queue scorer counts it: the scraped
// waiting and running requests, or the proxy's in-flight count when that
// is higher (the scrape is up to one period old).
func (v View) Load() float64 { return max(v.Waiting+v.Running, float64(v.InFlight)) }

// A Scorer rates each endpoint for a request, 0 (worst) to 1 (best); it
// sees all of them, so that it can rate them against each other.
type Scorer interface {
	Name() string
	Score(req *Request, views []View) []float64
}

// WeightedScorer is a scorer with its weight in the total.
type WeightedScorer struct {
	Scorer
	Weight float64
}

// DefaultScorers are the picker's scorers and weights, in the proportions
// of llm-d's default configuration (prefix 3, queue 2, KV cache 2) plus
// LoRA affinity.
func DefaultScorers(saturationQueue float64) []WeightedScorer {
	return []WeightedScorer{
		{QueueScorer{Spread: saturationQueue}, 2},
		{KVCacheScorer{}, 2},
		{PrefixScorer{}, 3},
		{LoRAScorer{}, 1},
	}
}

// QueueScorer prefers the endpoint with the shortest queue. The least
// loaded scores 1; the others lose in proportion to how many more
// requests they hold, Spread extra requests costing the whole score.
type QueueScorer struct{ Spread float64 }

// Name implements Scorer.
func (QueueScorer) Name() string { return "queue" }

// Score implements Scorer.
func (s QueueScorer) Score(_ *Request, views []View) []float64 {
	out := make([]float64, len(views))
	least := inf
	for _, v := range views {
		least = min(least, v.Load())
	}
	spread := max(s.Spread, 1)
	for i, v := range views {
		out[i] = max(0, 1-(v.Load()-least)/spread)
	}
	return out
}

// KVCacheScorer prefers the endpoint with the most free KV cache.
type KVCacheScorer struct{}

// Name implements Scorer.
func (KVCacheScorer) Name() string { return "kv-cache" }

// Score implements Scorer.
func (KVCacheScorer) Score(_ *Request, views []View) []float64 {
	out := make([]float64, len(views))
	for i, v := range views {
		out[i] = min(1, max(0, 1-v.KVCacheUsage))
	}
	return out
}

// PrefixScorer prefers the endpoint that was sent the longest leading part
// of the prompt, whose prefix cache probably still holds it: its score is
// the share of the prompt's blocks it holds.
type PrefixScorer struct{}

// Name implements Scorer.
func (PrefixScorer) Name() string { return "prefix" }

// Score implements Scorer.
func (PrefixScorer) Score(_ *Request, views []View) []float64 {
	out := make([]float64, len(views))
	for i, v := range views {
		if v.PromptBlocks > 0 {
			out[i] = float64(v.PrefixBlocks) / float64(v.PromptBlocks)
		}
	}
	return out
}

// LoRAScorer prefers, for a request to a LoRA adapter, the endpoints that
// have it loaded (1) over those that must load it (0); for a base model
// every endpoint scores 1.
type LoRAScorer struct{}

// Name implements Scorer.
func (LoRAScorer) Name() string { return "lora" }

// Score implements Scorer.
func (LoRAScorer) Score(req *Request, views []View) []float64 {
	out := make([]float64, len(views))
	for i, v := range views {
		if v.Base || slices.Contains(v.LoRAAdapters, req.Model) {
			out[i] = 1
		}
	}
	return out
}

// Candidate is one endpoint in a pick's order.
type Candidate struct {
	Endpoint  *Endpoint
	Total     float64
	Scores    []*aiv1.ScorerScore
	Saturated bool
}

// Pick is the picker's answer for one request.
type Pick struct {
	// Pool is the pool's name.
	Pool string
	// Decision says whether an endpoint was picked, the request shed, or
	// none could take it.
	Decision aiv1.PickDecision
	// Priority is the request's priority.
	Priority int32
	// Candidates are the healthy endpoints, best first.
	Candidates []Candidate

	hashes []uint64
}

// HTTPStatus is the status the proxy answers for the decision before it
// forwards anything: 429 when shed, 503 with no endpoint, 0 when picked.
func (p *Pick) HTTPStatus() int {
	switch p.Decision {
	case aiv1.PickDecision_PICK_DECISION_SHED:
		return 429
	case aiv1.PickDecision_PICK_DECISION_NO_ENDPOINT:
		return 503
	}
	return 0
}

// Proto returns the pick as the API answers it.
func (p *Pick) Proto() *aiv1.PickEndpointResponse {
	out := &aiv1.PickEndpointResponse{Decision: p.Decision, HttpStatus: int32(p.HTTPStatus()), Priority: p.Priority}
	for _, c := range p.Candidates {
		out.Candidates = append(out.Candidates, &aiv1.PickCandidate{Endpoint: c.Endpoint.Addr(), TotalScore: c.Total, Scores: c.Scores, Saturated: c.Saturated})
	}
	return out
}

// rank scores views with scorers and orders them: unsaturated endpoints
// first, then by total score, then by fewer requests in flight, then in
// the order given (which the caller rotates, so that ties spread).
func rank(req *Request, eps []*Endpoint, views []View, scorers []WeightedScorer) []Candidate {
	cands := make([]Candidate, len(views))
	for i := range views {
		cands[i] = Candidate{Endpoint: eps[i], Saturated: views[i].Saturated}
	}
	for _, s := range scorers {
		scores := s.Score(req, views)
		for i, sc := range scores {
			cands[i].Scores = append(cands[i].Scores, &aiv1.ScorerScore{Scorer: s.Name(), Score: sc, Weight: s.Weight})
			cands[i].Total += s.Weight * sc
		}
	}
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ca, cb := cands[a], cands[b]
		switch {
		case ca.Saturated != cb.Saturated:
			if ca.Saturated {
				return 1
			}
			return -1
		case math.Abs(ca.Total-cb.Total) > 1e-9:
			if ca.Total > cb.Total {
				return -1
			}
			return 1
		case views[a].InFlight != views[b].InFlight:
			if views[a].InFlight < views[b].InFlight {
				return -1
			}
			return 1
		}
		return 0
	})
	out := make([]Candidate, len(cands))
	for i, j := range order {
		out[i] = cands[j]
	}
	return out
}
