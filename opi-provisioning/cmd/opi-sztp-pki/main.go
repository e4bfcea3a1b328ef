// Command opi-sztp-pki writes a complete SZTP test PKI into a directory,
// for a demo or an end-to-end stack: never for production, where the
// manufacturer's and the owner's keys come from their own CAs.
//
//	opi-sztp-pki -out DIR [-rsa] [-server-host NAME]... [-device SERIAL]...
//
// It writes manufacturer.pem (the IDevID and voucher trust anchor),
// masa.crt/.key (the voucher signer), owner-ca.pem (what vouchers pin),
// owner.crt/.key (signs conveyed information), server-ca.pem and
// server.crt/.key (the bootstrap server's TLS), and for each serial number
// device-SERIAL.crt/.key (its IDevID). Keys are written mode 0600.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
)

// fatal adapts the log package to sztptest.T.
type fatal struct{}

func (fatal) Helper()           {}
func (fatal) Fatal(args ...any) { log.Fatal(args...) }

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	log.SetFlags(0)
	log.SetPrefix("opi-sztp-pki: ")
	out := flag.String("out", "", "directory to write into (created)")
	rsa := flag.Bool("rsa", false, "RSA 2048 keys instead of ECDSA P-256")
	var hosts, devices list
	flag.Var(&hosts, "server-host", "a DNS name or IP address of the bootstrap server (repeatable; default localhost, 127.0.0.1, ::1)")
	flag.Var(&devices, "device", "the serial number of a device to issue an IDevID for (repeatable)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	for _, d := range devices {
		if d == "" || strings.ContainsAny(d, "/\\:") {
			log.Fatalf("-device %q: a serial number without / \\ or :", d)
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	alg := sztptest.ECDSA
	if *rsa {
		alg = sztptest.RSA
	}
	var t fatal
	pki := sztptest.New(t, alg)
	sztptest.WritePEM(t, *out, "manufacturer.pem", pki.Manufacturer.Cert)
	sztptest.WritePEM(t, *out, "owner-ca.pem", pki.OwnerCA.Cert)
	sztptest.WritePEM(t, *out, "server-ca.pem", pki.ServerCA.Cert)
	pki.MASA.WriteFiles(t, *out, "masa")
	pki.Owner.WriteFiles(t, *out, "owner")
	pki.Server(t, hosts...).WriteFiles(t, *out, "server")
	for _, d := range devices {
		pki.Device(t, d).WriteFiles(t, *out, "device-"+d)
	}
	fmt.Printf("wrote a %s SZTP test PKI to %s (%d devices)\n", alg, *out, len(devices))
}
