//! The fuzz entry points never panic on arbitrary or mutated input.

use proptest::prelude::*;
use rampart_runtime::fuzzing;

const SEED_RULES: &str = "- list: l\n  items: [a, b]\n- macro: m\n  condition: evt.type in (open) and proc.name in (l)\n- rule: r\n  desc: d\n  condition: m and not fd.name pmatch (/etc) or tolower(proc.aname[2]) glob 'x*'\n  output: \"%proc.name %fd.name[0] %(evt.arg.flags)\"\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[a]]\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rules_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        fuzzing::fuzz_rules(&bytes);
        fuzzing::fuzz_filter(&bytes);
        fuzzing::fuzz_k8s_audit(&bytes);
        fuzzing::fuzz_cloudtrail(&bytes);
        fuzzing::fuzz_audit_http(&bytes);
        fuzzing::fuzz_audit_lines(&bytes);
    }

    #[test]
    fn mutated_rules_never_panic(cut in 0usize..SEED_RULES.len(), insert in "[ -~\n]{0,8}") {
        let mut text = SEED_RULES.to_string();
        let cut = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        text.insert_str(cut, &insert);
        fuzzing::fuzz_rules(text.as_bytes());
        fuzzing::fuzz_filter(text.as_bytes());
    }
}

#[test]
fn audit_events_with_odd_shapes_never_panic() {
    for doc in [
        r#"{"kind":"Event","requestObject":{"spec":{"containers":3,"volumes":[{"hostPath":7}]}}}"#,
        r#"{"kind":"Event","requestURI":"/x?command=%ZZ&command","objectRef":[]}"#,
        r#"{"kind":"EventList","items":[{"kind":"Event","requestObject":{"rules":[{"verbs":"*"}]}}]}"#,
    ] {
        fuzzing::fuzz_k8s_audit(doc.as_bytes());
    }
    fuzzing::fuzz_cloudtrail(
        br#"{"Records":[{"userIdentity":5,"requestParameters":{"a":{"b":[1]}}}]}"#,
    );
}

#[test]
fn audit_http_and_lines_with_odd_shapes_never_panic() {
    for raw in [
        &b"POST /k8s-audit HTTP/1.1\r\nContent-Length: 40\r\n\r\n{\"kind\":\"EventList\",\"items\":[{}]}xx"[..],
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"\r\n\r\n",
    ] {
        fuzzing::fuzz_audit_http(raw);
    }
    fuzzing::fuzz_audit_lines(b"\x03{\"kind\":\"Event\"}\n\n\r\nnot json\n");
}

#[cfg(all(target_os = "linux", feature = "ebpf"))]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn cri_answers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        fuzzing::fuzz_cri_responses(&bytes);
    }

    /// The verbose `info` JSON (`container.privileged`): mutated containerd documents.
    #[test]
    fn cri_info_documents_never_panic(cut in 0usize..120, insert in "[ -~]{0,8}") {
        let mut doc = r#"{"config":{"linux":{"security_context":{"privileged":true}}},"privileged":false}"#
            .to_string();
        let cut = cut.min(doc.len());
        doc.insert_str(cut, &insert);
        fuzzing::fuzz_cri_responses(doc.as_bytes());
        let _ = rampart_runtime::sources::ebpf::cri::privileged_in_json(&doc);
    }
}

/// The fuzz corpus's verbose ContainerStatus seed decodes to a privileged container.
#[cfg(all(target_os = "linux", feature = "ebpf"))]
#[test]
fn the_verbose_status_seed_is_a_privileged_container() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/corpus/cri_responses/verbose-info-privileged"
    );
    let data = std::fs::read(path).expect("seed");
    fuzzing::fuzz_cri_responses(&data);
    let mut bodies: [&[u8]; 4] = [&[]; 4];
    let mut rest = &data[..];
    for body in bodies.iter_mut().take(3) {
        let i = rest
            .windows(2)
            .position(|w| w == [0xff, 0xfe])
            .expect("marker");
        *body = &rest[..i];
        rest = &rest[i + 2..];
    }
    bodies[3] = rest;
    let found = rampart_runtime::sources::ebpf::cri::decode_responses(bodies)
        .expect("decodes")
        .expect("a container");
    assert!(found.container.privileged);
}
