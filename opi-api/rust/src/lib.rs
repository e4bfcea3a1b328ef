//! Generated Rust messages (prost) for the OPI suite's API, one module per
//! proto package: `opi::inventory::v1::Inventory`, `google::api::HttpRule`,
//! and so on. Messages only: there are no gRPC stubs (see the Rust section
//! of opi-api/README.md).

// Everything below is generated from the protos; their comments are not
// written for rustdoc, which clippy's doc lints would flag.
#![allow(clippy::all)]

include!(concat!(env!("OUT_DIR"), "/opi.rs"));
