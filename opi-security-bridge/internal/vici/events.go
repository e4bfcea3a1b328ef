package vici

import (
	"context"
	"time"

	govici "github.com/strongswan/govici/vici"
)

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event.
const (
	// Connected: the client (re)connected to charon. Reconnect is set when
	// an earlier connection was lost, so charon may have restarted.
	Connected EventKind = iota + 1
	IkeUp
	IkeDown
	ChildUp
	ChildDown
	IkeRekeyed
	ChildRekeyed
)

// Event is one SA event from charon, or the client's own Connected.
type Event struct {
	Kind EventKind
	// SA is the IKE SA concerned (for rekeying, the new one). For child
	// events its Children hold only the child SA concerned.
	SA        IkeSA
	Time      time.Time
	Reconnect bool
}

var saEvents = []string{"ike-updown", "child-updown", "ike-rekey", "child-rekey"}

// Watch delivers charon's SA events to fn until ctx ends, on a session of
// its own, reconnecting (with backoff) whenever charon goes away. It calls
// fn with a Connected event each time it has subscribed. fn runs on
// Watch's goroutine and must not block for long.
func (c *Client) Watch(ctx context.Context, fn func(Event)) {
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
		fn(Event{Kind: Connected, Time: time.Now(), Reconnect: lost})
		lost = c.pump(ctx, ch, fn)
		s.Close()
	}
}

// pump delivers events until the session ends (true) or ctx does (false).
func (c *Client) pump(ctx context.Context, ch <-chan govici.Event, fn func(Event)) bool {
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

func parseEvent(ev govici.Event) []Event {
	m := ev.Message
	up := str(m, "up") == "yes"
	var out []Event
	for _, name := range m.Keys() {
		sub, ok := m.Get(name).(*govici.Message)
		if !ok {
			continue
		}
		e := Event{Time: ev.Timestamp}
		switch ev.Name {
		case "ike-updown":
			e.Kind, e.SA = pick(up, IkeUp, IkeDown), parseIkeSA(name, sub)
		case "child-updown":
			e.Kind, e.SA = pick(up, ChildUp, ChildDown), parseIkeSA(name, sub)
		case "ike-rekey":
			e.Kind = IkeRekeyed
			if nm, ok := sub.Get("new").(*govici.Message); ok {
				e.SA = parseIkeSA(name, nm)
			}
		case "child-rekey":
			e.Kind = ChildRekeyed
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

func pick(up bool, a, b EventKind) EventKind {
	if up {
		return a
	}
	return b
}
