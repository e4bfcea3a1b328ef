package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// A RenderedGatherer is a source of metric families too large to build
// on every scrape (10,000 volumes' I/O counters are 60,000 series): it
// hands /metrics its families already encoded, and keeps them as
// metric families for whoever needs those (the OTLP push, tests).
// Families is the usual implementation.
type RenderedGatherer interface {
	prometheus.Gatherer
	// Rendered returns the families encoded in format, family after
	// family as an expfmt encoder writes them (never the OpenMetrics
	// "# EOF", which /metrics adds once at the end), and their names.
	Rendered(format expfmt.Format) (encoded []byte, names []string, err error)
}

// AddGatherer makes /metrics (and the OTLP push) serve g's families
// beside the registry's. Its family names must not be any other's: a
// scrape that finds one twice fails rather than serve an invalid
// exposition. Call it from Setup.
func (s *Server) AddGatherer(g RenderedGatherer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra = append(s.extra, g)
}

func (s *Server) extraGatherers() []RenderedGatherer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RenderedGatherer(nil), s.extra...)
}

// gatherer is what the OTLP push reads: the registry and the added
// gatherers, whose families it concatenates (their names are disjoint).
func (s *Server) gatherer() prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		var fams []*dto.MetricFamily
		var err error
		for _, g := range s.extraGatherers() {
			more, gerr := g.Gather()
			fams, err = append(fams, more...), joinErr(err, gerr)
		}
		own, rerr := s.opts.registry.Gather()
		fams, err = append(fams, own...), joinErr(err, rerr)
		sort.Slice(fams, func(i, j int) bool { return fams[i].GetName() < fams[j].GetName() })
		return fams, err
	})
}

func joinErr(a, b error) error {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return fmt.Errorf("%w; %w", a, b)
}

// metricsHandler serves /metrics: the registry's families encoded per
// scrape, then each added gatherer's as it rendered them, in the format
// the scraper asked for (OpenMetrics, with exemplars, when it asks).
func (s *Server) metricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		format := expfmt.NegotiateIncludingOpenMetrics(r.Header)
		var buf bytes.Buffer
		if err := WriteMetrics(&buf, format, s.opts.registry, s.extraGatherers()...); err != nil {
			s.logger.Error("serving /metrics", "error", err)
			http.Error(w, "gathering the metrics failed; the bridge logged why", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", string(format))
		_, _ = w.Write(buf.Bytes())
	})
}

// WriteMetrics writes one scrape's exposition in format to w: reg's
// families encoded now, then extra's as rendered, then (OpenMetrics) the
// closing "# EOF". It fails, writing an incomplete exposition, when a
// family name appears twice.
func WriteMetrics(w io.Writer, format expfmt.Format, reg prometheus.Gatherer, extra ...RenderedGatherer) error {
	// The added gatherers first: reading their backend may count calls
	// in the registry's metrics, which this scrape then shows.
	rendered := make([][]byte, len(extra))
	names := make([][]string, len(extra))
	for i, g := range extra {
		var err error
		if rendered[i], names[i], err = g.Rendered(format); err != nil {
			return err
		}
	}
	fams, err := reg.Gather()
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(fams))
	enc := expfmt.NewEncoder(w, format)
	for _, f := range fams {
		seen[f.GetName()] = true
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	for i, b := range rendered {
		for _, n := range names[i] {
			if seen[n] {
				return fmt.Errorf("metric family %s is served twice", n)
			}
			seen[n] = true
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		return c.Close()
	}
	return nil
}

// Families is a fixed set of metric families (one read of a backend's
// counters) that renders itself once per exposition format, on the
// first scrape that asks for that format, and serves the bytes to every
// later scrape: the cost of a scrape no longer grows with the series.
// Build a new one for every new read.
type Families struct {
	fams  []*dto.MetricFamily
	names []string

	mu       sync.Mutex
	rendered map[expfmt.Format][]byte
}

// NewFamilies takes fams, which the caller must not change afterwards.
// A family without series is left out: no exposition format has one.
func NewFamilies(fams []*dto.MetricFamily) *Families {
	kept := make([]*dto.MetricFamily, 0, len(fams))
	names := make([]string, 0, len(fams))
	for _, f := range fams {
		if len(f.GetMetric()) > 0 {
			kept = append(kept, f)
			names = append(names, f.GetName())
		}
	}
	return &Families{fams: kept, names: names, rendered: map[expfmt.Format][]byte{}}
}

// Gather returns the families (shared: do not change them).
func (f *Families) Gather() ([]*dto.MetricFamily, error) { return f.fams, nil }

// Rendered returns the families encoded in format.
func (f *Families) Rendered(format expfmt.Format) ([]byte, []string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.rendered[format]; ok {
		return b, f.names, nil
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, fam := range f.fams {
		if err := enc.Encode(fam); err != nil {
			return nil, nil, err
		}
	}
	b := buf.Bytes()
	f.rendered[format] = b
	return b, f.names, nil
}
