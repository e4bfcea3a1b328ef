package bridge

import "github.com/prometheus/client_golang/prometheus"

// Collector is the bridge's own metrics (the drift counter) for a
// Prometheus registry; Program registers it on the server's. The README
// lists them. Reading it costs nothing: the counter is kept as drift is
// repaired, and read on scrape.
func (b *Bridge) Collector() prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "opi_network_drift_events_total",
		Help: "Changes to managed kernel objects (devices, FDB entries) made behind the bridge's back, each repaired by a replay pass.",
	}, func() float64 { return float64(b.Gateway().Drifts()) })
}
