package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

// defaultHostNQN is the host NQN the sim's NVMe-oF initiator uses when the
// request names none (SPDK derives one from the host UUID).
const defaultHostNQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000005d5151"

// nvmeCtrlr is a bdev_nvme controller: a name, one or more paths to the
// same subsystem, and the namespace bdevs "<name>n<nsid>".
type nvmeCtrlr struct {
	name    string
	subnqn  string
	hostnqn string
	mode    string
	paths   []*nvmePath
	ss      *subsystem
	bdevs   map[uint32]*bdev
}

type nvmePath struct {
	trid   nvmeTrid
	psk    string
	cntlid uint16
	target *targetCtrlr
}

type nvmeTrid struct {
	Trtype  string `json:"trtype"`
	Adrfam  string `json:"adrfam,omitempty"`
	Traddr  string `json:"traddr"`
	Trsvcid string `json:"trsvcid,omitempty"`
	Subnqn  string `json:"subnqn,omitempty"`
}

func (st *state) findCtrlr(name string) *nvmeCtrlr {
	for _, c := range st.ctrlrs {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (s *Sim) registerNvme() {
	st := s.st
	s.register(&method{
		name:   "bdev_nvme_attach_controller",
		handle: func(a contract.Params) (any, error) { return st.attach(a) },
	})
	s.register(&method{
		name: "bdev_nvme_detach_controller",
		handle: func(a contract.Params) (any, error) {
			if a.Has("trtype") {
				if _, ok := trtypes[strings.ToLower(a.String("trtype"))]; !ok {
					return nil, errnoMsg(eINVAL, "Failed to parse trtype: %s", a.String("trtype"))
				}
			}
			c := st.findCtrlr(a.String("name"))
			if c == nil {
				return nil, errnoErr(eNODEV)
			}
			var keep []*nvmePath
			removed := 0
			for _, p := range c.paths {
				match := (!a.Has("trtype") || strings.EqualFold(p.trid.Trtype, a.String("trtype"))) &&
					(!a.Has("traddr") || p.trid.Traddr == a.String("traddr")) &&
					(!a.Has("adrfam") || strings.EqualFold(p.trid.Adrfam, a.String("adrfam"))) &&
					(!a.Has("trsvcid") || p.trid.Trsvcid == a.String("trsvcid")) &&
					(!a.Has("subnqn") || p.trid.Subnqn == a.String("subnqn"))
				if match {
					removed++
					st.dropTargetCtrlr(c.ss, p.target)
				} else {
					keep = append(keep, p)
				}
			}
			if removed == 0 {
				return nil, errnoErr(eNXIO)
			}
			c.paths = keep
			if len(c.paths) == 0 {
				st.destroyCtrlr(c)
			}
			return true, nil
		},
	})
	s.register(&method{
		name: "bdev_nvme_reset_controller",
		handle: func(a contract.Params) (any, error) {
			// spdk_tgt answers an unknown controller (or cntlid) with -19
			// before the reset; a reset of a known one reconnects its
			// paths, which the sim's always-connected paths need not do.
			c := st.findCtrlr(a.String("name"))
			if c == nil {
				return nil, errnoErr(eNODEV)
			}
			if a.Has("cntlid") && !slices.ContainsFunc(c.paths, func(p *nvmePath) bool { return uint64(p.cntlid) == a.Uint("cntlid") }) {
				return nil, errnoErr(eNODEV)
			}
			return true, nil
		},
	})
	s.register(&method{
		name: "bdev_nvme_get_path_iostat",
		handle: func(contract.Params) (any, error) {
			// The sim does not count per path, as spdk_tgt does not unless
			// bdev_nvme_set_options set enable_io_path_stat; spdk_tgt
			// checks that before it looks the bdev up.
			return nil, newErr(spdk.CodeInvalidState, "RPC not enabled if enable_io_path_stat is false")
		},
	})
	s.register(&method{
		name: "bdev_nvme_get_controllers",
		handle: func(a contract.Params) (any, error) {
			out := []any{}
			for _, c := range st.ctrlrs {
				if a.Has("name") && c.name != a.String("name") {
					continue
				}
				out = append(out, c.info())
			}
			if a.Has("name") && len(out) == 0 {
				return nil, errnoMsg(eINVAL, "Controller %s does not exist", a.String("name"))
			}
			return out, nil
		},
	})
}

func (c *nvmeCtrlr) info() any {
	type hostInfo struct {
		NQN               string `json:"nqn"`
		Addr              string `json:"addr"`
		Svcid             string `json:"svcid"`
		NoShnNotification bool   `json:"no_shn_notification"`
	}
	type ctrlrInfo struct {
		State  string   `json:"state"`
		Trid   nvmeTrid `json:"trid"`
		Cntlid uint16   `json:"cntlid"`
		Host   hostInfo `json:"host"`
	}
	ctrlrs := []ctrlrInfo{}
	for _, p := range c.paths {
		ctrlrs = append(ctrlrs, ctrlrInfo{State: "enabled", Trid: p.trid, Cntlid: p.cntlid, Host: hostInfo{NQN: c.hostnqn}})
	}
	return struct {
		Name   string      `json:"name"`
		Ctrlrs []ctrlrInfo `json:"ctrlrs"`
	}{c.name, ctrlrs}
}

// attach implements bdev_nvme_attach_controller. The sim can reach no
// remote target, only its own NVMe-oF subsystems through their listeners;
// any other target fails as an unreachable one does.
func (st *state) attach(a contract.Params) (any, error) {
	tr, ok := trtypes[strings.ToLower(a.String("trtype"))]
	if !ok {
		// SPDK takes any name as a custom transport, then finds no such
		// transport to probe.
		return nil, errnoErr(eNODEV)
	}
	trid := nvmeTrid{Trtype: tr, Traddr: a.String("traddr"), Trsvcid: a.String("trsvcid"), Subnqn: a.String("subnqn")}
	if a.Has("adrfam") {
		af, ok := adrfams[strings.ToLower(a.String("adrfam"))]
		if !ok {
			return nil, errnoMsg(eINVAL, "Failed to parse adrfam: %s", a.String("adrfam"))
		}
		trid.Adrfam = af
	} else if tr == "TCP" || tr == "RDMA" {
		trid.Adrfam = "IPv4"
	}
	if a.Has("max_bdevs") && a.Uint("max_bdevs") == 0 {
		return nil, errnoMsg(eINVAL, "max_bdevs cannot be zero")
	}
	ioq := uint32(1)
	if a.Has("num_io_queues") {
		n := a.Uint("num_io_queues")
		if n < 1 || n > 65536 {
			return nil, errnoMsg(eINVAL, "num_io_queues out of bounds, min: 1 max: 65536")
		}
		ioq = uint32(n)
	}
	if tr != "PCIe" && trid.Subnqn == "" {
		trid.Subnqn = discoveryNQN
	}
	hostnqn := a.String("hostnqn")
	if hostnqn == "" {
		hostnqn = defaultHostNQN
	}
	mode := a.String("multipath")
	if mode == "" {
		mode = "failover"
	}
	name := a.String("name")
	existing := st.findCtrlr(name)
	if existing != nil {
		for _, p := range existing.paths {
			if p.trid == trid {
				return nil, errnoMsg(eALREADY, "A controller named %s already exists with the specified network path", name)
			}
		}
		if mode == "disable" || existing.mode == "disable" {
			return nil, errnoMsg(eALREADY, "A controller named %s already exists and multipath is disabled", name)
		}
		if existing.subnqn != trid.Subnqn {
			return nil, errnoMsg(eINVAL, "A controller named %s already exists, but uses a different subnqn (%s)", name, existing.subnqn)
		}
		if existing.hostnqn != hostnqn {
			return nil, errnoMsg(eINVAL, "A controller named %s already exists, but uses a different hostnqn (%s)", name, existing.hostnqn)
		}
	}
	ss, err := st.connect(trid, hostnqn, a.String("psk"))
	if err != nil {
		return nil, err
	}
	addr := spdk.ListenAddress{Trtype: trid.Trtype, Adrfam: trid.Adrfam, Traddr: trid.Traddr, Trsvcid: trid.Trsvcid}
	tc := st.newTargetCtrlr(ss, hostnqn, ioq, addr)
	path := &nvmePath{trid: trid, psk: a.String("psk"), cntlid: tc.cntlid, target: tc}
	if existing != nil {
		existing.paths = append(existing.paths, path)
		return existing.bdevNames(), nil
	}
	c := &nvmeCtrlr{name: name, subnqn: trid.Subnqn, hostnqn: hostnqn, mode: mode, paths: []*nvmePath{path}, ss: ss, bdevs: map[uint32]*bdev{}}
	st.ctrlrs = append(st.ctrlrs, c)
	max := uint64(128)
	if a.Has("max_bdevs") {
		max = a.Uint("max_bdevs")
	}
	for i, ns := range ss.namespaces {
		if uint64(i) >= max {
			return nil, errnoErr(eINVAL)
		}
		st.addNamespaceBdev(c, ns)
	}
	return c.bdevNames(), nil
}

// connect finds the sim's own subsystem behind trid and checks that the
// host may connect to it; anything else cannot be reached.
func (st *state) connect(trid nvmeTrid, hostnqn, psk string) (*subsystem, error) {
	if trid.Trtype == "PCIe" || trid.Trtype == "VFIOUSER" {
		return nil, errnoErr(eNODEV) // no such device to probe on this host
	}
	ss := st.findSubsystem(trid.Subnqn)
	if ss == nil || ss.subtype != "NVMe" {
		return nil, errnoErr(eIO)
	}
	want := spdk.ListenAddress{Trtype: trid.Trtype, Adrfam: trid.Adrfam, Traddr: trid.Traddr, Trsvcid: trid.Trsvcid}
	l := ss.listener(want)
	if l == nil {
		return nil, errnoErr(eIO) // connection refused: nothing listens there
	}
	h := ss.host(hostnqn)
	if !ss.allowAnyHost && h == nil {
		return nil, errnoErr(eIO) // fabrics connect rejected
	}
	if l.secure && (h == nil || h.psk == "" || psk == "") {
		return nil, errnoErr(eIO)
	}
	if psk != "" {
		if st.findKeyringKey(psk) == nil {
			return nil, errnoErr(eINVAL)
		}
		if h != nil && h.psk != "" && !st.sameKey(h.psk, psk) {
			return nil, errnoErr(eIO) // TLS handshake fails
		}
	}
	return ss, nil
}

// sameKey compares two keyring keys by their file contents.
func (st *state) sameKey(a, b string) bool {
	if a == b {
		return true
	}
	ka, kb := st.findKeyringKey(a), st.findKeyringKey(b)
	if ka == nil || kb == nil {
		return false
	}
	return readFile(ka.path) == readFile(kb.path) && readFile(ka.path) != ""
}

func (st *state) newTargetCtrlr(ss *subsystem, hostnqn string, ioq uint32, addr spdk.ListenAddress) *targetCtrlr {
	id := ss.minCntlid
	for slices.ContainsFunc(ss.controllers, func(c *targetCtrlr) bool { return c.cntlid == id }) {
		id++
	}
	tc := &targetCtrlr{cntlid: id, hostnqn: hostnqn, hostid: defaultHostNQN[len(defaultHostNQN)-36:], ioQueues: ioq, addr: addr}
	ss.controllers = append(ss.controllers, tc)
	return tc
}

func (st *state) dropTargetCtrlr(ss *subsystem, tc *targetCtrlr) {
	if ss == nil {
		return
	}
	ss.controllers = slices.DeleteFunc(ss.controllers, func(x *targetCtrlr) bool { return x == tc })
}

func (c *nvmeCtrlr) bdevNames() []string {
	out := []string{}
	for _, ns := range c.ss.namespaces {
		if b := c.bdevs[ns.nsid]; b != nil {
			out = append(out, b.name)
		}
	}
	return out
}

func (st *state) addNamespaceBdev(c *nvmeCtrlr, ns *namespace) {
	tr := c.paths[0].trid
	b := &bdev{
		name: fmt.Sprintf("%sn%d", c.name, ns.nsid), uuid: ns.uuid, product: "NVMe disk", module: "nvme",
		blockSize: ns.bdev.blockSize, numBlocks: ns.bdev.numBlocks, ioTypes: nvmeIOTypes,
		memoryDomains: []memoryDomain{{DMADeviceType: "DMA"}},
	}
	b.driver = func() map[string]any {
		p := c.paths[0]
		ctrlr := map[string]any{
			"cntlid": p.cntlid, "vendor_id": "0x8086", "model_number": c.ss.model, "serial_number": c.ss.serial,
			"firmware_revision": "26.05", "subnqn": c.subnqn,
			"oacs":        map[string]any{"security": 0, "format": 0, "firmware": 0, "ns_manage": 0},
			"multi_ctrlr": true, "ana_reporting": c.ss.anaReporting,
		}
		nsData := map[string]any{"id": ns.nsid, "can_share": true}
		if c.ss.anaReporting {
			nsData["ana_state"] = "optimized"
		}
		policy := b.mpPolicy
		if policy == "" {
			policy = "active_passive"
		}
		return map[string]any{"mp_policy": policy, "nvme": []any{map[string]any{
			"trid": tr, "ctrlr_data": ctrlr, "vs": map[string]any{"nvme_version": "2.0"}, "ns_data": nsData,
		}}}
	}
	// The namespace UUID is the target bdev's; the sim's two views of one
	// device share it, so register the initiator's bdev without the check
	// (spdk_tgt cannot: README, known difference D2).
	st.register(b)
	c.bdevs[ns.nsid] = b
	st.examine(b)
}

// namespaceAdded and namespaceRemoved stand for the namespace-attribute
// AEN: attached initiators add or drop the namespace's bdev.
func (st *state) namespaceAdded(ss *subsystem, ns *namespace) {
	for _, c := range st.ctrlrs {
		if c.ss == ss {
			st.addNamespaceBdev(c, ns)
		}
	}
}

func (st *state) namespaceRemoved(ss *subsystem, ns *namespace) {
	for _, c := range st.ctrlrs {
		if c.ss == ss {
			if b := c.bdevs[ns.nsid]; b != nil {
				delete(c.bdevs, ns.nsid)
				st.removeBdev(b)
			}
		}
	}
}

// disconnectAll drops initiator paths to ss (through la only, if given),
// as when a listener or the subsystem goes away. Controllers left without
// a path keep their bdevs, as bdev_nvme does while it tries to reconnect.
func (st *state) disconnectAll(ss *subsystem, la *spdk.ListenAddress) {
	for _, c := range st.ctrlrs {
		if c.ss != ss {
			continue
		}
		for _, p := range c.paths {
			if p.target != nil && (la == nil || p.target.addr == *la) {
				st.dropTargetCtrlr(ss, p.target)
				p.target = nil
			}
		}
	}
}

func (st *state) disconnectHost(ss *subsystem, hostnqn string) {
	for _, c := range st.ctrlrs {
		if c.ss == ss && c.hostnqn == hostnqn {
			for _, p := range c.paths {
				st.dropTargetCtrlr(ss, p.target)
				p.target = nil
			}
		}
	}
}

func (st *state) destroyCtrlr(c *nvmeCtrlr) {
	for _, b := range c.bdevs {
		st.removeBdev(b)
	}
	st.ctrlrs = slices.DeleteFunc(st.ctrlrs, func(x *nvmeCtrlr) bool { return x == c })
}
