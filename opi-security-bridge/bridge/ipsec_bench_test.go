package bridge_test

import (
	"context"
	"testing"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici/vicitest"
)

// BenchmarkTunnelUp brings the same PSK tunnel up (IKE_SA_INIT, IKE_AUTH,
// CHILD_SA installed on both sides) and down again on one charon pair, once
// through the bridge's gRPC API and once with swanctl driving charon
// directly, so the two rates come from the same run. One op is one
// initiate + terminate cycle.
func BenchmarkTunnelUp(b *testing.B) {
	p := vicitest.NewPair(b)
	a, peer := sides(b, p)
	ctx := context.Background()
	setupPSK(b, ctx, a)
	setupPSK(b, ctx, peer)
	b.Run("bridge", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
				b.Fatal(err)
			}
			if _, err := a.api.TerminateIkeConnection(ctx, &securityv1.TerminateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tunnels/s")
	})
	b.Run("swanctl", func(b *testing.B) {
		for b.Loop() {
			if out, err := p.A.Swanctl("--initiate", "--ike", "site", "--child", "net"); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
			if out, err := p.A.Swanctl("--terminate", "--ike", "site"); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tunnels/s")
	})
}
