package sim

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"slices"
	"strings"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

func (s *Sim) registerListenersHosts() {
	st := s.st
	s.register(&method{
		name: "nvmf_subsystem_add_listener",
		handle: func(a contract.Params) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			la, ok := parseListenAddress(a.Object("listen_address"))
			if !ok || ss.listener(la) != nil {
				return nil, errInvalidParams
			}
			if a.Bool("secure_channel") && ss.allowAnyHost {
				return nil, newErr(spdk.CodeInternalError, "Cannot establish secure channel, when 'allow_any_host' is set")
			}
			// spdk_nvmf_tgt_listen_ext: the transport must exist; a
			// vfio-user endpoint lives in an existing directory.
			if st.findTransport(la.Trtype) == nil || (la.Trtype == "VFIOUSER" && !dirExists(la.Traddr)) {
				return nil, errInvalidParams
			}
			state := "optimized"
			if a.Has("ana_state") {
				state = a.String("ana_state")
			}
			ss.listeners = append(ss.listeners, &listener{addr: la, anaState: state, secure: a.Bool("secure_channel")})
			return true, nil
		},
	})
	s.register(&method{
		name: "nvmf_subsystem_remove_listener",
		handle: func(a contract.Params) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			la, ok := parseListenAddress(a.Object("listen_address"))
			l := ss.listener(la)
			if !ok || l == nil || st.findTransport(la.Trtype) == nil {
				return nil, errInvalidParams
			}
			ss.listeners = slices.DeleteFunc(ss.listeners, func(x *listener) bool { return x == l })
			st.disconnectAll(ss, &la)
			return true, nil
		},
	})
	s.register(&method{
		name: "nvmf_subsystem_add_host",
		handle: func(a contract.Params) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			for _, k := range []string{"dhchap_key", "dhchap_ctrlr_key"} {
				if a.Has(k) && st.findKeyringKey(a.String(k)) == nil {
					return nil, errInvalidParams
				}
			}
			h := a.String("host")
			if !validNQN(h) || ss.host(h) != nil || (a.Has("psk") && st.findKeyringKey(a.String("psk")) == nil) {
				return nil, errInternal
			}
			// The TCP transport parses the PSK when the host is added.
			if a.Has("psk") && !validInterchangePSK(readFile(st.findKeyringKey(a.String("psk")).path)) {
				return nil, errInternal
			}
			ss.hosts = append(ss.hosts, &host{nqn: h, psk: a.String("psk"), dhchapKey: a.String("dhchap_key"), dhchapCtrlrKey: a.String("dhchap_ctrlr_key")})
			return true, nil
		},
	})
	s.register(&method{
		name: "nvmf_subsystem_remove_host",
		handle: func(a contract.Params) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			h := ss.host(a.String("host"))
			if h == nil {
				return nil, errInternal
			}
			ss.hosts = slices.DeleteFunc(ss.hosts, func(x *host) bool { return x == h })
			if !ss.allowAnyHost {
				st.disconnectHost(ss, h.nqn)
			}
			return true, nil
		},
	})
}

func (ss *subsystem) listener(la spdk.ListenAddress) *listener {
	for _, l := range ss.listeners {
		if l.addr == la {
			return l
		}
	}
	return nil
}

func (ss *subsystem) host(nqn string) *host {
	for _, h := range ss.hosts {
		if h.nqn == nqn {
			return h
		}
	}
	return nil
}

// validInterchangePSK reports whether s is a PSK in the NVMe/TCP
// interchange format as SPDK's nvme_tcp_parse_interchange_psk accepts it:
// "NVMeTLSkey-1:<hash>:<base64 of key and its CRC-32>:", nothing after
// (a trailing newline fails, as in spdk_tgt).
func validInterchangePSK(s string) bool {
	const prefix = "NVMeTLSkey-1:"
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, ":") {
		return false
	}
	hash, b64, ok := strings.Cut(strings.TrimSuffix(s[len(prefix):], ":"), ":")
	if !ok || (hash != "00" && hash != "01" && hash != "02") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || (len(raw) != 32+4 && len(raw) != 48+4) {
		return false
	}
	key := raw[:len(raw)-4]
	return crc32.ChecksumIEEE(key) == binary.LittleEndian.Uint32(raw[len(raw)-4:])
}
