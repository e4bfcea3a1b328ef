package sim

import "slices"

func (s *Sim) registerListenersHosts() {
	st := s.st
	s.register(&method{
		name: "nvmf_subsystem_add_listener",
		fields: []field{
			req("nqn", kString), opt("tgt_name", kString),
			{name: "listen_address", kind: kObject, required: true, fields: listenAddressFields},
			opt("secure_channel", kBool),
			{name: "ana_state", kind: kEnum, enum: []string{"optimized", "non_optimized", "inaccessible"}},
			opt("sock_impl", kString), opt("numa_id", kI32),
		},
		relaxed:   true,
		decodeErr: errInvalidParams,
		handle: func(a args) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			la, ok := parseListenAddress(a.obj("listen_address"))
			if !ok || ss.listener(la) != nil {
				return nil, errInvalidParams
			}
			if a.boolean("secure_channel") && ss.allowAnyHost {
				return nil, newErr(codeInternalError, "Cannot establish secure channel, when 'allow_any_host' is set")
			}
			// spdk_nvmf_tgt_listen_ext: the transport must exist; a
			// vfio-user endpoint lives in an existing directory.
			if st.findTransport(la.Trtype) == nil || (la.Trtype == "VFIOUSER" && !dirExists(la.Traddr)) {
				return nil, errInvalidParams
			}
			state := "optimized"
			if a.has("ana_state") {
				state = a.str("ana_state")
			}
			ss.listeners = append(ss.listeners, &listener{addr: la, anaState: state, secure: a.boolean("secure_channel")})
			return true, nil
		},
	})
	s.register(&method{
		name: "nvmf_subsystem_remove_listener",
		fields: []field{
			req("nqn", kString), opt("tgt_name", kString),
			{name: "listen_address", kind: kObject, required: true, fields: listenAddressFields},
		},
		decodeErr: errInvalidParams,
		handle: func(a args) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			la, ok := parseListenAddress(a.obj("listen_address"))
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
		fields: []field{
			req("nqn", kString), req("host", kString), opt("tgt_name", kString), opt("psk", kString),
			opt("dhchap_key", kString), opt("dhchap_ctrlr_key", kString),
		},
		relaxed:   true,
		decodeErr: errInvalidParams,
		handle: func(a args) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			for _, k := range []string{"dhchap_key", "dhchap_ctrlr_key"} {
				if a.has(k) && st.findKeyringKey(a.str(k)) == nil {
					return nil, errInvalidParams
				}
			}
			h := a.str("host")
			if !validNQN(h) || ss.host(h) != nil || (a.has("psk") && st.findKeyringKey(a.str("psk")) == nil) {
				return nil, errInternal
			}
			ss.hosts = append(ss.hosts, &host{nqn: h, psk: a.str("psk"), dhchapKey: a.str("dhchap_key"), dhchapCtrlrKey: a.str("dhchap_ctrlr_key")})
			return true, nil
		},
	})
	s.register(&method{
		name:      "nvmf_subsystem_remove_host",
		fields:    []field{req("nqn", kString), req("host", kString), opt("tgt_name", kString), opt("timeout_ms", kU64)},
		decodeErr: errInvalidParams,
		handle: func(a args) (any, error) {
			ss, err := st.querySubsystem(a)
			if err != nil {
				return nil, err
			}
			h := ss.host(a.str("host"))
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

func (ss *subsystem) listener(la listenAddr) *listener {
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
