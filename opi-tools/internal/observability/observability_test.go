package observability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	networkbridge "github.com/opi-suite/opi/opi-network-bridge/bridge"
	securitybridge "github.com/opi-suite/opi/opi-security-bridge/bridge"
	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// dir is deploy/observability, from this package's folder.
var dir = filepath.Join("..", "..", "..", "deploy", "observability")

// synthesized are the series Prometheus itself adds to every scrape
// (https://prometheus.io/docs/concepts/jobs_instances/), usable in
// queries though no bridge exports them.
var synthesized = []string{"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added"}

// exported is every series name the bridges and their runtime export: a
// histogram family gives its _bucket, _sum and _count, a summary its
// _sum and _count beside its own name.
type exported map[string]string // series name -> where it comes from

func (e exported) family(name, from string, typ dto.MetricType) {
	switch typ {
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		for _, s := range []string{"_bucket", "_sum", "_count"} {
			e[name+s] = from
		}
	case dto.MetricType_SUMMARY:
		e[name], e[name+"_sum"], e[name+"_count"] = from, from, from
	default:
		e[name] = from
	}
}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// described adds the names a collector describes. Every such name is a
// constant metric (a counter or gauge read on scrape) or the family of a
// vector; gathered families, added after, give the vectors' types.
func (e exported) described(t *testing.T, from string, c prometheus.Collector) {
	t.Helper()
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	n := 0
	for d := range ch {
		m := fqName.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("%s: a descriptor without a name: %s", from, d)
		}
		e[m[1]] = from
		n++
	}
	if n == 0 {
		t.Fatalf("%s: its collector describes no metric", from)
	}
}

func (e exported) gathered(t *testing.T, from string, g prometheus.Gatherer) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("%s: gathering: %v", from, err)
	}
	for _, mf := range mfs {
		e.family(mf.GetName(), from, mf.GetType())
	}
}

// bridgeMetrics collects what the bridges export, in-process:
//   - the runtime's /metrics (opi-kit's server: gRPC, Go and process
//     metrics), read over HTTP from a served runtime after one call;
//   - the storage bridge's collector and its volumes' gatherer on a
//     simulated SPDK after a volume is made (so its SPDK-call histograms
//     have a sample and a type, and the volume has counters);
//   - the security and network bridges' collectors, described (their
//     metrics are read on scrape from charon, XDP and the kernel, which
//     this test does not need: their names are in the descriptors).
func bridgeMetrics(t *testing.T) exported {
	e := exported{}

	// The runtime.
	srv := servertest.Start(t, nil)
	resp, err := http.Get(srv.HTTP + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	tp := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := tp.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	for name, mf := range fams {
		e.family(name, "opi-kit server", mf.GetType())
	}

	// The storage bridge on the simulator.
	h := storagetest.Start(t, storagetest.Config{Target: storagetest.Sim(t)})
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.Bridge.Collector())
	e.described(t, "opi-storage-bridge", h.Bridge.Collector())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := h.Volumes.CreateMallocVolume(ctx, &storagev1.CreateMallocVolumeRequest{
		MallocVolumeId: "m1", MallocVolume: &storagev1.MallocVolume{BlockSize: 512, BlockCount: 64},
	}); err != nil {
		t.Fatalf("CreateMallocVolume: %v", err)
	}
	if _, err := h.Nvme.CreateNvmeSubsystem(ctx, &storagev1.CreateNvmeSubsystemRequest{
		NvmeSubsystemId: "s1", NvmeSubsystem: &storagev1.NvmeSubsystem{Nqn: "nqn.2022-09.io.opi:s1", AllowAnyHost: true},
	}); err != nil {
		t.Fatalf("CreateNvmeSubsystem: %v", err)
	}
	e.gathered(t, "opi-storage-bridge", reg)
	// The volumes' I/O counters and the subsystems' controllers come from
	// a gatherer of their own, read from SPDK at most once a second: gather
	// until the new volume and subsystem are in.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mfs, err := h.Bridge.Gatherer().Gather()
		if err != nil {
			t.Fatalf("gathering the storage bridge's volume counters: %v", err)
		}
		has := func(name string) bool {
			return slices.ContainsFunc(mfs, func(mf *dto.MetricFamily) bool { return mf.GetName() == name })
		}
		if has("opi_storage_volume_read_ops_total") && has("opi_storage_nvme_subsystem_controllers") {
			for _, mf := range mfs {
				e.family(mf.GetName(), "opi-storage-bridge volumes", mf.GetType())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the storage bridge's gatherer lacks the volume or subsystem families 10 s after both were made: %d families", len(mfs))
		}
		time.Sleep(100 * time.Millisecond)
	}

	e.described(t, "opi-security-bridge", (&securitybridge.Bridge{}).Collector())
	e.described(t, "opi-network-bridge", (&networkbridge.Bridge{}).Collector())
	return e
}

// rules is the part of a Prometheus rules file the checks read.
type rules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record string `yaml:"record"`
			Alert  string `yaml:"alert"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// dashboard is the part of a Grafana dashboard the checks read.
type dashboard struct {
	Title  string  `json:"title"`
	UID    string  `json:"uid"`
	Panels []panel `json:"panels"`
}

type panel struct {
	Title   string  `json:"title"`
	Type    string  `json:"type"`
	Panels  []panel `json:"panels"` // a collapsed row's
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// query is one PromQL expression and where it was found.
type query struct{ where, expr string }

// metricNames parses expr and returns the metric names its selectors name
// (by name or by a __name__ equality matcher).
func metricNames(expr string) ([]string, error) {
	// The dashboard's template variables are text to Grafana, not PromQL.
	e, err := parser.NewParser(parser.Options{}).ParseExpr(strings.NewReplacer("$instance", "x", "$__rate_interval", "1m").Replace(expr))
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel {
				if m.Type != 0 { // labels.MatchEqual
					name = ""
				} else {
					name = m.Value
				}
			}
		}
		if name == "" {
			err = fmt.Errorf("selector %s names no single metric", vs)
		}
		names = append(names, name)
		return nil
	})
	return names, err
}

func readRules(t *testing.T) (rules, []query) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "rules", "opi.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var r rules
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(false)
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("rules/opi.yml: %v", err)
	}
	var qs []query
	for _, g := range r.Groups {
		for _, rule := range g.Rules {
			qs = append(qs, query{fmt.Sprintf("rules/opi.yml: group %s, %s%s", g.Name, rule.Record, rule.Alert), rule.Expr})
		}
	}
	return r, qs
}

func readDashboard(t *testing.T) (dashboard, []query) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "grafana", "opi-suite.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana/opi-suite.json does not parse: %v", err)
	}
	var qs []query
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for i, tg := range p.Targets {
				qs = append(qs, query{fmt.Sprintf("grafana/opi-suite.json: panel %q, target %d", p.Title, i), tg.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return d, qs
}

// TestQueriesNameExportedMetrics: every expression of the rules and of the
// dashboard parses as PromQL, and every metric it names is exported by a
// bridge, added by Prometheus to each scrape, or recorded by a rule.
func TestQueriesNameExportedMetrics(t *testing.T) {
	have := bridgeMetrics(t)
	for _, s := range synthesized {
		have[s] = "Prometheus"
	}
	r, ruleQueries := readRules(t)
	d, dashQueries := readDashboard(t)
	if len(ruleQueries) == 0 || len(dashQueries) == 0 || d.UID == "" || d.Title == "" {
		t.Fatalf("rules: %d expressions; dashboard %q (uid %q): %d queries", len(ruleQueries), d.Title, d.UID, len(dashQueries))
	}
	recorded := map[string]bool{}
	for _, g := range r.Groups {
		for _, rule := range g.Rules {
			if (rule.Record == "") == (rule.Alert == "") {
				t.Errorf("rules/opi.yml: group %s: a rule needs exactly one of record and alert", g.Name)
			}
			if rule.Record != "" {
				if !model.IsValidLegacyMetricName(rule.Record) {
					t.Errorf("rules/opi.yml: %q is not a valid metric name", rule.Record)
				}
				recorded[rule.Record] = true
			}
		}
	}
	used := map[string]bool{}
	for _, q := range slices.Concat(ruleQueries, dashQueries) {
		if strings.TrimSpace(q.expr) == "" {
			t.Errorf("%s: empty expression", q.where)
			continue
		}
		names, err := metricNames(q.expr)
		if err != nil {
			t.Errorf("%s: %v\n\t%s", q.where, err, q.expr)
			continue
		}
		for _, n := range names {
			used[n] = true
			if have[n] == "" && !recorded[n] {
				t.Errorf("%s names %s, which no bridge exports and no rule records", q.where, n)
			}
		}
	}
	// The point of the dashboard: each bridge's own metrics are on it.
	for _, prefix := range []string{"opi_storage_", "opi_security_", "opi_network_", "grpc_server_"} {
		found := false
		for n := range used {
			found = found || strings.HasPrefix(n, prefix)
		}
		if !found {
			t.Errorf("no rule or panel reads a %s* metric", prefix)
		}
	}
	var names []string
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("%d metric names used: %s", len(names), strings.Join(names, " "))
}

// TestMetricNamesFails: the check above catches a misspelt metric, a
// syntax error and a selector without a name.
func TestMetricNamesFails(t *testing.T) {
	have := bridgeMetrics(t)
	names, err := metricNames(`rate(opi_storage_volume_read_bytes_totl{instance=~"$instance"}[1m])`)
	if err != nil || len(names) != 1 || have[names[0]] != "" {
		t.Errorf("a misspelt name: %v %v (exported: %q)", names, err, have[names[0]])
	}
	if have["opi_storage_volume_read_bytes_total"] == "" || have["opi_storage_spdk_request_duration_seconds_bucket"] == "" ||
		have["grpc_server_handled_total"] == "" || have["opi_security_child_sa_bytes_total"] == "" || have["opi_network_drift_events_total"] == "" {
		t.Errorf("the exported set lacks a metric the bridges register: %d names", len(have))
	}
	if _, err := metricNames(`rate(opi_storage_volume_read_bytes_total[1m]`); err == nil {
		t.Error("an unclosed call parsed")
	}
	if _, err := metricNames(`{__name__=~"opi_.*"}`); err == nil {
		t.Error("a selector naming no single metric passed")
	}
}

// TestPromtoolChecksRules runs Debian's promtool on the rules and the
// configuration where it is installed (the prometheus package).
func TestPromtoolChecksRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus)")
	}
	for _, args := range [][]string{
		{"check", "rules", filepath.Join(dir, "rules", "opi.yml")},
		{"check", "config", "--syntax-only", filepath.Join(dir, "prometheus.yml")},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestCollectorManifestOneRelease: every collector module in the builder
// manifest is at the release dist.version names (v0.X.0), or its stable
// twin (one v1.Y.0 for all), as scripts/otelcol.sh requires.
func TestCollectorManifestOneRelease(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(dir, "otelcol", "manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Dist struct {
			Version string `yaml:"version"`
		} `yaml:"dist"`
		Receivers, Processors, Exporters, Extensions, Connectors, Providers []struct {
			Gomod string `yaml:"gomod"`
		}
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}
	release := "v" + m.Dist.Version
	stable := ""
	n := 0
	for _, list := range [][]struct {
		Gomod string `yaml:"gomod"`
	}{m.Receivers, m.Processors, m.Exporters, m.Extensions, m.Connectors, m.Providers} {
		for _, c := range list {
			mod, ver, ok := strings.Cut(c.Gomod, " ")
			if !ok {
				t.Errorf("%q: no version", c.Gomod)
				continue
			}
			n++
			switch {
			case ver == release:
			case strings.HasPrefix(ver, "v1.") && (stable == "" || stable == ver):
				stable = ver
			default:
				t.Errorf("%s is at %s, not the manifest's release %s (or %s)", mod, ver, release, stable)
			}
		}
	}
	if n == 0 || !strings.HasPrefix(release, "v0.") {
		t.Fatalf("manifest: %d components, dist.version %q", n, m.Dist.Version)
	}
}

// TestPrometheusScrapesEveryBridge: every bridge service of
// docker-compose.yml (the services whose healthcheck is the runtime's
// `opi health --server-env`) is a scrape target of prometheus.yml on the
// runtime's HTTP port, so a bridge added to the stack is not left out.
func TestPrometheusScrapesEveryBridge(t *testing.T) {
	var compose struct {
		Services map[string]struct {
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	var prom struct {
		ScrapeConfigs []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	b, err = os.ReadFile(filepath.Join(dir, "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &prom); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	targets := map[string]bool{}
	for _, sc := range prom.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				targets[tg] = true
			}
		}
	}
	bridges := 0
	for name, svc := range compose.Services {
		if !slices.Contains(svc.Healthcheck.Test, "--server-env") {
			continue
		}
		bridges++
		if !targets[name+":8082"] {
			t.Errorf("docker-compose.yml's bridge %s is not scraped: prometheus.yml has no target %s:8082", name, name)
		}
	}
	if bridges < 4 {
		t.Fatalf("found %d bridge services in docker-compose.yml; the healthcheck that marks them changed?", bridges)
	}
}
