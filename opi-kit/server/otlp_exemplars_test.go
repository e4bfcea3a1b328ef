package server

import (
	"bytes"
	"context"
	"encoding/hex"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	prombridge "go.opentelemetry.io/contrib/bridges/prometheus"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// A latency histogram's exemplar reaches OTLP with the trace's real ids
// (16 and 8 bytes), not their hex text, and a scrape still reads the hex.
func TestExemplarsReachOTLPAsTheTracesIDs(t *testing.T) {
	const traceHex, spanHex = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "call_seconds", Help: "h", Buckets: []float64{1}})
	reg.MustRegister(h)
	h.(prometheus.ExemplarObserver).ObserveWithExemplar(0.5, prometheus.Labels{"trace_id": traceHex, "span_id": spanHex})
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "bad_total", Help: "c"})
	reg.MustRegister(c)
	c.(prometheus.ExemplarAdder).AddWithExemplar(1, prometheus.Labels{"trace_id": "not-hex", "span_id": spanHex})

	rm := metricdata.ResourceMetrics{}
	sm, err := prombridge.NewMetricProducer(prombridge.WithGatherer(otlpExemplars{reg})).Produce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rm.ScopeMetrics = sm
	wantTrace, _ := hex.DecodeString(traceHex)
	wantSpan, _ := hex.DecodeString(spanHex)
	var seenHist, seenCounter bool
	for _, s := range rm.ScopeMetrics {
		for _, m := range s.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					for _, e := range dp.Exemplars {
						seenHist = true
						if !bytes.Equal(e.TraceID, wantTrace) || !bytes.Equal(e.SpanID, wantSpan) {
							t.Errorf("histogram exemplar ids %x/%x, want %s/%s", e.TraceID, e.SpanID, traceHex, spanHex)
						}
					}
				}
			case metricdata.Sum[float64]:
				for _, dp := range d.DataPoints {
					for _, e := range dp.Exemplars {
						seenCounter = true
						if len(e.TraceID) != 0 || !bytes.Equal(e.SpanID, wantSpan) {
							t.Errorf("counter exemplar ids %x/%x: a trace id that is not hex must be dropped", e.TraceID, e.SpanID)
						}
					}
				}
			}
		}
	}
	if !seenHist || !seenCounter {
		t.Fatalf("exemplars not produced (histogram %v, counter %v)", seenHist, seenCounter)
	}
	// The registry's own families are untouched: a scrape reads hex.
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "call_seconds" {
			continue
		}
		for _, b := range mf.GetMetric()[0].GetHistogram().GetBucket() {
			for _, l := range b.GetExemplar().GetLabel() {
				if l.GetName() == "trace_id" && l.GetValue() != traceHex {
					t.Errorf("the scrape's exemplar was changed: trace_id %q", l.GetValue())
				}
			}
		}
	}
}
