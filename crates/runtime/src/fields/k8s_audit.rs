//! The `k8s_audit` source: Kubernetes audit events (`audit.k8s.io/v1` `Event`) and the `ka.*` /
//! `jevt.*` fields as Falco's k8saudit and json plugins define them.

use super::json::{get, get_str, pointer, text, to_val};
use super::{Arg, Event, FieldRef, Source, Val, field_table};
use serde_json::Value;
use std::borrow::Cow;

/// One Kubernetes audit event.
#[derive(Debug, Clone, PartialEq)]
pub struct K8sAuditEvent {
    pub json: Value,
    /// `stageTimestamp` (else `requestReceivedTimestamp`) in ns since the epoch; 0 when absent.
    pub ts: i64,
    /// `evt.num` ([`super::plugin_evt::next_number`]).
    pub num: u64,
}

impl K8sAuditEvent {
    /// Wraps a decoded audit `Event` object.
    pub fn new(json: Value) -> K8sAuditEvent {
        let ts = ["stageTimestamp", "requestReceivedTimestamp"]
            .iter()
            .find_map(|k| json.get(*k).and_then(Value::as_str))
            .and_then(crate::alert::parse_rfc3339_nanos)
            .unwrap_or(0);
        K8sAuditEvent {
            json,
            ts,
            num: super::plugin_evt::next_number(),
        }
    }
}

impl super::plugin_evt::PluginEvent for K8sAuditEvent {
    fn number(&self) -> u64 {
        self.num
    }

    fn time_ns(&self) -> i64 {
        self.ts
    }

    fn source_name(&self) -> &'static str {
        "k8s_audit"
    }

    fn plugin_name(&self) -> &'static str {
        "k8saudit"
    }

    /// The k8saudit plugin renders an event as its JSON.
    fn plugin_info(&self) -> Cow<'_, str> {
        Cow::Owned(self.json.to_string())
    }
}

field_table!(pub enum K, FIELDS {
    AuditId = "ka.auditid": Str/None,
    Stage = "ka.stage": Str/None,
    AuthDecision = "ka.auth.decision": Str/None,
    AuthReason = "ka.auth.reason": Str/None,
    UserName = "ka.user.name": Str/None,
    UserGroups = "ka.user.groups": Str/None,
    ImpUserName = "ka.impuser.name": Str/None,
    Verb = "ka.verb": Str/None,
    Uri = "ka.uri": Str/None,
    UriParam = "ka.uri.param": Str/Required,
    TargetName = "ka.target.name": Str/None,
    TargetNamespace = "ka.target.namespace": Str/None,
    TargetResource = "ka.target.resource": Str/None,
    TargetSubresource = "ka.target.subresource": Str/None,
    TargetPodName = "ka.target.pod.name": Str/None,
    ReqBindingSubjects = "ka.req.binding.subjects": Str/None,
    ReqBindingRole = "ka.req.binding.role": Str/None,
    ReqBindingSubjectHasName = "ka.req.binding.subject.has_name": Str/Required,
    ReqConfigmapName = "ka.req.configmap.name": Str/None,
    ReqConfigmapObj = "ka.req.configmap.obj": Str/None,
    ReqPodContainersImage = "ka.req.pod.containers.image": Str/Optional,
    ReqContainerImage = "ka.req.container.image": Str/Optional,
    ReqPodContainersImageRepository = "ka.req.pod.containers.image.repository": Str/Optional,
    ReqContainerImageRepository = "ka.req.container.image.repository": Str/Optional,
    ReqPodHostIpc = "ka.req.pod.host_ipc": Str/None,
    ReqPodHostNetwork = "ka.req.pod.host_network": Str/None,
    ReqContainerHostNetwork = "ka.req.container.host_network": Str/None,
    ReqPodHostPid = "ka.req.pod.host_pid": Str/None,
    ReqPodContainersHostPort = "ka.req.pod.containers.host_port": Str/Optional,
    ReqPodContainersPrivileged = "ka.req.pod.containers.privileged": Str/Optional,
    ReqContainerPrivileged = "ka.req.container.privileged": Str/Optional,
    ReqPodContainersAllowPrivilegeEscalation = "ka.req.pod.containers.allow_privilege_escalation": Str/Optional,
    ReqPodContainersReadOnlyFs = "ka.req.pod.containers.read_only_fs": Str/Optional,
    ReqPodRunAsUser = "ka.req.pod.run_as_user": Str/None,
    ReqPodContainersRunAsUser = "ka.req.pod.containers.run_as_user": Str/Optional,
    ReqPodContainersEffRunAsUser = "ka.req.pod.containers.eff_run_as_user": Str/Optional,
    ReqPodRunAsGroup = "ka.req.pod.run_as_group": Str/None,
    ReqPodContainersRunAsGroup = "ka.req.pod.containers.run_as_group": Str/Optional,
    ReqPodContainersEffRunAsGroup = "ka.req.pod.containers.eff_run_as_group": Str/Optional,
    ReqPodContainersProcMount = "ka.req.pod.containers.proc_mount": Str/Optional,
    ReqRoleRules = "ka.req.role.rules": Str/Optional,
    ReqRoleRulesApiGroups = "ka.req.role.rules.apiGroups": Str/Optional,
    ReqRoleRulesNonResourceUrls = "ka.req.role.rules.nonResourceURLs": Str/Optional,
    ReqRoleRulesVerbs = "ka.req.role.rules.verbs": Str/Optional,
    ReqRoleRulesResources = "ka.req.role.rules.resources": Str/Optional,
    ReqPodFsGroup = "ka.req.pod.fs_group": Str/None,
    ReqPodSupplementalGroups = "ka.req.pod.supplemental_groups": Str/None,
    ReqPodContainersAddCapabilities = "ka.req.pod.containers.add_capabilities": Str/Optional,
    ReqServiceType = "ka.req.service.type": Str/None,
    ReqServicePorts = "ka.req.service.ports": Str/Optional,
    ReqPodVolumesHostpath = "ka.req.pod.volumes.hostpath": Str/Optional,
    ReqVolumeHostpath = "ka.req.volume.hostpath": Str/Required,
    ReqPodVolumesFlexvolumeDriver = "ka.req.pod.volumes.flexvolume_driver": Str/Optional,
    ReqPodVolumesVolumeType = "ka.req.pod.volumes.volume_type": Str/Optional,
    RespName = "ka.resp.name": Str/None,
    ResponseCode = "ka.response.code": Str/None,
    ResponseReason = "ka.response.reason": Str/None,
    UserAgent = "ka.useragent": Str/None,
    SourceIps = "ka.sourceips": Str/Optional,
    ClusterName = "ka.cluster.name": Str/None,
    JevtTime = "jevt.time": Str/None,
    JevtTimeIso = "jevt.time.iso8601": Str/None,
    JevtRawtime = "jevt.rawtime": Int/None,
    JevtValue = "jevt.value": Str/Required,
    JevtObj = "jevt.obj": Str/None,
    JsonValue = "json.value": Str/Required,
    JsonObj = "json.obj": Str/None,
    JsonRawtime = "json.rawtime": Int/None,
});

impl Event for K8sAuditEvent {
    fn source(&self) -> Source {
        Source::K8sAudit
    }

    fn evt_type(&self) -> &str {
        "pluginevent"
    }

    fn time_ns(&self) -> i64 {
        self.ts
    }

    fn extract(&self, field: &FieldRef) -> Val<'_> {
        if let Some(v) = super::plugin_evt::extract(self, field.id) {
            return v;
        }
        match K::from_id(field.id) {
            Some(k) => extract(self, k, &field.arg),
            None => Val::None,
        }
    }
}

fn opt(v: Option<&Value>) -> Val<'_> {
    v.map_or(Val::None, to_val)
}

fn req<'a>(e: &'a K8sAuditEvent, path: &[&str]) -> Option<&'a Value> {
    get(&e.json, &["requestObject"]).and_then(|r| get(r, path))
}

/// Every container of the request's pod spec (`containers` then `initContainers`... only the
/// regular containers, as the plugin does).
fn containers(e: &K8sAuditEvent) -> &[Value] {
    req(e, &["spec", "containers"])
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// One value per container (or the indexed one).
fn per_container<'a>(e: &'a K8sAuditEvent, arg: &Arg, f: impl Fn(&'a Value) -> Val<'a>) -> Val<'a> {
    let cs = containers(e);
    match arg {
        Arg::Index(i) => usize::try_from(*i)
            .ok()
            .and_then(|i| cs.get(i))
            .map_or(Val::None, f),
        _ if cs.is_empty() => Val::None,
        _ => Val::List(cs.iter().map(f).collect()),
    }
}

fn bool_text(b: bool) -> Val<'static> {
    Val::str(if b { "true" } else { "false" })
}

fn container_bool<'a>(c: &'a Value, key: &str) -> Val<'a> {
    bool_text(
        get(c, &["securityContext", key])
            .and_then(Value::as_bool)
            .unwrap_or(false),
    )
}

/// `repo` of `repo:tag` / `repo@digest` (a `:` inside the registry host is kept).
pub fn image_repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].find(':') {
        Some(i) => &image[..slash + i],
        None => image,
    }
}

fn flatten_rules<'a>(e: &'a K8sAuditEvent, key: &str) -> Val<'a> {
    let Some(rules) = req(e, &["rules"]).and_then(Value::as_array) else {
        return Val::None;
    };
    let mut out = Vec::new();
    for r in rules {
        if let Some(items) = r.get(key).and_then(Value::as_array) {
            out.extend(items.iter().map(to_val));
        }
    }
    Val::List(out)
}

fn extract<'a>(e: &'a K8sAuditEvent, k: K, arg: &Arg) -> Val<'a> {
    let j = &e.json;
    match k {
        K::AuditId => Val::opt_str(get_str(j, &["auditID"])),
        K::Stage => Val::opt_str(get_str(j, &["stage"])),
        K::AuthDecision => Val::opt_str(get_str(
            j,
            &["annotations", "authorization.k8s.io/decision"],
        )),
        K::AuthReason => Val::opt_str(get_str(j, &["annotations", "authorization.k8s.io/reason"])),
        K::UserName => Val::opt_str(get_str(j, &["user", "username"])),
        K::UserGroups => match get(j, &["user", "groups"]).and_then(Value::as_array) {
            Some(g) => Val::List(g.iter().map(to_val).collect()),
            None => Val::None,
        },
        K::ImpUserName => Val::opt_str(get_str(j, &["impersonatedUser", "username"])),
        K::Verb => Val::opt_str(get_str(j, &["verb"])),
        K::Uri => Val::opt_str(get_str(j, &["requestURI"])),
        K::UriParam => uri_param(j, arg),
        K::TargetName => Val::opt_str(get_str(j, &["objectRef", "name"])),
        K::TargetNamespace => Val::opt_str(get_str(j, &["objectRef", "namespace"])),
        K::TargetResource => Val::opt_str(get_str(j, &["objectRef", "resource"])),
        K::TargetSubresource => Val::opt_str(get_str(j, &["objectRef", "subresource"])),
        K::TargetPodName => {
            if get_str(j, &["objectRef", "resource"]) == Some("pods") {
                Val::opt_str(get_str(j, &["objectRef", "name"]))
            } else {
                Val::None
            }
        }
        K::ReqBindingSubjects => match req(e, &["subjects"]).and_then(Value::as_array) {
            Some(s) => Val::List(s.iter().map(to_val).collect()),
            None => Val::None,
        },
        K::ReqBindingRole => opt(req(e, &["roleRef", "name"])),
        K::ReqBindingSubjectHasName => {
            let Some(subjects) = req(e, &["subjects"]).and_then(Value::as_array) else {
                return Val::None;
            };
            let name = arg.key();
            bool_text(
                subjects
                    .iter()
                    .any(|s| s.get("name").and_then(Value::as_str) == name.as_deref()),
            )
        }
        K::ReqConfigmapName => {
            if get_str(j, &["objectRef", "resource"]) == Some("configmaps") {
                Val::opt_str(get_str(j, &["objectRef", "name"]))
            } else {
                Val::None
            }
        }
        K::ReqConfigmapObj => opt(req(e, &["data"])),
        K::ReqPodContainersImage | K::ReqContainerImage => {
            per_container(e, arg, |c| opt(c.get("image")))
        }
        K::ReqPodContainersImageRepository | K::ReqContainerImageRepository => {
            per_container(e, arg, |c| {
                c.get("image")
                    .and_then(Value::as_str)
                    .map_or(Val::None, |i| Val::str(image_repository(i)))
            })
        }
        K::ReqPodHostIpc => spec_bool(e, "hostIPC"),
        K::ReqPodHostNetwork | K::ReqContainerHostNetwork => spec_bool(e, "hostNetwork"),
        K::ReqPodHostPid => spec_bool(e, "hostPID"),
        K::ReqPodContainersHostPort => {
            let mut out = Vec::new();
            for c in containers(e) {
                for p in c
                    .get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(hp) = p.get("hostPort") {
                        out.push(to_val(hp));
                    }
                }
            }
            Val::List(out)
        }
        K::ReqPodContainersPrivileged => per_container(e, arg, |c| container_bool(c, "privileged")),
        K::ReqContainerPrivileged => match arg {
            Arg::None => bool_text(containers(e).iter().any(|c| {
                get(c, &["securityContext", "privileged"]).and_then(Value::as_bool) == Some(true)
            })),
            _ => per_container(e, arg, |c| container_bool(c, "privileged")),
        },
        K::ReqPodContainersAllowPrivilegeEscalation => {
            per_container(e, arg, |c| container_bool(c, "allowPrivilegeEscalation"))
        }
        K::ReqPodContainersReadOnlyFs => {
            per_container(e, arg, |c| container_bool(c, "readOnlyRootFilesystem"))
        }
        K::ReqPodRunAsUser => opt(req(e, &["spec", "securityContext", "runAsUser"])),
        K::ReqPodRunAsGroup => opt(req(e, &["spec", "securityContext", "runAsGroup"])),
        K::ReqPodContainersRunAsUser => {
            per_container(e, arg, |c| opt(get(c, &["securityContext", "runAsUser"])))
        }
        K::ReqPodContainersRunAsGroup => {
            per_container(e, arg, |c| opt(get(c, &["securityContext", "runAsGroup"])))
        }
        K::ReqPodContainersEffRunAsUser | K::ReqPodContainersEffRunAsGroup => {
            let key = if k == K::ReqPodContainersEffRunAsUser {
                "runAsUser"
            } else {
                "runAsGroup"
            };
            let pod = req(e, &["spec", "securityContext", key]);
            per_container(e, arg, move |c| {
                match get(c, &["securityContext", key]).or(pod) {
                    Some(v) => to_val(v),
                    None => Val::Int(0),
                }
            })
        }
        K::ReqPodContainersProcMount => {
            per_container(e, arg, |c| opt(get(c, &["securityContext", "procMount"])))
        }
        K::ReqRoleRules => match req(e, &["rules"]).and_then(Value::as_array) {
            Some(r) => Val::List(r.iter().map(to_val).collect()),
            None => Val::None,
        },
        K::ReqRoleRulesApiGroups => flatten_rules(e, "apiGroups"),
        K::ReqRoleRulesNonResourceUrls => flatten_rules(e, "nonResourceURLs"),
        K::ReqRoleRulesVerbs => flatten_rules(e, "verbs"),
        K::ReqRoleRulesResources => flatten_rules(e, "resources"),
        K::ReqPodFsGroup => opt(req(e, &["spec", "securityContext", "fsGroup"])),
        K::ReqPodSupplementalGroups => {
            opt(req(e, &["spec", "securityContext", "supplementalGroups"]))
        }
        K::ReqPodContainersAddCapabilities => {
            let mut out = Vec::new();
            for c in containers(e) {
                if let Some(caps) =
                    get(c, &["securityContext", "capabilities", "add"]).and_then(Value::as_array)
                {
                    out.extend(caps.iter().map(to_val));
                }
            }
            Val::List(out)
        }
        K::ReqServiceType => opt(req(e, &["spec", "type"])),
        K::ReqServicePorts => opt(req(e, &["spec", "ports"])),
        K::ReqPodVolumesHostpath => volumes(e, |v| opt(get(v, &["hostPath", "path"]))),
        K::ReqVolumeHostpath => {
            let Some(pattern) = arg.key() else {
                return Val::None;
            };
            let vols = req(e, &["spec", "volumes"]).and_then(Value::as_array);
            let hit = vols.into_iter().flatten().any(|v| {
                get(v, &["hostPath", "path"])
                    .and_then(Value::as_str)
                    .is_some_and(|p| {
                        crate::filter::glob::glob_match(pattern.as_bytes(), p.as_bytes(), false)
                    })
            });
            bool_text(hit)
        }
        K::ReqPodVolumesFlexvolumeDriver => volumes(e, |v| opt(get(v, &["flexVolume", "driver"]))),
        K::ReqPodVolumesVolumeType => volumes(e, |v| {
            v.as_object()
                .and_then(|m| m.keys().find(|k| *k != "name"))
                .map_or(Val::None, |k| Val::Str(Cow::Borrowed(k.as_str())))
        }),
        K::RespName => opt(get(j, &["responseObject", "metadata", "name"])),
        K::ResponseCode => {
            get(j, &["responseStatus", "code"]).map_or(Val::None, |v| Val::Str(text(v)))
        }
        K::ResponseReason => opt(get(j, &["responseStatus", "reason"])),
        K::UserAgent => Val::opt_str(get_str(j, &["userAgent"])),
        K::SourceIps => match get(j, &["sourceIPs"]).and_then(Value::as_array) {
            Some(ips) => Val::List(ips.iter().map(to_val).collect()),
            None => Val::None,
        },
        K::ClusterName => Val::None,
        K::JevtTime | K::JevtTimeIso => Val::Str(Cow::Owned(crate::alert::rfc3339_nanos(e.ts))),
        K::JevtRawtime | K::JsonRawtime => Val::Int(e.ts),
        K::JevtValue | K::JsonValue => match arg.key() {
            Some(p) => {
                pointer(j, &p).map_or(Val::None, |v| Val::Str(Cow::Owned(text(v).into_owned())))
            }
            None => Val::None,
        },
        K::JevtObj | K::JsonObj => Val::Str(Cow::Owned(j.to_string())),
    }
}

fn spec_bool<'a>(e: &'a K8sAuditEvent, key: &str) -> Val<'a> {
    if containers(e).is_empty() && req(e, &["spec"]).is_none() {
        return Val::None;
    }
    bool_text(
        req(e, &["spec", key])
            .and_then(Value::as_bool)
            .unwrap_or(false),
    )
}

fn volumes<'a>(e: &'a K8sAuditEvent, f: impl Fn(&'a Value) -> Val<'a>) -> Val<'a> {
    match req(e, &["spec", "volumes"]).and_then(Value::as_array) {
        Some(v) => Val::List(v.iter().map(f).filter(Val::exists).collect()),
        None => Val::None,
    }
}

fn uri_param<'a>(j: &'a Value, arg: &Arg) -> Val<'a> {
    let (Some(uri), Some(name)) = (get_str(j, &["requestURI"]), arg.key()) else {
        return Val::None;
    };
    let Some((_, query)) = uri.split_once('?') else {
        return Val::None;
    };
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name.as_ref())
        .map_or(Val::None, |(_, v)| Val::Str(Cow::Owned(percent_decode(v))))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or(""), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_strips_tag_and_digest() {
        assert_eq!(image_repository("nginx:1.25"), "nginx");
        assert_eq!(
            image_repository("localhost:5000/app:v1"),
            "localhost:5000/app"
        );
        assert_eq!(image_repository("busybox@sha256:abc"), "busybox");
        assert_eq!(image_repository("nginx"), "nginx");
    }

    #[test]
    fn uri_params_decode() {
        let j =
            serde_json::json!({"requestURI": "/api/v1/x/exec?command=bash&command=-c&stdin=true"});
        let v = uri_param(&j, &Arg::Key("command".into()));
        assert_eq!(v, Val::Str(Cow::Owned("bash".into())));
    }
}
