//! Hostile and broken input: every case loads what it can, warns with file and line, and stays bounded.

use proptest::prelude::*;
use rampart_kube::{LoadError, LoadOptions, load_path, load_str};

fn opts() -> LoadOptions {
    LoadOptions::default()
}

#[test]
fn invalid_yaml_mid_file_warns_with_line_and_keeps_the_rest() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n   bad: indent\n  - x\n---\napiVersion: v1\nkind: Service\nmetadata: {name: c}\n";
    let l = load_str(text, "mixed.yaml", &opts());
    let names: Vec<&str> = l.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, vec!["a", "c"]);
    assert_eq!(l.warnings.len(), 1);
    let w = &l.warnings[0];
    assert_eq!(w.path, "mixed.yaml");
    let line = w.line.expect("line");
    assert!((5..=10).contains(&line), "line {line}: {}", w.message);
    assert!(w.message.starts_with("invalid YAML"));
}

#[test]
fn alias_bomb_is_rejected_quickly() {
    let mut s = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        s.push_str(&format!(
            "  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    s.push_str("---\nkind: Pod\nmetadata: {name: after}\n");
    let start = std::time::Instant::now();
    let l = load_str(&s, "bomb.yaml", &opts());
    assert!(start.elapsed().as_secs() < 5);
    assert_eq!(l.objects.len(), 1, "the next document still loads");
    assert_eq!(l.warnings.len(), 1);
}

#[test]
fn deep_nesting_is_a_warning_not_a_stack_overflow() {
    let flow = format!(
        "kind: Pod\nspec: {}1{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let l = load_str(&flow, "deep.yaml", &opts());
    assert!(l.objects.is_empty());
    assert_eq!(l.warnings.len(), 1);
    let block: String = std::iter::once("kind: Pod\n".to_string())
        .chain((0..2_000).map(|i| format!("{}k:\n", " ".repeat(i))))
        .collect();
    let l = load_str(&block, "deep2.yaml", &opts());
    assert_eq!(l.warnings.len(), 1);
    let json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let l = load_str(&json, "deep.json", &opts());
    assert_eq!(l.warnings.len(), 1);
}

#[test]
fn non_object_documents_are_warnings() {
    let l = load_str(
        "- a\n- b\n---\n42\n---\n\"text\"\n---\n~\n",
        "odd.yaml",
        &opts(),
    );
    assert!(l.objects.is_empty());
    assert_eq!(l.warnings.len(), 3);
    assert!(
        l.warnings
            .iter()
            .all(|w| w.message.contains("not a Kubernetes object"))
    );
}

#[test]
fn duplicate_keys_and_tabs_are_warnings() {
    let l = load_str("kind: Pod\nkind: Service\n", "dup.yaml", &opts());
    assert_eq!(l.warnings.len(), 1);
    let l = load_str("kind: Pod\nmetadata:\n\tname: x\n", "tab.yaml", &opts());
    assert_eq!(l.warnings.len(), 1);
}

#[test]
fn huge_and_binary_files_are_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.yaml");
    std::fs::write(&big, "a: b\n".repeat(1000)).expect("write");
    let small = LoadOptions {
        max_file_bytes: 1024,
        ..opts()
    };
    assert!(matches!(
        load_path(&big, &small),
        Err(LoadError::TooLarge { .. })
    ));
    let bin = dir.path().join("bin.yaml");
    std::fs::write(&bin, [0xffu8, 0xfe, 0x00, 0x41]).expect("write");
    assert!(matches!(
        load_path(&bin, &opts()),
        Err(LoadError::NotUtf8 { .. })
    ));
    // Inside a directory both become warnings and the good file still loads.
    std::fs::write(
        dir.path().join("good.yaml"),
        "kind: Pod\nmetadata: {name: ok}\n",
    )
    .expect("write");
    let l = load_path(dir.path(), &small).expect("dir");
    assert_eq!(l.objects.len(), 1);
    assert_eq!(l.warnings.len(), 2);
}

#[test]
fn too_many_documents_are_cut_off() {
    let text = "kind: Pod\nmetadata: {name: x}\n---\n".repeat(50);
    let few = LoadOptions {
        max_documents_per_file: 10,
        ..opts()
    };
    let l = load_str(&text, "many.yaml", &few);
    assert_eq!(l.objects.len(), 10);
    assert_eq!(l.warnings.len(), 1);
}

#[test]
fn missing_root_is_an_error() {
    let err =
        load_path(std::path::Path::new("/nonexistent/rampart"), &opts()).expect_err("missing");
    assert!(err.to_string().contains("/nonexistent/rampart"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        rampart_kube::fuzzing::fuzz_manifests(&data);
    }

    #[test]
    fn yaml_like_text_never_panics(text in "(kind: Pod\n|---\n|metadata:\n|  name: [a-z]{1,5}\n|spec: \\{containers: \\[\\{name: a, securityContext: \\{privileged: true\\}\\}\\]\\}\n|  - x\n|&a \\[\\*a\\]\n|\\{|\\[|\\t|: )*") {
        rampart_kube::fuzzing::fuzz_manifests(text.as_bytes());
    }
}
