package bridge_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici/vicitest"
)

// loadConns is how many connections one op of BenchmarkLoadConnections
// loads: the size the issue measured (6.6 s through the API against
// 0.44 s with swanctl --load-all).
const loadConns = 500

// BenchmarkLoadConnections loads the same loadConns PSK connections into
// one charon through the bridge's API (a create each, as a client would)
// and with `swanctl --load-all` of the equivalent swanctl.conf, both in
// every op, one after the other, so that the ratio it reports (x-swanctl)
// compares figures taken moments apart on a machine whose load changes.
// Each starts from a charon without them (they are removed untimed).
func BenchmarkLoadConnections(b *testing.B) {
	p := vicitest.NewPair(b)
	a := side{api: startIPsec(b, p.A), d: p.A, addr: p.AddrA, peer: p.AddrB, inner: p.InnerA, innerTo: p.InnerB}
	ctx := context.Background()
	if _, err := a.api.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{
		PreSharedKeyId: "site-psk", PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")},
	}); err != nil {
		b.Fatal(err)
	}
	conn := func(i int) *securityv1.IkeConnection {
		c := a.connection(pskAuth(), pskAuth())
		c.RemoteAddrs = []string{fmt.Sprintf("198.51.%d.%d", 100+i/250, 1+i%250)}
		return c
	}
	create := func(b *testing.B, i int) {
		if _, err := a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{
			IkeConnectionId: fmt.Sprintf("c%d", i), IkeConnection: conn(i)}); err != nil {
			b.Error(err)
		}
	}
	// The same connections as a swanctl.conf: what the API loads for each
	// (proposals, addresses, UDP encapsulation, DPD, the child) and its
	// shared key, owned by the two identities.
	dir := b.TempDir()
	var conf strings.Builder
	conf.WriteString("connections {\n")
	for i := range loadConns {
		c := conn(i)
		fmt.Fprintf(&conf, `  s%d { version = 2
    local_addrs = %s
    remote_addrs = %s
    proposals = %s
    encap = yes
    dpd_delay = 30s
    local { auth = psk }
    remote { auth = psk }
    children { net { local_ts = %s
      remote_ts = %s
      esp_proposals = %s } }
  }
`, i, c.LocalAddrs[0], c.RemoteAddrs[0], c.Proposals[0], c.Children[0].LocalTs[0], c.Children[0].RemoteTs[0], c.Children[0].EspProposals[0])
	}
	conf.WriteString("}\nsecrets {\n")
	for i := range loadConns {
		fmt.Fprintf(&conf, "  ike-s%d { id-1 = %s\n    id-2 = %s\n    secret = a-shared-secret-of-32-bytes-long }\n", i, a.addr, conn(i).RemoteAddrs[0])
	}
	conf.WriteString("}\n")
	file := filepath.Join(dir, "swanctl.conf")
	if err := os.WriteFile(file, []byte(conf.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.conf")
	if err := os.WriteFile(empty, []byte("connections {}\nsecrets {}\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	swanctl := func(b *testing.B) time.Duration {
		start := time.Now()
		if out, err := p.A.Swanctl("--load-all", "--noprompt", "--file", file); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		took := time.Since(start)
		// --load-conns of an empty file unloads the connections swanctl
		// loaded (and every other connection loaded over VICI).
		if out, err := p.A.Swanctl("--load-all", "--noprompt", "--file", empty); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		return took
	}

	// api: one create after the other, each waiting for its reply; every
	// create costs its own store commits (intent before charon, then the
	// commit). api-8: eight creates in flight, so the store's group commit
	// shares each fsync among them and charon serves several VICI
	// sessions at once.
	for _, inFlight := range []int{1, 8} {
		name := "api"
		if inFlight > 1 {
			name = fmt.Sprintf("api-%d", inFlight)
		}
		b.Run(name, func(b *testing.B) {
			var viaSwanctl time.Duration
			for b.Loop() {
				var wg sync.WaitGroup
				for w := range inFlight {
					wg.Go(func() {
						for i := w; i < loadConns; i += inFlight {
							create(b, i)
						}
					})
				}
				wg.Wait()
				if b.Failed() {
					b.FailNow()
				}
				b.StopTimer()
				for i := range loadConns {
					if _, err := a.api.DeleteIkeConnection(ctx, &securityv1.DeleteIkeConnectionRequest{Name: fmt.Sprintf("ikeConnections/c%d", i)}); err != nil {
						b.Fatal(err)
					}
				}
				viaSwanctl += swanctl(b)
				b.StartTimer()
			}
			api := float64(b.Elapsed().Milliseconds()) / float64(b.N)
			swan := float64(viaSwanctl.Milliseconds()) / float64(b.N)
			b.ReportMetric(api, "ms/500conns")
			b.ReportMetric(swan, "swanctl-ms/500conns")
			b.ReportMetric(api/swan, "x-swanctl")
		})
	}
}
