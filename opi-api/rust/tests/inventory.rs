use opi_api::opi::inventory::v1::{CpuInfo, Inventory, MemoryInfo, PciDevice};
use prost::Message;

#[test]
fn inventory_round_trips_through_the_wire_format() {
    let inv = Inventory {
        name: "inventory".into(),
        hostname: "dpu-1".into(),
        cpu: Some(CpuInfo {
            total_sockets: 1,
            total_cores: 8,
            total_threads: 16,
            ..Default::default()
        }),
        memory: Some(MemoryInfo {
            total_physical_bytes: 1 << 34,
            usable_bytes: 1 << 33,
        }),
        pci_devices: vec![PciDevice {
            address: "0000:00:1f.2".into(),
            numa_node: -1,
            ..Default::default()
        }],
        ..Default::default()
    };
    let wire = inv.encode_to_vec();
    let back = Inventory::decode(wire.as_slice()).expect("decode");
    assert_eq!(back, inv);
    assert_eq!(back.cpu.unwrap().total_threads, 16);
}

#[test]
fn inventory_decodes_bytes_another_encoder_wrote() {
    // name = "inventory" (field 1), memory { usable_bytes = 1 } (field 7):
    // the bytes Python's protobuf runtime writes for this message.
    let wire = b"\x0a\x09inventory\x3a\x02\x10\x01";
    let inv = Inventory::decode(&wire[..]).expect("decode");
    assert_eq!(inv.name, "inventory");
    assert_eq!(inv.memory.unwrap().usable_bytes, 1);
}
