// Package cli implements the opi command line: one constructor per command,
// each taking the streams it writes to, so tests drive commands with buffers
// instead of a terminal.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/term"
	"google.golang.org/grpc"

	"github.com/opi-suite/opi/opi-cli/client"
	"github.com/opi-suite/opi/opi-kit/telemetry"
)

// Streams are where a command reads and writes.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Terminal is true when Out is a terminal: tables are aligned for people
	// then, and tab-separated for programs otherwise.
	Terminal bool
}

// SystemStreams returns the process's standard streams.
func SystemStreams() Streams {
	return Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Terminal: term.IsTerminal(int(os.Stdout.Fd()))}
}

// globals are the flags every command shares.
type globals struct {
	streams Streams
	conn    client.Options
	output  string
	timeout time.Duration
	// otlpEndpoint, when set, makes each command a trace exported there;
	// command is the command's path ("opi storage volume create"), the
	// trace's root span; tracer is built once the flags are parsed.
	otlpEndpoint string
	command      string
	tracer       *sdktrace.TracerProvider
}

// NewRootCmd returns the `opi` command with every subcommand.
func NewRootCmd(s Streams) *cobra.Command {
	cmd, _ := newRoot(s)
	return cmd
}

// newRoot returns the `opi` command and the globals its flags fill, which
// Execute needs to explain an error by what was configured.
func newRoot(s Streams) (*cobra.Command, *globals) {
	g := &globals{streams: s}
	cmd := &cobra.Command{
		Use:   "opi",
		Short: "Manage DPUs, IPUs and their hosts through the OPI services",
		Long: `opi talks to the OPI bridge services over gRPC.

Every flag can also come from the environment: OPI_ADDR, OPI_TLS_CA,
OPI_TLS_CERT, OPI_TLS_KEY, OPI_INSECURE=1, OPI_OUTPUT,
OTEL_EXPORTER_OTLP_ENDPOINT.

With --otlp-endpoint a command is one OpenTelemetry trace, exported to that
collector: the command's span, its gRPC call, and (the trace context goes
with the call) the bridge's spans down to the backend.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			g.command = cmd.CommandPath()
			return g.startTracing(cmd.Context())
		},
	}
	cmd.SetIn(s.In)
	cmd.SetOut(s.Out)
	cmd.SetErr(s.ErrOut)

	f := cmd.PersistentFlags()
	f.StringVar(&g.conn.Addr, "addr", envOr("OPI_ADDR", "localhost:50051"), "address (host:port) of the service")
	f.StringVar(&g.conn.CAFile, "tls-ca", os.Getenv("OPI_TLS_CA"), "CA certificate (PEM) that signed the service's certificate")
	f.StringVar(&g.conn.CertFile, "tls-cert", os.Getenv("OPI_TLS_CERT"), "client certificate (PEM), for services that require mutual TLS")
	f.StringVar(&g.conn.KeyFile, "tls-key", os.Getenv("OPI_TLS_KEY"), "client private key (PEM)")
	f.StringVar(&g.conn.ServerName, "tls-server-name", os.Getenv("OPI_TLS_SERVER_NAME"), "name to verify in the service's certificate (default: the host in --addr)")
	f.BoolVar(&g.conn.Insecure, "insecure", os.Getenv("OPI_INSECURE") == "1", "connect without TLS (the service must run with --insecure-plaintext)")
	f.StringVarP(&g.output, "output", "o", os.Getenv("OPI_OUTPUT"), "output format: table, json or yaml (default: table)")
	f.DurationVar(&g.timeout, "timeout", 10*time.Second, "how long to wait for an answer")
	f.StringVar(&g.otlpEndpoint, "otlp-endpoint", os.Getenv(telemetry.EndpointEnv), "OTLP gRPC collector (host:port, or http(s)://host:port) to export this command's trace to; empty: no trace")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"table", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp
	})

	cmd.AddCommand(newInventoryCmd(g))
	cmd.AddCommand(newStorageCmd(g))
	cmd.AddCommand(newHealthCmd(g))
	cmd.AddCommand(newFirewallCmd(g))
	cmd.AddCommand(newIPsecCmd(g))
	cmd.AddCommand(newNetworkCmd(g))
	cmd.AddCommand(newAICmd(g))
	// cobra adds `completion` only when it executes; add it now so that it
	// is a group like the others.
	cmd.InitDefaultCompletionCmd()
	refuseUnknownSubcommands(cmd)
	return cmd, g
}

// Execute runs the command line and returns the process exit code.
func Execute(ctx context.Context, s Streams, args []string) int {
	cmd, g := newRoot(s)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	g.stopTracing()
	if err != nil {
		fmt.Fprintln(s.ErrOut, "opi:", explain(err, g.conn))
		return 1
	}
	return 0
}

// startTracing builds the tracer provider when --otlp-endpoint asks for it.
func (g *globals) startTracing(ctx context.Context) error {
	if g.otlpEndpoint == "" || g.tracer != nil {
		return nil
	}
	exp, err := telemetry.TraceExporter(ctx, g.otlpEndpoint)
	if err != nil {
		return fmt.Errorf("--otlp-endpoint: %w", err)
	}
	res, err := telemetry.Resource(ctx, "opi-cli", telemetry.Version())
	if err != nil {
		return err
	}
	g.tracer = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return nil
}

// stopTracing exports the command's spans before the program exits; a
// collector that does not answer within two seconds loses them, and the
// command's outcome is unchanged.
func (g *globals) stopTracing() {
	if g.tracer == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := g.tracer.Shutdown(ctx); err != nil {
		fmt.Fprintln(g.streams.ErrOut, "opi: exporting the trace:", err)
	}
}

// call dials the service, runs fn with a deadline, and closes the
// connection. With tracing on, it runs inside the command's span and its
// gRPC calls carry the trace to the service (W3C trace context).
func (g *globals) call(ctx context.Context, fn func(context.Context, *grpc.ClientConn) error) (err error) {
	var opts []grpc.DialOption
	if g.tracer != nil {
		var span trace.Span
		ctx, span = g.tracer.Tracer("github.com/opi-suite/opi/opi-cli").Start(ctx, g.command)
		defer func() { telemetry.End(span, err) }()
		opts = append(opts, grpc.WithStatsHandler(otelgrpc.NewClientHandler(
			otelgrpc.WithTracerProvider(g.tracer),
			otelgrpc.WithPropagators(propagation.TraceContext{}),
			otelgrpc.WithMeterProvider(noop.NewMeterProvider()))))
	}
	conn, err := client.Dial(g.conn, opts...)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	return fn(ctx, conn)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
