package xdp

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/cilium/ebpf"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
)

// Dataplane is one policy's maps and program, its maps pinned in a bpffs
// directory so that they, and the XDP links pinned beside them, outlive the
// process: the kernel keeps enforcing while the bridge is down, and Open
// re-adopts them.
type Dataplane struct {
	dir  string
	objs firewallObjects
}

// Open loads the program and adopts the maps pinned in dir, creating
// (and pinning) those that are missing. dir must be on a bpffs.
func Open(dir string) (*Dataplane, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("xdp: %w", err)
	}
	spec, err := loadFirewall()
	if err != nil {
		return nil, fmt.Errorf("xdp: %w", err)
	}
	d := &Dataplane{dir: dir}
	err = spec.LoadAndAssign(&d.objs, &ebpf.CollectionOptions{Maps: ebpf.MapOptions{PinPath: dir}})
	if errors.Is(err, ebpf.ErrMapIncompatible) {
		return nil, fmt.Errorf("xdp: the maps pinned in %s belong to an incompatible version of the program; remove the directory to start over: %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("xdp: loading the firewall program: %w", err)
	}
	return d, nil
}

// Program returns the loaded XDP program (for attaching and for tests).
func (d *Dataplane) Program() *ebpf.Program { return d.objs.Firewall }

// Dir returns the bpffs directory holding the pins.
func (d *Dataplane) Dir() string { return d.dir }

// Close releases this process's handles; the pins, and so the enforcement,
// stay.
func (d *Dataplane) Close() error { return d.objs.Close() }

// activeGen returns the generation packets are judged by now.
func (d *Dataplane) activeGen() (uint32, error) {
	var gen uint32
	if err := d.objs.Active.Lookup(uint32(0), &gen); err != nil {
		return 0, fmt.Errorf("xdp: reading the active generation: %w", err)
	}
	return gen & 1, nil
}

// Fingerprint returns the fingerprint of the rule set packets are judged
// by, 0 when none was ever loaded.
func (d *Dataplane) Fingerprint() (uint64, error) {
	gen, err := d.activeGen()
	if err != nil {
		return 0, err
	}
	var s firewallGenSettings
	if err := d.objs.Settings.Lookup(gen, &s); err != nil {
		return 0, fmt.Errorf("xdp: reading settings: %w", err)
	}
	return s.Fingerprint, nil
}

// Load replaces the rule set atomically: it writes t under the inactive
// generation, then flips the one word every packet reads first. A packet
// is judged wholly by the old set or wholly by the new one. If writing
// fails the old set keeps enforcing. The counters of t start at zero.
//
// The entries of the old generation stay until the next Load clears them
// before writing: packets already inside the program finish their lookups
// in microseconds, long before that.
func (d *Dataplane) Load(t *Tables) error {
	cur, err := d.activeGen()
	if err != nil {
		return err
	}
	next := cur ^ 1
	if err := d.clearGen(next); err != nil {
		return err
	}
	if err := d.write(next, t); err != nil {
		return fmt.Errorf("xdp: writing the rule set (the previous one still enforces): %w", err)
	}
	if err := d.objs.Active.Update(uint32(0), next, ebpf.UpdateExist); err != nil {
		return fmt.Errorf("xdp: switching to the new rule set: %w", err)
	}
	return nil
}

func (d *Dataplane) write(gen uint32, t *Tables) error {
	m := &d.objs.firewallMaps
	for _, dim := range []struct {
		entries []PrefixClass
		v4, v6  *ebpf.Map
	}{{t.Src, m.Src4, m.Src6}, {t.Dst, m.Dst4, m.Dst6}} {
		for _, e := range dim.entries {
			var err error
			if e.Prefix.Addr().Is4() {
				err = dim.v4.Update(lpm4(gen, e.Prefix), e.Class, ebpf.UpdateAny)
			} else {
				err = dim.v6.Update(lpm6(gen, e.Prefix), e.Class, ebpf.UpdateAny)
			}
			if err != nil {
				return fmt.Errorf("prefix %s: %w", e.Prefix, err)
			}
		}
	}
	keys := make([]uint32, portSlots)
	for i := range keys {
		keys[i] = gen*portSlots + uint32(i)
	}
	if _, err := m.Sports.BatchUpdate(keys, t.SrcPorts, nil); err != nil {
		return fmt.Errorf("source ports: %w", err)
	}
	if _, err := m.Dports.BatchUpdate(keys, t.DstPorts, nil); err != nil {
		return fmt.Errorf("destination ports: %w", err)
	}
	if err := writeBitmaps(m.Bitmaps, gen, t.Bitmaps, t.Anchored); err != nil {
		return fmt.Errorf("bitmaps: %w", err)
	}
	if err := d.zeroCounters(gen); err != nil {
		return err
	}
	s := firewallGenSettings{DefaultAction: dpAction(t.DefaultAction), DefaultSlot: t.DefaultSlot, Fingerprint: t.Fingerprint,
		Chunks: uint32((t.Words + chunk - 1) / chunk), Always: t.Always}
	copy(s.Count[:], t.Count)
	copy(s.Drop[:], t.Drop)
	return m.Settings.Update(gen, &s, ebpf.UpdateAny)
}

// bitmapBatch bounds the bitmaps written per system call, and so the
// memory a write takes (2 KiB each).
const bitmapBatch = 1024

func writeBitmaps(m *ebpf.Map, gen uint32, sets []bitset, anchored [][dims]wordMask) error {
	keys := make([]firewallClassKey, 0, bitmapBatch)
	vals := make([]firewallBitmap, 0, bitmapBatch)
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		_, err := m.BatchUpdate(keys, vals, nil)
		keys, vals = keys[:0], vals[:0]
		return err
	}
	for id := 1; id < len(sets); id++ {
		keys = append(keys, firewallClassKey{Gen: gen, Class: uint32(id)})
		var v firewallBitmap
		copy(v.W[:], sets[id])
		for d := range dims {
			v.Anchored[d] = anchored[id][d]
		}
		vals = append(vals, v)
		if len(keys) == bitmapBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func (d *Dataplane) zeroCounters(gen uint32) error {
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		return err
	}
	keys := make([]uint32, slots)
	for i := range keys {
		keys[i] = gen*slots + uint32(i)
	}
	if _, err := d.objs.Counters.BatchUpdate(keys, make([]firewallCounter, slots*ncpu), nil); err != nil {
		return fmt.Errorf("zeroing counters: %w", err)
	}
	return nil
}

// clearGen deletes every table entry of generation gen.
func (d *Dataplane) clearGen(gen uint32) error {
	m := &d.objs.firewallMaps
	var errs []error
	errs = append(errs, clearMap(m.Src4, func(k *firewallLpm4Key) bool { return k.Gen == gen }))
	errs = append(errs, clearMap(m.Dst4, func(k *firewallLpm4Key) bool { return k.Gen == gen }))
	errs = append(errs, clearMap(m.Src6, func(k *firewallLpm6Key) bool { return k.Gen == gen }))
	errs = append(errs, clearMap(m.Dst6, func(k *firewallLpm6Key) bool { return k.Gen == gen }))
	errs = append(errs, clearKeys(m.Bitmaps, func(k *firewallClassKey) bool { return k.Gen == gen }))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("xdp: clearing the inactive generation: %w", err)
	}
	return nil
}

func clearMap[K any](m *ebpf.Map, stale func(*K) bool) error {
	var doomed []K
	var k K
	var v []byte
	it := m.Iterate()
	for it.Next(&k, &v) {
		if stale(&k) {
			doomed = append(doomed, k)
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	for i := range doomed {
		if err := m.Delete(&doomed[i]); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return err
		}
	}
	return nil
}

// clearKeys deletes the entries of m whose keys are stale, walking keys
// only: a bitmap is 2 KiB, and a large rule set has tens of thousands.
func clearKeys[K any](m *ebpf.Map, stale func(*K) bool) error {
	var doomed []K
	var cur, next K
	var prev any // nil: start from the first key
	for {
		err := m.NextKey(prev, &next)
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			break
		}
		if err != nil {
			return err
		}
		if stale(&next) {
			doomed = append(doomed, next)
		}
		cur = next
		prev = &cur
	}
	for len(doomed) > 0 {
		n := min(len(doomed), bitmapBatch)
		if _, err := m.BatchDelete(doomed[:n], nil); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return err
		}
		doomed = doomed[n:]
	}
	return nil
}

// Stats sums the per-CPU counters of the active generation's first n rules,
// the default action and the malformed packets.
func (d *Dataplane) Stats(n int) (*firewall.Stats, error) {
	gen, err := d.activeGen()
	if err != nil {
		return nil, err
	}
	read := func(slot int) (firewall.Counters, error) {
		var per []firewallCounter
		if err := d.objs.Counters.Lookup(gen*slots+uint32(slot), &per); err != nil {
			return firewall.Counters{}, fmt.Errorf("xdp: reading counters: %w", err)
		}
		var c firewall.Counters
		for _, p := range per {
			c.Packets += p.Packets
			c.Bytes += p.Bytes
		}
		return c, nil
	}
	s := &firewall.Stats{Rules: make([]firewall.Counters, n)}
	for i := range n {
		if s.Rules[i], err = read(i); err != nil {
			return nil, err
		}
	}
	if s.Default, err = read(slotDefault); err != nil {
		return nil, err
	}
	if s.Malformed, err = read(slotDefault + 1); err != nil {
		return nil, err
	}
	return s, nil
}

func lpm4(gen uint32, p netip.Prefix) *firewallLpm4Key {
	return &firewallLpm4Key{Prefixlen: 32 + uint32(p.Bits()), Gen: gen, Addr: p.Addr().As4()}
}

func lpm6(gen uint32, p netip.Prefix) *firewallLpm6Key {
	return &firewallLpm6Key{Prefixlen: 32 + uint32(p.Bits()), Gen: gen, Addr: p.Addr().As16()}
}

// pinPath returns where the link for ifname is pinned.
func (d *Dataplane) pinPath(ifname string) string { return filepath.Join(d.dir, "link_"+ifname) }
