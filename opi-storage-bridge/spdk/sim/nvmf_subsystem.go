package sim

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

type nsInfo struct {
	NSID     uint32 `json:"nsid"`
	BdevName string `json:"bdev_name"`
	Name     string `json:"name"`
	NGUID    string `json:"nguid"`
	UUID     string `json:"uuid"`
	Anagrpid uint32 `json:"anagrpid"`
}

type hostInfo struct {
	NQN string `json:"nqn"`
	PSK string `json:"psk,omitempty"`
}

type subsystemInfo struct {
	NQN             string               `json:"nqn"`
	Subtype         string               `json:"subtype"`
	ListenAddresses []spdk.ListenAddress `json:"listen_addresses"`
	AllowAnyHost    bool                 `json:"allow_any_host"`
	Hosts           []hostInfo           `json:"hosts"`
	SerialNumber    string               `json:"serial_number,omitempty"`
	ModelNumber     string               `json:"model_number,omitempty"`
	MaxNamespaces   *uint32              `json:"max_namespaces,omitempty"`
	MinCntlid       *uint16              `json:"min_cntlid,omitempty"`
	MaxCntlid       *uint16              `json:"max_cntlid,omitempty"`
	Namespaces      *[]nsInfo            `json:"namespaces,omitempty"`
	// Dmrsl, Wzsl and Passthrough are reported for NVMe subsystems by
	// spdk_tgt v26.05 (dataset management and write zeroes limits, and
	// the passthrough flag); the sim reports what spdk_tgt does for
	// subsystems of malloc namespaces.
	Dmrsl       *uint32 `json:"dmrsl,omitempty"`
	Wzsl        *uint32 `json:"wzsl,omitempty"`
	Passthrough *bool   `json:"passthrough,omitempty"`
}

func (ss *subsystem) info() subsystemInfo {
	in := subsystemInfo{NQN: ss.nqn, Subtype: ss.subtype, ListenAddresses: []spdk.ListenAddress{}, AllowAnyHost: ss.allowAnyHost, Hosts: []hostInfo{}}
	for _, l := range ss.listeners {
		in.ListenAddresses = append(in.ListenAddresses, l.addr)
	}
	for _, h := range ss.hosts {
		// spdk_tgt v26.05 does not report a host's PSK key name.
		in.Hosts = append(in.Hosts, hostInfo{NQN: h.nqn})
	}
	if ss.subtype == "NVMe" {
		maxNS, minC, maxC := ss.maxNS, ss.minCntlid, ss.maxCntlid
		in.SerialNumber, in.ModelNumber = ss.serial, ss.model
		in.MaxNamespaces, in.MinCntlid, in.MaxCntlid = &maxNS, &minC, &maxC
		nss := []nsInfo{}
		for _, ns := range ss.namespaces {
			nss = append(nss, nsInfo{NSID: ns.nsid, BdevName: ns.bdev.name, Name: ns.bdev.name, NGUID: ns.nguid, UUID: ns.uuid, Anagrpid: ns.anagrpid})
		}
		in.Namespaces = &nss
		dmrsl, wzsl, no := uint32(2097152), uint32(12), false
		in.Dmrsl, in.Wzsl, in.Passthrough = &dmrsl, &wzsl, &no
	}
	return in
}

func (s *Sim) registerSubsystems() {
	st := s.st
	s.register(&method{
		name: "nvmf_create_subsystem",
		handle: func(a contract.Params) (any, error) {
			nqn := a.String("nqn")
			if !printableASCII(a.String("serial_number"), 20) || !printableASCII(a.String("model_number"), 40) {
				return nil, errInvalidParams
			}
			if a.Has("tgt_name") {
				return nil, newErr(spdk.CodeInternalError, "Unable to find target %s", a.String("tgt_name"))
			}
			minC, maxC := uint16(1), uint16(0xffef)
			if a.Has("min_cntlid") {
				minC = uint16(a.Uint("min_cntlid"))
			}
			if a.Has("max_cntlid") {
				maxC = uint16(a.Uint("max_cntlid"))
			}
			if minC < 1 || maxC > 0xffef || minC > maxC {
				return nil, newErr(spdk.CodeInvalidParams, "Invalid cntlid range [%d-%d]", minC, maxC)
			}
			if !validNQN(nqn) || st.findSubsystem(nqn) != nil {
				return nil, newErr(spdk.CodeInternalError, "Unable to create subsystem %s", nqn)
			}
			ss := &subsystem{
				nqn: nqn, subtype: "NVMe", serial: "00000000000000000000", model: "SPDK bdev Controller",
				maxNS: 32, minCntlid: minC, maxCntlid: maxC, allowAnyHost: a.Bool("allow_any_host"),
				anaReporting: a.Bool("ana_reporting"),
			}
			if a.Has("serial_number") {
				ss.serial = a.String("serial_number")
			}
			if a.Has("model_number") {
				ss.model = a.String("model_number")
			}
			if a.Uint("max_namespaces") != 0 {
				ss.maxNS = uint32(a.Uint("max_namespaces"))
			}
			st.subsystems = append(st.subsystems, ss)
			return true, nil
		},
	})
	s.register(&method{
		name: "nvmf_delete_subsystem",
		handle: func(a contract.Params) (any, error) {
			if a.Has("tgt_name") {
				return nil, newErr(spdk.CodeInternalError, "Unable to find a target.")
			}
			ss := st.findSubsystem(a.String("nqn"))
			if ss == nil || ss.subtype != "NVMe" {
				return nil, errInvalidParams
			}
			for _, ns := range append([]*namespace(nil), ss.namespaces...) {
				st.removeNamespace(ss, ns)
			}
			st.disconnectAll(ss, nil)
			for i, x := range st.subsystems {
				if x == ss {
					st.subsystems = append(st.subsystems[:i], st.subsystems[i+1:]...)
					break
				}
			}
			return true, nil
		},
	})
	s.register(&method{
		name: "nvmf_get_subsystems",
		handle: func(a contract.Params) (any, error) {
			if a.Has("tgt_name") {
				return nil, newErr(spdk.CodeInternalError, "Unable to find a target.")
			}
			out := []subsystemInfo{}
			for _, ss := range st.subsystems {
				if a.Has("nqn") && ss.nqn != a.String("nqn") {
					continue
				}
				out = append(out, ss.info())
			}
			if a.Has("nqn") && len(out) == 0 {
				return nil, errnoErr(eNODEV)
			}
			return out, nil
		},
	})
	s.register(&method{
		name: "nvmf_subsystem_allow_any_host",
		handle: func(a contract.Params) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			ss.allowAnyHost = a.Bool("allow_any_host")
			return true, nil
		},
	})
	s.registerQueries()
}

// querySubsystem resolves the nqn of a subsystem-scoped request; unknown
// NQNs are -32602 "Invalid parameters" as in SPDK's nvmf RPCs.
func (st *state) querySubsystem(a contract.Params) (*subsystem, error) {
	if a.Has("tgt_name") {
		return nil, newErr(spdk.CodeInternalError, "Unable to find a target.")
	}
	ss := st.findSubsystem(a.String("nqn"))
	if ss == nil {
		return nil, errInvalidParams
	}
	return ss, nil
}

func (s *Sim) registerQueries() {
	st := s.st
	s.register(&method{
		name: "nvmf_subsystem_get_controllers",
		handle: func(a contract.Params) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			type ctrlr struct {
				Cntlid      uint16 `json:"cntlid"`
				Cntrltype   string `json:"cntrltype"`
				Hostnqn     string `json:"hostnqn"`
				Hostid      string `json:"hostid"`
				NumIOQpairs uint32 `json:"num_io_qpairs"`
			}
			out := []ctrlr{}
			for _, c := range ss.controllers {
				out = append(out, ctrlr{c.cntlid, "io", c.hostnqn, c.hostid, c.ioQueues})
			}
			return out, nil
		},
	})
	s.register(&method{
		name: "nvmf_subsystem_get_qpairs",
		handle: func(a contract.Params) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			type qpair struct {
				Cntlid        uint16             `json:"cntlid"`
				QID           uint32             `json:"qid"`
				State         string             `json:"state"`
				ListenAddress spdk.ListenAddress `json:"listen_address"`
			}
			out := []qpair{}
			for _, c := range ss.controllers {
				for q := uint32(0); q <= c.ioQueues; q++ {
					out = append(out, qpair{c.cntlid, q, "active", c.addr})
				}
			}
			return out, nil
		},
	})
	s.register(&method{
		name: "nvmf_subsystem_get_listeners",
		handle: func(a contract.Params) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			type li struct {
				Address  spdk.ListenAddress `json:"address"`
				AnaState string             `json:"ana_state"`
			}
			out := []li{}
			for _, l := range ss.listeners {
				out = append(out, li{l.addr, l.anaState})
			}
			return out, nil
		},
	})
}

func (s *Sim) registerNamespaces() {
	st := s.st
	s.register(&method{
		name: "nvmf_subsystem_add_ns",
		handle: func(a contract.Params) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			n := a.Object("namespace")
			nguid := strings.ToUpper(strings.ReplaceAll(n.String("nguid"), "-", ""))
			eui := strings.ToUpper(strings.ReplaceAll(n.String("eui64"), "-", ""))
			if (nguid != "" && !isHexLen(nguid, 32)) || (eui != "" && !isHexLen(eui, 16)) {
				return nil, errInvalidParams
			}
			b := st.lookupBdev(n.String("bdev_name"))
			if b == nil || b.claim != nil || ss.subtype != "NVMe" {
				return nil, errInvalidParams
			}
			nsid := uint32(n.Uint("nsid"))
			if nsid == 0 {
				nsid = ss.lowestFreeNSID()
			}
			if nsid == 0 || nsid > ss.maxNS || ss.ns(nsid) != nil {
				return nil, errInvalidParams
			}
			uuid := n.String("uuid")
			if uuid == "" {
				uuid = b.uuid
			}
			for _, o := range ss.namespaces {
				if equalFoldASCII(o.uuid, uuid) || (nguid != "" && o.nguid == nguid) || (eui != "" && o.eui64 == eui) {
					return nil, errInvalidParams
				}
			}
			if nguid == "" {
				nguid = strings.ToUpper(strings.ReplaceAll(uuid, "-", ""))
			}
			ana := uint32(n.Uint("anagrpid"))
			if ana == 0 {
				ana = nsid
			}
			_ = b.claimBy("NVMe-oF Target")
			ns := &namespace{nsid: nsid, bdev: b, uuid: uuid, nguid: nguid, eui64: eui, anagrpid: ana}
			i, _ := ss.nsIndex(nsid)
			ss.namespaces = slices.Insert(ss.namespaces, i, ns)
			st.namespaceAdded(ss, ns)
			return nsid, nil
		},
	})
	s.register(&method{
		name: "nvmf_subsystem_remove_ns",
		handle: func(a contract.Params) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			ns := ss.ns(uint32(a.Uint("nsid")))
			if ns == nil {
				return nil, errInvalidParams
			}
			st.removeNamespace(ss, ns)
			return true, nil
		},
	})
}

// ns returns the namespace with id.
func (ss *subsystem) ns(id uint32) *namespace {
	if i, ok := ss.nsIndex(id); ok {
		return ss.namespaces[i]
	}
	return nil
}

// nsIndex finds id in the namespaces, which are kept sorted by nsid (as
// nvmf_get_subsystems lists them), or where it would go.
func (ss *subsystem) nsIndex(id uint32) (int, bool) {
	return slices.BinarySearchFunc(ss.namespaces, id, func(n *namespace, id uint32) int { return cmp.Compare(n.nsid, id) })
}

// lowestFreeNSID is the id SPDK gives a namespace added without one, or 0
// when all max_namespaces ids are taken.
func (ss *subsystem) lowestFreeNSID() uint32 {
	id := uint32(1)
	for _, n := range ss.namespaces { // sorted: the first gap is the answer
		if n.nsid != id {
			break
		}
		id++
	}
	if id > ss.maxNS {
		return 0
	}
	return id
}

// removeNamespace drops ns from ss, releases its bdev claim and tells the
// attached loopback initiators, whose namespace bdev goes away.
func (st *state) removeNamespace(ss *subsystem, ns *namespace) {
	for i, x := range ss.namespaces {
		if x == ns {
			ss.namespaces = append(ss.namespaces[:i], ss.namespaces[i+1:]...)
			break
		}
	}
	if ns.bdev.claim != nil && ns.bdev.claim.module == "NVMe-oF Target" {
		ns.bdev.release()
	}
	st.namespaceRemoved(ss, ns)
}

func isHexLen(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return false
		}
	}
	return true
}
