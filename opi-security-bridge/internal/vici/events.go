package vici

import (
	"context"
	"time"

	govici "github.com/strongswan/govici/vici"

	"github.com/opi-suite/opi/opi-security-bridge/ipsec"
)

var saEvents = []string{"ike-updown", "child-updown", "ike-rekey", "child-rekey"}

// Watch delivers charon's SA events to fn until ctx ends, on a session of
// its own, reconnecting (with backoff) whenever charon goes away. It calls
// fn with a Connected event each time it has subscribed. fn runs on
// Watch's goroutine and must not block for long.
func (c *Client) Watch(ctx context.Context, fn func(ipsec.Event)) {
	backoff := 50 * time.Millisecond
	lost := false
	for ctx.Err() == nil {
		s, err := c.dial()
		if err == nil {
			if err = s.Subscribe(saEvents...); err != nil {
				s.Close()
			}
		}
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			lost = true
			continue
		}
		backoff = 50 * time.Millisecond
		ch := make(chan govici.Event, 1024)
		s.NotifyEvents(ch)
		fn(ipsec.Event{Kind: ipsec.Connected, Time: time.Now(), Reconnect: lost})
		lost = c.pump(ctx, ch, fn)
		s.Close()
	}
}

// pump delivers events until the session ends (true) or ctx does (false).
func (c *Client) pump(ctx context.Context, ch <-chan govici.Event, fn func(ipsec.Event)) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case ev, ok := <-ch:
			if !ok {
				return true
			}
			for _, e := range parseEvent(ev) {
				fn(e)
			}
		}
	}
}

func parseEvent(ev govici.Event) []ipsec.Event {
	m := ev.Message
	up := str(m, "up") == "yes"
	var out []ipsec.Event
	for _, name := range m.Keys() {
		sub, ok := m.Get(name).(*govici.Message)
		if !ok {
			continue
		}
		e := ipsec.Event{Time: ev.Timestamp}
		switch ev.Name {
		case "ike-updown":
			e.Kind, e.SA = pick(up, ipsec.IkeUp, ipsec.IkeDown), parseIkeSA(name, sub)
		case "child-updown":
			e.Kind, e.SA = pick(up, ipsec.ChildUp, ipsec.ChildDown), parseIkeSA(name, sub)
		case "ike-rekey":
			e.Kind = ipsec.IkeRekeyed
			if nm, ok := sub.Get("new").(*govici.Message); ok {
				e.SA = parseIkeSA(name, nm)
			}
		case "child-rekey":
			e.Kind = ipsec.ChildRekeyed
			e.SA = parseIkeSA(name, sub)
			e.SA.Children = nil
			if children, ok := sub.Get("child-sas").(*govici.Message); ok {
				for _, k := range children.Keys() {
					cm, ok := children.Get(k).(*govici.Message)
					if !ok {
						continue
					}
					if nm, ok := cm.Get("new").(*govici.Message); ok {
						e.SA.Children = append(e.SA.Children, parseChildSA(k, nm))
					}
				}
			}
		default:
			continue
		}
		out = append(out, e)
	}
	return out
}

func pick(up bool, a, b ipsec.EventKind) ipsec.EventKind {
	if up {
		return a
	}
	return b
}
