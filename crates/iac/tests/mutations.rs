//! Cheap deterministic fuzzing: truncations and byte edits of every corpus file through every parser must
//! never panic (cargo-fuzz runs the same entry points for longer).

use rampart_iac::fuzzing;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn mutated_corpus_files_never_panic() {
    let mut all = Vec::new();
    files(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus")),
        &mut all,
    );
    all.sort();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    const EDITS: &[u8] = b"{}[]()\"'$%!:#\n\\=*&<>-|0";
    for f in all {
        let data = std::fs::read(&f).expect("read corpus file");
        for _ in 0..40 {
            let mut m = data.clone();
            match next() % 3 {
                0 => m.truncate((next() as usize) % (m.len() + 1)),
                1 => {
                    for _ in 0..4 {
                        if !m.is_empty() {
                            let i = (next() as usize) % m.len();
                            m[i] = EDITS[(next() as usize) % EDITS.len()];
                        }
                    }
                }
                _ => {
                    let i = (next() as usize) % (m.len() + 1);
                    let j = (next() as usize) % (m.len() + 1);
                    let (a, b) = (i.min(j), i.max(j));
                    let chunk = m[a..b].to_vec();
                    m.splice(a..a, chunk);
                }
            }
            fuzzing::fuzz_hcl(&m);
            fuzzing::fuzz_cloudformation(&m);
            fuzzing::fuzz_dockerfile(&m);
            fuzzing::fuzz_plan_json(&m);
        }
    }
}
