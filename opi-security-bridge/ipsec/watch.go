package ipsec

import (
	"context"
	"sync"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// watchBuffer is how many events a watcher may fall behind before its
// stream is ended (rather than silently losing events).
const watchBuffer = 256

// hub fans SA events out to watchers.
type hub struct {
	mu       sync.Mutex
	watchers map[*watcher]struct{}
}

type watcher struct {
	conn    string // filter: API connection name, or "" for all
	ch      chan *securityv1.SaEvent
	overrun chan struct{}
}

func (h *hub) add(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.watchers == nil {
		h.watchers = map[*watcher]struct{}{}
	}
	h.watchers[w] = struct{}{}
}

func (h *hub) remove(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.watchers, w)
}

func (h *hub) publish(ev *securityv1.SaEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		if w.conn != "" && ev.GetIkeConnection() != "" && w.conn != ev.GetIkeConnection() {
			continue
		}
		select {
		case w.ch <- ev:
		default:
			close(w.overrun)
			delete(h.watchers, w)
		}
	}
}

// HandleEvent takes an event from the backend's Watch: it kicks a
// reconcile pass when charon (re)connects (a full reload when the
// connection had been lost), hands IKE SAs that went down to Revive, and
// passes SA events on to watchers.
func (m *Manager) HandleEvent(e Event) {
	if e.Kind == Connected {
		m.mu.Lock()
		if e.Reconnect {
			m.forceReload = true
		}
		kick := m.kick
		m.mu.Unlock()
		kick()
		if e.Reconnect {
			m.hub.publish(&securityv1.SaEvent{Type: securityv1.SaEventType_SA_EVENT_TYPE_DAEMON_RECONNECTED, EventTime: timestamppb.New(e.Time)})
		}
		return
	}
	types := map[EventKind]securityv1.SaEventType{
		IkeUp: securityv1.SaEventType_SA_EVENT_TYPE_IKE_UP, IkeDown: securityv1.SaEventType_SA_EVENT_TYPE_IKE_DOWN,
		ChildUp: securityv1.SaEventType_SA_EVENT_TYPE_CHILD_UP, ChildDown: securityv1.SaEventType_SA_EVENT_TYPE_CHILD_DOWN,
		IkeRekeyed: securityv1.SaEventType_SA_EVENT_TYPE_IKE_REKEYED, ChildRekeyed: securityv1.SaEventType_SA_EVENT_TYPE_CHILD_REKEYED,
	}
	if e.Kind == IkeDown {
		m.wentDown(e.SA.Conn)
	}
	sa := m.ikeSA(context.Background(), e.SA)
	switch e.Kind {
	case IkeRekeyed:
		m.count(sa.GetIkeConnection(), func(c *SAEventCounts) { c.IkeRekeys++ })
	case ChildRekeyed:
		m.count(sa.GetIkeConnection(), func(c *SAEventCounts) { c.ChildRekeys++ })
	}
	m.hub.publish(&securityv1.SaEvent{Type: types[e.Kind], IkeConnection: sa.GetIkeConnection(), IkeSa: sa, EventTime: timestamppb.New(e.Time)})
}

// Watch calls send with every SA event (of connection name, or all when
// empty) until ctx ends or send fails. registered runs once the watcher
// receives events, before any is sent, so that a caller can tell its
// client from when on no event is missed. A watcher that falls more than
// watchBuffer events behind is ended with an Unavailable error rather
// than silently losing events.
func (m *Manager) Watch(ctx context.Context, name string, registered func() error, send func(*securityv1.SaEvent) error) error {
	if name != "" {
		if _, err := m.Conns.Get(ctx, name); err != nil {
			return err
		}
	}
	w := &watcher{conn: name, ch: make(chan *securityv1.SaEvent, watchBuffer), overrun: make(chan struct{})}
	m.hub.add(w)
	defer m.hub.remove(w)
	if err := registered(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-w.ch:
			if err := send(ev); err != nil {
				return err
			}
		case <-w.overrun:
			// Deliver what was queued before saying the stream broke.
			for {
				select {
				case ev := <-w.ch:
					if err := send(ev); err != nil {
						return err
					}
				default:
					return errdefs.Unavailablef("the watcher fell more than %d events behind; watch again and list the SAs to resynchronize", watchBuffer)
				}
			}
		}
	}
}
