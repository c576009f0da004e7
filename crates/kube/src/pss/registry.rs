//! The catalogue of checks: ids, levels, versions and which baseline checks a restricted one replaces.

use super::{Level, Pod, PolicyVersion, Verdict, baseline as b, restricted as r};
use rampart_core::Severity;

pub(crate) type CheckFn = fn(Pod<'_>) -> Verdict;

/// One behaviour of a check, in force from `min_minor` until the next entry's.
pub struct Versioned {
    /// First policy version `1.N` with this behaviour.
    pub min_minor: u32,
    pub(crate) check: CheckFn,
    /// Baseline checks this one replaces when evaluating `restricted`.
    pub overrides: &'static [&'static str],
}

/// A Pod Security Standards check.
pub struct CheckDef {
    /// The id as Kubernetes names it.
    pub id: &'static str,
    pub level: Level,
    pub title: &'static str,
    pub severity: Severity,
    pub remediation: &'static str,
    pub versions: &'static [Versioned],
}

impl CheckDef {
    fn at(&self, version: PolicyVersion) -> Option<&Versioned> {
        self.versions
            .iter()
            .rev()
            .find(|v| v.min_minor <= version.minor)
    }
}

const fn v(min_minor: u32, check: CheckFn) -> Versioned {
    Versioned {
        min_minor,
        check,
        overrides: &[],
    }
}

const fn vo(min_minor: u32, check: CheckFn, overrides: &'static [&'static str]) -> Versioned {
    Versioned {
        min_minor,
        check,
        overrides,
    }
}

/// Every check of both levels, baseline first.
pub static CHECKS: &[CheckDef] = &[
    CheckDef {
        id: "hostNamespaces",
        level: Level::Baseline,
        title: "Pod shares host namespaces",
        severity: Severity::High,
        remediation: "Remove hostNetwork, hostPID and hostIPC (or set them to false).",
        versions: &[v(0, b::host_namespaces)],
    },
    CheckDef {
        id: "privileged",
        level: Level::Baseline,
        title: "Privileged container",
        severity: Severity::Critical,
        remediation: "Remove securityContext.privileged or set it to false.",
        versions: &[v(0, b::privileged)],
    },
    CheckDef {
        id: "capabilities_baseline",
        level: Level::Baseline,
        title: "Container adds non-default capabilities",
        severity: Severity::High,
        remediation: "Only add capabilities from the default set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT).",
        versions: &[v(0, b::capabilities_baseline)],
    },
    CheckDef {
        id: "hostPathVolumes",
        level: Level::Baseline,
        title: "Pod mounts hostPath volumes",
        severity: Severity::High,
        remediation: "Replace hostPath volumes with persistent volume claims, configMaps, secrets or emptyDir.",
        versions: &[v(0, b::host_path_volumes)],
    },
    CheckDef {
        id: "hostPorts",
        level: Level::Baseline,
        title: "Container uses host ports",
        severity: Severity::Medium,
        remediation: "Remove hostPort from container ports; expose the pod through a Service.",
        versions: &[v(0, b::host_ports)],
    },
    CheckDef {
        id: "appArmorProfile",
        level: Level::Baseline,
        title: "Forbidden AppArmor profile",
        severity: Severity::Medium,
        remediation: "Use the RuntimeDefault or a Localhost AppArmor profile; never Unconfined.",
        versions: &[v(0, b::app_armor_profile)],
    },
    CheckDef {
        id: "seLinuxOptions",
        level: Level::Baseline,
        title: "Forbidden SELinux options",
        severity: Severity::Medium,
        remediation: "Do not set seLinuxOptions user or role; use only the container_t, container_init_t, container_kvm_t or container_engine_t types.",
        versions: &[
            v(0, b::se_linux_options_1_0),
            v(31, b::se_linux_options_1_31),
        ],
    },
    CheckDef {
        id: "procMount",
        level: Level::Baseline,
        title: "Unmasked /proc mount",
        severity: Severity::Medium,
        remediation: "Remove securityContext.procMount or set it to Default.",
        versions: &[v(0, b::proc_mount_strict), v(35, b::proc_mount_1_35)],
    },
    CheckDef {
        id: "seccompProfile_baseline",
        level: Level::Baseline,
        title: "Seccomp disabled (Unconfined)",
        severity: Severity::Medium,
        remediation: "Do not set the seccomp profile to Unconfined; use RuntimeDefault or Localhost.",
        versions: &[
            v(0, b::seccomp_baseline_1_0),
            v(19, b::seccomp_baseline_1_19),
        ],
    },
    CheckDef {
        id: "sysctls",
        level: Level::Baseline,
        title: "Unsafe sysctls",
        severity: Severity::Medium,
        remediation: "Only set sysctls from the safe set allowed by the Pod Security Standards.",
        versions: &[
            v(0, b::sysctls_1_0),
            v(27, b::sysctls_1_27),
            v(29, b::sysctls_1_29),
            v(32, b::sysctls_1_32),
        ],
    },
    CheckDef {
        id: "windowsHostProcess",
        level: Level::Baseline,
        title: "Windows HostProcess container",
        severity: Severity::High,
        remediation: "Remove securityContext.windowsOptions.hostProcess or set it to false.",
        versions: &[v(0, b::windows_host_process)],
    },
    CheckDef {
        id: "hostProbesAndHostLifecycle",
        level: Level::Baseline,
        title: "Probe or lifecycle handler targets another host",
        severity: Severity::Medium,
        remediation: "Remove the host field from probes and lifecycle handlers; they must target the pod itself.",
        versions: &[v(34, b::host_probes_and_lifecycle)],
    },
    CheckDef {
        id: "restrictedVolumes",
        level: Level::Restricted,
        title: "Restricted volume types",
        severity: Severity::Medium,
        remediation: "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected or secret volumes.",
        versions: &[
            vo(0, r::restricted_volumes_1_0, &["hostPathVolumes"]),
            vo(33, r::restricted_volumes_1_33, &["hostPathVolumes"]),
        ],
    },
    CheckDef {
        id: "allowPrivilegeEscalation",
        level: Level::Restricted,
        title: "Privilege escalation allowed",
        severity: Severity::Medium,
        remediation: "Set securityContext.allowPrivilegeEscalation to false in every container.",
        versions: &[
            v(8, r::allow_privilege_escalation_1_8),
            v(25, r::allow_privilege_escalation_1_25),
        ],
    },
    CheckDef {
        id: "runAsNonRoot",
        level: Level::Restricted,
        title: "Containers may run as root",
        severity: Severity::Medium,
        remediation: "Set securityContext.runAsNonRoot to true on the pod or on every container.",
        versions: &[v(0, r::run_as_non_root)],
    },
    CheckDef {
        id: "runAsUser",
        level: Level::Restricted,
        title: "Container runs as UID 0",
        severity: Severity::Medium,
        remediation: "Do not set runAsUser to 0; use a non-zero user id.",
        versions: &[v(23, r::run_as_user)],
    },
    CheckDef {
        id: "seccompProfile_restricted",
        level: Level::Restricted,
        title: "Seccomp profile not set",
        severity: Severity::Low,
        remediation: "Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost) on the pod or every container.",
        versions: &[
            vo(19, r::seccomp_restricted_1_19, &["seccompProfile_baseline"]),
            vo(25, r::seccomp_restricted_1_25, &["seccompProfile_baseline"]),
        ],
    },
    CheckDef {
        id: "capabilities_restricted",
        level: Level::Restricted,
        title: "Capabilities not dropped",
        severity: Severity::Medium,
        remediation: "Drop ALL capabilities and add back at most NET_BIND_SERVICE.",
        versions: &[
            vo(
                22,
                r::capabilities_restricted_1_22,
                &["capabilities_baseline"],
            ),
            vo(
                25,
                r::capabilities_restricted_1_25,
                &["capabilities_baseline"],
            ),
        ],
    },
    CheckDef {
        id: "procMount_restricted",
        level: Level::Restricted,
        title: "Unmasked /proc mount",
        severity: Severity::Medium,
        remediation: "Remove securityContext.procMount or set it to Default, also in user namespaces.",
        versions: &[vo(35, b::proc_mount_strict, &["procMount"])],
    },
];

/// The check definition with this id.
pub fn check(id: &str) -> Option<&'static CheckDef> {
    CHECKS.iter().find(|c| c.id == id)
}

/// The checks that run for `level` at `version`: those of the level and below that have a behaviour at
/// that version, minus the baseline checks replaced by restricted ones.
pub fn applicable_checks(level: Level, version: PolicyVersion) -> Vec<&'static CheckDef> {
    applicable(level, version)
        .into_iter()
        .map(|(d, _)| d)
        .collect()
}

pub(crate) fn applicable(
    level: Level,
    version: PolicyVersion,
) -> Vec<(&'static CheckDef, CheckFn)> {
    let selected: Vec<(&CheckDef, &Versioned)> = CHECKS
        .iter()
        .filter(|c| c.level <= level)
        .filter_map(|c| c.at(version).map(|v| (c, v)))
        .collect();
    let overridden: Vec<&str> = selected
        .iter()
        .flat_map(|(_, v)| v.overrides.iter().copied())
        .collect();
    selected
        .into_iter()
        .filter(|(c, _)| !overridden.contains(&c.id))
        .map(|(c, v)| (c, v.check))
        .collect()
}
