package bridge_test

import (
	"context"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici/vicitest"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TestRekeysAndFailedInitiationsAreCounted: through two real charons, an
// IKE rekey and a child rekey (asked through the API, reported by charon's
// ike-rekey and child-rekey events) count once each on the connection,
// and an initiation towards a peer that never answers counts as a failure
// on its own connection.
func TestRekeysAndFailedInitiationsAreCounted(t *testing.T) {
	p := vicitest.NewPair(t)
	a, b := sides(t, p)
	ctx := context.Background()
	setupPSK(t, ctx, a)
	setupPSK(t, ctx, b)
	next := events(t, ctx, a)
	if _, err := a.api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatalf("Initiate: %v\n%s", err, p.A.Log())
	}
	next(securityv1.SaEventType_SA_EVENT_TYPE_CHILD_UP)
	const site = "{connection=ikeConnections/site}"
	if got := scrape(t, a.b); got["opi_security_ike_rekeys_total"+site] != 0 || got["opi_security_child_rekeys_total"+site] != 0 {
		t.Errorf("rekeys counted before any: %v", got)
	}
	if _, err := a.api.RekeyIkeConnection(ctx, &securityv1.RekeyIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatal(err)
	}
	next(securityv1.SaEventType_SA_EVENT_TYPE_IKE_REKEYED)
	if _, err := a.api.RekeyIkeConnection(ctx, &securityv1.RekeyIkeConnectionRequest{Name: "ikeConnections/site", Child: "net"}); err != nil {
		t.Fatal(err)
	}
	next(securityv1.SaEventType_SA_EVENT_TYPE_CHILD_REKEYED)

	// A connection to an address nobody answers on: its initiation fails.
	lost := a.connection(pskAuth(), pskAuth())
	lost.RemoteAddrs = []string{"192.0.2.99"}
	if _, err := a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "lost", IkeConnection: lost}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/lost",
		Timeout: durationpb.New(time.Second)}); err == nil {
		t.Fatal("initiating towards 192.0.2.99 succeeded")
	}
	got := scrape(t, a.b)
	for key, want := range map[string]float64{
		"opi_security_ike_rekeys_total" + site:            1,
		"opi_security_child_rekeys_total" + site:          1,
		"opi_security_ike_initiate_failures_total" + site: 0,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
	// The bridge's own keep-up may have tried the lost connection again
	// meanwhile: at least one failure there.
	if v := got["opi_security_ike_initiate_failures_total{connection=ikeConnections/lost}"]; v < 1 {
		t.Errorf("failed initiations of the lost connection: %v, want at least 1", v)
	}
	// A deleted connection's series go with it.
	if _, err := a.api.DeleteIkeConnection(ctx, &securityv1.DeleteIkeConnectionRequest{Name: "ikeConnections/lost"}); err != nil {
		t.Fatal(err)
	}
	if v, ok := scrape(t, a.b)["opi_security_ike_initiate_failures_total{connection=ikeConnections/lost}"]; ok {
		t.Errorf("the deleted connection still has a series (%v)", v)
	}
}
