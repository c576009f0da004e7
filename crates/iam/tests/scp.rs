//! Service control policies: the chain root → OUs → account, its AWS semantics, the exemptions, and how
//! the analysis reports what only SCPs stop.

use rampart_core::Severity;
use rampart_iam::{Account, Options, RequestPrincipal, ScpChain, ScpVerdict, analyze, findings};
use serde_json::{Value, json};

const ACCT: &str = "123456789012";

const FULL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

fn policy(id: &str, name: &str, content: &str) -> Value {
    json!({"Id": id, "Name": name, "Content": content})
}

fn full() -> Value {
    policy("p-FullAWSAccess", "FullAWSAccess", FULL)
}

/// A chain root → OU Prod → account, each level holding the given SCPs.
fn chain(root: Vec<Value>, ou: Vec<Value>, account: Vec<Value>) -> Value {
    json!({
        "AccountId": ACCT,
        "ManagementAccountId": "999988887777",
        "Levels": [
            {"TargetId": "r-ab12", "Type": "ROOT", "Name": "Root", "Policies": root},
            {"TargetId": "ou-ab12-prod", "Type": "ORGANIZATIONAL_UNIT", "Name": "Prod", "Policies": ou},
            {"TargetId": ACCT, "Type": "ACCOUNT", "Policies": account},
        ]
    })
}

fn parse(v: &Value) -> ScpChain {
    let (c, warnings) = ScpChain::from_value(v).expect("chain");
    assert!(warnings.is_empty(), "{warnings:?}");
    c
}

fn user(name: &str) -> RequestPrincipal {
    RequestPrincipal::user(ACCT, name)
}

fn role(name: &str) -> RequestPrincipal {
    RequestPrincipal::assumed_role(&format!("arn:aws:iam::{ACCT}:role/{name}"), "s1")
}

fn blocked(c: &ScpChain, p: &RequestPrincipal, action: &str) -> Option<String> {
    match c.check(p, action, "*") {
        ScpVerdict::Blocked(why) => Some(why),
        ScpVerdict::Allowed => None,
    }
}

#[test]
fn allow_list_scp_blocks_what_it_does_not_list() {
    let c = parse(&chain(
        vec![full()],
        vec![policy(
            "p-allow",
            "AllowComputeAndStorage",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","ec2:*"],"Resource":"*"}]}"#,
        )],
        vec![full()],
    ));
    assert!(c.applies());
    assert_eq!(blocked(&c, &user("u"), "s3:GetObject"), None);
    let why = blocked(&c, &user("u"), "iam:CreateAccessKey").expect("blocked");
    assert!(
        why.contains("no SCP attached to OU Prod (ou-ab12-prod) allows iam:CreateAccessKey")
            && why.contains("AllowComputeAndStorage (p-allow)"),
        "{why}"
    );
}

#[test]
fn deny_list_scp_names_the_denying_statement() {
    let c = parse(&chain(
        vec![
            full(),
            policy(
                "p-deny",
                "DenyIam",
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoIam","Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#,
            ),
        ],
        vec![full()],
        vec![full()],
    ));
    let why = blocked(&c, &user("u"), "iam:PassRole").expect("blocked");
    assert_eq!(
        why,
        "SCP DenyIam (p-deny) statement NoIam (attached to root r-ab12) denies iam:PassRole"
    );
    assert_eq!(blocked(&c, &user("u"), "s3:PutObject"), None);
}

#[test]
fn every_level_must_allow() {
    // Root and OU allow all of S3; the account level allows only reads.
    let reads = policy(
        "p-read",
        "S3Read",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}"#,
    );
    let s3 = policy(
        "p-s3",
        "S3All",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    let c = parse(&chain(vec![full()], vec![s3], vec![reads]));
    assert_eq!(blocked(&c, &user("u"), "s3:GetObject"), None);
    let why = blocked(&c, &user("u"), "s3:PutObject").expect("blocked");
    assert!(why.contains(&format!("account {ACCT}")), "{why}");
    // A level with no SCP at all allows nothing.
    let c = parse(&chain(vec![full()], vec![], vec![full()]));
    let why = blocked(&c, &user("u"), "s3:GetObject").expect("blocked");
    assert!(why.contains("(attached: none)"), "{why}");
}

#[test]
fn not_action_deny_blocks_everything_else() {
    let c = parse(&chain(
        vec![
            full(),
            policy(
                "p-only",
                "OnlyS3AndIam",
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"Rest","Effect":"Deny","NotAction":["s3:*","iam:*"],"Resource":"*"}]}"#,
            ),
        ],
        vec![full()],
        vec![full()],
    ));
    assert_eq!(blocked(&c, &user("u"), "iam:PassRole"), None);
    assert!(blocked(&c, &user("u"), "ec2:RunInstances").is_some());
}

#[test]
fn conditions_exempt_the_break_glass_role_and_unknown_keys_never_block() {
    let c = parse(&chain(
        vec![
            full(),
            policy(
                "p-iam",
                "IamOnlyBreakGlass",
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoIam","Effect":"Deny","Action":"iam:*","Resource":"*",
                   "Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/BreakGlass"}}}]}"#,
            ),
            policy(
                "p-region",
                "EuOnly",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*",
                   "Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}"#,
            ),
        ],
        vec![full()],
        vec![full()],
    ));
    assert!(blocked(&c, &user("u"), "iam:CreateAccessKey").is_some());
    assert_eq!(
        blocked(&c, &role("BreakGlass"), "iam:CreateAccessKey"),
        None
    );
    // The region of a what-if request is unknown: the Deny may not apply, so it does not block.
    assert_eq!(blocked(&c, &user("u"), "ec2:RunInstances"), None);
}

#[test]
fn management_account_and_service_linked_roles_are_exempt() {
    let deny_all = policy(
        "p-none",
        "DenyAll",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
    );
    let mut v = chain(vec![full(), deny_all], vec![full()], vec![full()]);
    let c = parse(&v);
    assert!(blocked(&c, &user("u"), "s3:GetObject").is_some());
    let slr = RequestPrincipal::assumed_role(
        &format!(
            "arn:aws:iam::{ACCT}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"
        ),
        "s1",
    );
    assert_eq!(blocked(&c, &slr, "s3:GetObject"), None);
    v["ManagementAccountId"] = json!(ACCT);
    let c = parse(&v);
    assert!(c.is_management_account() && !c.applies());
    assert_eq!(blocked(&c, &user("u"), "s3:GetObject"), None);
    let s = c.summary();
    assert!(!s.applied && s.note.is_some_and(|n| n.contains("management account")));
}

fn seeded() -> Value {
    serde_json::from_str(include_str!("data/seeded-auth-details.json")).expect("JSON")
}

fn analysis_with(scps: Value) -> rampart_iam::Analysis {
    let mut v = seeded();
    v["ServiceControlPolicies"] = scps;
    let account = Account::from_value(&v).expect("account");
    assert!(account.scps.is_some());
    let opts = Options {
        now: "2027-06-01T00:00:00Z".parse().ok(),
        ..Options::default()
    };
    analyze(&account, &opts)
}

#[test]
fn a_guardrail_scp_leaves_admins_admin() {
    let guardrail = policy(
        "p-guard",
        "Guardrails",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["organizations:LeaveOrganization","cloudtrail:StopLogging"],"Resource":"*"}]}"#,
    );
    let a = analysis_with(chain(vec![full(), guardrail], vec![full()], vec![full()]));
    let admin = a
        .principals
        .iter()
        .find(|p| p.name == "cnapp-admin")
        .expect("user");
    assert!(admin.admin && admin.scp_limited.is_none());
    assert!(
        a.scps
            .as_ref()
            .is_some_and(|s| s.applied && s.levels.len() == 3)
    );
    assert!(a.scp_blocked_paths.is_empty());
}

#[test]
fn findings_only_an_scp_stops_are_downgraded_with_the_scp_as_evidence() {
    let deny_iam = policy(
        "p-deny",
        "DenyIamWrites",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoIamWrites","Effect":"Deny",
           "Action":["iam:Create*","iam:Attach*","iam:Put*","iam:Set*","iam:Update*","iam:PassRole","iam:AddUserToGroup"],"Resource":"*"}]}"#,
    );
    let without = analysis_with(chain(vec![full()], vec![full()], vec![full()]));
    let a = analysis_with(chain(vec![full()], vec![full(), deny_iam], vec![full()]));
    let f = findings(&a);
    let admin = f
        .iter()
        .find(|f| {
            f.rule_id == "iam-admin-equivalent"
                && f.subject == format!("arn:aws:iam::{ACCT}:user/cnapp-admin")
        })
        .expect("admin finding kept, downgraded");
    assert_eq!(admin.severity, Severity::Medium);
    assert!(
        admin.evidence.iter().any(|e| e.detail.contains(
            "SCP DenyIamWrites (p-deny) statement NoIamWrites (attached to OU Prod (ou-ab12-prod))"
        )),
        "{:?}",
        admin.evidence
    );
    // helpdesk's CreateAccessKey path to cnapp-admin exists without SCPs, and is reported blocked.
    let helpdesk = format!("arn:aws:iam::{ACCT}:user/helpdesk");
    assert!(without.escalations.iter().any(|p| p.start == helpdesk));
    assert!(a.escalations.iter().all(|p| p.start != helpdesk));
    let blocked = a
        .scp_blocked_paths
        .iter()
        .find(|b| b.path.start == helpdesk)
        .expect("blocked path");
    assert!(
        blocked.blocked_by.contains("DenyIamWrites"),
        "{}",
        blocked.blocked_by
    );
    let pf = f
        .iter()
        .find(|f| f.rule_id == "iam-privilege-escalation-path" && f.subject == helpdesk)
        .expect("path finding");
    assert_eq!(pf.severity, Severity::Low);
    assert!(pf.title.contains("SCPs block"), "{}", pf.title);
    // No unblocked high finding remains for a path the SCP stops.
    assert!(
        f.iter()
            .filter(|f| f.rule_id == "iam-privilege-escalation-path" && f.subject == helpdesk)
            .all(|f| f.severity == Severity::Low)
    );
}
