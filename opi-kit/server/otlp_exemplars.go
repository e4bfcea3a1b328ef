package server

import (
	"encoding/hex"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// otlpExemplars adapts a gatherer for the Prometheus-to-OTLP bridge
// (go.opentelemetry.io/contrib/bridges/prometheus v0.72.0), which takes an
// exemplar's trace_id and span_id label values as the ids' bytes: it
// copies the hex text, so a collector refuses the whole batch ("invalid
// SpanID length"). The families with exemplars are handed over as copies
// whose trace_id and span_id values are the decoded ids; a value that is
// not an id of the right length is dropped. The gatherer's own families,
// which a scrape may share, are left untouched.
type otlpExemplars struct{ prometheus.Gatherer }

func (g otlpExemplars) Gather() ([]*dto.MetricFamily, error) {
	mfs, err := g.Gatherer.Gather()
	out := make([]*dto.MetricFamily, len(mfs))
	for i, mf := range mfs {
		if hasExemplar(mf) {
			mf = proto.Clone(mf).(*dto.MetricFamily)
			eachExemplar(mf, rawIDs)
		}
		out[i] = mf
	}
	return out, err
}

func hasExemplar(mf *dto.MetricFamily) bool {
	found := false
	eachExemplar(mf, func(*dto.Exemplar) { found = true })
	return found
}

func eachExemplar(mf *dto.MetricFamily, f func(*dto.Exemplar)) {
	for _, m := range mf.GetMetric() {
		if e := m.GetCounter().GetExemplar(); e != nil {
			f(e)
		}
		for _, b := range m.GetHistogram().GetBucket() {
			if e := b.GetExemplar(); e != nil {
				f(e)
			}
		}
		for _, e := range m.GetHistogram().GetExemplars() {
			f(e)
		}
	}
}

// rawIDs turns e's hex trace_id (16 bytes) and span_id (8 bytes) into the
// ids' bytes, and drops either when it is not one.
func rawIDs(e *dto.Exemplar) {
	kept := e.Label[:0]
	for _, l := range e.Label {
		size := map[string]int{"trace_id": 16, "span_id": 8}[l.GetName()]
		if size != 0 {
			raw, err := hex.DecodeString(l.GetValue())
			if err != nil || len(raw) != size {
				continue
			}
			l.Value = proto.String(string(raw))
		}
		kept = append(kept, l)
	}
	e.Label = kept
}
