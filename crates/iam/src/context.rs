//! The request being authorised: who, what action, which resource, and the request context keys.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// What kind of identity makes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum PrincipalKind {
    User,
    Role,
    AssumedRole,
    Root,
    Service,
    Federated,
    Anonymous,
}

/// The principal making a request.
#[derive(Debug, Clone)]
pub struct RequestPrincipal {
    /// `arn:aws:iam::111122223333:user/alice`, an assumed-role session ARN, or a service name.
    pub arn: String,
    /// The principal's account (empty for services and anonymous callers).
    pub account: String,
    pub kind: PrincipalKind,
    /// User name (for `${aws:username}`) or role name.
    pub name: String,
    /// For an assumed-role session: the role's ARN (`arn:aws:iam::…:role/path/name`).
    pub role_arn: Option<String>,
    /// Principal tags (`aws:PrincipalTag/…`).
    pub tags: BTreeMap<String, String>,
}

impl RequestPrincipal {
    /// An IAM user.
    pub fn user(account: &str, name: &str) -> RequestPrincipal {
        RequestPrincipal {
            arn: format!("arn:aws:iam::{account}:user/{name}"),
            account: account.to_string(),
            kind: PrincipalKind::User,
            name: name.to_string(),
            role_arn: None,
            tags: BTreeMap::new(),
        }
    }

    /// A session of an IAM role (`role_arn` is the role's ARN).
    pub fn assumed_role(role_arn: &str, session: &str) -> RequestPrincipal {
        let account = arn_account(role_arn).unwrap_or_default().to_string();
        let name = role_arn.rsplit('/').next().unwrap_or_default().to_string();
        RequestPrincipal {
            arn: format!("arn:aws:sts::{account}:assumed-role/{name}/{session}"),
            account,
            kind: PrincipalKind::AssumedRole,
            name,
            role_arn: Some(role_arn.to_string()),
            tags: BTreeMap::new(),
        }
    }

    /// An AWS service principal such as `lambda.amazonaws.com`.
    pub fn service(name: &str) -> RequestPrincipal {
        RequestPrincipal {
            arn: name.to_string(),
            account: String::new(),
            kind: PrincipalKind::Service,
            name: name.to_string(),
            role_arn: None,
            tags: BTreeMap::new(),
        }
    }

    /// Adds a principal tag.
    pub fn with_tag(mut self, key: &str, value: &str) -> RequestPrincipal {
        self.tags.insert(key.to_string(), value.to_string());
        self
    }
}

/// The account of an ARN (`arn:partition:service:region:account:…`), if it has one.
pub fn arn_account(arn: &str) -> Option<&str> {
    let acct = arn.split(':').nth(4)?;
    (!acct.is_empty()).then_some(acct)
}

/// A request context value: single or multivalued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice.
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(s) => std::slice::from_ref(s),
            ContextValue::Multi(v) => v,
        }
    }
}

/// One authorisation request.
#[derive(Debug, Clone)]
pub struct Request {
    pub principal: RequestPrincipal,
    /// `service:Action`.
    pub action: String,
    /// The resource ARN, or `*` for "any resource" in what-if analysis.
    pub resource: String,
    /// The account owning the resource; defaults to the resource ARN's account.
    pub resource_account: Option<String>,
    /// Context keys (stored lower-case; keys are case-insensitive).
    context: BTreeMap<String, ContextValue>,
    /// `true` (default): a key absent from the context is absent from the request. `false`: the context is
    /// unknown (what-if analysis), so conditions on absent keys evaluate to "unknown".
    pub complete: bool,
}

impl Request {
    /// A request with an empty, complete context.
    pub fn new(principal: RequestPrincipal, action: &str, resource: &str) -> Request {
        Request {
            principal,
            action: action.to_string(),
            resource: resource.to_string(),
            resource_account: None,
            context: BTreeMap::new(),
            complete: true,
        }
    }

    /// Sets a single-valued context key.
    pub fn with(mut self, key: &str, value: &str) -> Request {
        self.context.insert(
            key.to_ascii_lowercase(),
            ContextValue::Single(value.to_string()),
        );
        self
    }

    /// Sets a multivalued context key.
    pub fn with_multi(mut self, key: &str, values: &[&str]) -> Request {
        let v = values.iter().map(|s| s.to_string()).collect();
        self.context
            .insert(key.to_ascii_lowercase(), ContextValue::Multi(v));
        self
    }

    /// Marks the context as unknown (what-if analysis).
    pub fn incomplete(mut self) -> Request {
        self.complete = false;
        self
    }

    /// The account owning the resource, if known.
    pub fn resource_account(&self) -> Option<&str> {
        self.resource_account
            .as_deref()
            .or_else(|| arn_account(&self.resource))
    }

    /// The value of a context key (case-insensitive), including keys implied by the principal.
    pub fn value(&self, key: &str) -> Option<Cow<'_, ContextValue>> {
        let lower = key.to_ascii_lowercase();
        if let Some(v) = self.context.get(&lower) {
            return Some(Cow::Borrowed(v));
        }
        let p = &self.principal;
        let single = |s: &str| Some(Cow::Owned(ContextValue::Single(s.to_string())));
        match lower.as_str() {
            "aws:principalarn" => match (&p.role_arn, p.kind) {
                (Some(role), PrincipalKind::AssumedRole) => single(role),
                _ => single(&p.arn),
            },
            "aws:principalaccount" if !p.account.is_empty() => single(&p.account),
            "aws:username" if p.kind == PrincipalKind::User => single(&p.name),
            "aws:principaltype" => single(match p.kind {
                PrincipalKind::User => "User",
                PrincipalKind::Role | PrincipalKind::AssumedRole => "AssumedRole",
                PrincipalKind::Root => "Account",
                PrincipalKind::Federated => "FederatedUser",
                PrincipalKind::Service | PrincipalKind::Anonymous => "Anonymous",
            }),
            "aws:principalservicename" if p.kind == PrincipalKind::Service => single(&p.arn),
            _ => {
                let tag = lower.strip_prefix("aws:principaltag/")?;
                p.tags
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(tag))
                    .and_then(|(_, v)| single(v))
            }
        }
    }

    /// Whether a key missing from [`Request::value`] is known to be absent.
    pub fn is_absent_known(&self, key: &str) -> bool {
        if self.complete {
            return true;
        }
        // Keys derived from the principal are known even when the rest of the context is not.
        let k = key.to_ascii_lowercase();
        matches!(
            k.as_str(),
            "aws:principalarn" | "aws:principalaccount" | "aws:principaltype" | "aws:username"
        ) || k.starts_with("aws:principaltag/")
    }
}
