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
        ScpVerdict::Allowed | ScpVerdict::Partial { .. } => None,
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

const BUCKET_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"OnlyData","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}]}"#;

#[test]
fn a_resource_scoped_allow_allows_some_resources_on_a_what_if_on_star() {
    let c = parse(&chain(
        vec![full()],
        vec![policy("p-data", "DataOnly", BUCKET_ONLY)],
        vec![full()],
    ));
    let u = user("alice");
    match c.check(&u, "s3:GetObject", "*") {
        ScpVerdict::Partial { resources, why } => {
            assert_eq!(resources, ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]);
            assert!(
                why.starts_with(
                    "SCPs attached to OU Prod (ou-ab12-prod) allow s3:GetObject only on arn:aws:s3:::data"
                ),
                "{why}"
            );
        }
        v => panic!("{v:?}"),
    }
    assert!(!c.check(&u, "s3:GetObject", "*").is_blocked());
    assert_eq!(
        c.check(&u, "s3:GetObject", "arn:aws:s3:::data/report.csv"),
        ScpVerdict::Allowed
    );
    assert!(
        c.check(&u, "s3:GetObject", "arn:aws:s3:::other/x")
            .is_blocked()
    );
    // Not covered by the scoped Allow at all: blocked, naming the level.
    let why = blocked(&c, &u, "ec2:RunInstances").expect("blocked");
    assert!(why.contains("no SCP attached to OU Prod"), "{why}");
    // Partial is not a block for the downgrade questions, and is reported as such.
    assert_eq!(c.first_blocked(&u, &["s3:GetObject"]), None);
    assert!(c.first_partial(&u, &["s3:GetObject"]).is_some());
    // A Deny on the only allowed resources leaves nothing: blocked.
    let deny_data = policy(
        "p-nodata",
        "NoData",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::data*"}]}"#,
    );
    let c = parse(&chain(
        vec![full(), deny_data],
        vec![policy("p-data", "DataOnly", BUCKET_ONLY)],
        vec![full()],
    ));
    assert!(c.check(&u, "s3:GetObject", "*").is_blocked());
}

#[test]
fn scoped_allows_intersect_across_levels() {
    let other = policy(
        "p-other",
        "OtherOnly",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::other/*"}]}"#,
    );
    let wide = policy(
        "p-s3",
        "AnyBucket",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"}]}"#,
    );
    let u = user("alice");
    // Root: any bucket; OU: data only → allowed on data's resources.
    let c = parse(&chain(
        vec![wide.clone()],
        vec![policy("p-data", "DataOnly", BUCKET_ONLY)],
        vec![full()],
    ));
    assert!(matches!(
        c.check(&u, "s3:PutObject", "*"),
        ScpVerdict::Partial { ref resources, .. } if resources.len() == 2
    ));
    // Root: other only; OU: data only → no resource both allow.
    let c = parse(&chain(
        vec![other],
        vec![policy("p-data", "DataOnly", BUCKET_ONLY)],
        vec![full()],
    ));
    assert!(c.check(&u, "s3:PutObject", "*").is_blocked());
    // A resource-scoped Deny leaves the action allowed elsewhere.
    let c = parse(&chain(
        vec![
            full(),
            policy(
                "p-d",
                "NoSecrets",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::secrets/*"}]}"#,
            ),
        ],
        vec![full()],
        vec![full()],
    ));
    assert_eq!(c.check(&u, "s3:GetObject", "*"), ScpVerdict::Allowed);
    assert!(
        c.check(&u, "s3:GetObject", "arn:aws:s3:::secrets/k")
            .is_blocked()
    );
}

/// An account where admin and data access come only through groups.
fn group_account(scps: Value) -> rampart_iam::Analysis {
    let doc = |stmt: Value| json!({"Version": "2012-10-17", "Statement": [stmt]});
    let v = json!({
        "UserDetailList": [
            {"UserName": "gadmin", "UserId": "AIDA1", "Path": "/",
             "Arn": format!("arn:aws:iam::{ACCT}:user/gadmin"), "GroupList": ["admins"],
             "UserPolicyList": [], "AttachedManagedPolicies": []},
            {"UserName": "analyst", "UserId": "AIDA2", "Path": "/",
             "Arn": format!("arn:aws:iam::{ACCT}:user/analyst"), "GroupList": ["readers"],
             "UserPolicyList": [], "AttachedManagedPolicies": []}
        ],
        "GroupDetailList": [
            {"GroupName": "admins", "GroupId": "AGPA1", "Path": "/",
             "Arn": format!("arn:aws:iam::{ACCT}:group/admins"), "GroupPolicyList": [],
             "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess",
                                          "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]},
            {"GroupName": "readers", "GroupId": "AGPA2", "Path": "/",
             "Arn": format!("arn:aws:iam::{ACCT}:group/readers"),
             "GroupPolicyList": [{"PolicyName": "read-all", "PolicyDocument":
                 doc(json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}))}],
             "AttachedManagedPolicies": []}
        ],
        "RoleDetailList": [],
        "Policies": [{"PolicyName": "AdministratorAccess", "PolicyId": "ANPA1", "Path": "/",
                      "Arn": "arn:aws:iam::aws:policy/AdministratorAccess", "DefaultVersionId": "v1",
                      "AttachmentCount": 1, "IsAttachable": true,
                      "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                          "Document": doc(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}))}]}],
        "ServiceControlPolicies": scps,
    });
    let account = Account::from_value(&v).expect("account");
    analyze(&account, &Options::default())
}

#[test]
fn a_group_grant_is_judged_for_each_member_under_the_scps() {
    let deny_iam = policy(
        "p-deny",
        "DenyIamWrites",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoIamWrites","Effect":"Deny","Action":["iam:Attach*","iam:Put*","iam:Create*","iam:Update*","iam:PassRole"],"Resource":"*"}]}"#,
    );
    let data = policy("p-data", "DataOnly", BUCKET_ONLY);
    let a = group_account(chain(
        vec![full()],
        vec![full(), deny_iam],
        vec![full(), data],
    ));
    let member = a
        .principals
        .iter()
        .find(|p| p.name == "gadmin")
        .expect("member");
    assert!(!member.admin);
    let why = member.scp_limited.as_deref().expect("limited");
    assert!(why.contains("SCP DenyIamWrites (p-deny)"), "{why}");
    let f = findings(&a);
    let admin = f
        .iter()
        .find(|f| f.rule_id == "iam-admin-equivalent" && f.subject.ends_with("user/gadmin"))
        .expect("admin finding");
    assert_eq!(admin.severity, Severity::Medium);
    assert!(
        admin
            .evidence
            .iter()
            .any(|e| e.label == "limited by SCP" && e.detail.contains("DenyIamWrites")),
        "{:?}",
        admin.evidence
    );
    assert!(
        admin
            .evidence
            .iter()
            .any(|e| e.label == "via group" && e.detail.contains("group/admins")),
        "{:?}",
        admin.evidence
    );
    // The readers' s3:GetObject on "*" is narrowed by the account's DataOnly SCP (a FullAWSAccess
    // sits beside it, so here it is allowed everywhere): nothing narrowed.
    let analyst = a.principals.iter().find(|p| p.name == "analyst").unwrap();
    assert!(analyst.scp_narrowed.is_empty() && analyst.scp_blocked.is_empty());
    // With only DataOnly at the account level, the category is limited to the data bucket.
    let a = group_account(chain(
        vec![full()],
        vec![full()],
        vec![policy("p-data", "DataOnly", BUCKET_ONLY)],
    ));
    let analyst = a.principals.iter().find(|p| p.name == "analyst").unwrap();
    let (cat, why) = analyst.scp_narrowed.iter().next().expect("narrowed");
    assert_eq!(cat.slug(), "data-exfiltration");
    assert!(why.contains("only on arn:aws:s3:::data"), "{why}");
    let f = findings(&a);
    let narrowed = f
        .iter()
        .find(|f| f.rule_id == "iam-data-exfiltration" && f.subject.ends_with("user/analyst"))
        .expect("narrowed finding");
    assert_eq!(narrowed.severity, Severity::Low);
    assert!(
        narrowed
            .title
            .ends_with("limited by SCPs to specific resources")
    );
}
