package sim

import (
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

// vhostCtrlr is a vhost-user-blk controller. The sim creates no vhost-user
// socket; it only keeps the controller.
type vhostCtrlr struct {
	name      string
	bdev      *bdev
	bdevName  string
	readonly  bool
	packed    bool
	cpumask   string
	transport string
	// Interrupt coalescing, as vhost_controller_set_coalescing set it.
	delayBaseUs   uint32
	iopsThreshold uint32
	// isScsi marks a vhost-user SCSI controller; scsi holds its SCSI
	// targets by number (nil: free).
	isScsi bool
	scsi   [vhostScsiMaxDevs]*scsiDev
}

// scsiDev is one SCSI target of a vhost-scsi controller: its bdev as LUN 0.
type scsiDev struct{ bdev *bdev }

// vhostScsiMaxDevs is SPDK's SPDK_VHOST_SCSI_CTRLR_MAX_DEVS.
const vhostScsiMaxDevs = 8

// Coalescing limits of SPDK's vhost_dev_set_coalescing (lib/vhost): the
// IOPS threshold is checked per 10 ms stats interval, so below 100 IOPS
// the rate rounds to 0 and is refused; the base delay is converted to CPU
// ticks (tickRate) and must stay under 2^32-1 of them. A new controller
// has SPDK's defaults: no delay, 60000 IOPS.
const (
	vhostStatsIntervalMs      = 10
	vhostDefaultIopsThreshold = 60000
)

// vfuEndpoint is a vfio-user virtio endpoint: a virtio-blk one over bdev,
// or (isScsi) a virtio-scsi one whose SCSI targets scsi holds by number.
type vfuEndpoint struct {
	name      string
	bdev      *bdev
	cpumask   string
	numQueues uint64
	qsize     uint64
	packed    bool
	isScsi    bool
	scsi      [vhostScsiMaxDevs]*scsiDev
}

// appCoreMask is the sim's reactor mask: every CPU of the host.
func appCoreMask() uint64 {
	n := runtime.NumCPU()
	if n >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(n) - 1
}

// parseCpumask accepts a hex mask (with or without 0x) that is a non-empty
// subset of the app's cores, or an empty string for all of them.
func parseCpumask(s string) (string, bool) {
	if s == "" {
		return "0x" + strconv.FormatUint(appCoreMask(), 16), true
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 64)
	if err != nil || v == 0 || v&^appCoreMask() != 0 {
		return "", false
	}
	return "0x" + strconv.FormatUint(v, 16), true
}

func (s *Sim) registerVhost() {
	st := s.st
	s.register(&method{
		name: "vhost_create_blk_controller",
		handle: func(a contract.Params) (any, error) {
			name := a.String("ctrlr")
			for _, v := range st.vhosts {
				if v.name == name {
					return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eEXIST))
				}
			}
			mask, ok := parseCpumask(a.String("cpumask"))
			tr := a.String("transport")
			if !ok || (tr != "" && tr != "vhost_user_blk") {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eINVAL))
			}
			b := st.lookupBdev(a.String("dev_name"))
			if b == nil {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNODEV))
			}
			st.vhosts = append(st.vhosts, &vhostCtrlr{
				name: name, bdev: b, bdevName: b.name, readonly: a.Bool("readonly"),
				packed: a.Bool("packed_ring"), cpumask: mask, transport: "vhost_user_blk",
				iopsThreshold: vhostDefaultIopsThreshold,
			})
			return true, nil
		},
	})
	s.register(&method{
		name: "vhost_controller_set_coalescing",
		handle: func(a contract.Params) (any, error) {
			for _, v := range st.vhosts {
				if v.name != a.String("ctrlr") {
					continue
				}
				delay, iops := a.Uint("delay_base_us"), a.Uint("iops_threshold")
				if delay*tickRate/1_000_000 >= 1<<32-1 || iops*vhostStatsIntervalMs/1000 == 0 {
					return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eINVAL))
				}
				v.delayBaseUs, v.iopsThreshold = uint32(delay), uint32(iops)
				return true, nil
			}
			return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNODEV))
		},
	})
	s.register(&method{
		name: "vhost_delete_controller",
		handle: func(a contract.Params) (any, error) {
			for i, v := range st.vhosts {
				if v.name == a.String("ctrlr") {
					st.vhosts = append(st.vhosts[:i], st.vhosts[i+1:]...)
					return true, nil
				}
			}
			return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNODEV))
		},
	})
	s.register(&method{
		name: "vhost_get_controllers",
		handle: func(a contract.Params) (any, error) {
			type block struct {
				Readonly  bool   `json:"readonly"`
				Bdev      string `json:"bdev"`
				Transport string `json:"transport"`
			}
			type info struct {
				Ctrlr           string         `json:"ctrlr"`
				Cpumask         string         `json:"cpumask"`
				DelayBaseUs     uint32         `json:"delay_base_us"`
				IopsThreshold   uint32         `json:"iops_threshold"`
				Socket          string         `json:"socket"`
				Sessions        []any          `json:"sessions"`
				BackendSpecific map[string]any `json:"backend_specific"`
			}
			out := []info{}
			for _, v := range st.vhosts {
				if a.Has("name") && v.name != a.String("name") {
					continue
				}
				bname := ""
				if v.bdev != nil {
					bname = v.bdev.name
				}
				var backend map[string]any
				if v.isScsi {
					backend = map[string]any{"scsi": v.scsiInfo()}
				} else {
					backend = map[string]any{"block": block{v.readonly, bname, v.transport}}
				}
				out = append(out, info{
					Ctrlr: v.name, Cpumask: v.cpumask, DelayBaseUs: v.delayBaseUs, IopsThreshold: v.iopsThreshold, Socket: vhostSocket(v.name),
					Sessions: []any{}, BackendSpecific: backend,
				})
			}
			if a.Has("name") && len(out) == 0 {
				return nil, newErr(spdk.CodeInternalError, "%s", strerror(eNODEV))
			}
			return out, nil
		},
	})
	s.registerVhostScsi()
	s.registerVfuScsi()
	s.register(&method{
		name: "vfu_virtio_create_blk_endpoint",
		handle: func(a contract.Params) (any, error) {
			name := a.String("name")
			for _, v := range st.vfuEndpoints {
				if v.name == name {
					return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eEXIST))
				}
			}
			mask, ok := parseCpumask(a.String("cpumask"))
			if !ok {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eINVAL))
			}
			b := st.lookupBdev(a.String("bdev_name"))
			if b == nil {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNODEV))
			}
			st.vfuEndpoints = append(st.vfuEndpoints, &vfuEndpoint{
				name: name, bdev: b, cpumask: mask, numQueues: a.Uint("num_queues"),
				qsize: a.Uint("qsize"), packed: a.Bool("packed_ring"),
			})
			return true, nil
		},
	})
	s.register(&method{
		name: "vfu_virtio_delete_endpoint",
		handle: func(a contract.Params) (any, error) {
			for i, v := range st.vfuEndpoints {
				if v.name == a.String("name") {
					st.vfuEndpoints = append(st.vfuEndpoints[:i], st.vfuEndpoints[i+1:]...)
					return true, nil
				}
			}
			// spdk_tgt: -32602 with ENOENT's text.
			return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNOENT))
		},
	})
}

// vhostSocket is where spdk_tgt would put the controller's socket: its
// working directory unless -S is given.
func vhostSocket(name string) string {
	wd, _ := os.Getwd()
	return wd + "/" + name
}

func readFile(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return string(b)
}

// scsiInfo is the "scsi" array of vhost_get_controllers: the SCSI targets
// by number, each with its LUN 0.
func (v *vhostCtrlr) scsiInfo() []any {
	type lun struct {
		ID       int    `json:"id"`
		BdevName string `json:"bdev_name"`
	}
	type dev struct {
		ScsiDevNum int    `json:"scsi_dev_num"`
		ID         int    `json:"id"`
		TargetName string `json:"target_name"`
		Luns       []lun  `json:"luns"`
	}
	out := []any{}
	for n, d := range v.scsi {
		if d == nil {
			continue
		}
		// SPDK numbers the entries as it lists them ("id") beside the
		// SCSI target number.
		out = append(out, dev{ScsiDevNum: n, ID: len(out), TargetName: "Target " + strconv.Itoa(n), Luns: []lun{{0, d.bdev.name}}})
	}
	return out
}

// registerVhostScsi registers the vhost-user SCSI methods as spdk_tgt
// v26.05 answers them (measured): every refusal is -32602 with strerror's
// text; a bdev may back several SCSI targets; deleting a controller
// that still has SCSI targets succeeds.
func (s *Sim) registerVhostScsi() {
	st := s.st
	find := func(name string) *vhostCtrlr {
		for _, v := range st.vhosts {
			if v.name == name {
				return v
			}
		}
		return nil
	}
	s.register(&method{
		name: "vhost_create_scsi_controller",
		handle: func(a contract.Params) (any, error) {
			name := a.String("ctrlr")
			if find(name) != nil {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eEXIST))
			}
			mask, ok := parseCpumask(a.String("cpumask"))
			if !ok {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eINVAL))
			}
			if strings.Contains(name, "/") {
				// The socket cannot be made in a directory that is not there.
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eIO))
			}
			st.vhosts = append(st.vhosts, &vhostCtrlr{name: name, cpumask: mask, isScsi: true, iopsThreshold: vhostDefaultIopsThreshold})
			return true, nil
		},
	})
	s.register(&method{
		name: "vhost_scsi_controller_add_target",
		handle: func(a contract.Params) (any, error) {
			v := find(a.String("ctrlr"))
			if v == nil || !v.isScsi {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNODEV))
			}
			n := a.Int("scsi_target_num")
			if n == -1 {
				n = -2
				for i, d := range v.scsi {
					if d == nil {
						n = int64(i)
						break
					}
				}
				if n == -2 {
					return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNOSPC))
				}
			}
			if n < 0 || n >= vhostScsiMaxDevs {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eINVAL))
			}
			if v.scsi[n] != nil {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eEXIST))
			}
			b := st.lookupBdev(a.String("bdev_name"))
			if b == nil {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eINVAL))
			}
			v.scsi[n] = &scsiDev{bdev: b}
			return n, nil
		},
	})
	s.register(&method{
		name: "vhost_scsi_controller_remove_target",
		handle: func(a contract.Params) (any, error) {
			v := find(a.String("ctrlr"))
			if v == nil || !v.isScsi {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNODEV))
			}
			n := a.Uint("scsi_target_num")
			switch {
			case n >= vhostScsiMaxDevs:
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eINVAL))
			case v.scsi[n] != nil:
				v.scsi[n] = nil
				return true, nil
			}
			// spdk_tgt answers "busy" for a number that holds no SCSI
			// target, removed before or never added.
			return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eBUSY))
		},
	})
}

// registerVfuScsi registers the vfio-user virtio-scsi methods as spdk_tgt
// v26.05 answers them (measured): every refusal is -32602 with strerror's
// text. Endpoint names are one namespace with the virtio-blk endpoints'.
// The checks run in spdk_tgt's order (endpoint, number, free slot, bdev),
// so an add with a bdev that is not there tells a taken number ("File
// exists") from a free one ("Bad address") without changing anything.
func (s *Sim) registerVfuScsi() {
	st := s.st
	find := func(name string) *vfuEndpoint {
		for _, v := range st.vfuEndpoints {
			if v.name == name {
				return v
			}
		}
		return nil
	}
	s.register(&method{
		name: "vfu_virtio_create_scsi_endpoint",
		handle: func(a contract.Params) (any, error) {
			name := a.String("name")
			if find(name) != nil {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eEXIST))
			}
			if a.Has("cpumask") && a.String("cpumask") != "" {
				if _, ok := parseCpumask(a.String("cpumask")); !ok {
					// spdk_tgt: a core outside its mask is -EPERM.
					return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(ePERM))
				}
			}
			mask, _ := parseCpumask(a.String("cpumask"))
			if a.Has("num_io_queues") && a.Uint("num_io_queues") == 0 {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eFAULT))
			}
			st.vfuEndpoints = append(st.vfuEndpoints, &vfuEndpoint{
				name: name, cpumask: mask, numQueues: a.Uint("num_io_queues"),
				qsize: a.Uint("qsize"), packed: a.Bool("packed_ring"), isScsi: true,
			})
			return true, nil
		},
	})
	s.register(&method{
		name: "vfu_virtio_scsi_add_target",
		handle: func(a contract.Params) (any, error) {
			v := find(a.String("name"))
			if v == nil {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNOENT))
			}
			n := a.Uint("scsi_target_num")
			switch {
			case n >= vhostScsiMaxDevs:
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eINVAL))
			case !v.isScsi || v.scsi[n] != nil:
				// spdk_tgt answers a virtio-blk endpoint so too.
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eEXIST))
			}
			b := st.lookupBdev(a.String("bdev_name"))
			if b == nil {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eFAULT))
			}
			v.scsi[n] = &scsiDev{bdev: b}
			return true, nil
		},
	})
	s.register(&method{
		name: "vfu_virtio_scsi_remove_target",
		handle: func(a contract.Params) (any, error) {
			v := find(a.String("name"))
			if v == nil {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNOENT))
			}
			n := a.Uint("scsi_target_num")
			switch {
			case n >= vhostScsiMaxDevs:
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eINVAL))
			case !v.isScsi:
				// spdk_tgt v26.05 takes a virtio-blk endpoint for a
				// virtio-scsi one here and stops answering (measured); the
				// sim refuses instead.
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eINVAL))
			case v.scsi[n] == nil:
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNOENT))
			}
			v.scsi[n] = nil
			return true, nil
		},
	})
}
