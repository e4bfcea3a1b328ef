package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"

	"github.com/opi-suite/opi/opi-ai-bridge/bridge"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/standin"
)

// fixture is a bridge served through the runtime's real chain, with its
// inference proxy on a loopback port.
type fixture struct {
	b      *bridge.Bridge
	pools  aiv1.InferencePoolServiceClient
	accs   aiv1.AcceleratorServiceClient
	proxy  string // base URL
	sysfs  string
	cancel context.CancelFunc
}

func start(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{sysfs: t.TempDir()}
	b, err := bridge.New(bridge.Config{StateDir: t.TempDir(), SysfsRoot: f.sysfs})
	if err != nil {
		t.Fatal(err)
	}
	var ctx context.Context
	ctx, f.cancel = context.WithCancel(context.Background())
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(b.Proxy())
	t.Cleanup(func() { f.cancel(); ps.Close(); _ = b.Close() })
	s := servertest.Start(t, b.Services())
	f.b, f.proxy = b, ps.URL
	f.pools = aiv1.NewInferencePoolServiceClient(s.Conn)
	f.accs = aiv1.NewAcceleratorServiceClient(s.Conn)
	return f
}

// standins starts n stand-in model servers, named s0, s1, ...
func standins(t testing.TB, n int, cfg standin.Config) []*standin.Server {
	t.Helper()
	var out []*standin.Server
	for i := range n {
		c := cfg
		c.Name = "s" + string(rune('0'+i))
		s := standin.New(c)
		if err := s.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Kill)
		out = append(out, s)
	}
	return out
}

func addrs(ss []*standin.Server) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Addr())
	}
	return out
}

// createPool creates a pool over ss scraped every 50 ms and waits until
// every endpoint is healthy.
func (f *fixture) createPool(t testing.TB, id string, ss []*standin.Server, mod func(*aiv1.InferencePool)) *aiv1.InferencePool {
	t.Helper()
	p := &aiv1.InferencePool{ServedModelNames: []string{"model"}, Endpoints: addrs(ss), ScrapeIntervalMs: 50}
	if mod != nil {
		mod(p)
	}
	got, err := f.pools.CreateInferencePool(context.Background(), &aiv1.CreateInferencePoolRequest{InferencePoolId: id, InferencePool: p})
	if err != nil {
		t.Fatal(err)
	}
	f.waitStats(t, got.GetName(), "every endpoint healthy", func(st *aiv1.InferencePoolStats) bool {
		for _, e := range st.GetEndpoints() {
			if !e.GetHealthy() {
				return false
			}
		}
		return len(st.GetEndpoints()) == len(ss)
	})
	return got
}

// waitStats polls the pool's stats until cond holds (generous: the
// machine is loaded).
func (f *fixture) waitStats(t testing.TB, pool, what string, cond func(*aiv1.InferencePoolStats) bool) *aiv1.InferencePoolStats {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := f.pools.StatsInferencePool(context.Background(), &aiv1.StatsInferencePoolRequest{Name: pool})
		if err != nil {
			t.Fatal(err)
		}
		st := resp.GetStats()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: stats %v", what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// chat is an OpenAI chat request body; maxTokens, if given, bounds the
// answer.
func chat(model, system, user string, stream bool, maxTokens ...int) []byte {
	m := map[string]any{
		"model": model, "stream": stream,
		"messages": []map[string]string{{"role": "system", "content": system}, {"role": "user", "content": user}},
	}
	if len(maxTokens) > 0 {
		m["max_tokens"] = maxTokens[0]
	}
	b, _ := json.Marshal(m)
	return b
}

func post(t testing.TB, ctx context.Context, base string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// do posts and reads the whole answer.
func do(t testing.TB, base string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	resp := post(t, context.Background(), base, body)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return resp.StatusCode, resp.Header, b
}

// queue sends n requests straight to s and leaves them waiting there (s
// must be paused); cancel ends them.
func queue(t testing.TB, s *standin.Server, n int) (cancel func()) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.Addr()+"/v1/chat/completions", bytes.NewReader(chat("model", "q", "q", false)))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Waiting < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d waiting, want %d", s.Addr(), s.Stats().Waiting, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return func() { stop(); wg.Wait() }
}

func longPrompt(tag string, blocks int) string {
	return strings.Repeat("You are a helpful assistant for "+tag+". ", blocks*standin.BlockSize/(33+len(tag))+1)
}

// stickiness records which servers answered the requests of each system
// prompt.
type stickiness struct {
	servers map[string]map[string]bool // prompt -> servers that answered
	used    map[string]bool
}

func (s *stickiness) served(prompt, server string) {
	if s.servers == nil {
		s.servers, s.used = map[string]map[string]bool{}, map[string]bool{}
	}
	if s.servers[prompt] == nil {
		s.servers[prompt] = map[string]bool{}
	}
	s.servers[prompt][server] = true
	s.used[server] = true
}

// check wants each prompt's requests on one server, and the prompts on
// more than one.
func (s *stickiness) check(t testing.TB) {
	t.Helper()
	for prompt, ss := range s.servers {
		if len(ss) != 1 {
			t.Errorf("requests with the %s system prompt went to %v, want one server", prompt, ss)
		}
	}
	if len(s.used) < 2 {
		t.Errorf("%d system prompts all went to %v: new prefixes should spread", len(s.servers), s.used)
	}
}
