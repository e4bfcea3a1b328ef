package sim

// startupOnly lists the v26.05 methods whose state_mask is STARTUP only;
// the sim, always in RUNTIME, answers them with SPDK's wrong-state error.
var startupOnly = []string{
	"accel_assign_opc", "accel_set_driver", "accel_set_options", "ae4dma_scan_accel_module",
	"bdev_set_options", "compressdev_scan_accel_module", "cuda_scan_accel_module",
	"dpdk_cryptodev_scan_accel_module", "dpdk_cryptodev_set_driver", "dsa_scan_accel_module",
	"framework_start_init", "iaa_scan_accel_module", "ioat_scan_accel_module", "iobuf_set_options",
	"iscsi_set_options", "keyring_linux_set_options", "mlx5_scan_accel_module", "nvmf_set_config",
	"nvmf_set_crdt", "nvmf_set_max_subsystems", "scheduler_set_options", "sock_impl_set_options",
	"sock_set_default_impl", "vmd_enable",
}

// Version the sim reports: SPDK v26.05, not built from a git checkout.
const (
	versionString = "SPDK v26.05"
	versionMajor  = 26
	versionMinor  = 5
)

func (s *Sim) registerMethods() {
	s.methods = map[string]*method{}
	for _, n := range startupOnly {
		s.register(&method{name: n, states: stateStartup, handle: func(args) (any, error) { return nil, nil }})
	}
	s.register(&method{
		name:       "spdk_get_version",
		states:     stateStartup | stateRuntime,
		noParams:   true,
		presentErr: &rpcError{Code: codeInvalidParams, Message: "spdk_get_version method requires no parameters"},
		handle: func(args) (any, error) {
			type fields struct {
				Major  int    `json:"major"`
				Minor  int    `json:"minor"`
				Patch  int    `json:"patch"`
				Suffix string `json:"suffix"`
			}
			return struct {
				Version string `json:"version"`
				Fields  fields `json:"fields"`
			}{versionString, fields{versionMajor, versionMinor, 0, ""}}, nil
		},
	})
	s.register(&method{
		name:           "rpc_get_methods",
		states:         stateStartup | stateRuntime,
		fields:         []field{opt("current", kBool), opt("include_aliases", kBool)},
		optionalParams: true,
		decodeErr:      errInvalidParams,
		handle: func(a args) (any, error) {
			current := a.boolean("current")
			out := []string{}
			// SPDK walks its registration list head first: newest first.
			for i := len(s.order) - 1; i >= 0; i-- {
				m := s.methods[s.order[i]]
				if current && m.states&stateRuntime == 0 {
					continue
				}
				out = append(out, m.name)
			}
			return out, nil
		},
	})
	s.register(&method{
		name:         "framework_wait_init",
		states:       stateStartup | stateRuntime,
		ignoreParams: true,
		handle:       func(args) (any, error) { return true, nil },
	})
	s.registerBdevMethods()
	s.registerLvol()
	s.registerVbdevs()
	s.registerCrypto()
	s.registerKeyring()
	s.registerNvmf()
	s.registerNvme()
	s.registerVhost()
}
