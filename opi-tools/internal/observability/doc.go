// Package observability holds the checks of the suite's observability
// files in deploy/observability: the Prometheus rules, the Grafana
// dashboard and the collector builder's manifest. It has no code of its
// own; its test reads those files and the metrics the bridges really
// export (each bridge's collector, described or gathered in-process, and
// the runtime's /metrics), so that a renamed metric fails here before it
// leaves a dashboard panel empty.
package observability
