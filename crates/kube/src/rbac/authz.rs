//! Kubernetes RBAC rule matching, as `rbac/v1` `RuleAllows` implements it.

use super::model::Rule;

/// One request to authorize: a resource request (`resource` set) or a non-resource URL (`path` set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Non-resource URL (`/healthz`); when set the resource fields are ignored.
    pub path: Option<String>,
}

impl Request {
    /// Parses kubectl-style `resource[.group][/subresource]` or a `/url`.
    pub fn parse(
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Request {
        let verb = verb.to_ascii_lowercase();
        if resource.starts_with('/') {
            return Request {
                verb,
                path: Some(resource.to_string()),
                ..Request::default()
            };
        }
        let (res, sub) = resource.split_once('/').unwrap_or((resource, ""));
        let (res, group) = res.split_once('.').unwrap_or((res, ""));
        Request {
            verb,
            group: group.to_string(),
            resource: res.to_ascii_lowercase(),
            subresource: sub.to_string(),
            name: name.map(str::to_string),
            namespace: namespace.map(str::to_string),
            path: None,
        }
    }
}

fn has(list: &[String], v: &str) -> bool {
    list.iter().any(|x| x == "*" || x == v)
}

/// Whether `rule` allows `req` (scope is checked by the caller).
pub fn rule_allows(rule: &Rule, req: &Request) -> bool {
    if !has(&rule.verbs, &req.verb) {
        return false;
    }
    if let Some(path) = &req.path {
        return rule.non_resource_urls.iter().any(|u| {
            u == "*" || u == path || (u.ends_with('*') && path.starts_with(&u[..u.len() - 1]))
        });
    }
    if !has(&rule.api_groups, &req.group) {
        return false;
    }
    let combined = if req.subresource.is_empty() {
        req.resource.clone()
    } else {
        format!("{}/{}", req.resource, req.subresource)
    };
    let res_ok = rule.resources.iter().any(|r| {
        r == "*"
            || *r == combined
            || (!req.subresource.is_empty()
                && r.strip_prefix("*/") == Some(req.subresource.as_str()))
    });
    if !res_ok {
        return false;
    }
    if rule.resource_names.is_empty() {
        return true;
    }
    match &req.name {
        Some(n) => rule.resource_names.iter().any(|r| r == n),
        None => false,
    }
}

/// Whether `rule` covers `verb` on `group`/`resource` for at least some object name (ignores
/// resourceNames): used to classify risky grants.
pub fn rule_covers(rule: &Rule, verb: &str, group: &str, resource: &str) -> bool {
    let (res, sub) = resource.split_once('/').unwrap_or((resource, ""));
    let mut req = Request::parse(verb, res, None, None);
    req.group = group.to_string();
    req.subresource = sub.to_string();
    let mut r = rule.clone();
    r.resource_names.clear();
    rule_allows(&r, &req)
}

/// `*` verbs on `*` resources in `*` groups: admin-equivalent.
pub fn is_full_wildcard(rule: &Rule) -> bool {
    has_star(&rule.verbs) && has_star(&rule.resources) && has_star(&rule.api_groups)
}

fn has_star(l: &[String]) -> bool {
    l.iter().any(|x| x == "*")
}
