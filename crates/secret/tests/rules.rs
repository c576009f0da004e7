//! Every built-in rule finds its kind of secret, ignores look-alikes, and never lets the secret out
//! unmasked. Secrets are generated here (deterministic pseudo-random) rather than stored in the tree.

use rampart_secret::{Config, Limits, RuleSet, Scanner};

/// Deterministic pseudo-random characters from `alphabet`.
fn rand_str(seed: &mut u64, alphabet: &str, n: usize) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            chars[(*seed % chars.len() as u64) as usize]
        })
        .collect()
}

const UPPER32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URLSAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const HEX: &str = "0123456789abcdef";

/// (rule id, file path, file content, the raw secret that must never appear in output).
fn positives() -> Vec<(&'static str, &'static str, String, String)> {
    let s = &mut 0x9e37_79b9_7f4a_7c15u64;
    let mut v = Vec::new();
    let akia = format!("AKIA{}", rand_str(s, UPPER32, 16));
    v.push((
        "aws-access-key-id",
        "app/config.py",
        format!("AWS_ACCESS_KEY_ID = \"{akia}\"\n"),
        akia,
    ));
    let sk = rand_str(s, B64, 40);
    v.push((
        "aws-secret-access-key",
        "root/.aws/credentials",
        format!("[default]\naws_secret_access_key = {sk}\n"),
        sk,
    ));
    let keyid = rand_str(s, HEX, 40);
    v.push((
        "gcp-service-account-key",
        "srv/sa.json",
        format!("{{\n  \"type\": \"service_account\",\n  \"project_id\": \"p\",\n  \"private_key_id\": \"{keyid}\"\n}}\n"),
        keyid,
    ));
    let gkey = format!("AIza{}", rand_str(s, URLSAFE, 35));
    v.push((
        "gcp-api-key",
        "web/main.js",
        format!("const k = '{gkey}';\n"),
        gkey,
    ));
    let acct = format!("{}==", rand_str(s, B64, 86));
    v.push((
        "azure-storage-account-key",
        "etc/app.conf",
        format!("conn=DefaultEndpointsProtocol=https;AccountName=x;AccountKey={acct};EndpointSuffix=core.windows.net\n"),
        acct,
    ));
    let az = format!("{}8Q~{}", rand_str(s, ALNUM, 3), rand_str(s, ALNUM, 34));
    v.push((
        "azure-client-secret",
        "etc/az.env",
        format!("AZURE_CLIENT_SECRET={az}\n"),
        az,
    ));
    let body: String = (0..8).map(|_| rand_str(s, B64, 64) + "\n").collect();
    v.push((
        "private-key",
        "home/u/.ssh/id_rsa",
        format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n"),
        body.lines().next().unwrap_or_default().to_string(),
    ));
    let ghp = format!("ghp_{}", rand_str(s, ALNUM, 36));
    v.push((
        "github-token",
        "ci/deploy.sh",
        format!("export GH_TOKEN={ghp}\n"),
        ghp,
    ));
    let pat = format!("github_pat_{}", rand_str(s, ALNUM, 82));
    v.push((
        "github-fine-grained-pat",
        "ci/env",
        format!("TOKEN={pat}\n"),
        pat,
    ));
    let gl = format!("glpat-{}", rand_str(s, URLSAFE, 20));
    v.push((
        "gitlab-token",
        ".gitlab-ci.yml",
        format!("  PRIVATE_TOKEN: {gl}\n"),
        gl,
    ));
    let slack = format!(
        "xoxb-{}-{}",
        rand_str(s, "0123456789", 12),
        rand_str(s, ALNUM, 24)
    );
    v.push((
        "slack-token",
        "bot/settings.ini",
        format!("token={slack}\n"),
        slack,
    ));
    let hook = format!(
        "T{}/B{}/{}",
        rand_str(s, UPPER32, 10),
        rand_str(s, UPPER32, 10),
        rand_str(s, ALNUM, 24)
    );
    v.push((
        "slack-webhook-url",
        "ops/alert.sh",
        format!("curl -X POST https://hooks.slack.com/services/{hook}\n"),
        hook,
    ));
    let stripe = format!("sk_live_{}", rand_str(s, ALNUM, 32));
    v.push((
        "stripe-secret-key",
        "shop/.env",
        format!("STRIPE={stripe}\n"),
        stripe,
    ));
    let npm = format!("npm_{}", rand_str(s, ALNUM, 36));
    v.push((
        "npm-access-token",
        "home/u/.npmrc",
        format!("//registry.npmjs.org/:_authToken={npm}\n"),
        npm,
    ));
    let pypi = format!("pypi-AgEIcHlwaS5vcmc{}", rand_str(s, URLSAFE, 70));
    v.push((
        "pypi-upload-token",
        "home/u/.pypirc",
        format!("[pypi]\npassword = {pypi}\n"),
        pypi,
    ));
    let auth = rand_str(s, B64, 40);
    v.push((
        "docker-config-auth",
        "root/.docker/config.json",
        format!("{{\"auths\": {{\"registry.example.com\": {{\"auth\": \"{auth}\"}}}}}}\n"),
        auth,
    ));
    let jwt = format!(
        "eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}",
        rand_str(s, URLSAFE, 40),
        rand_str(s, URLSAFE, 43)
    );
    v.push((
        "jwt",
        "api/client.go",
        format!("auth := \"Bearer {jwt}\"\n"),
        jwt,
    ));
    let pw = rand_str(s, ALNUM, 20);
    v.push((
        "generic-secret-assignment",
        "app/settings.yaml",
        format!("db:\n  password: \"{pw}\"\n"),
        pw,
    ));
    v
}

#[test]
fn every_builtin_rule_has_a_positive_case() {
    let set = RuleSet::builtin();
    let cases = positives();
    for rule in set.rules() {
        assert!(
            cases.iter().any(|c| c.0 == rule.id),
            "no test case for rule {}",
            rule.id
        );
    }
}

#[test]
fn each_rule_finds_its_secret_masked() {
    let scanner = Scanner::default();
    for (rule, path, content, secret) in positives() {
        let hits = scanner.scan(path, content.as_bytes());
        assert!(
            hits.iter().any(|h| h.rule_id == rule),
            "{rule}: not found in {content:?}; got {hits:?}"
        );
        for h in &hits {
            let shown = format!("{h:?}");
            assert!(!shown.contains(&secret), "{rule}: secret leaked in {shown}");
            let finding =
                serde_json::to_string(&h.to_finding("asset", Some("sha256:abc"))).unwrap();
            assert!(
                !finding.contains(&secret),
                "{rule}: secret leaked in finding {finding}"
            );
        }
        let hit = hits.iter().find(|h| h.rule_id == rule).unwrap();
        assert!(hit.line >= 1 && hit.end_line >= hit.line);
    }
}

#[test]
fn look_alikes_and_placeholders_are_not_reported() {
    let scanner = Scanner::default();
    let negatives = [
        ("docs.txt", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"),
        (
            "a.py",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        ),
        (
            "a.py",
            "aws_secret_access_key = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
        ),
        ("a.yaml", "password: \"changeme-changeme\"\n"),
        ("a.yaml", "password: \"${DB_PASSWORD_FROM_ENV}\"\n"),
        ("a.yaml", "token: \"<your-token-here-please>\"\n"),
        ("a.yaml", "password: \"aaaaaaaaaaaaaaaa\"\n"),
        ("a.sh", "echo ghp_short\n"),
        (
            "a.js",
            "const words = 'the secret to good software is patience';\n",
        ),
        (
            "a.txt",
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n",
        ),
        ("config.json", "{\"auth\": \"dXNlcjpwYXNzd29yZA==\"}\n"),
    ];
    for (path, content) in negatives {
        let hits = scanner.scan(path, content.as_bytes());
        assert!(
            hits.is_empty(),
            "{path}: false positive {hits:?} in {content:?}"
        );
    }
}

#[test]
fn binary_oversized_and_allow_listed_files_are_skipped() {
    let scanner = Scanner::new(
        RuleSet::builtin(),
        Limits {
            max_file_size: 1024,
            ..Limits::default()
        },
    );
    let (_, _, content, _) = positives().remove(0);
    let mut binary = content.clone().into_bytes();
    binary.insert(3, 0);
    assert!(scanner.scan("bin/app", &binary).is_empty());
    let mut big = content.clone();
    big.push_str(&"#".repeat(2000));
    assert!(scanner.scan("app/big.py", big.as_bytes()).is_empty());
    assert!(!scanner.wants("app/big.py", 2000));
    assert!(!scanner.wants("usr/share/doc/aws/README", 10));
    assert!(!scanner.wants("src/pkg/tests/keys.py", 10));
    assert!(scanner.wants("app/config.py", 10));
}

#[test]
fn config_allow_rules_and_allow_paths() {
    let (_, path, content, _) = positives().remove(0);
    let cfg = Config::parse("allow-rules:\n  - {id: app, path: '^app/'}\n", "t").unwrap();
    let scanner = Scanner::new(RuleSet::with_config(&cfg).unwrap(), Limits::default());
    assert!(scanner.scan(path, content.as_bytes()).is_empty());

    let cfg = Config::parse("allow-paths: []\n", "t").unwrap();
    let scanner = Scanner::new(RuleSet::with_config(&cfg).unwrap(), Limits::default());
    assert!(scanner.wants("src/tests/keys.py", 10));
}

#[test]
fn overlapping_rules_report_the_specific_one_once() {
    let scanner = Scanner::default();
    let s = &mut 7u64;
    let key = rand_str(s, B64, 40);
    let hits = scanner.scan(
        "a.env",
        format!("aws_secret_access_key=\"{key}\"\n").as_bytes(),
    );
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].rule_id, "aws-secret-access-key");
}

#[test]
fn identical_scans_give_identical_fingerprints_and_distinct_occurrences() {
    let scanner = Scanner::default();
    let s = &mut 11u64;
    let a = format!("ghp_{}", rand_str(s, ALNUM, 36));
    let b = format!("ghp_{}", rand_str(s, ALNUM, 36));
    let text = format!("A={a}\nB={b}\n");
    let first: Vec<_> = scanner
        .scan("x.env", text.as_bytes())
        .iter()
        .map(|h| h.to_finding("img", None).id)
        .collect();
    let again: Vec<_> = scanner
        .scan("x.env", text.as_bytes())
        .iter()
        .map(|h| h.to_finding("img", None).id)
        .collect();
    assert_eq!(first.len(), 2);
    assert_ne!(first[0], first[1]);
    assert_eq!(first, again);
}

#[test]
fn hostile_inputs_do_not_panic() {
    let scanner = Scanner::default();
    let inputs: Vec<Vec<u8>> = vec![
        vec![0xff; 5000],
        "password=\"".repeat(10_000).into_bytes(),
        "-----BEGIN PRIVATE KEY-----\n".repeat(2000).into_bytes(),
        "é€😀AKIA".repeat(3000).into_bytes(),
        b"eyJ.eyJ.".repeat(5000),
    ];
    for input in inputs {
        rampart_secret::fuzzing::fuzz_scan(&input);
        let _ = scanner.scan("x", &input);
    }
}
