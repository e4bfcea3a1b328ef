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
request, with every scorer's score); fabric ports (MTU, DSCP trust and
map, ECN, PFC of the ports that carry accelerator traffic) have create ID
(--validate-only: the commands it would run, nothing applied), get, list,
update, delete and preflight (what this machine cannot apply).`,
		Example: `  opi ai accelerator list
  opi ai inference-pool create llama --model llama-3-8b --endpoint 10.0.0.11:8000 --endpoint 10.0.0.12:8000 --objective batch=-1
  opi ai inference-pool pick llama --model llama-3-8b --prompt "You are a helpful assistant"
  opi ai inference-pool stats llama
  opi ai fabric-port preflight --interface ens1f0 --mtu 9000 --dscp-trust --dscp-priority 26=3 --pfc-priority 3`,
	}
	cmd.AddGroup(&cobra.Group{ID: "ai", Title: "AI:"})
	pools := resourceCommand(g, inferencePoolKind())
	pools.AddCommand(newPickCmd(g))
	ports := resourceCommand(g, fabricPortKind())
	ports.AddCommand(newPreflightCmd(g))
	cmd.AddCommand(resourceCommand(g, acceleratorKind()), pools, ports)
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
			s.i32(&v.MetricsPort, "metrics-port", "metrics_port", "the port of the endpoints' metrics, when not their own")
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

func fabricPortKind() resourceKind[*aiv1.FabricPort] {
	return resourceKind[*aiv1.FabricPort]{
		use: "fabric-port", noun: "fabric port", group: "ai",
		example: `  opi ai fabric-port create gpu0 --interface ens1f0 --mtu 9000 --dscp-trust --dscp-priority 26=3,48=6 --ecn-min-bytes 150000 --ecn-max-bytes 1500000 --pfc-priority 3
  opi ai fabric-port create gpu0 --interface ens1f0 --mtu 9000 --validate-only
  opi ai fabric-port update gpu0 --mtu 4200`,
		columns: []string{"INTERFACE", "MTU", "DSCP", "ECN", "PFC"},
		row: func(v *aiv1.FabricPort) []string {
			dscp := ""
			if v.GetDscpTrust() {
				dscp = "trust " + dscpText(v.GetDscpPriorities())
			}
			ecn := ""
			if e := v.GetEcn(); e != nil {
				ecn = fmt.Sprintf("%d-%d B", e.GetMinBytes(), e.GetMaxBytes())
				if p := e.GetMaxProbabilityPercent(); p != 0 {
					ecn += fmt.Sprintf(" %d%%", p)
				}
			}
			var pfc []string
			for _, p := range v.GetPfcPriorities() {
				pfc = append(pfc, strconv.Itoa(int(p)))
			}
			mtu := ""
			if v.GetMtu() != 0 {
				mtu = strconv.Itoa(int(v.GetMtu()))
			}
			return []string{v.GetInterface(), mtu, strings.TrimSpace(dscp), ecn, strings.Join(pfc, ",")}
		},
		spec: fabricPortSpec,
	}
}

// fabricPortSpec binds a fabric port's flags; the preflight shares them.
func fabricPortSpec(s *specFlags, v *aiv1.FabricPort) {
	s.str(&v.Interface, "interface", "interface", "the interface that carries the accelerator traffic (fixed at creation)")
	s.i32(&v.Mtu, "mtu", "mtu", "the interface's MTU (0: left as it is)")
	s.boolean(&v.DscpTrust, "dscp-trust", "dscp_trust", "classify packets by their DSCP code point")
	var dscp []string
	s.flags().StringSliceVar(&dscp, "dscp-priority", nil, "DSCP=CLASS: packets with code point DSCP (0-63) go to traffic class CLASS (0-7) (update replaces the list)")
	s.bind("dscp-priority", "dscp_priorities")
	var ecn aiv1.EcnThresholds
	s.flags().Uint32Var(&ecn.MinBytes, "ecn-min-bytes", 0, "ECN: queued bytes below which nothing is marked")
	s.bind("ecn-min-bytes", "ecn")
	s.flags().Uint32Var(&ecn.MaxBytes, "ecn-max-bytes", 0, "ECN: queued bytes above which every packet is marked")
	s.bind("ecn-max-bytes", "ecn")
	s.flags().Uint32Var(&ecn.MaxProbabilityPercent, "ecn-max-probability", 0, "ECN: the marking probability at --ecn-max-bytes, in percent")
	s.bind("ecn-max-probability", "ecn")
	var pfc []uint
	s.flags().UintSliceVar(&pfc, "pfc-priority", nil, "a priority (0-7) with priority flow control on (update replaces the list)")
	s.bind("pfc-priority", "pfc_priorities")
	s.then(func(*stdin) error {
		for _, d := range dscp {
			code, class, ok := strings.Cut(d, "=")
			c, err1 := strconv.ParseUint(code, 10, 32)
			p, err2 := strconv.ParseUint(class, 10, 32)
			if !ok || err1 != nil || err2 != nil {
				return fmt.Errorf("--dscp-priority %q: want DSCP=CLASS, such as 26=3", d)
			}
			v.DscpPriorities = append(v.DscpPriorities, &aiv1.DscpPriority{Dscp: uint32(c), Priority: uint32(p)})
		}
		if s.anyChanged("ecn-min-bytes", "ecn-max-bytes", "ecn-max-probability") {
			if !s.changed("ecn-min-bytes") || !s.changed("ecn-max-bytes") {
				return fmt.Errorf("ECN needs both --ecn-min-bytes and --ecn-max-bytes")
			}
			v.Ecn = &ecn
		}
		for _, p := range pfc {
			v.PfcPriorities = append(v.PfcPriorities, uint32(p))
		}
		return nil
	})
}

func dscpText(ps []*aiv1.DscpPriority) string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%d=%d", p.GetDscp(), p.GetPriority()))
	}
	return strings.Join(out, ",")
}

// newPreflightCmd returns `opi ai fabric-port preflight`: what the bridge's
// machine can and cannot apply of a fabric port given by the same flags as
// create, and the commands that would apply it. Nothing is stored or
// applied.
func newPreflightCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "preflight",
		Short: "Check what of a fabric port this machine can apply, and show the commands; nothing is applied",
		Example: `  opi ai fabric-port preflight --interface ens1f0 --mtu 9000 --dscp-trust --dscp-priority 26=3 --ecn-min-bytes 150000 --ecn-max-bytes 1500000
  opi ai fabric-port preflight --interface ens1f0 --pfc-priority 3 -o json`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{methodAnnotation: "opi.ai.v1.AiFabricService.PreflightFabricPort"},
	}
	var port aiv1.FabricPort
	s := newSpecFlags(cmd, port.ProtoReflect().Descriptor())
	fabricPortSpec(s, &port)
	_ = cmd.MarkFlagRequired("interface")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := s.finish(g.streams.In); err != nil {
			return err
		}
		p, err := g.printer()
		if err != nil {
			return err
		}
		var resp *aiv1.PreflightFabricPortResponse
		err = g.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) error {
			resp, err = aiv1.NewAiFabricServiceClient(conn).PreflightFabricPort(ctx, &aiv1.PreflightFabricPortRequest{FabricPort: &port})
			return err
		})
		if err != nil {
			return err
		}
		return p.print(resp, func(t *table) { preflightTable(t, resp) })
	}
	return cmd
}

func preflightTable(t *table, r *aiv1.PreflightFabricPortResponse) {
	t.section("CHECKS", "FEATURE", "SUPPORTED", "REASON")
	for _, c := range r.GetChecks() {
		t.row(c.GetFeature(), yes(c.GetSupported()), c.GetReason())
	}
	t.section("COMMANDS", "COMMAND")
	for _, c := range r.GetCommands() {
		t.row(c)
	}
}
