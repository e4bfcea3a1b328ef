package telemetry

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
)

// EndpointEnv is the standard variable naming the OTLP collector; the
// bridges' own --otlp-endpoint (OPI_OTLP_ENDPOINT) beats it.
const EndpointEnv = "OTEL_EXPORTER_OTLP_ENDPOINT"

// Attribute keys of a bridge's resource beyond the semantic conventions'
// service.* and host.*: which backend it drives, and that backend's own
// version as the backend reports it (SPDK's spdk_get_version, charon's
// VICI version, FRR's, the kernel's release).
const (
	BackendKey        = attribute.Key("opi.backend")
	BackendVersionKey = attribute.Key("opi.backend.version")
)

// Version is the version of the running program: its module version when
// built from a tagged module, else "devel" with the VCS revision when the
// build recorded one.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel+" + s.Value[:12]
		}
	}
	return "devel"
}

// Resource describes a program to the collector: service.name,
// service.version, host.name, the SDK's own attributes, whatever
// OTEL_RESOURCE_ATTRIBUTES adds, then extra (the backend and its
// version).
func Resource(ctx context.Context, service, version string, extra ...attribute.KeyValue) (*resource.Resource, error) {
	attrs := append([]attribute.KeyValue{
		attribute.String("service.name", service),
		attribute.String("service.version", version),
	}, extra...)
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithFromEnv(),
		resource.WithAttributes(attrs...),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	return res, nil
}

// TraceExporter exports spans over OTLP gRPC to endpoint: "host:port"
// means a plaintext collector (the usual local agent), a URL says its own
// scheme (http:// plaintext, https:// TLS). It connects lazily, so a
// collector that is down does not stop the program.
func TraceExporter(ctx context.Context, endpoint string) (sdktrace.SpanExporter, error) {
	opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure()}
	if strings.Contains(endpoint, "://") {
		opts = []otlptracegrpc.Option{otlptracegrpc.WithEndpointURL(endpoint)}
	}
	// No service config from DNS, as the opi CLI's own connections: where
	// the resolver cannot answer a TXT query (a network with no way out,
	// like the compose stack's) the lookup stalls the dial for seconds,
	// longer than a command's export at exit may take.
	opts = append(opts, otlptracegrpc.WithDialOption(grpc.WithDisableServiceConfig()))
	exp, err := otlptracegrpc.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("OTLP endpoint %s: %w", endpoint, err)
	}
	return exp, nil
}

// KernelRelease is the running kernel's release (uname -r), the backend
// version of bridges whose backend is the kernel itself (netlink, XDP,
// sysfs).
func KernelRelease(context.Context) (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}
