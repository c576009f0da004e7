//! Command-line arguments: every flag is defined once, here, with its help text.

use crate::output::OutputArgs;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Rampart: an open cloud-native application protection platform.
#[derive(Debug, Parser)]
#[command(name = "rampart", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan an unpacked operating-system tree (OS packages and language packages).
    Rootfs(RootfsArgs),
    /// Scan a project folder or a single lockfile (lockfiles, manifests, installed packages).
    Fs(FsArgs),
    /// Scan a container image: oci:DIR[:tag], oci-archive:FILE, docker-archive:FILE, podman:NAME
    /// (vulnerabilities with the layer that brought each package, secrets in every layer, image
    /// configuration, base vs. added layers); `rampart image compare A B` compares two.
    Image(crate::image_cmd::ImageArgs),
    /// Scan this machine's root filesystem (skips /proc, /sys, /dev and network mounts).
    Host(HostArgs),
    /// Build, update and inspect the vulnerability database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Write an SBOM (CycloneDX 1.6 or SPDX 2.3 JSON) for a container image, root filesystem,
    /// folder or lockfile, or scan one with `rampart sbom scan FILE`.
    Sbom(SbomArgs),
    /// Kubernetes posture of manifests, Helm/kustomize output (`-`) or a cluster snapshot; `rampart k8s
    /// node` runs the CIS node checks.
    K8s(K8sArgs),
    /// AWS IAM entitlements: `rampart iam analyze FILE` on `aws iam get-account-authorization-details`.
    #[command(subcommand)]
    Iam(IamCommand),
    /// Runtime detection: Falco-compatible rules (`rules validate`, `rules list`) and `replay` of
    /// recorded syscall, Kubernetes audit and CloudTrail events.
    #[command(subcommand)]
    Runtime(RuntimeCommand),
    /// Policies: `rampart policy verify PATH` runs Gatekeeper test suites.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Container registries: `rampart registry scan HOST[/prefix]` scans every distinct image once.
    #[command(subcommand)]
    Registry(crate::registry_cmd::RegistryCommand),
    /// Infrastructure as code: Terraform (HCL, JSON, plan JSON), CloudFormation and Dockerfiles against
    /// the AWS checks, with CIS AWS Foundations compliance.
    Iac(crate::iac_cmd::IacArgs),
    /// Live cloud posture: `rampart cloud aws` collects an AWS account and runs the AWS checks on it.
    #[command(subcommand)]
    Cloud(crate::cloud_cmd::CloudCommand),
    /// Drift: declared resources (`--iac DIR`, `--plan FILE`, `--state FILE`) against the live AWS
    /// account: changed attributes, resources missing live, unmanaged live resources.
    Drift(crate::drift_cmd::DriftArgs),
    /// Kubernetes RBAC: `who-can VERB RESOURCE`, `can SUBJECT`, `analyze` (risky grants, escalation
    /// paths) on manifests or a snapshot.
    #[command(subcommand)]
    Rbac(crate::rbac_cmd::RbacCommand),
    /// Scan the bundled sample estate with the bundled database snapshot (no set-up needed).
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct RootfsArgs {
    /// Root of the unpacked tree.
    pub dir: PathBuf,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct FsArgs {
    /// Project folder or lockfile.
    pub path: PathBuf,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct HostArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// Flags shared by every scan command.
#[derive(Debug, Args, Clone)]
pub struct ScanArgs {
    #[command(flatten)]
    pub out: OutputArgs,
    /// Vulnerability database file (default: $RAMPART_DB or ~/.cache/rampart/db/rampart.db).
    #[arg(long, env = "RAMPART_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Never touch the network; use the database as it is.
    #[arg(long)]
    pub offline: bool,
    /// OpenVEX document whose not_affected/fixed statements suppress findings (repeatable).
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Ignore file (default: .rampartignore in the current directory or the scanned folder).
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// Suppress vulnerabilities that have no fixed version.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// What to look for: vuln, secret, config (images) (comma-separated). Default: all for images,
    /// vuln,secret for rootfs and fs, vuln for host.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub scanners: Vec<String>,
    /// Secret scanner configuration (YAML: disable-rules, rules, allow-rules, allow-paths).
    #[arg(long, value_name = "FILE")]
    pub secret_config: Option<PathBuf>,
    /// Warn when the database is older than this many hours.
    #[arg(long, default_value_t = 24 * 7, value_name = "HOURS")]
    pub max_db_age: u64,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Compile advisory feeds from a folder into a database file.
    Build(DbBuildArgs),
    /// Download current feeds, verify them, rebuild and replace the database atomically.
    Update(DbUpdateArgs),
    /// Show the database's version, sources, counts and age.
    Status(DbStatusArgs),
}

#[derive(Debug, Args)]
pub struct DbBuildArgs {
    /// Folder of feed files (OSV JSON/YAML/zip, Debian tracker, Alpine secdb, npm, RubySec, KEV, EPSS).
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// Database file to write (default: the default database path).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct DbUpdateArgs {
    /// Base URL of a feed mirror (same layout as docs/database.md describes); default: the upstream feeds.
    #[arg(long, value_name = "URL")]
    pub mirror: Option<String>,
    /// Database file to replace.
    #[arg(long, env = "RAMPART_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct DbStatusArgs {
    #[arg(long, env = "RAMPART_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Warn when older than this many hours.
    #[arg(long, default_value_t = 24 * 7, value_name = "HOURS")]
    pub max_age: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SbomArgs {
    #[command(subcommand)]
    pub command: Option<SbomCommand>,
    /// What to describe: a root filesystem (a folder with an os-release file), a project folder or
    /// lockfile, or a container image (oci:DIR[:tag], oci-archive:FILE, docker-archive:FILE,
    /// podman:NAME, HOST[:PORT]/REPO[:TAG|@DIGEST]; anything that is not a file or folder here is
    /// read as an image reference).
    #[arg(required = true)]
    pub target: Option<PathBuf>,
    /// cyclonedx or spdx.
    #[arg(long, short = 'f', default_value = "cyclonedx")]
    pub format: String,
    /// Write the SBOM to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long, short = 'q')]
    pub quiet: bool,
    // Images: platform and registry access.
    #[command(flatten)]
    pub source: crate::image_cmd::SourceArgs,
    // Images: analysis limits.
    #[command(flatten)]
    pub limits: crate::image_cmd::LimitArgs,
}

#[derive(Debug, Subcommand)]
pub enum SbomCommand {
    /// Scan a CycloneDX or SPDX JSON SBOM (from Rampart or another tool) for vulnerabilities.
    Scan(SbomScanArgs),
}

#[derive(Debug, Args)]
pub struct SbomScanArgs {
    /// The SBOM file.
    pub file: PathBuf,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct K8sArgs {
    #[command(subcommand)]
    pub command: Option<K8sCommand>,
    /// Manifest file or folder, a snapshot folder (`kubectl get -o json` lists), or `-` for standard input.
    #[arg(required_unless_present = "live")]
    pub path: Option<PathBuf>,
    /// Read the objects from a live cluster instead (kubeconfig rules as kubectl: `--kubeconfig`, else
    /// `KUBECONFIG`, else `~/.kube/config`, else the in-cluster service account). Secrets and custom
    /// resources are not read.
    #[arg(long, conflicts_with = "path")]
    pub live: bool,
    /// With `--live`: the kubeconfig context to use (default: its current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// With `--live`: the kubeconfig file to read.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Print a compliance summary for this framework: pss-baseline, pss-restricted, nsa,
    /// cis-kubernetes (repeatable).
    #[arg(long, value_name = "NAME")]
    pub framework: Vec<String>,
    /// Kubernetes version the Pod Security Standards are evaluated at (1.N, default: latest).
    #[arg(long, value_name = "1.N")]
    pub k8s_version: Option<String>,
    /// Suppression file (YAML list of id, resource glob, reason, expires; repeatable).
    #[arg(long, value_name = "FILE")]
    pub suppressions: Vec<PathBuf>,
    /// Policy folder to apply as well: Gatekeeper ConstraintTemplates + Constraints and/or
    /// kubescape-style Rego rule folders (repeatable).
    #[arg(long, value_name = "DIR")]
    pub policy: Vec<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Effective permissions, admin-equivalent principals, risky permissions, public and cross-account
    /// trust, unused roles and keys, and privilege-escalation paths hop by hop.
    Analyze(Box<IamAnalyzeArgs>),
    /// Least privilege from CloudTrail: per principal, a policy granting only what it used, and (with
    /// `--auth-details`) the granted-but-unused actions.
    LeastPrivilege(crate::iam_cmd::LeastPrivilegeArgs),
}

#[derive(Debug, Args)]
#[command(
    mut_arg("region", |a| a.help("Region to sign IAM calls for (IAM is global; default: AWS_REGION or the profile's, else us-east-1)")),
    mut_arg("services", |a| a.hide(true)),
    mut_arg("all_regions", |a| a.hide(true))
)]
pub struct IamAnalyzeArgs {
    /// `aws iam get-account-authorization-details` output (JSON); omit with `--live`.
    #[arg(required_unless_present = "live", conflicts_with = "live")]
    pub file: Option<PathBuf>,
    /// Read the account live through the AWS SDK (IAM GetAccountAuthorizationDetails, plus each user's
    /// access keys and their last use) instead of FILE.
    #[arg(long)]
    pub live: bool,
    /// With `--live`: also write the fetched authorization details (the JSON the AWS CLI prints, plus
    /// `AccessKeys` per user) to FILE, for a later `rampart iam analyze FILE`.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// A role or access key idle for more days than this is reported unused.
    #[arg(long, default_value_t = 90, value_name = "DAYS")]
    pub unused_days: i64,
    /// Account ids of your organisation (trust from them is not reported as cross-account; repeatable).
    #[arg(long, value_name = "ID")]
    pub known_account: Vec<String>,
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(flatten, next_help_heading = "AWS (with --live)")]
    pub aws: crate::cloud_cmd::AwsFlags,
}

#[derive(Debug, Subcommand)]
pub enum RuntimeCommand {
    /// Validate or list rules files.
    #[command(subcommand)]
    Rules(RuntimeRulesCommand),
    /// Feed recorded events through the rules and print alerts as Falco JSON lines.
    Replay(RuntimeReplayArgs),
    /// Run the agent: eBPF syscalls, Kubernetes audit (webhook endpoint, log files) and CloudTrail
    /// files into the rules; alerts to the outputs; responses; Prometheus metrics.
    Run(Box<crate::runtime_cmd::RuntimeRunArgs>),
}

#[derive(Debug, Subcommand)]
pub enum RuntimeRulesCommand {
    /// Load rules files as `falco -V` does: errors and warnings with code, item and position; exit 1
    /// on any error.
    Validate(RuntimeRulesArgs),
    /// List the rules the files define (name, source, priority, tags).
    List(RuntimeRulesArgs),
}

#[derive(Debug, Args)]
pub struct RuntimeRulesArgs {
    /// Rules files, loaded in order (default: the bundled Falco stable and k8s-audit rules).
    pub files: Vec<PathBuf>,
    /// text or json.
    #[arg(long, short = 'f', default_value = "text")]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct RuntimeReplayArgs {
    /// Event source: syscall (Rampart's recorded JSON lines), k8s_audit (EventList or JSON lines),
    /// cloudtrail (log files, gzip or not, or a folder of them).
    #[arg(long)]
    pub source: String,
    /// Rules files (repeatable; default: the bundled rules).
    #[arg(long, value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// The recorded events; for cloudtrail also `s3://BUCKET[/PREFIX]` (log files read through the AWS
    /// SDK: standard credentials and region, `AWS_ENDPOINT_URL` honoured).
    pub input: PathBuf,
    /// json (Falco alert JSON, one per line) or text.
    #[arg(long, short = 'f', default_value = "json")]
    pub format: String,
    /// No counts on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run Gatekeeper test suites (`suite.yaml`) the way `gator verify` does: a line per case, non-zero
    /// exit when any case fails.
    Verify(PolicyVerifyArgs),
}

#[derive(Debug, Args)]
pub struct PolicyVerifyArgs {
    /// A suite file, or a folder searched for `suite.yaml` files.
    pub path: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum K8sCommand {
    /// CIS Kubernetes benchmark checks on this node (or a node tree given with --root), kube-bench's
    /// definitions evaluated natively.
    Node(K8sNodeArgs),
}

#[derive(Debug, Args)]
pub struct K8sNodeArgs {
    /// Root of the node's filesystem (a mounted or copied node tree for offline checks).
    #[arg(long, default_value = "/", value_name = "DIR")]
    pub root: PathBuf,
    /// Benchmark to run (cis-1.10, eks-1.8.0, gke-1.9.0, …; default: from the Kubernetes version).
    #[arg(long, value_name = "NAME")]
    pub benchmark: Option<String>,
    /// Kubernetes version that selects the benchmark (default: read from the static pod manifests).
    #[arg(long, value_name = "1.N")]
    pub k8s_version: Option<String>,
    /// Targets to check: master, node, etcd, controlplane, policies (default: the benchmark's).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub targets: Vec<String>,
    /// Run audit commands the interpreter does not understand with /bin/sh (off: they are WARN).
    #[arg(long)]
    pub allow_audit_commands: bool,
    /// kube-bench `cfg/` folder to use instead of the embedded definitions.
    #[arg(long, value_name = "DIR")]
    pub cfg: Option<PathBuf>,
    /// Process list (`ps -ef` output) to use instead of /proc (for node trees).
    #[arg(long, value_name = "FILE")]
    pub processes: Option<PathBuf>,
    /// File modes and owners to use instead of the tree's (YAML: path: {mode, owner}).
    #[arg(long, value_name = "FILE")]
    pub stat_overrides: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output format for each report.
    #[arg(long, short = 'f', default_value = "table")]
    pub format: String,
}
