//! The committed BPF object must match its sources: recompute the hashes `scripts/build-bpf.sh`
//! records in `crates/runtime/bpf/SOURCE_HASH` (line 1: the sources, line 2: the object).

use sha2::{Digest, Sha256};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn bpf_object_matches_sources() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bpf");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .expect("bpf/ sources")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".c") || n.ends_with(".h"))
        .collect();
    names.sort();
    let mut listing = String::new();
    for n in &names {
        let data = std::fs::read(root.join(n)).expect("read source");
        listing.push_str(&format!("{n}\n{}\n", hex(&Sha256::digest(&data))));
    }
    let got = hex(&Sha256::digest(listing.as_bytes()));
    let mut recorded = include_str!("../bpf/SOURCE_HASH").lines();
    assert_eq!(
        Some(got.as_str()),
        recorded.next(),
        "BPF sources changed: run scripts/build-bpf.sh"
    );
    let object = hex(&Sha256::digest(include_bytes!("../bpf/rampart.bpf.o")));
    assert_eq!(
        Some(object.as_str()),
        recorded.next(),
        "the committed object is not the one scripts/build-bpf.sh built from these sources"
    );
}
