// Generates the messages of every proto under ../proto with prost-build and
// the protoc on PATH (or $PROTOC). Messages only: no gRPC stubs, because no
// tonic is packaged for Debian 12 (see ../README.md, "Rust").
use std::path::{Path, PathBuf};

fn protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            protos(&path, out)?;
        } else if path.extension().map_or(false, |e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let proto_dir = Path::new("../proto");
    let third_party = Path::new("../third_party");
    let mut files = Vec::new();
    protos(proto_dir, &mut files)?;
    files.sort();
    // Cargo scans a directory given here recursively: a changed or a new
    // proto re-runs the build script.
    println!("cargo:rerun-if-changed={}", proto_dir.display());
    println!("cargo:rerun-if-changed={}", third_party.display());
    if std::env::var_os("PROTOC").is_none() {
        std::env::set_var("PROTOC", "protoc");
    }
    prost_build::Config::new()
        // One file per proto package, included by src/lib.rs.
        .include_file("opi.rs")
        .compile_protos(&files, &[proto_dir, third_party])
}
