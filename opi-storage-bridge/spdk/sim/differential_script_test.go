package sim

// diffScript is the sequence TestSimMatchesSPDKTarget drives against both
// sides: for each method the storage bridge calls, a valid call and a
// catalogue of invalid ones (unknown key, wrong type, missing required
// key, missing object, duplicate create, out-of-range value). Steps run in
// order and build on each other, as the bridge's calls do.
func diffScript() []dstep {
	var s []dstep
	s = append(s, bdevSteps()...)
	s = append(s, lvolSteps()...)
	s = append(s, cryptoSteps()...)
	s = append(s, keyringSteps()...)
	s = append(s, nvmfSteps()...)
	s = append(s, initiatorSteps()...)
	s = append(s, vhostSteps()...)
	return s
}

// bdevSteps: malloc, null and aio bdevs, QoS and the bdev queries.
func bdevSteps() []dstep {
	return []dstep{
		{method: "bdev_get_bdevs", value: true},
		{method: "bdev_malloc_create", params: `{"name":"M0","num_blocks":2048,"block_size":512}`, value: true},
		{method: "bdev_malloc_create", params: `{"name":"M0","num_blocks":2048,"block_size":512}`, msg: true},
		{method: "bdev_malloc_create", params: `{"name":"M1","num_blocks":2048,"block_size":512,"bogus":1}`, msg: true},
		{method: "bdev_malloc_create", params: `{"name":"M1","num_blocks":"2048","block_size":512}`, msg: true},
		{method: "bdev_malloc_create", params: `{"name":"M1","block_size":512}`, msg: true},
		{method: "bdev_malloc_create", params: `{"name":"M1","num_blocks":-1,"block_size":512}`, msg: true},
		{method: "bdev_malloc_create", params: `{"name":"M1","num_blocks":2048,"block_size":4294967296}`, msg: true},
		{method: "bdev_malloc_create", params: `{"name":"M1","num_blocks":2048,"block_size":513}`, msg: true},
		{method: "bdev_malloc_create", params: `{"name":"M1","num_blocks":0,"block_size":512}`, msg: true},
		{method: "bdev_malloc_create", params: `{"num_blocks":2048,"block_size":4096}`, value: true},
		{method: "bdev_malloc_create", params: ``, msg: true},
		{method: "bdev_get_bdevs", params: `{"name":"M0"}`},
		{method: "bdev_get_bdevs", params: `{"name":"Malloc0"}`},
		{method: "bdev_get_bdevs", params: `{"name":"nope"}`, msg: true},
		{method: "bdev_get_bdevs", params: `{"name":1}`, msg: true},
		{method: "bdev_get_bdevs", params: `{"name":"M0","bogus":true}`, msg: true},
		{method: "bdev_malloc_delete", params: `{"name":"Malloc0"}`},
		{method: "bdev_malloc_delete", params: `{"name":"Malloc0"}`, msg: true},
		{method: "bdev_malloc_delete", params: `{}`, msg: true},
		{method: "bdev_null_create", params: `{"name":"N0","num_blocks":1024,"block_size":512}`, value: true},
		{method: "bdev_null_create", params: `{"name":"N0","num_blocks":1024,"block_size":512}`, msg: true},
		{method: "bdev_null_create", params: `{"name":"N1","num_blocks":1024,"block_size":"512"}`, msg: true},
		{method: "bdev_null_create", params: `{"name":"N1","block_size":512}`, msg: true},
		{method: "bdev_null_create", params: `{"name":"N1","num_blocks":1024,"block_size":512,"bogus":0}`, msg: true},
		{method: "bdev_null_create", params: `{"name":"N1","num_blocks":1024,"block_size":100}`, msg: true},
		{method: "bdev_get_bdevs", params: `{"name":"N0"}`},
		{method: "bdev_null_delete", params: `{"name":"N0"}`},
		{method: "bdev_null_delete", params: `{"name":"N0"}`, msg: true},
		{method: "bdev_aio_create", params: `{"name":"A0","filename":"{{AIOFILE}}","block_size":512}`, value: true},
		{method: "bdev_aio_create", params: `{"name":"A0","filename":"{{AIOFILE}}","block_size":512}`, msg: true},
		{method: "bdev_aio_create", params: `{"name":"A1","filename":"{{DIR}}/missing.img"}`},
		{method: "bdev_aio_create", params: `{"name":"A1"}`, msg: true},
		{method: "bdev_aio_create", params: `{"name":"A1","filename":7}`, msg: true},
		{method: "bdev_aio_create", params: `{"name":"A1","filename":"{{AIOFILE}}","block_size":513}`},
		{method: "bdev_get_bdevs", params: `{"name":"A0"}`},
		{method: "bdev_aio_delete", params: `{"name":"A0"}`},
		{method: "bdev_aio_delete", params: `{"name":"A0"}`, msg: true},
		{method: "bdev_set_qos_limit", params: `{"name":"M0","rw_ios_per_sec":10000}`},
		{method: "bdev_set_qos_limit", params: `{"name":"M0","rw_ios_per_sec":1500}`, msg: true,
			known: &knownDiff{id: "D1", real: "code -32602: Failed to configure rate limit: Resource temporarily unavailable", sim: "ok"}},
		{method: "bdev_set_qos_limit", params: `{"name":"nope","rw_ios_per_sec":10000}`, msg: true},
		{method: "bdev_set_qos_limit", params: `{"name":"M0","rw_ios_per_sec":"10000"}`, msg: true},
		{method: "bdev_set_qos_limit", params: `{"name":"M0","bogus":1}`, msg: true},
		{method: "bdev_set_qos_limit", params: `{"name":"M0","rw_ios_per_sec":-1}`, msg: true},
		{method: "bdev_get_bdevs", params: `{"name":"M0"}`},
		{method: "bdev_malloc_create", params: `{"name":"MQ","num_blocks":2048,"block_size":512}`, value: true},
		{method: "bdev_set_qos_limit", params: `{"name":"MQ","rw_mbytes_per_sec":100}`},
		{method: "bdev_set_qos_limit", params: `{"name":"MQ","rw_mbytes_per_sec":200}`, msg: true,
			known: &knownDiff{id: "D1", real: "code -32602: Failed to configure rate limit: Resource temporarily unavailable", sim: "ok"}},
		{method: "bdev_malloc_delete", params: `{"name":"MQ"}`},
		{method: "bdev_get_iostat", params: `{"names":["M0"]}`},
		{method: "bdev_get_iostat", params: `{"names":["nope"]}`, msg: true},
		{method: "bdev_get_iostat", params: `{"name":"M0"}`},
		{method: "bdev_get_iostat", params: `{"bogus":1}`, msg: true},
		{method: "bdev_get_iostat", params: `{"names":"M0"}`, msg: true},
		{method: "bdev_get_iostat"},
	}
}

// lvolSteps: a logical volume store on a malloc bdev and volumes in it.
func lvolSteps() []dstep {
	return []dstep{
		{method: "bdev_malloc_create", params: `{"name":"L0","num_blocks":32768,"block_size":512}`, value: true},
		{method: "bdev_malloc_create", params: `{"name":"L1","num_blocks":32768,"block_size":512}`, value: true},
		{method: "bdev_lvol_create_lvstore", params: `{"bdev_name":"L0","lvs_name":"lvs0"}`},
		{method: "bdev_lvol_create_lvstore", params: `{"bdev_name":"L1","lvs_name":"lvs0"}`, msg: true},
		{method: "bdev_lvol_create_lvstore", params: `{"bdev_name":"L0","lvs_name":"lvs1"}`, msg: true},
		{method: "bdev_lvol_create_lvstore", params: `{"bdev_name":"nope","lvs_name":"lvs1"}`, msg: true},
		{method: "bdev_lvol_create_lvstore", params: `{"bdev_name":"L1"}`, msg: true},
		{method: "bdev_lvol_create_lvstore", params: `{"bdev_name":"L1","lvs_name":"lvs1","cluster_sz":"4"}`, msg: true},
		{method: "bdev_lvol_create_lvstore", params: `{"bdev_name":"L1","lvs_name":"lvs1","cluster_sz":1000}`, msg: true},
		{method: "bdev_lvol_get_lvstores", params: `{"lvs_name":"lvs0"}`},
		{method: "bdev_lvol_get_lvstores", params: `{"lvs_name":"nope"}`, msg: true},
		{method: "bdev_lvol_get_lvstores", params: `{"uuid":"00000000-0000-0000-0000-000000000001"}`, msg: true},
		{method: "bdev_lvol_get_lvstores", params: `{"lvs_name":"lvs0","uuid":"00000000-0000-0000-0000-000000000001"}`, msg: true},
		{method: "bdev_lvol_create", params: `{"lvol_name":"v0","size_in_mib":4,"lvs_name":"lvs0"}`},
		{method: "bdev_lvol_create", params: `{"lvol_name":"v0","size_in_mib":4,"lvs_name":"lvs0"}`, msg: true},
		{method: "bdev_lvol_create", params: `{"lvol_name":"v1","size_in_mib":1024,"lvs_name":"lvs0"}`, msg: true},
		{method: "bdev_lvol_create", params: `{"lvol_name":"v1","size_in_mib":4,"lvs_name":"nope"}`, msg: true},
		{method: "bdev_lvol_create", params: `{"lvol_name":"v1","size_in_mib":"4","lvs_name":"lvs0"}`, msg: true},
		{method: "bdev_lvol_create", params: `{"lvol_name":"v1","lvs_name":"lvs0"}`, msg: true},
		{method: "bdev_lvol_create", params: `{"lvol_name":"v1","size_in_mib":4}`, msg: true},
		{method: "bdev_lvol_create", params: `{"lvol_name":"v1","size_in_mib":4,"lvs_name":"lvs0","thin_provision":true,"clear_method":"bogus"}`, msg: true},
		{method: "bdev_get_bdevs", params: `{"name":"lvs0/v0"}`},
		{method: "bdev_lvol_resize", params: `{"name":"lvs0/v0","size_in_mib":8}`},
		{method: "bdev_lvol_resize", params: `{"name":"lvs0/nope","size_in_mib":8}`, msg: true},
		{method: "bdev_lvol_resize", params: `{"name":"lvs0/v0","size_in_mib":4096}`, msg: true},
		{method: "bdev_lvol_resize", params: `{"name":"lvs0/v0"}`, msg: true},
		{method: "bdev_lvol_delete", params: `{"name":"lvs0/v0"}`},
		{method: "bdev_lvol_delete", params: `{"name":"lvs0/v0"}`, msg: true},
		{method: "bdev_lvol_delete_lvstore", params: `{"lvs_name":"lvs0"}`},
		{method: "bdev_lvol_delete_lvstore", params: `{"lvs_name":"lvs0"}`, msg: true},
		{method: "bdev_lvol_delete_lvstore", params: `{}`, msg: true},
		{method: "bdev_lvol_delete_lvstore", params: `{"lvs_name":"lvs0","bogus":1}`, msg: true},
	}
}

// cryptoSteps: AES-XTS accel keys, crypto bdevs over them, and a
// passthru bdev (the other virtual bdev the bridge creates).
func cryptoSteps() []dstep {
	const key = `"key":"00112233445566778899aabbccddeeff","key2":"ffeeddccbbaa99887766554433221100"`
	return []dstep{
		{method: "accel_crypto_key_create", params: `{"cipher":"AES_XTS",` + key + `,"name":"k0"}`},
		{method: "accel_crypto_key_create", params: `{"cipher":"AES_XTS",` + key + `,"name":"k0"}`, msg: true},
		{method: "accel_crypto_key_create", params: `{"cipher":"XYZ",` + key + `,"name":"k1"}`, msg: true},
		{method: "accel_crypto_key_create", params: `{"cipher":"AES_XTS","key":"0011","key2":"ffee","name":"k1"}`, msg: true},
		{method: "accel_crypto_key_create", params: `{"cipher":"AES_XTS","key":"00112233445566778899aabbccddeeff","name":"k1"}`, msg: true},
		{method: "accel_crypto_key_create", params: `{"cipher":"AES_XTS","key":"00112233445566778899aabbccddeeff","key2":"00112233445566778899aabbccddeeff","name":"k1"}`, msg: true},
		{method: "accel_crypto_key_create", params: `{"cipher":"AES_XTS",` + key + `}`, msg: true},
		{method: "accel_crypto_key_create", params: `{"cipher":"AES_XTS",` + key + `,"name":"k1","bogus":1}`, msg: true},
		{method: "accel_crypto_keys_get", params: `{"key_name":"k0"}`},
		{method: "accel_crypto_keys_get", params: `{"key_name":"nope"}`, msg: true},
		{method: "accel_crypto_keys_get"},
		{method: "bdev_malloc_create", params: `{"name":"MC","num_blocks":2048,"block_size":512}`, value: true},
		{method: "bdev_crypto_create", params: `{"base_bdev_name":"MC","name":"C0","key_name":"k0"}`, value: true},
		{method: "bdev_crypto_create", params: `{"base_bdev_name":"MC","name":"C0","key_name":"k0"}`, msg: true},
		{method: "bdev_crypto_create", params: `{"base_bdev_name":"MC","name":"C1","key_name":"nope"}`, msg: true},
		{method: "bdev_crypto_create", params: `{"base_bdev_name":"MC","name":"C1"}`, msg: true},
		{method: "bdev_crypto_create", params: `{"base_bdev_name":"MC","key_name":"k0"}`, msg: true},
		{method: "bdev_crypto_create", params: `{"base_bdev_name":"later","name":"C2","key_name":"k0"}`, value: true},
		{method: "bdev_get_bdevs", params: `{"name":"C2"}`, msg: true},
		{method: "bdev_get_bdevs", params: `{"name":"C0"}`},
		{method: "bdev_get_bdevs", params: `{"name":"MC"}`},
		{method: "accel_crypto_key_destroy", params: `{"key_name":"k0"}`, msg: true},
		{method: "bdev_crypto_delete", params: `{"name":"C0"}`},
		{method: "bdev_crypto_delete", params: `{"name":"C0"}`, msg: true},
		{method: "bdev_crypto_delete", params: `{"name":"C2"}`, msg: true},
		{method: "accel_crypto_key_destroy", params: `{"key_name":"k0"}`},
		{method: "accel_crypto_key_destroy", params: `{"key_name":"k0"}`, msg: true},
		{method: "accel_crypto_key_destroy", params: `{}`, msg: true},
		{method: "bdev_passthru_create", params: `{"base_bdev_name":"MC","name":"P0"}`, value: true},
		{method: "bdev_passthru_create", params: `{"base_bdev_name":"MC","name":"P0"}`, msg: true},
		{method: "bdev_passthru_create", params: `{"base_bdev_name":"MC","name":"P1"}`, msg: true},
		{method: "bdev_get_bdevs", params: `{"name":"P0"}`},
		{method: "bdev_passthru_delete", params: `{"name":"P0"}`},
		{method: "bdev_passthru_delete", params: `{"name":"P0"}`, msg: true},
	}
}

// keyringSteps: keyring_file keys (the bridge's NVMe/TCP PSKs).
func keyringSteps() []dstep {
	return []dstep{
		{method: "keyring_file_add_key", params: `{"name":"key0","path":"{{KEYFILE}}"}`},
		{method: "keyring_file_add_key", params: `{"name":"key0","path":"{{KEYFILE}}"}`, msg: true},
		{method: "keyring_file_add_key", params: `{"name":"key1","path":"psk.key"}`, msg: true},
		{method: "keyring_file_add_key", params: `{"name":"key1","path":"{{DIR}}/missing.key"}`, msg: true},
		{method: "keyring_file_add_key", params: `{"name":"key1","path":"{{OPENKEYFILE}}"}`, msg: true},
		{method: "keyring_file_add_key", params: `{"name":"key1"}`, msg: true},
		{method: "keyring_file_add_key", params: `{"name":"key1","path":"{{KEYFILE}}","bogus":1}`, msg: true},
		{method: "keyring_file_add_key", params: `{"name":"keynl","path":"{{NLKEYFILE}}"}`},
		{method: "keyring_file_add_key", params: `{"name":"keybad","path":"{{BADKEYFILE}}"}`},
		{method: "keyring_get_keys"},
		{method: "keyring_file_remove_key", params: `{"name":"nope"}`, msg: true},
		{method: "keyring_file_remove_key", params: `{"name":5}`, msg: true},
	}
}
