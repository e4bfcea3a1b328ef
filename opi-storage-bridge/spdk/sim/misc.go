package sim

import "github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"

// Version the sim reports: SPDK v26.05, not built from a git checkout.
const (
	versionString = "SPDK v26.05"
	versionMajor  = 26
	versionMinor  = 5
)

// notInBuild are STARTUP-only methods of SPDK's contract that the
// reference build of spdk_tgt v26.05 (../shared/spdk/dist, see its
// BUILD.md) does not have: accel modules for hardware and libraries it is
// built without. spdk_tgt answers them "Method not found", and so does the
// sim (TestSimMatchesSPDKTarget compares rpc_get_methods).
var notInBuild = map[string]bool{
	"compressdev_scan_accel_module": true,
	"cuda_scan_accel_module":        true,
	"dsa_scan_accel_module":         true,
	"iaa_scan_accel_module":         true,
	"mlx5_scan_accel_module":        true,
}

func (s *Sim) registerMethods() {
	s.methods = map[string]*method{}
	// SPDK's STARTUP-only methods (state_mask STARTUP in the contract): the
	// sim, always in RUNTIME, answers them with the wrong-state error.
	for _, n := range s.contract.MethodNames() {
		if m := s.contract.Method(n); !m.ClientSideOnly && !m.RunsIn("RUNTIME") && !notInBuild[n] {
			s.register(&method{name: n, handle: func(contract.Params) (any, error) { return nil, nil }})
		}
	}
	s.register(&method{
		name: "spdk_get_version",
		handle: func(contract.Params) (any, error) {
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
		name: "rpc_get_methods",
		handle: func(a contract.Params) (any, error) {
			current := a.Bool("current")
			out := []string{}
			// SPDK walks its registration list head first: newest first.
			for i := len(s.order) - 1; i >= 0; i-- {
				m := s.methods[s.order[i]]
				if current && !m.runs() {
					continue
				}
				out = append(out, m.name)
			}
			return out, nil
		},
	})
	s.register(&method{
		name:   "framework_wait_init",
		handle: func(contract.Params) (any, error) { return true, nil },
	})
	s.registerBdevMethods()
	s.registerLvol()
	s.registerVbdevs()
	s.registerCrypto()
	s.registerKeyring()
	s.registerNvmf()
	s.registerNvme()
	s.registerMultipath()
	s.registerVhost()
}
