package bootstrap_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

// BenchmarkBootstrap: whole bootstraps against the server on loopback, as
// devices make them: a fresh TLS connection authenticated by the IDevID,
// get-bootstrapping-data with a nonce, a signed reply with the owner
// certificate and a fresh voucher. 1 and 32 devices at once; the metric
// bootstraps/s is the server's throughput on this machine (clients share
// its CPUs).
func BenchmarkBootstrap(b *testing.B) {
	for _, alg := range sztptest.Algorithms {
		f := start(b, alg)
		idev := f.pki.Device(b, "SN-CERT").TLSCertificate()
		body := input(b, &sztp.GetBootstrappingDataInput{SignedDataPreferred: true, Nonce: bytes.Repeat([]byte{7}, 16)})
		for _, clients := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/clients=%d", alg, clients), func(b *testing.B) {
				var next atomic.Int64
				var failed atomic.Value
				var wg sync.WaitGroup
				b.ResetTimer()
				for range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
							TLSClientConfig: &tls.Config{RootCAs: f.roots, Certificates: []tls.Certificate{idev}}}}
						for next.Add(1) <= int64(b.N) {
							resp, err := c.Post(f.url+sztp.GetBootstrappingDataPath, sztp.MediaType, bytes.NewReader(body))
							if err != nil {
								failed.Store(err.Error())
								return
							}
							_, _ = io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode != http.StatusOK {
								failed.Store(resp.Status)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				if e := failed.Load(); e != nil {
					b.Fatal(e)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bootstraps/s")
			})
		}
	}
}

// BenchmarkSigningPerResponse: the signing a reply costs the server, alone:
// the conveyed information signed with the owner's key and a voucher
// issued and signed with the manufacturer's.
func BenchmarkSigningPerResponse(b *testing.B) {
	doc, err := onboarding.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	for _, alg := range sztptest.Algorithms {
		pki := sztptest.New(b, alg)
		b.Run(alg.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := sztp.SignConveyedInformation(doc, pki.Owner.Cert, pki.Owner.Key, pki.Owner.Chain...); err != nil {
					b.Fatal(err)
				}
				v := &voucher.Voucher{CreatedOn: time.Now(), Assertion: voucher.Verified, SerialNumber: "SN",
					PinnedDomainCert: pki.OwnerCA.Cert.Raw, Nonce: bytes.Repeat([]byte{7}, 16)}
				if _, err := voucher.Sign(v, pki.MASA.Cert, pki.MASA.Key, pki.MASA.Chain...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
