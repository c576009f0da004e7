//! Entry points for fuzz targets: each takes arbitrary bytes and must never panic.

use crate::fields::Source;
use crate::rules::Loader;

/// Loads arbitrary bytes as a rules file and compiles them.
pub fn fuzz_rules(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut loader = Loader::new();
    loader.add_str("fuzz.yaml", &text);
    let _ = loader.report().to_json();
}

/// Parses and compiles arbitrary bytes as a condition for every source.
pub fn fuzz_filter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(expr) = crate::filter::parse(&text) {
        for s in Source::ALL {
            let _ = crate::filter::compile(&expr, s);
        }
        let _ = crate::filter::EvtTypes::of(&expr);
    }
}

/// Decodes arbitrary bytes as Kubernetes audit input and extracts every field of every event.
pub fn fuzz_k8s_audit(data: &[u8]) {
    crate::sources::k8s_audit::decode_bytes(data, |ev| extract_all(Source::K8sAudit, &ev));
}

/// Decodes arbitrary bytes as a CloudTrail log file and extracts every field of every record.
pub fn fuzz_cloudtrail(data: &[u8]) {
    crate::sources::cloudtrail::decode_bytes(data, "fuzz", |ev| {
        extract_all(Source::CloudTrail, &ev)
    });
}

/// Parses arbitrary bytes as an HTTP request to the audit webhook endpoint and decodes its body
/// as an audit `EventList`, as the agent does.
#[cfg(unix)]
pub fn fuzz_audit_http(data: &[u8]) {
    let mut r = data;
    if let Ok(Some(req)) = crate::agent::http::read_request(&mut r, 1 << 20) {
        let _ = req.route();
        crate::sources::k8s_audit::decode_bytes(&req.body, |ev| extract_all(Source::K8sAudit, &ev));
    }
}

/// Feeds arbitrary bytes to the audit-log line splitter in chunks cut where the first byte says,
/// decoding every line as an audit event, as the log follower does.
#[cfg(unix)]
pub fn fuzz_audit_lines(data: &[u8]) {
    use crate::agent::follow::{Line, LineSplitter};
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    let mut s = LineSplitter::new(256);
    let mut handle = |l: Line<'_>| {
        if let Line::Full(b) = l {
            assert!(b.len() <= 256 && !b.contains(&b'\n'));
            crate::sources::k8s_audit::decode_bytes(b, |_| {});
        }
    };
    for chunk in rest.chunks(usize::from(step).max(1)) {
        s.push(chunk, &mut handle);
    }
    s.finish(&mut handle);
}

fn extract_all(source: Source, ev: &dyn crate::fields::Event) {
    for f in source.fields() {
        for arg in [None, Some("0"), Some("x")] {
            let name = if f.arg == crate::fields::ArgKind::Suffix {
                format!("{}x", f.name)
            } else {
                f.name.to_string()
            };
            let fe = crate::filter::FieldExpr::Field {
                name,
                arg: arg.map(str::to_string),
            };
            if let Ok(cf) = crate::filter::compile_field(&fe, source) {
                let _ = cf.value(ev).render();
            }
        }
    }
}

/// Decodes arbitrary bytes as a CRI runtime's four answers to a container lookup (split at the
/// first three `0xff 0xfe` markers) and maps them into container and pod metadata.
#[cfg(all(target_os = "linux", feature = "ebpf"))]
pub fn fuzz_cri_responses(data: &[u8]) {
    let mut parts = [&data[..0]; 4];
    let mut rest = data;
    for part in parts.iter_mut().take(3) {
        match rest.windows(2).position(|w| w == [0xff, 0xfe]) {
            Some(i) => {
                *part = &rest[..i];
                rest = &rest[i + 2..];
            }
            None => {
                *part = rest;
                rest = &rest[rest.len()..];
            }
        }
    }
    parts[3] = rest;
    if let Ok(Some(found)) = crate::sources::ebpf::cri::decode_responses(parts) {
        // the model must serialise (what outputs do with it)
        let _ = serde_json::to_string(&found.container);
    }
    // the verbose status's `info` JSON (`container.privileged`), reached directly as well: a
    // mutated protobuf rarely carries a JSON document
    if let Ok(doc) = std::str::from_utf8(data) {
        let _ = crate::sources::ebpf::cri::privileged_in_json(doc);
    }
}

/// Parses arbitrary bytes as eBPF ring-buffer records (the input split into record-sized pieces)
/// and decodes each into an event with one long-lived decoder, as the agent's reader thread does.
#[cfg(all(target_os = "linux", feature = "ebpf"))]
pub fn fuzz_ebpf_record(data: &[u8]) {
    use crate::sources::ebpf::{decode::Decoder, raw};
    use std::sync::{Mutex, OnceLock};
    static DECODER: OnceLock<Mutex<Decoder>> = OnceLock::new();
    let decoder = DECODER.get_or_init(|| Mutex::new(Decoder::new()));
    let Ok(mut decoder) = decoder.lock() else {
        return;
    };
    let mut ev = crate::SyscallEvent::default();
    for chunk in data.chunks(raw::MAX_RECORD) {
        // short pieces are padded to a header so that the decoder sees them too
        let mut rec = chunk.to_vec();
        if rec.len() < raw::HEADER_SIZE {
            rec.resize(raw::HEADER_SIZE, 0);
        }
        if let Some(r) = raw::parse(&rec) {
            // keep the fuzzer from exec-ing /proc lookups of random pids in a loop
            let r = raw::RawEvent {
                tgid: r.tgid % 64,
                ..r
            };
            decoder.decode_into(&r, &mut ev);
        }
    }
}
