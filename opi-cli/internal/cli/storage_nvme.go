package cli

import (
	"fmt"
	"slices"
	"strings"

	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
)

func nvmeSubsystemKind() resourceKind[*storagev1.NvmeSubsystem] {
	return resourceKind[*storagev1.NvmeSubsystem]{
		use: "nvme-subsystem", noun: "NVMe subsystem", group: "frontend",
		example: `  opi storage nvme-subsystem create s1 --nqn nqn.2022-09.io.opiproject:s1 --allow-any-host
  opi storage nvme-subsystem create s2 --nqn nqn.2022-09.io.opiproject:s2 \
      --host nqn.2014-08.org.nvmexpress:uuid:host1 --psk-file nqn.2014-08.org.nvmexpress:uuid:host1=host1.psk
  opi storage nvme-subsystem stats s1`,
		columns: []string{"NQN", "HOSTS", "SERIAL NUMBER", "MAX NAMESPACES"},
		row: func(v *storagev1.NvmeSubsystem) []string {
			hosts := fmt.Sprint(len(v.GetHosts()))
			if v.GetAllowAnyHost() {
				hosts = "any"
			}
			return []string{v.GetNqn(), hosts, v.GetSerialNumber(), nonZero(v.GetMaxNamespaces())}
		},
		spec: func(s *specFlags, v *storagev1.NvmeSubsystem) {
			s.str(&v.Nqn, "nqn", "nqn", "NVMe qualified name hosts connect to, such as nqn.2022-09.io.opiproject:s1")
			s.str(&v.SerialNumber, "serial-number", "serial_number", "serial number, 1 to 20 ASCII characters (default: the service picks one)")
			s.str(&v.ModelNumber, "model-number", "model_number", "model number, 1 to 40 ASCII characters")
			s.u32(&v.MaxNamespaces, "max-namespaces", "max_namespaces", "most namespaces, and highest namespace id (default 32)")
			s.boolean(&v.AllowAnyHost, "allow-any-host", "allow_any_host", "let any host connect, not only those given with --host")
			s.boolean(&v.AnaReporting, "ana-reporting", "ana_reporting", "controllers report ANA states, for multipath hosts")
			hostFlags(s, v)
		},
	}
}

// hostFlags binds --host and --psk-file to the subsystem's hosts. A PSK is
// read from a file named after the host's NQN; an update replaces the whole
// list, so it must carry every host and PSK again.
func hostFlags(s *specFlags, v *storagev1.NvmeSubsystem) {
	var hosts, psks []string
	s.flags().StringArrayVar(&hosts, "host", nil, "NQN of a host allowed to connect (repeat for more; update replaces the list)")
	s.bind("host", "hosts")
	s.flags().StringArrayVar(&psks, "psk-file", nil, `HOST_NQN=FILE: the TLS PSK of that host ("NVMeTLSkey-1:01:...:", as nvme gen-tls-key prints it), read from FILE or from stdin for "-"; never the key itself`)
	s.bind("psk-file", "hosts")
	s.then(func(in *stdin) error {
		v.Hosts = nil
		for _, h := range hosts {
			v.Hosts = append(v.Hosts, &storagev1.NvmeSubsystemHost{HostNqn: h})
		}
		for _, arg := range psks {
			nqn, file, ok := strings.Cut(arg, "=")
			if !ok || nqn == "" || file == "" {
				return fmt.Errorf("--psk-file %q: want HOST_NQN=FILE, such as --psk-file nqn.2014-08.org.nvmexpress:uuid:host1=host1.psk", arg)
			}
			b, err := in.readSecret("psk-file", file)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(v.Hosts, func(h *storagev1.NvmeSubsystemHost) bool { return h.GetHostNqn() == nqn })
			if i < 0 {
				i = len(v.Hosts)
				v.Hosts = append(v.Hosts, &storagev1.NvmeSubsystemHost{HostNqn: nqn})
			}
			v.Hosts[i].Psk = strings.TrimSpace(string(b))
		}
		return nil
	})
}

func nvmeControllerKind() resourceKind[*storagev1.NvmeController] {
	return resourceKind[*storagev1.NvmeController]{
		use: "nvme-controller", noun: "NVMe controller", group: "frontend",
		parentFlag: "subsystem", parentNoun: "NVMe subsystem",
		example: `  opi storage nvme-controller create tcp1 --subsystem s1 --trtype tcp --traddr 0.0.0.0 --trsvcid 4420
  opi storage nvme-controller create pf0 --subsystem s1 --port-id 0 --physical-function 0
  opi storage nvme-controller update tcp1 --subsystem s1 --ana-state inaccessible`,
		columns: []string{"ENDPOINT", "SECURE", "ANA STATE", "DEVICE PATH"},
		row: func(v *storagev1.NvmeController) []string {
			return []string{endpointText(v.GetFabrics(), v.GetPcie()), yes(v.GetSecureChannel()), enumWord(v.GetAnaState()), v.GetDevicePath()}
		},
		spec: func(s *specFlags, v *storagev1.NvmeController) {
			fab, fabFlags := fabricsFlags(s, "fabrics")
			pcie, pcieFlagNames := pcieFlags(s, "pcie")
			pickEndpoint(s, fabFlags, pcieFlagNames,
				func() { v.Endpoint = &storagev1.NvmeController_Fabrics{Fabrics: fab} },
				func() { v.Endpoint = &storagev1.NvmeController_Pcie{Pcie: pcie} })
			s.boolean(&v.SecureChannel, "secure-channel", "secure_channel", "NVMe/TCP: require TLS with each host's PSK")
			enumFlag(s, &v.AnaState, "ana-state", "ana_state", "ANA state reported to hosts (with the subsystem's --ana-reporting)")
		},
	}
}

// endpointText is where a controller or device is reached.
func endpointText(fab *storagev1.NvmeFabricsAddress, pcie *storagev1.PcieEndpoint) string {
	switch {
	case fab != nil:
		return fabricsText(fab)
	case pcie != nil:
		return pcieText(pcie)
	}
	return ""
}

func nvmeNamespaceKind() resourceKind[*storagev1.NvmeNamespace] {
	return resourceKind[*storagev1.NvmeNamespace]{
		use: "nvme-namespace", noun: "NVMe namespace", group: "frontend",
		parentFlag: "subsystem", parentNoun: "NVMe subsystem",
		example: `  opi storage nvme-namespace create ns1 --subsystem s1 --volume mallocVolumes/m1
  opi storage nvme-namespace get nvmeSubsystems/s1/nvmeNamespaces/ns1`,
		columns: []string{"VOLUME", "NSID", "UUID"},
		row: func(v *storagev1.NvmeNamespace) []string {
			return []string{v.GetVolume(), nonZero(v.GetNsid()), v.GetUuid()}
		},
		spec: func(s *specFlags, v *storagev1.NvmeNamespace) {
			volumeFlag(s, &v.Volume, "the volume to expose")
			s.u32(&v.Nsid, "nsid", "nsid", "namespace id hosts see (default: the lowest free one)")
			s.str(&v.Uuid, "uuid", "uuid", "namespace UUID (default: the volume's)")
			s.str(&v.Nguid, "nguid", "nguid", "namespace NGUID, 32 hexadecimal digits")
			s.str(&v.Eui64, "eui64", "eui64", "namespace EUI-64, 16 hexadecimal digits")
		},
	}
}

func virtioBlkKind() resourceKind[*storagev1.VirtioBlk] {
	return resourceKind[*storagev1.VirtioBlk]{
		use: "virtio-blk", noun: "virtio-blk device", group: "frontend",
		example: `  opi storage virtio-blk create vm1-disk --volume mallocVolumes/m1 --vhost-user
  opi storage virtio-blk create host-disk --volume mallocVolumes/m2 --port-id 0 --physical-function 1`,
		columns: []string{"VOLUME", "ENDPOINT", "DEVICE PATH"},
		row: func(v *storagev1.VirtioBlk) []string {
			ep := endpointText(nil, v.GetPcie())
			if v.GetVhostUser() != nil {
				ep = "vhost-user"
			}
			return []string{v.GetVolume(), ep, v.GetDevicePath()}
		},
		spec: func(s *specFlags, v *storagev1.VirtioBlk) {
			volumeFlag(s, &v.Volume, "the volume to expose")
			var vhost bool
			s.boolean(&vhost, "vhost-user", "vhost_user", "expose a vhost-user socket for a virtual machine monitor")
			pcie, pcieFlagNames := pcieFlags(s, "pcie")
			pickEndpoint(s, []string{"vhost-user"}, pcieFlagNames,
				func() { v.Endpoint = &storagev1.VirtioBlk_VhostUser{VhostUser: &storagev1.VhostUserEndpoint{}} },
				func() { v.Endpoint = &storagev1.VirtioBlk_Pcie{Pcie: pcie} })
			s.str(&v.Cpumask, "cpumask", "cpumask", `backend cores that serve the queues, such as "0x3" (default: all)`)
			s.boolean(&v.PackedRing, "packed-ring", "packed_ring", "use packed virtqueues when the driver supports them")
			s.boolean(&v.ReadOnly, "read-only", "read_only", "vhost-user: offer the device read-only")
			s.u32(&v.NumQueues, "num-queues", "num_queues", "PCIe: number of virtqueues, 1 to 64 (default 64)")
			s.u32(&v.QueueSize, "queue-size", "queue_size", "PCIe: entries per virtqueue, a power of two (default 128)")
			s.u32(&v.CoalescingDelayUs, "coalescing-delay-us", "coalescing_delay_us", "vhost-user: signal completions at most once per this many microseconds (0: off)")
			s.u32(&v.CoalescingIopsThreshold, "coalescing-iops-threshold", "coalescing_iops_threshold", "vhost-user: IOPS above which coalescing starts")
		},
	}
}

func nvmeRemoteControllerKind() resourceKind[*storagev1.NvmeRemoteController] {
	return resourceKind[*storagev1.NvmeRemoteController]{
		use: "nvme-remote-controller", noun: "NVMe remote controller", group: "backend",
		example: `  opi storage nvme-remote-controller create r1 --trtype tcp --traddr 192.168.0.10 --subnqn nqn.2016-06.io.spdk:cnode1
  opi storage nvme-remote-controller create r2 --trtype tcp --traddr 192.168.0.11 --subnqn nqn.2016-06.io.spdk:cnode2 --psk-file r2.psk
  opi storage nvme-remote-namespace list --remote-controller r1`,
		columns: []string{"ADDRESS", "SUBNQN", "PSK", "MULTIPATH"},
		row: func(v *storagev1.NvmeRemoteController) []string {
			return []string{fabricsText(v.GetAddress()), v.GetSubnqn(), yes(v.GetPskConfigured()), enumWord(v.GetMultipathMode())}
		},
		spec: func(s *specFlags, v *storagev1.NvmeRemoteController) {
			v.Address, _ = fabricsFlags(s, "address")
			s.required = append(s.required, "trtype", "traddr")
			s.str(&v.Subnqn, "subnqn", "subnqn", "NQN of the remote subsystem")
			s.str(&v.Hostnqn, "hostnqn", "hostnqn", "host NQN to connect with (default: the backend's)")
			s.secretFile("psk-file", "psk", `NVMe/TCP: TLS PSK in interchange format ("NVMeTLSkey-1:01:...:")`, func(b []byte) { v.Psk = strings.TrimSpace(string(b)) })
			enumFlag(s, &v.MultipathMode, "multipath-mode", "multipath_mode", "how more than one path is used")
			enumFlag(s, &v.MultipathPolicy, "multipath-policy", "multipath_policy", "multipath: which paths carry I/O")
			enumFlag(s, &v.MultipathSelector, "multipath-selector", "multipath_selector", "active-active: how a path is picked per I/O")
			s.u32(&v.RoundRobinMinIo, "round-robin-min-io", "round_robin_min_io", "round-robin: I/Os per path before the next (default 1)")
			s.boolean(&v.HeaderDigest, "header-digest", "header_digest", "NVMe/TCP: CRC-32C on PDU headers")
			s.boolean(&v.DataDigest, "data-digest", "data_digest", "NVMe/TCP: CRC-32C on PDU data")
			s.u32(&v.IoQueues, "io-queues", "io_queues", "I/O queue pairs to ask for (default 1024)")
			s.i32(&v.ControllerLossTimeoutSeconds, "controller-loss-timeout-seconds", "controller_loss_timeout_seconds", "seconds to keep reconnecting (-1: forever, 0: no retry)")
			s.u32(&v.ReconnectDelaySeconds, "reconnect-delay-seconds", "reconnect_delay_seconds", "seconds between reconnect attempts (0: none)")
			s.u32(&v.FastIoFailTimeoutSeconds, "fast-io-fail-timeout-seconds", "fast_io_fail_timeout_seconds", "seconds I/O waits for a lost connection before failing")
		},
	}
}

func nvmePathKind() resourceKind[*storagev1.NvmePath] {
	return resourceKind[*storagev1.NvmePath]{
		use: "nvme-path", noun: "NVMe path", group: "backend",
		parentFlag: "remote-controller", parentNoun: "NVMe remote controller",
		example: `  opi storage nvme-path create p2 --remote-controller r1 --trtype tcp --traddr 192.168.1.10`,
		columns: []string{"ADDRESS"},
		row:     func(v *storagev1.NvmePath) []string { return []string{fabricsText(v.GetAddress())} },
		spec: func(s *specFlags, v *storagev1.NvmePath) {
			v.Address, _ = fabricsFlags(s, "address")
			s.required = append(s.required, "trtype", "traddr")
		},
	}
}

func nvmeRemoteNamespaceKind() resourceKind[*storagev1.NvmeRemoteNamespace] {
	return resourceKind[*storagev1.NvmeRemoteNamespace]{
		use: "nvme-remote-namespace", noun: "NVMe remote namespace", group: "backend",
		parentFlag: "remote-controller", parentNoun: "NVMe remote controller",
		example: `  opi storage nvme-remote-namespace list --remote-controller r1
  opi storage nvme-namespace create ns2 --subsystem s1 --volume nvmeRemoteControllers/r1/nvmeRemoteNamespaces/1`,
		columns: []string{"NSID", "SIZE", "UUID"},
		row: func(v *storagev1.NvmeRemoteNamespace) []string {
			return []string{nonZero(v.GetNsid()), volumeSize(v.GetBlockSize(), v.GetBlockCount()), v.GetUuid()}
		},
	}
}

// fabricsFlags binds --trtype, --traddr, --adrfam and --trsvcid to the
// address at path, and returns the address and its flag names.
func fabricsFlags(s *specFlags, path string) (*storagev1.NvmeFabricsAddress, []string) {
	a := &storagev1.NvmeFabricsAddress{}
	enumFlag(s, &a.Trtype, "trtype", path+".trtype", "NVMe over Fabrics transport")
	s.str(&a.Traddr, "traddr", path+".traddr", `IP address ("0.0.0.0" or "::" listens on every local address)`)
	enumFlag(s, &a.Adrfam, "adrfam", path+".adrfam", "address family (default: from --traddr)")
	s.u32(&a.Trsvcid, "trsvcid", path+".trsvcid", "TCP or RDMA port (default 4420)")
	return a, []string{"trtype", "traddr", "adrfam", "trsvcid"}
}

// pcieFlags binds --port-id, --physical-function and --virtual-function to
// the PCIe endpoint at path, and returns the endpoint and its flag names.
func pcieFlags(s *specFlags, path string) (*storagev1.PcieEndpoint, []string) {
	e := &storagev1.PcieEndpoint{}
	s.u32(&e.PortId, "port-id", path+".port_id", "PCIe: host-facing port of the DPU")
	s.u32(&e.PhysicalFunction, "physical-function", path+".physical_function", "PCIe: physical function on that port")
	s.u32(&e.VirtualFunction, "virtual-function", path+".virtual_function", "PCIe: virtual function (0: the physical function itself)")
	return e, []string{"port-id", "physical-function", "virtual-function"}
}

// pickEndpoint runs once the flags are parsed: it calls useA or useB after
// whichever group of flags the user gave, and refuses both.
func pickEndpoint(s *specFlags, a, b []string, useA, useB func()) {
	s.then(func(*stdin) error {
		switch gotA, gotB := s.anyChanged(a...), s.anyChanged(b...); {
		case gotA && gotB:
			return fmt.Errorf("%s and %s choose different endpoints: give one or the other", flagList(a), flagList(b))
		case gotA:
			useA()
		case gotB:
			useB()
		}
		return nil
	})
}

func virtioScsiTargetKind() resourceKind[*storagev1.VirtioScsiTarget] {
	return resourceKind[*storagev1.VirtioScsiTarget]{
		use: "virtio-scsi-target", noun: "virtio-scsi target", group: "frontend",
		example: `  opi storage virtio-scsi-target create vm1-scsi --vhost-user --max-luns 4
  opi storage virtio-scsi-target create host-scsi --port-id 0 --physical-function 2
  opi storage virtio-scsi-lun create disk1 --target vm1-scsi --volume mallocVolumes/m1`,
		columns: []string{"ENDPOINT", "MAX LUNS", "DEVICE PATH"},
		row: func(v *storagev1.VirtioScsiTarget) []string {
			ep := endpointText(nil, v.GetPcie())
			if v.GetVhostUser() != nil {
				ep = "vhost-user"
			}
			n := v.GetMaxLuns()
			if n == 0 {
				n = 8
			}
			return []string{ep, u64(uint64(n)), v.GetDevicePath()}
		},
		spec: func(s *specFlags, v *storagev1.VirtioScsiTarget) {
			var vhost bool
			s.boolean(&vhost, "vhost-user", "vhost_user", "expose a vhost-user socket for a virtual machine monitor")
			pcie, pcieFlagNames := pcieFlags(s, "pcie")
			pickEndpoint(s, []string{"vhost-user"}, pcieFlagNames,
				func() { v.Endpoint = &storagev1.VirtioScsiTarget_VhostUser{VhostUser: &storagev1.VhostUserEndpoint{}} },
				func() { v.Endpoint = &storagev1.VirtioScsiTarget_Pcie{Pcie: pcie} })
			s.str(&v.Cpumask, "cpumask", "cpumask", `backend cores that serve the queues, such as "0x3" (default: all)`)
			s.u32(&v.MaxLuns, "max-luns", "max_luns", "how many LUNs the target holds, 1 to 8 (default 8)")
		},
	}
}

func virtioScsiLunKind() resourceKind[*storagev1.VirtioScsiLun] {
	return resourceKind[*storagev1.VirtioScsiLun]{
		use: "virtio-scsi-lun", noun: "virtio-scsi LUN", group: "frontend",
		example: `  opi storage virtio-scsi-lun create disk1 --target vm1-scsi --volume mallocVolumes/m1
  opi storage virtio-scsi-lun create disk2 --target vm1-scsi --volume mallocVolumes/m2 --target-number 3`,
		columns: []string{"TARGET", "NUMBER", "VOLUME"},
		row: func(v *storagev1.VirtioScsiLun) []string {
			return []string{v.GetTarget(), u64(uint64(v.GetTargetNumber())), v.GetVolume()}
		},
		spec: func(s *specFlags, v *storagev1.VirtioScsiLun) {
			s.ref(&v.Target, "target", "target", "the virtio-scsi target")
			volumeFlag(s, &v.Volume, "the volume to expose")
			s.optU32(&v.TargetNumber, "target-number", "target_number", "the SCSI target number hosts see it at, 0 to max_luns-1 (default: the lowest free)")
		},
	}
}
