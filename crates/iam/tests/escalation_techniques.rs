//! One small account per escalation technique: the path names the technique and the permission.

use rampart_iam::{Account, Options, analyze};
use serde_json::{Value, json};

const A: &str = "arn:aws:iam::111122223333";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn user(name: &str, statements: Value, groups: &[&str], attached: &[&str]) -> Value {
    json!({"UserName": name, "Arn": format!("{A}:user/{name}"), "GroupList": groups,
           "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": doc(statements)}],
           "AttachedManagedPolicies": attached.iter().map(|a| json!({"PolicyArn": a})).collect::<Vec<_>>()})
}

fn role(name: &str, trust: Value, statements: Value) -> Value {
    json!({"RoleName": name, "Arn": format!("{A}:role/{name}"),
           "AssumeRolePolicyDocument": doc(json!({"Effect": "Allow", "Principal": trust, "Action": "sts:AssumeRole"})),
           "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": doc(statements)}]})
}

fn admin_group() -> Value {
    json!({"GroupName": "admins", "Arn": format!("{A}:group/admins"),
           "GroupPolicyList": [{"PolicyName": "all", "PolicyDocument": doc(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}))}]})
}

/// The techniques of the path starting at `start`, or `None` when there is none.
fn techniques(v: Value, start: &str) -> Option<Vec<String>> {
    let a = analyze(
        &Account::from_value(&v).expect("account"),
        &Options::default(),
    );
    let p = a
        .escalations
        .iter()
        .find(|p| p.start == format!("{A}:{start}"))?;
    Some(p.hops.iter().map(|h| h.technique.clone()).collect())
}

#[test]
fn add_user_to_group() {
    let v = json!({"GroupDetailList": [admin_group()],
        "UserDetailList": [user("joiner", json!({"Effect": "Allow", "Action": "iam:AddUserToGroup", "Resource": format!("{A}:group/admins")}), &[], &[])]});
    assert_eq!(
        techniques(v, "user/joiner").as_deref(),
        Some(&["AddUserToGroup".to_string(), "AdminEquivalent".into()][..])
    );
}

#[test]
fn update_assume_role_policy_then_assume() {
    let v = json!({"RoleDetailList": [role("target", json!({"Service": "ec2.amazonaws.com"}), json!({"Effect": "Allow", "Action": "*", "Resource": "*"}))],
        "UserDetailList": [user("rewriter", json!({"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy", "Resource": format!("{A}:role/target")}), &[], &[])]});
    assert_eq!(
        techniques(v, "user/rewriter").expect("path")[0],
        "UpdateAssumeRolePolicy"
    );
}

#[test]
fn put_user_policy_on_self_and_login_profile_on_others() {
    let v = json!({"UserDetailList": [
        user("selfish", json!({"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": format!("{A}:user/selfish")}), &[], &[]),
        user("reset", json!({"Effect": "Allow", "Action": "iam:UpdateLoginProfile", "Resource": format!("{A}:user/boss")}), &[], &[]),
        user("boss", json!({"Effect": "Allow", "Action": "*", "Resource": "*"}), &[], &[])]});
    assert_eq!(
        techniques(v.clone(), "user/selfish"),
        Some(vec!["PutUserPolicy".to_string()])
    );
    assert_eq!(
        techniques(v, "user/reset").expect("path")[0],
        "UpdateLoginProfile"
    );
}

#[test]
fn create_policy_version_of_an_attached_policy_but_not_an_aws_managed_one() {
    let pol = format!("{A}:policy/mine");
    let v = json!({
        "Policies": [
            {"PolicyName": "mine", "Arn": pol, "DefaultVersionId": "v1", "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                "Document": doc(json!({"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}))}]},
            {"PolicyName": "ReadOnly", "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "DefaultVersionId": "v1", "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                "Document": doc(json!({"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}))}]}],
        "UserDetailList": [
            user("versioner", json!([]), &[], &[&pol]),
            user("stuck", json!([]), &[], &["arn:aws:iam::aws:policy/ReadOnlyAccess"])]});
    assert_eq!(
        techniques(v.clone(), "user/versioner"),
        Some(vec!["CreatePolicyVersion".to_string()])
    );
    assert_eq!(techniques(v, "user/stuck"), None);
}

#[test]
fn modify_a_role_you_can_assume() {
    let v = json!({"RoleDetailList": [role("ops", json!({"AWS": format!("{A}:user/dev")}), json!({"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}))],
        "UserDetailList": [user("dev", json!({"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": format!("{A}:role/ops")}), &[], &[])]});
    assert_eq!(
        techniques(v, "user/dev"),
        Some(vec!["AssumeRole".to_string(), "PutRolePolicy".into()])
    );
}

#[test]
fn pass_role_needs_the_service_trust_and_the_launch_actions() {
    let lambda_admin = role(
        "fn-admin",
        json!({"Service": "lambda.amazonaws.com"}),
        json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    );
    let half = user(
        "half",
        json!({"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction"], "Resource": "*"}),
        &[],
        &[],
    );
    let full = user(
        "full",
        json!({"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}),
        &[],
        &[],
    );
    let ec2 = user(
        "ec2",
        json!({"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}),
        &[],
        &[],
    );
    let v = json!({"RoleDetailList": [lambda_admin], "UserDetailList": [half, full, ec2]});
    assert_eq!(techniques(v.clone(), "user/half"), None);
    assert_eq!(
        techniques(v.clone(), "user/full").expect("path")[0],
        "PassRole+Lambda"
    );
    assert_eq!(
        techniques(v, "user/ec2"),
        None,
        "the role does not trust EC2"
    );
}

#[test]
fn explicit_deny_cuts_the_path() {
    let v = json!({"GroupDetailList": [admin_group()],
        "UserDetailList": [json!({"UserName": "denied", "Arn": format!("{A}:user/denied"),
            "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": doc(json!([
                {"Effect": "Allow", "Action": "iam:AddUserToGroup", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:AddUserToGroup", "Resource": format!("{A}:group/admins")}]))}]})]});
    assert_eq!(techniques(v, "user/denied"), None);
}

/// Glue (dev endpoint; job created and started) and CloudFormation (stack) run code as a role they
/// are passed: each route needs iam:PassRole, its launch actions and a role trusting that service.
#[test]
fn pass_role_to_glue_and_cloudformation() {
    let admin_for = |name: &str, service: &str| {
        role(
            name,
            json!({ "Service": service }),
            json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        )
    };
    let actor = |name: &str, actions: &[&str]| {
        let mut all = vec!["iam:PassRole"];
        all.extend_from_slice(actions);
        user(
            name,
            json!({"Effect": "Allow", "Action": all, "Resource": "*"}),
            &[],
            &[],
        )
    };
    let v = json!({
        "RoleDetailList": [
            admin_for("glue-admin", "glue.amazonaws.com"),
            admin_for("cfn-admin", "cloudformation.amazonaws.com"),
        ],
        "UserDetailList": [
            actor("glue-dev", &["glue:CreateDevEndpoint"]),
            actor("glue-job", &["glue:CreateJob", "glue:StartJobRun"]),
            actor("glue-half", &["glue:CreateJob"]),
            actor("cfn", &["cloudformation:CreateStack"]),
            actor("cfn-no-pass", &[]),
        ],
    });
    assert_eq!(
        techniques(v.clone(), "user/glue-dev").expect("dev endpoint path")[0],
        "PassRole+GlueDevEndpoint"
    );
    assert_eq!(
        techniques(v.clone(), "user/glue-job").expect("job path")[0],
        "PassRole+GlueJob"
    );
    assert_eq!(
        techniques(v.clone(), "user/glue-half"),
        None,
        "a job that cannot be started runs nothing"
    );
    assert_eq!(
        techniques(v.clone(), "user/cfn").expect("stack path")[0],
        "PassRole+CloudFormation"
    );
    assert_eq!(techniques(v.clone(), "user/cfn-no-pass"), None);

    // Without a role trusting the service, nothing to pass.
    let untrusted = json!({
        "RoleDetailList": [admin_for("lambda-admin", "lambda.amazonaws.com")],
        "UserDetailList": [actor("glue-dev", &["glue:CreateDevEndpoint"]), actor("cfn", &["cloudformation:CreateStack"])],
    });
    assert_eq!(techniques(untrusted.clone(), "user/glue-dev"), None);
    assert_eq!(techniques(untrusted, "user/cfn"), None);
}
