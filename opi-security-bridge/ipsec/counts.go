package ipsec

// SAEventCounts are what happened to one connection's SAs since the
// bridge started, counted from charon's events (ike-rekey, child-rekey)
// and from the outcome of every initiation (the API's Initiate and the
// replay pass's keep-up and revival tries).
type SAEventCounts struct {
	IkeRekeys, ChildRekeys, InitiateFailures uint64
}

// count adds to connection name's counts; m.mu is not held.
func (m *Manager) count(name string, add func(*SAEventCounts)) {
	if name == "" {
		return // an SA of no stored connection (loaded behind the bridge's back)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]*SAEventCounts{}
	}
	c := m.counts[name]
	if c == nil {
		c = &SAEventCounts{}
		m.counts[name] = c
	}
	add(c)
}

// EventCounts returns the counts of every connection that had an event,
// by connection name (a copy).
func (m *Manager) EventCounts() map[string]SAEventCounts {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]SAEventCounts, len(m.counts))
	for n, c := range m.counts {
		out[n] = *c
	}
	return out
}

// dropCounts forgets a deleted connection's counts, so that its series
// leave /metrics with it and the label set stays what is configured.
func (m *Manager) dropCounts(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.counts, name)
}
