//! Risky permission categories as Cloudsplaining defines them (privilege escalation, data exfiltration,
//! resource exposure, credentials exposure, infrastructure modification, service wildcards).
//!
//! Method and action lists follow Cloudsplaining 0.9 (`cloudsplaining/shared/constants.py`, BSD 3-Clause,
//! Copyright (c) 2020 salesforce.com, inc.); access levels come from the action catalogue.

use crate::actions::{AccessLevel, ActionSet, Catalog};
use serde::Serialize;
use std::collections::BTreeMap;

/// A risk category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum RiskCategory {
    PrivilegeEscalation,
    DataExfiltration,
    ResourceExposure,
    CredentialsExposure,
    InfrastructureModification,
    ServiceWildcard,
}

impl RiskCategory {
    /// Stable kebab-case name (used in rule ids).
    pub fn slug(self) -> &'static str {
        match self {
            RiskCategory::PrivilegeEscalation => "privilege-escalation",
            RiskCategory::DataExfiltration => "data-exfiltration",
            RiskCategory::ResourceExposure => "resource-exposure",
            RiskCategory::CredentialsExposure => "credentials-exposure",
            RiskCategory::InfrastructureModification => "infrastructure-modification",
            RiskCategory::ServiceWildcard => "service-wildcard",
        }
    }
}

/// Privilege-escalation methods: name and the actions that must all be allowed on `*`.
pub const PRIVILEGE_ESCALATION_METHODS: &[(&str, &[&str])] = &[
    ("CreateAccessKey", &["iam:CreateAccessKey"]),
    ("CreateLoginProfile", &["iam:CreateLoginProfile"]),
    ("UpdateLoginProfile", &["iam:UpdateLoginProfile"]),
    ("AddUserToGroup", &["iam:AddUserToGroup"]),
    ("CreateNewPolicyVersion", &["iam:CreatePolicyVersion"]),
    (
        "SetExistingDefaultPolicyVersion",
        &["iam:SetDefaultPolicyVersion"],
    ),
    ("AttachUserPolicy", &["iam:AttachUserPolicy"]),
    ("AttachGroupPolicy", &["iam:AttachGroupPolicy"]),
    ("AttachRolePolicy", &["iam:AttachRolePolicy"]),
    ("PutUserPolicy", &["iam:PutUserPolicy"]),
    ("PutGroupPolicy", &["iam:PutGroupPolicy"]),
    ("PutRolePolicy", &["iam:PutRolePolicy"]),
    (
        "UpdateRolePolicyToAssumeIt",
        &["iam:UpdateAssumeRolePolicy"],
    ),
    (
        "CreateEC2WithExistingIP",
        &["iam:PassRole", "ec2:RunInstances"],
    ),
    (
        "PassExistingRoleToNewLambdaThenInvoke",
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
    ),
    (
        "PassExistingRoleToNewLambdaThenTriggerWithNewDynamo",
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
            "dynamodb:CreateTable",
            "dynamodb:PutItem",
        ],
    ),
    (
        "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
        ],
    ),
    (
        "PassExistingRoleToNewGlueDevEndpoint",
        &["iam:PassRole", "glue:CreateDevEndpoint"],
    ),
    (
        "PassExistingRoleToCloudFormation",
        &["iam:PassRole", "cloudformation:CreateStack"],
    ),
    (
        "PassExistingRoleToNewDataPipeline",
        &["iam:PassRole", "datapipeline:CreatePipeline"],
    ),
    ("UpdateExistingGlueDevEndpoint", &["glue:UpdateDevEndpoint"]),
    (
        "EditExistingLambdaFunctionWithRole",
        &["lambda:UpdateFunctionCode"],
    ),
    (
        "PassExistingRoleToNewCodeBuildProjectThenBuild",
        &[
            "iam:PassRole",
            "codebuild:CreateProject",
            "codebuild:StartBuild",
        ],
    ),
    (
        "PassExistingRoleToNewECSTaskViaRunTask",
        &["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
    ),
    (
        "PassExistingRoleToNewGlueJobThenRun",
        &["iam:PassRole", "glue:CreateJob", "glue:StartJobRun"],
    ),
    (
        "PassExistingRoleToNewSageMakerNotebookInstance",
        &["iam:PassRole", "sagemaker:CreateNotebookInstance"],
    ),
    (
        "CreateAndRotateAccessKey",
        &["iam:CreateAccessKey", "iam:DeleteAccessKey"],
    ),
    (
        "AttachUserPolicyThenCreateAccessKey",
        &["iam:AttachUserPolicy", "iam:CreateAccessKey"],
    ),
    (
        "CreatePolicyVersionThenAssumeRole",
        &["iam:CreatePolicyVersion", "sts:AssumeRole"],
    ),
    (
        "PutUserPolicyThenCreateAccessKey",
        &["iam:PutUserPolicy", "iam:CreateAccessKey"],
    ),
];

/// Read actions that can leak data when allowed on every resource.
pub const DATA_EXFILTRATION_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "secretsmanager:GetSecretValue",
    "rds:CopyDBSnapshot",
    "rds:CreateDBSnapshot",
];

/// Actions whose responses contain credentials.
pub const CREDENTIALS_EXPOSURE_ACTIONS: &[&str] = &[
    "airflow:CreateCliToken",
    "airflow:CreateWebLoginToken",
    "appsync:CreateApiKey",
    "chime:CreateApiKey",
    "cloud9:CreateEnvironmentToken",
    "codeartifact:GetAuthorizationToken",
    "codepipeline:PollForJobs",
    "cognito-identity:GetOpenIdToken",
    "cognito-identity:GetOpenIdTokenForDeveloperIdentity",
    "cognito-identity:GetCredentialsForIdentity",
    "cognito-idp:GetSigningCertificate",
    "connect:GetFederationToken",
    "connect:GetFederationTokens",
    "ec2:GetPasswordData",
    "ecr:GetAuthorizationToken",
    "ecr-public:GetAuthorizationToken",
    "emr-containers:GetManagedEndpointSessionCredentials",
    "gamelift:RequestUploadCredentials",
    "gamelift:GetInstanceAccess",
    "grafana:CreateWorkspaceApiKey",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "iam:UpdateAccessKey",
    "lightsail:GetInstanceAccessDetails",
    "lightsail:DownloadDefaultKeyPair",
    "lightsail:GetRelationalDatabaseMasterUserPassword",
    "mediapackage:RotateIngestEndpointCredentials",
    "rds-db:Connect",
    "redshift:GetClusterCredentials",
    "redshift-serverless:GetCredentials",
    "sso:GetRoleCredentials",
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:GetFederationToken",
    "sts:GetSessionToken",
];

/// The risky permissions in a set of actions allowed without resource constraints.
pub fn categorise(unrestricted: &ActionSet) -> BTreeMap<RiskCategory, Vec<String>> {
    let c = Catalog::get();
    let has = |a: &str| c.index(a).is_some_and(|i| unrestricted.contains(i));
    let mut out: BTreeMap<RiskCategory, Vec<String>> = BTreeMap::new();
    let mut put = |cat, v: Vec<String>| {
        if !v.is_empty() {
            out.insert(cat, v);
        }
    };
    put(
        RiskCategory::PrivilegeEscalation,
        PRIVILEGE_ESCALATION_METHODS
            .iter()
            .filter(|(_, acts)| acts.iter().all(|a| has(a)))
            .map(|(name, _)| name.to_string())
            .collect(),
    );
    let listed = |list: &[&str]| {
        list.iter()
            .filter(|a| has(a))
            .map(|a| a.to_string())
            .collect()
    };
    put(
        RiskCategory::DataExfiltration,
        listed(DATA_EXFILTRATION_ACTIONS),
    );
    put(
        RiskCategory::CredentialsExposure,
        listed(CREDENTIALS_EXPOSURE_ACTIONS),
    );
    let by_level = |levels: &[AccessLevel]| -> Vec<String> {
        unrestricted
            .iter()
            .map(|i| &c.actions[i])
            .filter(|a| !a.wildcard_only && levels.contains(&a.level))
            .map(|a| a.name.clone())
            .collect()
    };
    put(
        RiskCategory::ResourceExposure,
        by_level(&[AccessLevel::PermissionsManagement]),
    );
    // As in Cloudsplaining, the data-exfiltration reads count as "always include" actions here too.
    let mut infra = by_level(&[
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ]);
    infra.extend(
        DATA_EXFILTRATION_ACTIONS
            .iter()
            .filter(|a| has(a))
            .map(|a| a.to_string()),
    );
    put(RiskCategory::InfrastructureModification, infra);
    put(
        RiskCategory::ServiceWildcard,
        service_wildcards(unrestricted),
    );
    out
}

/// Services all of whose actions are in the set (`s3:*`).
fn service_wildcards(set: &ActionSet) -> Vec<String> {
    Catalog::get()
        .services()
        .filter(|(_, s, e)| e > s && set.contains_range(*s, *e))
        .map(|(p, _, _)| p.to_string())
        .collect()
}

/// Catalogue indices behind the items [`categorise`] reported for one category.
pub fn item_actions(category: RiskCategory, items: &[String]) -> Vec<usize> {
    let c = Catalog::get();
    match category {
        RiskCategory::PrivilegeEscalation => PRIVILEGE_ESCALATION_METHODS
            .iter()
            .filter(|(name, _)| items.iter().any(|i| i == name))
            .flat_map(|(_, acts)| acts.iter().filter_map(|a| c.index(a)))
            .collect(),
        RiskCategory::ServiceWildcard => c
            .services()
            .filter(|(p, _, _)| items.iter().any(|i| i == p))
            .flat_map(|(_, s, e)| s..e)
            .collect(),
        _ => items.iter().filter_map(|i| c.index(i)).collect(),
    }
}
