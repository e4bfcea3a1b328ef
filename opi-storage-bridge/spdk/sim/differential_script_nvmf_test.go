package sim

const (
	dnqn1 = `"nqn":"nqn.2016-06.io.spdk:d1"`
	dnqn2 = `"nqn":"nqn.2016-06.io.spdk:d2"`
	dhost = `"host":"nqn.2016-06.io.spdk:host1"`
	// dlisten is a TCP listener on a free port of 127.0.0.1 (spdk_tgt binds it).
	dlisten  = `"listen_address":{"trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"{{PORT}}"}`
	dlisten2 = `"listen_address":{"trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"{{PORT2}}"}`
)

// nvmfSteps: the NVMe-oF target side: transport, subsystems, namespaces,
// listeners, ANA, hosts.
func nvmfSteps() []dstep {
	return []dstep{
		{method: "nvmf_get_transports", value: true},
		{method: "nvmf_get_subsystems"},
		{method: "nvmf_create_subsystem", params: `{` + dnqn1 + `,"allow_any_host":true,"ana_reporting":true}`, value: true},
		{method: "nvmf_create_subsystem", params: `{` + dnqn1 + `}`, msg: true},
		{method: "nvmf_create_subsystem", params: `{"nqn":"not-an-nqn"}`, msg: true},
		{method: "nvmf_create_subsystem", params: `{` + dnqn2 + `,"bogus":1}`, msg: true},
		{method: "nvmf_create_subsystem", params: `{` + dnqn2 + `,"allow_any_host":"yes"}`, msg: true},
		{method: "nvmf_create_subsystem", params: `{` + dnqn2 + `,"max_namespaces":-1}`, msg: true},
		{method: "nvmf_create_subsystem", params: `{` + dnqn2 + `,"min_cntlid":0}`, msg: true},
		{method: "nvmf_create_subsystem", params: `{}`, msg: true},
		{method: "nvmf_create_subsystem", params: `{` + dnqn2 + `,"serial_number":"SPDK00000000000001","model_number":"sim"}`, value: true},
		{method: "nvmf_subsystem_add_ns", params: `{` + dnqn1 + `,"namespace":{"bdev_name":"M0"}}`, value: true},
		{method: "nvmf_subsystem_add_ns", params: `{` + dnqn1 + `,"namespace":{"bdev_name":"M0"}}`, msg: true},
		{method: "nvmf_subsystem_add_ns", params: `{` + dnqn1 + `,"namespace":{"bdev_name":"nope"}}`, msg: true},
		{method: "nvmf_subsystem_add_ns", params: `{"nqn":"nqn.2016-06.io.spdk:nope","namespace":{"bdev_name":"N0"}}`, msg: true},
		{method: "nvmf_subsystem_add_ns", params: `{` + dnqn1 + `,"namespace":{"bdev_name":"MC","nsid":1}}`, msg: true},
		{method: "nvmf_subsystem_add_ns", params: `{` + dnqn1 + `,"namespace":{"bdev_name":"MC","nsid":-1}}`, msg: true},
		{method: "nvmf_subsystem_add_ns", params: `{` + dnqn1 + `,"namespace":{"bdev_name":"MC","bogus":1}}`, msg: true},
		{method: "nvmf_subsystem_add_ns", params: `{` + dnqn1 + `,"namespace":{}}`, msg: true},
		{method: "nvmf_subsystem_add_ns", params: `{` + dnqn1 + `}`, msg: true},
		{method: "nvmf_subsystem_add_listener", params: `{` + dnqn1 + `,` + dlisten + `}`, msg: true},
		{method: "nvmf_create_transport", params: `{"trtype":"TCP"}`},
		{method: "nvmf_create_transport", params: `{"trtype":"TCP"}`, msg: true},
		{method: "nvmf_create_transport", params: `{"trtype":"XYZ"}`, msg: true},
		{method: "nvmf_create_transport", params: `{"trtype":"TCP","max_queue_depth":"128"}`, msg: true},
		{method: "nvmf_create_transport", params: `{"trtype":"TCP","bogus":1}`, msg: true},
		{method: "nvmf_get_transports"},
		{method: "nvmf_get_transports", params: `{"trtype":"RDMA"}`, msg: true},
		{method: "nvmf_subsystem_add_listener", params: `{` + dnqn1 + `,` + dlisten + `}`},
		{method: "nvmf_subsystem_add_listener", params: `{` + dnqn1 + `,` + dlisten + `}`, msg: true},
		{method: "nvmf_subsystem_add_listener", params: `{"nqn":"nqn.2016-06.io.spdk:nope",` + dlisten + `}`, msg: true},
		{method: "nvmf_subsystem_add_listener", params: `{` + dnqn1 + `,"listen_address":{"trtype":"TCP","adrfam":"bogus","traddr":"127.0.0.1","trsvcid":"{{PORT}}"}}`, msg: true},
		{method: "nvmf_subsystem_add_listener", params: `{` + dnqn1 + `,"listen_address":{"trtype":"TCP","traddr":"127.0.0.1","trsvcid":"{{PORT}}","bogus":1}}`, msg: true},
		{method: "nvmf_subsystem_add_listener", params: `{` + dnqn1 + `}`, msg: true},
		{method: "nvmf_subsystem_listener_set_ana_state", params: `{` + dnqn1 + `,` + dlisten + `,"ana_state":"non_optimized"}`},
		{method: "nvmf_subsystem_listener_set_ana_state", params: `{` + dnqn1 + `,` + dlisten + `,"ana_state":"bogus"}`, msg: true},
		{method: "nvmf_subsystem_listener_set_ana_state", params: `{` + dnqn1 + `,` + dlisten2 + `,"ana_state":"optimized"}`, msg: true},
		{method: "nvmf_subsystem_listener_set_ana_state", params: `{` + dnqn2 + `,` + dlisten + `,"ana_state":"optimized"}`, msg: true},
		{method: "nvmf_subsystem_listener_set_ana_state", params: `{"nqn":"nqn.2016-06.io.spdk:nope",` + dlisten + `,"ana_state":"optimized"}`, msg: true},
		{method: "nvmf_subsystem_add_listener", params: `{` + dnqn2 + `,` + dlisten + `}`},
		{method: "nvmf_subsystem_listener_set_ana_state", params: `{` + dnqn2 + `,` + dlisten + `,"ana_state":"inaccessible"}`, msg: true},
		{method: "nvmf_get_subsystems", params: `{` + dnqn2 + `}`},
		{method: "nvmf_subsystem_add_host", params: `{` + dnqn2 + `,` + dhost + `}`},
		{method: "nvmf_subsystem_add_host", params: `{` + dnqn2 + `,` + dhost + `}`, msg: true},
		{method: "nvmf_subsystem_add_host", params: `{` + dnqn2 + `,"host":"nqn.2016-06.io.spdk:host2","psk":"key0"}`},
		{method: "nvmf_subsystem_add_host", params: `{` + dnqn2 + `,"host":"nqn.2016-06.io.spdk:host3","psk":"nope"}`, msg: true},
		{method: "nvmf_subsystem_add_host", params: `{` + dnqn2 + `,"host":"nqn.2016-06.io.spdk:host4","psk":"keynl"}`, msg: true},
		{method: "nvmf_subsystem_add_host", params: `{` + dnqn2 + `,"host":"nqn.2016-06.io.spdk:host5","psk":"keybad"}`, msg: true},
		{method: "nvmf_subsystem_add_host", params: `{"nqn":"nqn.2016-06.io.spdk:nope",` + dhost + `}`, msg: true},
		{method: "nvmf_subsystem_add_host", params: `{` + dnqn2 + `}`, msg: true},
		{method: "nvmf_subsystem_allow_any_host", params: `{` + dnqn2 + `,"allow_any_host":true}`},
		{method: "nvmf_subsystem_allow_any_host", params: `{` + dnqn2 + `,"allow_any_host":1}`, msg: true},
		{method: "nvmf_get_subsystems"},
		{method: "nvmf_get_subsystems", params: `{` + dnqn1 + `}`},
		{method: "nvmf_get_subsystems", params: `{"nqn":"nqn.2016-06.io.spdk:nope"}`, msg: true},
		{method: "nvmf_subsystem_get_controllers", params: `{` + dnqn1 + `}`, value: true},
		{method: "nvmf_subsystem_get_controllers", params: `{"nqn":"nqn.2016-06.io.spdk:nope"}`, msg: true},
		{method: "nvmf_subsystem_remove_host", params: `{` + dnqn2 + `,` + dhost + `}`},
		{method: "nvmf_subsystem_remove_host", params: `{` + dnqn2 + `,` + dhost + `}`, msg: true},
		{method: "nvmf_subsystem_remove_ns", params: `{` + dnqn1 + `,"nsid":1}`},
		{method: "nvmf_subsystem_remove_ns", params: `{` + dnqn1 + `,"nsid":1}`, msg: true},
		{method: "nvmf_subsystem_remove_ns", params: `{` + dnqn1 + `,"nsid":"1"}`, msg: true},
		{method: "nvmf_subsystem_remove_listener", params: `{` + dnqn1 + `,` + dlisten + `}`},
		{method: "nvmf_subsystem_remove_listener", params: `{` + dnqn1 + `,` + dlisten + `}`, msg: true},
		{method: "nvmf_delete_subsystem", params: `{` + dnqn2 + `}`},
		{method: "nvmf_delete_subsystem", params: `{` + dnqn2 + `}`, msg: true},
		{method: "keyring_file_remove_key", params: `{"name":"key0"}`},
		{method: "keyring_file_remove_key", params: `{"name":"keynl"}`},
		{method: "keyring_file_remove_key", params: `{"name":"keybad"}`},
	}
}

// initiatorSteps: bdev_nvme attaching the sim's (or the target's) own
// subsystem over TCP. The namespace gets a UUID and NGUID of its own:
// spdk_tgt cannot register a remote bdev whose UUID is a local bdev's.
func initiatorSteps() []dstep {
	attach := `{"name":"Nvme0","trtype":"tcp","adrfam":"ipv4","traddr":"127.0.0.1","trsvcid":"{{PORT2}}","subnqn":"nqn.2016-06.io.spdk:d1"}`
	return []dstep{
		{method: "nvmf_subsystem_add_ns", params: `{` + dnqn1 + `,"namespace":{"bdev_name":"M0","uuid":"11111111-2222-3333-4444-555555555555","nguid":"11111111222233334444555555555555"}}`, value: true},
		{method: "nvmf_subsystem_add_listener", params: `{` + dnqn1 + `,` + dlisten2 + `}`},
		{method: "bdev_nvme_attach_controller", params: attach, value: true},
		{method: "bdev_nvme_attach_controller", params: attach, msg: true},
		{method: "bdev_nvme_attach_controller", params: `{"name":"Nvme1","trtype":"tcp","adrfam":"ipv4","traddr":"127.0.0.1","trsvcid":"{{DEADPORT}}","subnqn":"nqn.2016-06.io.spdk:d1"}`, msg: true},
		{method: "bdev_nvme_attach_controller", params: `{"name":"Nvme1","trtype":"XYZ","traddr":"127.0.0.1"}`, msg: true},
		{method: "bdev_nvme_attach_controller", params: `{"name":"Nvme1","trtype":"tcp"}`, msg: true},
		{method: "bdev_nvme_attach_controller", params: `{"name":"Nvme1","trtype":"tcp","traddr":"127.0.0.1","bogus":1}`, msg: true},
		{method: "bdev_nvme_get_controllers", params: `{"name":"Nvme0"}`},
		{method: "bdev_nvme_get_controllers", params: `{"name":"nope"}`, msg: true},
		{method: "nvmf_subsystem_get_controllers", params: `{` + dnqn1 + `}`},
		{method: "bdev_get_bdevs", params: `{"name":"Nvme0n1"}`},
		{method: "bdev_nvme_set_multipath_policy", params: `{"name":"Nvme0n1","policy":"active_active"}`},
		{method: "bdev_nvme_set_multipath_policy", params: `{"name":"nope","policy":"active_active"}`, msg: true},
		{method: "bdev_nvme_set_multipath_policy", params: `{"name":"Nvme0n1","policy":"bogus"}`, msg: true},
		{method: "bdev_nvme_reset_controller", params: `{"name":"Nvme0"}`, value: true},
		{method: "bdev_nvme_reset_controller", params: `{"name":"nope"}`, msg: true},
		{method: "bdev_nvme_reset_controller", params: `{"name":"Nvme0","cntlid":65000}`, msg: true},
		{method: "bdev_nvme_get_path_iostat", params: `{"name":"Nvme0n1"}`, msg: true},
		{method: "bdev_nvme_get_path_iostat", params: `{"name":"nope"}`, msg: true},
		{method: "bdev_nvme_detach_controller", params: `{"name":"Nvme0"}`},
		{method: "bdev_nvme_detach_controller", params: `{"name":"Nvme0"}`, msg: true},
		{method: "bdev_get_bdevs", params: `{"name":"Nvme0n1"}`, msg: true},
		{method: "nvmf_create_subsystem", params: `{"nqn":"nqn.2016-06.io.spdk:d3","allow_any_host":true}`},
		{method: "nvmf_subsystem_add_ns", params: `{"nqn":"nqn.2016-06.io.spdk:d3","namespace":{"bdev_name":"L1"}}`, value: true},
		{method: "nvmf_subsystem_add_listener", params: `{"nqn":"nqn.2016-06.io.spdk:d3",` + dlisten2 + `}`},
		{method: "bdev_nvme_attach_controller", params: `{"name":"Nvme2","trtype":"tcp","adrfam":"ipv4","traddr":"127.0.0.1","trsvcid":"{{PORT2}}","subnqn":"nqn.2016-06.io.spdk:d3"}`, value: true,
			known: &knownDiff{id: "D2", real: "ok []", sim: `ok ["Nvme2n1"]`}},
		{method: "bdev_nvme_detach_controller", params: `{"name":"Nvme2"}`},
		{method: "nvmf_delete_subsystem", params: `{"nqn":"nqn.2016-06.io.spdk:d3"}`},
		{method: "nvmf_delete_subsystem", params: `{` + dnqn1 + `}`},
	}
}

// vhostSteps: vhost-user and vfio-user virtio-blk endpoints.
func vhostSteps() []dstep {
	return []dstep{
		{method: "bdev_malloc_create", params: `{"name":"MV","num_blocks":2048,"block_size":512}`, value: true},
		{method: "vhost_create_blk_controller", params: `{"ctrlr":"vhost.0","dev_name":"MV"}`},
		{method: "vhost_create_blk_controller", params: `{"ctrlr":"vhost.0","dev_name":"MV"}`, msg: true},
		{method: "vhost_create_blk_controller", params: `{"ctrlr":"vhost.1","dev_name":"nope"}`, msg: true},
		{method: "vhost_create_blk_controller", params: `{"ctrlr":"vhost.1","dev_name":"L1","cpumask":"0x10"}`, msg: true},
		{method: "vhost_create_blk_controller", params: `{"ctrlr":"vhost.1"}`, msg: true},
		{method: "vhost_create_blk_controller", params: `{"ctrlr":"vhost.1","dev_name":"L1","readonly":"no"}`, msg: true},
		{method: "vhost_get_controllers"},
		{method: "vhost_get_controllers", params: `{"name":"vhost.0"}`},
		{method: "vhost_get_controllers", params: `{"name":"nope"}`, msg: true},
		{method: "vhost_controller_set_coalescing", params: `{"ctrlr":"vhost.0","delay_base_us":100,"iops_threshold":60000}`},
		{method: "vhost_controller_set_coalescing", params: `{"ctrlr":"nope","delay_base_us":100,"iops_threshold":60000}`, msg: true},
		{method: "vhost_delete_controller", params: `{"ctrlr":"vhost.0"}`},
		{method: "vhost_delete_controller", params: `{"ctrlr":"vhost.0"}`, msg: true},
		{method: "vfu_virtio_create_blk_endpoint", params: `{"name":"vfu.0","bdev_name":"MV"}`},
		{method: "vfu_virtio_create_blk_endpoint", params: `{"name":"vfu.0","bdev_name":"MV"}`, msg: true},
		{method: "vfu_virtio_create_blk_endpoint", params: `{"name":"vfu.1","bdev_name":"nope"}`, msg: true},
		{method: "vfu_virtio_delete_endpoint", params: `{"name":"vfu.0"}`},
		{method: "vfu_virtio_delete_endpoint", params: `{"name":"vfu.0"}`, msg: true},
		{method: "bdev_malloc_delete", params: `{"name":"MV"}`},
	}
}
