package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// healthState keeps the standard gRPC health service and /healthz in step:
// each Service is SERVING while its probe passes, and the overall ""
// service is SERVING only when all are.
type healthState struct {
	grpc   *health.Server
	logger *slog.Logger

	mu       sync.Mutex
	statuses map[string]healthpb.HealthCheckResponse_ServingStatus
	probed   bool // every service has been probed once
	shutdown bool
}

func newHealthState(logger *slog.Logger) *healthState {
	h := &healthState{grpc: health.NewServer(), logger: logger, statuses: map[string]healthpb.HealthCheckResponse_ServingStatus{}}
	// Until Run has probed every service, the server is not ready.
	h.grpc.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	return h
}

func (h *healthState) set(service string, st healthpb.HealthCheckResponse_ServingStatus) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shutdown {
		return
	}
	if old, ok := h.statuses[service]; ok && old != st {
		h.logger.Info("service health changed", "service", service, "from", old.String(), "to", st.String())
	}
	h.statuses[service] = st
	h.grpc.SetServingStatus(service, st)
	h.grpc.SetServingStatus("", h.overallLocked())
}

func (h *healthState) overallLocked() healthpb.HealthCheckResponse_ServingStatus {
	if h.shutdown || !h.probed {
		return healthpb.HealthCheckResponse_NOT_SERVING
	}
	for _, st := range h.statuses {
		if st != healthpb.HealthCheckResponse_SERVING {
			return healthpb.HealthCheckResponse_NOT_SERVING
		}
	}
	return healthpb.HealthCheckResponse_SERVING
}

// stop reports NOT_SERVING everywhere, so load balancers drain the server
// while graceful shutdown lets calls in flight finish.
func (h *healthState) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.shutdown = true
	h.grpc.Shutdown()
}

// probe runs every service's probe once, in parallel, each with a timeout.
func (h *healthState) probe(ctx context.Context, services []Service, timeout time.Duration) {
	var wg sync.WaitGroup
	for _, svc := range services {
		if svc.Probe == nil {
			h.set(svc.Desc.ServiceName, healthpb.HealthCheckResponse_SERVING)
			continue
		}
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			st := healthpb.HealthCheckResponse_SERVING
			if err := svc.Probe(pctx); err != nil {
				st = healthpb.HealthCheckResponse_NOT_SERVING
				h.logger.Warn("service probe failed", "service", svc.Desc.ServiceName, "error", err)
			}
			h.set(svc.Desc.ServiceName, st)
		})
	}
	wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.shutdown {
		h.probed = true
		h.grpc.SetServingStatus("", h.overallLocked())
	}
}

// watch probes on start and then every interval until ctx ends.
func (h *healthState) watch(ctx context.Context, services []Service, interval, timeout time.Duration) {
	h.probe(ctx, services, timeout)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.probe(ctx, services, timeout)
		}
	}
}

// healthzBody is what /healthz returns.
type healthzBody struct {
	Status   string            `json:"status"`
	Services map[string]string `json:"services"`
}

// ServeHTTP answers /healthz: 200 when overall SERVING, 503 otherwise.
func (h *healthState) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h.mu.Lock()
	body := healthzBody{Status: h.overallLocked().String(), Services: make(map[string]string, len(h.statuses))}
	for name, st := range h.statuses {
		body.Services[name] = st.String()
	}
	h.mu.Unlock()
	code := http.StatusOK
	if body.Status != healthpb.HealthCheckResponse_SERVING.String() {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}
