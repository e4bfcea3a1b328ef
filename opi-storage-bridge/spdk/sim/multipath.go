package sim

import (
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

// registerMultipath serves the two ANA/multipath methods the storage
// bridge calls: the target side's per-listener ANA state and the
// initiator side's multipath policy of an NVMe bdev.
func (s *Sim) registerMultipath() {
	st := s.st
	s.register(&method{
		name: "nvmf_subsystem_listener_set_ana_state",
		handle: func(a contract.Params) (any, error) {
			if a.Has("tgt_name") {
				return nil, newErr(spdk.CodeInternalError, "Unable to find a target.")
			}
			ss := st.findSubsystem(a.String("nqn"))
			if ss == nil {
				return nil, newErr(spdk.CodeInvalidParams, "Unable to find subsystem with NQN %s", a.String("nqn"))
			}
			la, ok := parseListenAddress(a.Object("listen_address"))
			if !ok {
				return nil, errInvalidParams
			}
			// spdk_nvmf_subsystem_set_ana_state fails with -EINVAL for a
			// subsystem without ANA reporting or a listener it does not
			// have, and SPDK reports the errno in its message.
			l := ss.listener(la)
			if l == nil || !ss.anaReporting {
				return nil, newErr(spdk.CodeInternalError, "error setting ANA state: %d", -int(eINVAL))
			}
			l.anaState = a.String("ana_state")
			return true, nil
		},
	})
	s.register(&method{
		name: "bdev_nvme_set_multipath_policy",
		handle: func(a contract.Params) (any, error) {
			b := st.lookupBdev(a.String("name"))
			if b == nil || b.module != "nvme" {
				return nil, errnoErr(eNODEV)
			}
			policy := a.String("policy")
			if a.Has("selector") && policy != "active_active" {
				return nil, errnoErr(eINVAL)
			}
			b.mpPolicy = policy
			return true, nil
		},
	})
}
