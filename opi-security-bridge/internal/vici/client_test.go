package vici_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici/vicitest"
	"github.com/opi-suite/opi/opi-security-bridge/ipsec"
)

func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		name, uri, network, addr string
		bad                      bool
	}{
		{name: "a unix URI names a socket path", uri: "unix:///var/run/charon.vici", network: "unix", addr: "/var/run/charon.vici"},
		{name: "a plain absolute path is a unix socket", uri: "/run/x.vici", network: "unix", addr: "/run/x.vici"},
		{name: "a tcp URI names host and port", uri: "tcp://127.0.0.1:4502", network: "tcp", addr: "127.0.0.1:4502"},
		{name: "a relative path is refused", uri: "charon.vici", bad: true},
		{name: "a URI without address is refused", uri: "unix://", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			network, addr, err := vici.ParseURI(tc.uri)
			if tc.bad != (err != nil) {
				t.Fatalf("ParseURI(%q) error = %v, want error %v", tc.uri, err, tc.bad)
			}
			if !tc.bad && (network != tc.network || addr != tc.addr) {
				t.Fatalf("ParseURI(%q) = %q %q, want %q %q", tc.uri, network, addr, tc.network, tc.addr)
			}
		})
	}
}

func conn(name string, p *vicitest.Pair, proposals []string) ipsec.Conn {
	return ipsec.Conn{
		Name: name, Version: 2, LocalAddrs: []string{p.AddrA}, RemoteAddrs: []string{p.AddrB},
		Proposals: proposals, Encap: true,
		Local: ipsec.Auth{Method: "psk"}, Remote: ipsec.Auth{Method: "psk"},
		Children: []ipsec.Child{{Name: "c", LocalTS: []string{p.InnerA + "/32"}, RemoteTS: []string{p.InnerB + "/32"}}},
	}
}

// TestStreamedCommandsUnderRepetition is the regression test for govici's
// CallStreaming pitfall: every listing must be complete, and the plain call
// after it must still get its own answer, hundreds of times in a row.
func TestStreamedCommandsUnderRepetition(t *testing.T) {
	p := vicitest.NewPair(t)
	c, err := vici.New(p.A.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	const conns = 40
	for i := range conns {
		if err := c.LoadConn(ctx, conn(fmt.Sprintf("rep-%02d", i), p, nil)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		names, err := c.ListConns(ctx)
		if err != nil {
			t.Fatalf("iteration %d: ListConns: %v", i, err)
		}
		if len(names) != conns {
			t.Fatalf("iteration %d: ListConns returned %d connections, want %d", i, len(names), conns)
		}
		if _, err := c.Version(ctx); err != nil {
			t.Fatalf("iteration %d: Version after a listing: %v", i, err)
		}
		if sas, err := c.ListSAs(ctx, ""); err != nil || len(sas) != 0 {
			t.Fatalf("iteration %d: ListSAs = %v, %v; want none", i, sas, err)
		}
	}
}

func TestRefusedConnectionLeavesCharonAsItWas(t *testing.T) {
	p := vicitest.NewPair(t)
	c, _ := vici.New(p.A.Socket)
	defer c.Close()
	ctx := context.Background()
	if err := c.LoadConn(ctx, conn("good", p, nil)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		conn      ipsec.Conn
		wantInMsg string
	}{
		{name: "an unknown IKE algorithm is refused", conn: conn("bad", p, []string{"aes999-bogus"}), wantInMsg: "proposals"},
		{name: "an unknown ESP algorithm is refused", conn: func() ipsec.Conn {
			c := conn("bad", p, nil)
			c.Children[0].ESPProposals = []string{"nope"}
			return c
		}(), wantInMsg: "esp_proposals"},
		{name: "replacing a good connection with a bad one keeps the good one", conn: conn("good", p, []string{"x"}), wantInMsg: "proposals"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.LoadConn(ctx, tc.conn)
			var ce *vici.CommandError
			if !errors.As(err, &ce) || !strings.Contains(ce.Msg, tc.wantInMsg) {
				t.Fatalf("LoadConn error = %v, want a CommandError mentioning %q", err, tc.wantInMsg)
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("LoadConn error = %v, want class InvalidArgument: a refused configuration is the caller's to fix", err)
			}
			names, err := c.ListConns(ctx)
			if err != nil || len(names) != 1 || names[0] != "good" {
				t.Fatalf("after the refusal charon has %v (%v), want [good]", names, err)
			}
		})
	}
}

func TestWatchReconnectsAfterCharonRestarts(t *testing.T) {
	p := vicitest.NewPair(t)
	c, _ := vici.New(p.A.Socket)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan ipsec.Event, 16)
	go c.Watch(ctx, func(e ipsec.Event) { events <- e })
	wait := func(what string, ok func(ipsec.Event) bool) {
		t.Helper()
		timeout := time.After(15 * time.Second)
		for {
			select {
			case e := <-events:
				if ok(e) {
					return
				}
			case <-timeout:
				t.Fatalf("no %s event within 15s", what)
			}
		}
	}
	wait("first Connected", func(e ipsec.Event) bool { return e.Kind == ipsec.Connected && !e.Reconnect })
	before, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // charon's start time has a resolution of one second
	p.A.Restart()
	wait("Connected after the restart", func(e ipsec.Event) bool { return e.Kind == ipsec.Connected && e.Reconnect })
	after, err := c.Stats(ctx)
	if err != nil {
		t.Fatalf("Stats on the old client after charon restarted: %v", err)
	}
	if after.Since == before.Since {
		t.Fatalf("charon's start time did not change over a restart: %q", after.Since)
	}
}
