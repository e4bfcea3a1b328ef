package bridge

import (
	"context"
	"strconv"
	"strings"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds the backend reads of one scrape: a charon that does
// not answer makes the IPsec series go missing (opi_security_ipsec_up 0),
// never a scrape that hangs.
const scrapeTimeout = 5 * time.Second

// metrics is the security bridge's own Prometheus metrics, all read on
// scrape: the firewall's counters from its BPF maps (one lookup per
// policy), the SAs from one listing of charon's SAs. Nothing is polled
// between scrapes. Labels are bounded by what is configured: policies and
// their rules and interfaces, connections and their child configs.
type metrics struct {
	b *Bridge

	fwUp, rulePackets, ruleBytes, defaultPackets, defaultBytes, malformedPackets, malformedBytes, attached *prometheus.Desc
	ipsecUp, ikeSAs, childBytes, childPackets                                                              *prometheus.Desc
	ikeRekeys, childRekeys, initiateFailures                                                               *prometheus.Desc
}

func newMetrics(b *Bridge) *metrics {
	pol := []string{"policy"}
	return &metrics{
		b: b,
		fwUp: prometheus.NewDesc("opi_security_firewall_stats_up",
			"1 when this scrape read the firewall's counters, 0 when it could not (the firewall series are missing or partial then).", nil, nil),
		rulePackets: prometheus.NewDesc("opi_security_firewall_rule_packets_total",
			"Packets that matched the rule (by the policy's resource name and the rule's priority) in the active rule set.", []string{"policy", "priority"}, nil),
		ruleBytes: prometheus.NewDesc("opi_security_firewall_rule_bytes_total",
			"Bytes (whole frames as XDP sees them) that matched the rule.", []string{"policy", "priority"}, nil),
		defaultPackets: prometheus.NewDesc("opi_security_firewall_default_action_packets_total",
			"Packets no deciding rule matched, given the policy's default action.", pol, nil),
		defaultBytes: prometheus.NewDesc("opi_security_firewall_default_action_bytes_total",
			"Bytes of the packets given the policy's default action.", pol, nil),
		malformedPackets: prometheus.NewDesc("opi_security_firewall_malformed_packets_total",
			"Malformed packets the policy dropped.", pol, nil),
		malformedBytes: prometheus.NewDesc("opi_security_firewall_malformed_bytes_total",
			"Bytes of the malformed packets the policy dropped.", pol, nil),
		attached: prometheus.NewDesc("opi_security_firewall_interface_attached",
			"1 when the policy is enforced on the interface (its status is READY), 0 when it is not (ERROR: the interface is gone or the program could not be attached; PENDING: not checked since the bridge started).", []string{"policy", "interface"}, nil),
		ikeRekeys: prometheus.NewDesc("opi_security_ike_rekeys_total",
			"IKE SAs of the connection rekeyed, from charon's ike-rekey events since the bridge started.", []string{"connection"}, nil),
		childRekeys: prometheus.NewDesc("opi_security_child_rekeys_total",
			"Child SAs of the connection rekeyed, from charon's child-rekey events since the bridge started.", []string{"connection"}, nil),
		initiateFailures: prometheus.NewDesc("opi_security_ike_initiate_failures_total",
			"Initiations of the connection that failed to establish it (refused, timed out, no answer from the peer), by the API's Initiate or the bridge's own keep-up and revival tries, since the bridge started.", []string{"connection"}, nil),
		ipsecUp: prometheus.NewDesc("opi_security_ipsec_up",
			"1 when this scrape listed charon's SAs, 0 when it could not (the SA series are missing then).", nil, nil),
		ikeSAs: prometheus.NewDesc("opi_security_ike_sas",
			"Live IKE SAs by connection (its resource name, or charon's name for a connection the bridge did not load) and state.", []string{"connection", "state"}, nil),
		childBytes: prometheus.NewDesc("opi_security_child_sa_bytes_total",
			"Bytes carried by the connection's live child SAs of that child config, by direction (in, out); a rekeyed SA starts again from 0, which rate() treats as a counter reset.", []string{"connection", "child", "direction"}, nil),
		childPackets: prometheus.NewDesc("opi_security_child_sa_packets_total",
			"Packets carried by the connection's live child SAs of that child config, by direction.", []string{"connection", "child", "direction"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.fwUp, m.rulePackets, m.ruleBytes, m.defaultPackets, m.defaultBytes,
		m.malformedPackets, m.malformedBytes, m.attached, m.ipsecUp, m.ikeSAs, m.childBytes, m.childPackets,
		m.ikeRekeys, m.childRekeys, m.initiateFailures} {
		ch <- d
	}
}

// Collect implements prometheus.Collector, for the areas the bridge
// serves.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if m.b.policies != nil {
		m.collectFirewall(ctx, ch)
	}
	if m.b.ipsec != nil {
		m.collectIPsec(ctx, ch)
	}
}

func (m *metrics) collectFirewall(ctx context.Context, ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	up := 1.0
	err := m.b.policies.Collection().Walk(ctx, func(pol *securityv1.FirewallPolicy) error {
		name, enforced := pol.GetName(), 0.0
		if pol.GetStatus().GetState() == commonv1.ResourceState_RESOURCE_STATE_READY {
			enforced = 1
		}
		for _, i := range pol.GetInterfaces() {
			gauge(m.attached, enforced, name, i)
		}
		st, err := m.b.policies.Stats(ctx, name)
		if err != nil {
			// Deleted since the walk read it, or the maps cannot be read:
			// the other policies are still shown.
			m.b.logger.Debug("metrics: reading a firewall policy's counters", "policy", name, "error", err)
			up = 0
			return nil
		}
		for _, r := range st.GetRules() {
			prio := strconv.FormatUint(uint64(r.GetPriority()), 10)
			counter(m.rulePackets, r.GetCounters().GetPackets(), name, prio)
			counter(m.ruleBytes, r.GetCounters().GetBytes(), name, prio)
		}
		counter(m.defaultPackets, st.GetDefaultAction().GetPackets(), name)
		counter(m.defaultBytes, st.GetDefaultAction().GetBytes(), name)
		counter(m.malformedPackets, st.GetMalformed().GetPackets(), name)
		counter(m.malformedBytes, st.GetMalformed().GetBytes(), name)
		return nil
	})
	if err != nil {
		m.b.logger.Warn("metrics: walking the firewall policies", "error", err)
		up = 0
	}
	gauge(m.fwUp, up)
}

func (m *metrics) collectIPsec(ctx context.Context, ch chan<- prometheus.Metric) {
	// Only stored connections: an initiation in flight when its connection
	// was deleted must not bring the deleted one's series back.
	names, err := m.b.ipsec.Conns.Names(ctx)
	if err != nil {
		m.b.logger.Warn("metrics: listing the IKE connections", "error", err)
	}
	stored := make(map[string]bool, len(names))
	for _, n := range names {
		stored[n] = true
	}
	for conn, c := range m.b.ipsec.EventCounts() {
		if !stored[conn] {
			continue
		}
		ch <- prometheus.MustNewConstMetric(m.ikeRekeys, prometheus.CounterValue, float64(c.IkeRekeys), conn)
		ch <- prometheus.MustNewConstMetric(m.childRekeys, prometheus.CounterValue, float64(c.ChildRekeys), conn)
		ch <- prometheus.MustNewConstMetric(m.initiateFailures, prometheus.CounterValue, float64(c.InitiateFailures), conn)
	}
	sas, err := m.b.ipsec.ListIkeSas(ctx, "")
	if err != nil {
		m.b.logger.Warn("metrics: listing charon's SAs", "error", err)
		ch <- prometheus.MustNewConstMetric(m.ipsecUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(m.ipsecUp, prometheus.GaugeValue, 1)
	type conn struct{ conn, state string }
	type child struct{ conn, name string }
	ikes := map[conn]int{}
	children := map[child]*securityv1.ChildSa{} // the sums
	for _, sa := range sas {
		state := strings.ToLower(strings.TrimPrefix(sa.GetState().String(), "IKE_SA_STATE_"))
		ikes[conn{sa.GetIkeConnection(), state}]++
		for _, c := range sa.GetChildSas() {
			k := child{sa.GetIkeConnection(), c.GetName()}
			sum := children[k]
			if sum == nil {
				sum = &securityv1.ChildSa{}
				children[k] = sum
			}
			sum.BytesIn += c.GetBytesIn()
			sum.BytesOut += c.GetBytesOut()
			sum.PacketsIn += c.GetPacketsIn()
			sum.PacketsOut += c.GetPacketsOut()
		}
	}
	for k, n := range ikes {
		ch <- prometheus.MustNewConstMetric(m.ikeSAs, prometheus.GaugeValue, float64(n), k.conn, k.state)
	}
	for k, s := range children {
		for _, c := range []struct {
			d   *prometheus.Desc
			v   uint64
			dir string
		}{
			{m.childBytes, s.GetBytesIn(), "in"}, {m.childBytes, s.GetBytesOut(), "out"},
			{m.childPackets, s.GetPacketsIn(), "in"}, {m.childPackets, s.GetPacketsOut(), "out"},
		} {
			ch <- prometheus.MustNewConstMetric(c.d, prometheus.CounterValue, float64(c.v), k.conn, k.name, c.dir)
		}
	}
}
