package discovery

import (
	"testing"
)

// The parsers face bytes from any host on the link: they must never
// panic, and whatever they accept must hold to the rules they enforce.

func FuzzParseServerList(f *testing.F) {
	f.Add(entry("https://sztp.example.com:8443"))
	f.Add(cat(entry("https://a.example"), entry("http://b.example"), entry("https://[2001:db8::1]:1")))
	f.Add([]byte{0, 5, 'h', 't'})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseServerList(b)
		if err != nil {
			if len(l.Servers) != 0 && len(l.Ignored) == 0 {
				t.Fatalf("error %v with servers %v", err, l.Servers)
			}
			return
		}
		if len(l.Servers) == 0 {
			t.Fatal("accepted a list without a server")
		}
		for _, s := range l.Servers {
			// A canonical URI reads back to the same server.
			again, err := ParseServerURI(s.URL())
			if err != nil || again != s {
				t.Fatalf("canonical %s reads back as %v, %v", s.URL(), again, err)
			}
		}
	})
}

func FuzzParseMessage4(f *testing.F) {
	m := &Message4{Op: 2, XID: 1, CHAddr: []byte{2, 0, 0, 0, 0, 1}}
	m.Options.Add(opt4MessageType, []byte{dhcpAck})
	m.Options.Add(OptionV4SZTPRedirect, entry("https://a.example"))
	f.Add(m.Marshal())
	m.Options.Add(opt4Overload, []byte{3})
	f.Add(m.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, err := ParseMessage4(b)
		if err != nil {
			return
		}
		_, _, _ = msg.SZTPServers()
		_ = msg.Type()
		// Re-encoding what was read and reading it again keeps option 143.
		again, err := ParseMessage4(msg.Marshal())
		if err != nil {
			t.Fatalf("re-encoded message does not parse: %v", err)
		}
		v1, ok1 := msg.Options.Get(OptionV4SZTPRedirect)
		v2, ok2 := again.Options.Get(OptionV4SZTPRedirect)
		if ok1 != ok2 || string(v1) != string(v2) {
			t.Fatalf("option 143 changed across a round trip: %x -> %x", v1, v2)
		}
	})
}

func FuzzParseMessage6(f *testing.F) {
	m := &Message6{Type: dhcp6Reply, Options: []Option6{{OptionV6SZTPRedirect, entry("https://[2001:db8::1]")}}}
	f.Add(m.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, err := ParseMessage6(b)
		if err != nil {
			return
		}
		_, _, _ = msg.SZTPServers()
		if got := msg.Marshal(); string(got) != string(b) {
			t.Fatalf("a message that parses re-encodes differently")
		}
	})
}
