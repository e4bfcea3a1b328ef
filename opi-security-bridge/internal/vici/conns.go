package vici

import (
	"context"
	"strings"

	govici "github.com/strongswan/govici/vici"
)

// LoadedConn is a connection as charon reports it in `list-conns` (what
// `swanctl --list-conns --raw` prints), in charon's own words. charon does
// not report everything it was loaded with: IKE and ESP proposals, the IKE
// ports, forced UDP encapsulation, keyingtries, a child's start action and
// the pre-shared keys are missing from its listing (strongSwan 5.9).
type LoadedConn struct {
	Name        string
	Version     string   // "IKEv1", "IKEv2", or "IKEv1/2" for either
	LocalAddrs  []string // "%any" when none was given
	RemoteAddrs []string
	// Seconds; charon's defaults are filled in (rekey_time 14400).
	RekeyTime, ReauthTime string
	// DPDDelay is in seconds, "" when dead peer detection is off.
	DPDDelay string
	Local    []LoadedAuth // one per authentication round: local-1, local-2, ...
	Remote   []LoadedAuth
	Children []LoadedChild // in the order they were loaded
}

// LoadedAuth is one authentication round of a LoadedConn.
type LoadedAuth struct {
	Class   string   // "pre-shared key", "public key", ...
	ID      string   // the identity, "" when none is configured
	Certs   []string // subjects of the certificates given inline
	CACerts []string // subjects of the CA certificates given inline
}

// LoadedChild is one child of a LoadedConn.
type LoadedChild struct {
	Name string
	Mode string // "TUNNEL", "TRANSPORT", ...
	// RekeyTime in seconds, charon's default (3600) filled in.
	RekeyTime string
	// DPDAction and CloseAction in charon's words: "none" (what VICI
	// calls clear), "trap", "start" (restart).
	DPDAction, CloseAction string
	// Traffic selectors as charon prints them: "dynamic" stands for the
	// address of the IKE SA, a range that is a subnet is written as one,
	// ports and protocols by name where /etc/services has one.
	LocalTS, RemoteTS []string
}

// LoadedConns lists every connection charon holds, whoever loaded it, as
// charon reports it, in charon's order. It is for checking that charon
// holds what it was given: the bridge itself needs only ListConns.
func (c *Client) LoadedConns(ctx context.Context) ([]LoadedConn, error) {
	msgs, err := c.stream(ctx, "list-conns", "list-conn", nil)
	if err != nil {
		return nil, err
	}
	var out []LoadedConn
	for _, m := range msgs {
		for _, name := range m.Keys() {
			if sub, ok := m.Get(name).(*govici.Message); ok {
				out = append(out, parseLoadedConn(name, sub))
			}
		}
	}
	return out, nil
}

func parseLoadedConn(name string, m *govici.Message) LoadedConn {
	c := LoadedConn{
		Name: name, Version: str(m, "version"),
		LocalAddrs: list(m, "local_addrs"), RemoteAddrs: list(m, "remote_addrs"),
		RekeyTime: str(m, "rekey_time"), ReauthTime: str(m, "reauth_time"), DPDDelay: str(m, "dpd_delay"),
	}
	for _, k := range m.Keys() {
		sub, ok := m.Get(k).(*govici.Message)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(k, "local-"):
			c.Local = append(c.Local, parseLoadedAuth(sub))
		case strings.HasPrefix(k, "remote-"):
			c.Remote = append(c.Remote, parseLoadedAuth(sub))
		case k == "children":
			for _, cn := range sub.Keys() {
				if cm, ok := sub.Get(cn).(*govici.Message); ok {
					c.Children = append(c.Children, LoadedChild{
						Name: cn, Mode: str(cm, "mode"), RekeyTime: str(cm, "rekey_time"),
						DPDAction: str(cm, "dpd_action"), CloseAction: str(cm, "close_action"),
						LocalTS: list(cm, "local-ts"), RemoteTS: list(cm, "remote-ts"),
					})
				}
			}
		}
	}
	return c
}

func parseLoadedAuth(m *govici.Message) LoadedAuth {
	return LoadedAuth{Class: str(m, "class"), ID: str(m, "id"), Certs: list(m, "certs"), CACerts: list(m, "cacerts")}
}
