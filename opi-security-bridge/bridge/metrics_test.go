package bridge_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opi-suite/opi/opi-security-bridge/bridge"
)

// scrape gathers the bridge's metrics as /metrics would serve them, on a
// pedantic registry (which also checks descriptions and label
// consistency), keyed "name{label=value,...}" with labels sorted by name.
func scrape(t testing.TB, b *bridge.Bridge) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(b.Collector())
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("gathering the security metrics: %v", err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			key := f.GetName() + "{"
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetName() + "=" + l.GetValue()
			}
			key += "}"
			if m.Counter != nil {
				out[key] = m.GetCounter().GetValue()
			} else {
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}
