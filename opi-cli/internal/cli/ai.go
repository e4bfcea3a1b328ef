package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
)

// newAICmd returns `opi ai`: the accelerators an AI bridge finds and its
// inference pools, through the same verbs as the other kinds, plus `pick`.
func newAICmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ai",
		Short: "See accelerators and steer inference: inference pools and their endpoint picker (AI bridge)",
		Long: `opi ai reads the accelerators (GPUs, inference accelerators) the AI bridge
finds on the PCI bus, with their PCIe link and the NICs near them, and
manages inference pools: groups of model servers behind the bridge's
OpenAI-compatible proxy, whose endpoint picker scores each server on its
queue, KV cache, prefix-cache affinity and LoRA adapters.

Accelerators have get, list and stats; inference pools have create ID,
get, list, update, delete, stats and pick (where the picker would send a
request, with every scorer's score).`,
		Example: `  opi ai accelerator list
  opi ai inference-pool create llama --model llama-3-8b --endpoint 10.0.0.11:8000 --endpoint 10.0.0.12:8000 --objective batch=-1
  opi ai inference-pool pick llama --model llama-3-8b --prompt "You are a helpful assistant"
  opi ai inference-pool stats llama`,
	}
	cmd.AddGroup(&cobra.Group{ID: "ai", Title: "AI:"})
	pools := resourceCommand(g, inferencePoolKind())
	pools.AddCommand(newPickCmd(g))
	cmd.AddCommand(resourceCommand(g, acceleratorKind()), pools)
	return cmd
}

func acceleratorKind() resourceKind[*aiv1.Accelerator] {
	return resourceKind[*aiv1.Accelerator]{
		use: "accelerator", noun: "accelerator", group: "ai",
		example: `  opi ai accelerator list
  opi ai accelerator get pci-0000-3b-00-0 -o json
  opi ai accelerator stats pci-0000-3b-00-0`,
		columns: []string{"PCI", "VENDOR", "DEVICE", "CLASS", "DRIVER", "NUMA", "LINK", "SR-IOV", "NICS"},
		row: func(v *aiv1.Accelerator) []string {
			var nics []string
			for _, n := range v.GetAffineNics() {
				nics = append(nics, n.GetInterface()+"("+enumWord(n.GetRelation())+")")
			}
			return []string{v.GetPciAddress(), v.GetVendor(), fmt.Sprintf("%04x", v.GetDeviceId()), enumWord(v.GetAcceleratorClass()),
				v.GetDriver(), strconv.Itoa(int(v.GetNumaNode())), linkText(v.GetLink()), sriovText(v.GetSriov()), strings.Join(nics, ",")}
		},
	}
}

// linkText is "x8/x16 32/32 GT/s DEGRADED".
func linkText(l *aiv1.PcieLink) string {
	if l.GetMaxWidth() == 0 {
		return ""
	}
	s := fmt.Sprintf("x%d/x%d %g/%g GT/s", l.GetCurrentWidth(), l.GetMaxWidth(), l.GetCurrentSpeedGts(), l.GetMaxSpeedGts())
	if l.GetDegraded() {
		s += " DEGRADED"
	}
	return s
}

func sriovText(s *aiv1.SriovState) string {
	switch {
	case s.GetVirtualFunction():
		return "VF of " + s.GetPhysicalFunction()
	case s.GetTotalVfs() > 0:
		return fmt.Sprintf("%d/%d VFs", s.GetNumVfs(), s.GetTotalVfs())
	}
	return ""
}

func inferencePoolKind() resourceKind[*aiv1.InferencePool] {
	return resourceKind[*aiv1.InferencePool]{
		use: "inference-pool", noun: "inference pool", group: "ai",
		example: `  opi ai inference-pool create llama --model llama-3-8b --endpoint 10.0.0.11:8000,10.0.0.12:8000
  opi ai inference-pool create chat --model chat --endpoints-file /etc/opi/chat-servers --objective chat=1 --objective batch-lora=-1
  opi ai inference-pool update llama --endpoint 10.0.0.11:8000 --endpoint 10.0.0.13:8000`,
		columns: []string{"MODELS", "ENDPOINTS", "PROTOCOL", "OBJECTIVES"},
		row: func(v *aiv1.InferencePool) []string {
			eps := strings.Join(v.GetEndpoints(), ",")
			if f := v.GetEndpointsFile(); f != "" {
				eps = strings.Trim(eps+",@"+f, ",")
			}
			return []string{strings.Join(v.GetServedModelNames(), ","), eps, enumWord(v.GetProtocol()), objectivesText(v.GetObjectives())}
		},
		spec: func(s *specFlags, v *aiv1.InferencePool) {
			s.strs(&v.ServedModelNames, "model", "served_model_names", "a model name the pool serves (update replaces the list)")
			s.strs(&v.Endpoints, "endpoint", "endpoints", `a model server, "host:port" or "host" (update replaces the list)`)
			s.str(&v.EndpointsFile, "endpoints-file", "endpoints_file", "a file of more endpoints, one per line, read at every scrape")
			s.i32(&v.TargetPort, "target-port", "target_port", "the port of endpoints given without one (default 8000)")
			enumFlag(s, &v.Protocol, "protocol", "protocol", "the protocol the model servers speak (default openai)")
			var objectives []string
			s.flags().StringSliceVar(&objectives, "objective", nil, "MODEL=PRIORITY: requests for MODEL get PRIORITY; a negative one is shed under saturation (update replaces the list)")
			s.bind("objective", "objectives")
			s.then(func(*stdin) error {
				for _, o := range objectives {
					model, prio, ok := strings.Cut(o, "=")
					p, err := strconv.ParseInt(prio, 10, 32)
					if !ok || model == "" || err != nil {
						return fmt.Errorf("--objective %q: want MODEL=PRIORITY, such as batch=-1", o)
					}
					v.Objectives = append(v.Objectives, &aiv1.InferenceObjective{Model: model, Priority: int32(p)})
				}
				return nil
			})
			s.u32(&v.ScrapeIntervalMs, "scrape-interval-ms", "scrape_interval_ms", "how often the endpoints' metrics are read, in ms (default 1000)")
			s.str(&v.MetricsPath, "metrics-path", "metrics_path", "the endpoints' metrics path (default /metrics)")
			s.u32(&v.SaturationQueueDepth, "saturation-queue", "saturation_queue_depth", "waiting requests over which an endpoint is saturated (default 8)")
			s.flags().Float64Var(&v.SaturationKvCacheUsage, "saturation-kv", 0, "KV-cache use (0 to 1) over which an endpoint is saturated (default 0.95)")
			s.bind("saturation-kv", "saturation_kv_cache_usage")
		},
	}
}

func objectivesText(os []*aiv1.InferenceObjective) string {
	out := make([]string, 0, len(os))
	for _, o := range os {
		out = append(out, fmt.Sprintf("%s=%d", o.GetModel(), o.GetPriority()))
	}
	return strings.Join(out, ",")
}

// newPickCmd returns `opi ai inference-pool pick NAME`.
func newPickCmd(g *globals) *cobra.Command {
	var model, prompt string
	cmd := &cobra.Command{
		Use:   "pick NAME",
		Short: "Show where the endpoint picker would send a request, with every scorer's score",
		Example: `  opi ai inference-pool pick llama --model llama-3-8b --prompt "$(cat system-prompt.txt)"
  opi ai inference-pool pick llama --model batch-lora -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.printer()
			if err != nil {
				return err
			}
			name := args[0]
			if !strings.Contains(name, "/") {
				name = "inferencePools/" + name
			}
			var resp *aiv1.PickEndpointResponse
			err = g.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) error {
				resp, err = aiv1.NewInferencePoolServiceClient(conn).PickEndpoint(ctx, &aiv1.PickEndpointRequest{Pool: name, Model: model, Prompt: prompt})
				return err
			})
			if err != nil {
				return err
			}
			return p.print(resp, func(t *table) { pickTable(t, resp) })
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "the model the request asks for")
	cmd.Flags().StringVar(&prompt, "prompt", "", "the prompt, or its beginning")
	return cmd
}

func pickTable(t *table, r *aiv1.PickEndpointResponse) {
	t.section("")
	t.row("DECISION", enumWord(r.GetDecision()))
	t.row("PRIORITY", strconv.Itoa(int(r.GetPriority())))
	if r.GetHttpStatus() != 0 {
		t.row("HTTP", strconv.Itoa(int(r.GetHttpStatus())))
	}
	header := []string{"ENDPOINT", "TOTAL"}
	if cs := r.GetCandidates(); len(cs) > 0 {
		for _, s := range cs[0].GetScores() {
			header = append(header, strings.ToUpper(s.GetScorer())+fmt.Sprintf(" (x%g)", s.GetWeight()))
		}
	}
	t.section("CANDIDATES", append(header, "SATURATED")...)
	for _, c := range r.GetCandidates() {
		row := []string{c.GetEndpoint(), fmt.Sprintf("%.2f", c.GetTotalScore())}
		for _, s := range c.GetScores() {
			row = append(row, fmt.Sprintf("%.2f", s.GetScore()))
		}
		t.row(append(row, yes(c.GetSaturated()))...)
	}
}

// aiStatsTable prints the AI kinds' stats answers.
func aiStatsTable(t *table, resp proto.Message) {
	switch r := resp.(type) {
	case *aiv1.StatsInferencePoolResponse:
		s := r.GetStats()
		t.section("")
		t.row("SHED (429)", u64(s.GetShed()))
		t.row("NO ENDPOINT (503)", u64(s.GetNoEndpoint()))
		t.section("ENDPOINTS", "ENDPOINT", "HEALTHY", "REQUESTS", "ERRORS", "WAITING", "RUNNING", "KV CACHE", "LORA", "MESSAGE")
		for _, e := range s.GetEndpoints() {
			t.row(e.GetEndpoint(), yes(e.GetHealthy()), u64(e.GetRequests()), u64(e.GetErrors()), fmt.Sprintf("%g", e.GetRequestsWaiting()),
				fmt.Sprintf("%g", e.GetRequestsRunning()), fmt.Sprintf("%.0f%%", 100*e.GetKvCacheUsage()), strings.Join(e.GetLoraAdapters(), ","), e.GetMessage())
		}
	case *aiv1.StatsAcceleratorResponse:
		s := r.GetStats()
		t.section("")
		t.row("LINK", linkText(s.GetLink()))
		t.row("POWER", s.GetPowerState())
		t.row("AER", fmt.Sprintf("correctable %d, non-fatal %d, fatal %d", s.GetAerCorrectable(), s.GetAerNonfatal(), s.GetAerFatal()))
	}
}
