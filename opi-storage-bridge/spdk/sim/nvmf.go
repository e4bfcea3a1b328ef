package sim

import (
	"os"
	"strings"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

const discoveryNQN = "nqn.2014-08.org.nvmexpress.discovery"

// nvmfTransport is a created NVMe-oF target transport with its options.
type nvmfTransport struct {
	opts map[string]any // type first, then options, as nvmf_get_transports
	keys []string
}

// subsystem is an NVMe-oF subsystem of the sim's one target.
type subsystem struct {
	nqn          string
	subtype      string
	serial       string
	model        string
	maxNS        uint32
	minCntlid    uint16
	maxCntlid    uint16
	allowAnyHost bool
	anaReporting bool
	listeners    []*listener
	hosts        []*host
	namespaces   []*namespace
	controllers  []*targetCtrlr
}

type listener struct {
	addr     spdk.ListenAddress
	anaState string
	secure   bool
}

type host struct {
	nqn            string
	psk            string
	dhchapKey      string
	dhchapCtrlrKey string
}

type namespace struct {
	nsid     uint32
	bdev     *bdev
	uuid     string
	nguid    string
	eui64    string
	anagrpid uint32
}

// targetCtrlr is a controller connected to a subsystem; in the sim only the
// sim's own NVMe-oF initiator (bdev_nvme loopback) connects.
type targetCtrlr struct {
	cntlid   uint16
	hostnqn  string
	hostid   string
	ioQueues uint32
	addr     spdk.ListenAddress
}

func (st *state) findSubsystem(nqn string) *subsystem {
	for _, ss := range st.subsystems {
		if ss.nqn == nqn {
			return ss
		}
	}
	return nil
}

func (st *state) findTransport(trtype string) *nvmfTransport {
	for _, t := range st.transports {
		if strings.EqualFold(t.opts["trtype"].(string), trtype) {
			return t
		}
	}
	return nil
}

// validNQN applies the NVMe NQN format checks of spdk_nvmf_subsystem_create.
func validNQN(nqn string) bool {
	if len(nqn) > 223 || len(nqn) < 11 || !strings.HasPrefix(nqn, "nqn.") {
		return false
	}
	if strings.HasPrefix(nqn, "nqn.2014-08.org.nvmexpress:uuid:") {
		return contract.IsUUID(strings.TrimPrefix(nqn, "nqn.2014-08.org.nvmexpress:uuid:"))
	}
	d := nqn[4:]
	if len(d) < 8 || d[4] != '-' || d[7] != '.' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6} {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return len(d) > 8
}

func printableASCII(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

var trtypes = map[string]string{"tcp": "TCP", "rdma": "RDMA", "vfiouser": "VFIOUSER", "fc": "FC", "pcie": "PCIe"}
var adrfams = map[string]string{"ipv4": "IPv4", "ipv6": "IPv6", "ib": "IB", "fc": "FC", "intra_host": "INTRA_HOST"}

// parseListenAddress normalises a listen_address as SPDK's decoder does:
// trtype and adrfam are matched without regard to case, adrfam defaults to
// IPv4 for IP transports.
func parseListenAddress(a contract.Params) (spdk.ListenAddress, bool) {
	tr, ok := trtypes[strings.ToLower(a.String("trtype"))]
	if !ok || tr == "PCIe" {
		return spdk.ListenAddress{}, false
	}
	la := spdk.ListenAddress{Trtype: tr, Traddr: a.String("traddr"), Trsvcid: a.String("trsvcid")}
	if a.Has("adrfam") {
		af, ok := adrfams[strings.ToLower(a.String("adrfam"))]
		if !ok {
			return spdk.ListenAddress{}, false
		}
		la.Adrfam = af
	} else if tr == "TCP" || tr == "RDMA" {
		la.Adrfam = "IPv4"
	}
	if len(la.Traddr) > 256 || len(la.Trsvcid) > 32 {
		return spdk.ListenAddress{}, false
	}
	return la, true
}

func (s *Sim) registerNvmf() {
	st := s.st
	s.register(&method{
		name: "nvmf_create_transport",
		handle: func(a contract.Params) (any, error) {
			if a.Has("tgt_name") {
				return nil, newErr(spdk.CodeInternalError, "Unable to find a target.")
			}
			raw := a.String("trtype")
			tr, ok := trtypes[strings.ToLower(raw)]
			if !ok || tr == "PCIe" {
				return nil, newErr(spdk.CodeInvalidParams, "Invalid transport type '%s'", raw)
			}
			if st.findTransport(tr) != nil {
				return nil, newErr(spdk.CodeInternalError, "Transport type '%s' already exists", raw)
			}
			if tr == "RDMA" || tr == "FC" {
				// No RDMA devices or FC ports on this host: the transport's
				// create fails in its asynchronous callback.
				return nil, newErr(spdk.CodeInternalError, "Failed to create transport.")
			}
			t := &nvmfTransport{opts: map[string]any{}}
			t.set("trtype", tr)
			// The options and defaults spdk_tgt v26.05 reports for TCP
			// (TestSimMatchesSPDKTarget compares the shape).
			t.set("max_queue_depth", uint64(128))
			t.set("max_io_qpairs_per_ctrlr", uint64(127))
			t.set("in_capsule_data_size", uint64(4096))
			t.set("max_io_size", uint64(131072))
			t.set("max_aq_depth", uint64(128))
			t.set("iobuf_small_cache_size", uint64(4294967295))
			t.set("iobuf_large_cache_size", uint64(4294967295))
			t.set("dif_insert_or_strip", false)
			t.set("zcopy", false)
			if tr == "TCP" {
				t.set("c2h_success", true)
				t.set("sock_priority", uint64(0))
			}
			t.set("abort_timeout_sec", uint64(1))
			t.set("ack_timeout", uint64(0))
			t.set("data_wr_pool_size", uint64(0))
			t.set("disable_command_passthru", false)
			t.set("kas", uint64(100))
			t.set("min_kato", uint64(10000))
			for _, f := range []string{"max_queue_depth", "max_io_qpairs_per_ctrlr", "in_capsule_data_size", "max_io_size",
				"max_aq_depth", "iobuf_small_cache_size", "iobuf_large_cache_size", "abort_timeout_sec", "sock_priority",
				"ack_timeout", "data_wr_pool_size", "kas", "min_kato"} {
				if a.Has(f) {
					t.set(f, a.Uint(f))
				}
			}
			for _, f := range []string{"zcopy", "dif_insert_or_strip", "c2h_success", "disable_command_passthru"} {
				if a.Has(f) {
					t.set(f, a.Bool(f))
				}
			}
			st.transports = append(st.transports, t)
			return true, nil
		},
	})
	s.register(&method{
		name: "nvmf_get_transports",
		handle: func(a contract.Params) (any, error) {
			if a.Has("tgt_name") {
				return nil, newErr(spdk.CodeInternalError, "Unable to find a target.")
			}
			out := []orderedObject{}
			for _, t := range st.transports {
				if a.Has("trtype") && !strings.EqualFold(a.String("trtype"), t.opts["trtype"].(string)) {
					continue
				}
				out = append(out, t.object())
			}
			if a.Has("trtype") && len(out) == 0 {
				return nil, errnoErr(eNODEV)
			}
			return out, nil
		},
	})
	s.registerSubsystems()
	s.registerNamespaces()
	s.registerListenersHosts()
}

func (t *nvmfTransport) set(k string, v any) {
	if _, ok := t.opts[k]; !ok {
		t.keys = append(t.keys, k)
	}
	t.opts[k] = v
}

// object renders the transport in SPDK's key order (v26.05 no longer
// sends the older "type" member).
func (t *nvmfTransport) object() orderedObject {
	o := orderedObject{}
	for _, k := range t.keys {
		o = append(o, kv{k, t.opts[k]})
	}
	return o
}

type kv struct {
	k string
	v any
}

// orderedObject marshals its members in order.
type orderedObject []kv

// MarshalJSON implements json.Marshaler.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := jsonMarshal(m.k)
		v, err := jsonMarshal(m.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
