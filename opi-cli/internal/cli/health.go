package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// healthOptions are the flags of `opi health`.
type healthOptions struct {
	// serverEnv takes the address and transport from the environment the
	// service itself reads (OPI_LISTEN, OPI_INSECURE_PLAINTEXT), so that a
	// container's HEALTHCHECK probes the service it runs beside whatever
	// the deployment configured.
	serverEnv bool
}

func newHealthCmd(g *globals) *cobra.Command {
	o := &healthOptions{}
	cmd := &cobra.Command{
		Use:   "health [SERVICE]",
		Short: "Ask a service whether it is serving (grpc.health.v1)",
		Long: `health calls grpc.health.v1.Health/Check and exits 0 when the answer is
SERVING, 1 otherwise. Without SERVICE it asks about the whole server;
with one (e.g. opi.inventory.v1.InventoryService) about that service.

--server-env is for container HEALTHCHECKs: the address comes from
OPI_LISTEN (its port, on 127.0.0.1) and plaintext from
OPI_INSECURE_PLAINTEXT, the variables the service itself reads. With
TLS, OPI_TLS_CA must verify the service's certificate and
OPI_TLS_SERVER_NAME name a host it is issued for.`,
		Example: `  opi --insecure --addr storage-bridge:50051 health
  opi health --server-env    # in a bridge's container`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.serverEnv {
				if err := g.fromServerEnv(cmd); err != nil {
					return err
				}
			}
			service := ""
			if len(args) == 1 {
				service = args[0]
			}
			var resp *healthpb.HealthCheckResponse
			err := g.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) error {
				var err error
				resp, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
				return err
			})
			if err != nil {
				return err
			}
			state := resp.GetStatus().String()
			fmt.Fprintln(g.streams.Out, state)
			if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				return fmt.Errorf("%s is %s", orServer(service), state)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.serverEnv, "server-env", false, "probe the service configured by this environment (OPI_LISTEN, OPI_INSECURE_PLAINTEXT) on 127.0.0.1")
	return cmd
}

// fromServerEnv points the connection at the local service the way its own
// environment configured it. Flags given explicitly still win.
func (g *globals) fromServerEnv(cmd *cobra.Command) error {
	if !cmd.Flags().Changed("addr") {
		listen := envOr("OPI_LISTEN", ":50051")
		_, port, err := net.SplitHostPort(listen)
		if err != nil {
			return fmt.Errorf("OPI_LISTEN=%q is not host:port: %w", listen, err)
		}
		g.conn.Addr = net.JoinHostPort("127.0.0.1", port)
	}
	if !cmd.Flags().Changed("insecure") {
		if v := os.Getenv("OPI_INSECURE_PLAINTEXT"); v != "" {
			// Parsed as the service parses it (a Go flag boolean).
			insecure, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("OPI_INSECURE_PLAINTEXT=%q is not a boolean", v)
			}
			g.conn.Insecure = insecure
		}
	}
	return nil
}

func orServer(service string) string {
	if service == "" {
		return "the server"
	}
	return service
}
