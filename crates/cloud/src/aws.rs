//! SDK configuration (credential chain, profile, region, endpoint, assume-role, adaptive retry, timeouts)
//! and the collection driver.

use crate::{CloudError, Coverage, Inventory, Warning};
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_types::SdkConfig;
use aws_types::region::Region;
use std::time::Duration;

/// How to reach the account.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// Named profile (`--profile`); `None` uses the standard credential chain.
    pub profile: Option<String>,
    /// Region (`--region`); `None` uses the chain's region, else `us-east-1`.
    pub region: Option<String>,
    /// Collect regional services in every enabled region (`--all-regions`).
    pub all_regions: bool,
    /// Custom endpoint (`--endpoint-url`, used by tests against moto).
    pub endpoint_url: Option<String>,
    /// Role to assume into (`--role-arn`).
    pub role_arn: Option<String>,
    /// Role in the management (or delegated administrator) account to read Organizations through,
    /// assumed with the scan's credentials; `None` reads Organizations with them directly.
    pub org_role_arn: Option<String>,
    /// Static credentials (access key id, secret) instead of the chain; for tests. Never logged.
    pub static_credentials: Option<(String, String)>,
    /// Attempts per call with adaptive retry (throttling backs off).
    pub max_attempts: u32,
    /// Timeout of one attempt.
    pub attempt_timeout: Duration,
    /// Timeout of one call including retries.
    pub operation_timeout: Duration,
    /// IAM users or roles whose per-principal calls (policies, access keys, MFA) run at once (at least 1).
    pub concurrency: usize,
    /// Services to collect (`s3`, `iam`, `ec2`, `kms`, `cloudtrail`, `rds`, `lambda`, `eks`,
    /// `cloudwatch`, `config`, `organizations`); empty means all.
    pub services: Vec<String>,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            profile: None,
            region: None,
            all_regions: false,
            endpoint_url: None,
            role_arn: None,
            org_role_arn: None,
            static_credentials: None,
            max_attempts: 4,
            attempt_timeout: Duration::from_secs(20),
            operation_timeout: Duration::from_secs(60),
            concurrency: crate::iam::CONCURRENCY,
            services: Vec::new(),
        }
    }
}

impl AwsOptions {
    fn wants(&self, service: &str) -> bool {
        self.services.is_empty() || self.services.iter().any(|s| s == service)
    }
}

/// Collects warnings for one service.
pub(crate) struct Sink {
    pub service: &'static str,
    pub warnings: Vec<Warning>,
}

impl Sink {
    pub fn new(service: &'static str) -> Sink {
        Sink {
            service,
            warnings: Vec::new(),
        }
    }

    /// Records that `what` could not be read because of `err`.
    pub fn warn(&mut self, what: impl Into<String>, err: impl std::fmt::Display) {
        self.warnings.push(Warning {
            service: self.service.to_string(),
            what: what.into(),
            error: err.to_string(),
        });
    }
}

/// Runs `call` on every item, up to `n` at a time (at least one), and returns the results in the
/// items' order; each call's own [`Sink`] is added to `sink` in that order too. The per-principal IAM
/// calls (collector and authorization details) go through here, so the number of requests in flight
/// stays bounded and the output does not depend on which call finishes first.
pub(crate) async fn each_bounded<T, R, F, Fut>(
    sink: &mut Sink,
    items: Vec<T>,
    n: usize,
    call: F,
) -> Vec<R>
where
    F: FnMut(T) -> Fut,
    Fut: std::future::Future<Output = (R, Sink)>,
{
    use futures::stream::{self, StreamExt};
    let mut done = stream::iter(items).map(call).buffered(n.max(1));
    let mut out = Vec::new();
    while let Some((r, s)) = done.next().await {
        out.push(r);
        sink.warnings.extend(s.warnings);
    }
    out
}

/// A short description of an SDK error: `Code: message` when the service sent one, else the SDK's own
/// description (dispatch failure, timeout…) cut to 300 characters.
pub(crate) fn describe<E>(e: &E) -> String
where
    E: std::error::Error + aws_sdk_s3::error::ProvideErrorMetadata + 'static,
{
    if let Some(code) = e.code() {
        return format!("{code}: {}", e.message().unwrap_or_default());
    }
    let full = aws_sdk_s3::error::DisplayErrorContext(e).to_string();
    match full.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &full[..i]),
        None => full,
    }
}

/// The SDK configuration for `o`, in `region` when given (else the options' or chain's region).
pub(crate) async fn sdk_config(o: &AwsOptions, region: Option<String>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(o.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(o.attempt_timeout)
                .operation_timeout(o.operation_timeout)
                .connect_timeout(o.attempt_timeout)
                .build(),
        );
    if let Some(p) = &o.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = region.or_else(|| o.region.clone()) {
        loader = loader.region(Region::new(r));
    }
    if let Some(u) = &o.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    if let Some((id, secret)) = &o.static_credentials {
        loader = loader.credentials_provider(aws_sdk_s3::config::Credentials::new(
            id.clone(),
            secret.clone(),
            None,
            None,
            "rampart-static",
        ));
    }
    let mut conf = loader.load().await;
    if conf.region().is_none() {
        conf = conf.into_builder().region(Region::new("us-east-1")).build();
    }
    if let Some(arn) = &o.role_arn {
        conf = assume(conf, arn).await;
    }
    conf
}

/// `conf` with credentials of `arn`, assumed with `conf`'s (session `rampart-cloud`).
async fn assume(conf: SdkConfig, arn: &str) -> SdkConfig {
    let provider = aws_config::sts::AssumeRoleProvider::builder(arn)
        .session_name("rampart-cloud")
        .configure(&conf)
        .build()
        .await;
    conf.into_builder()
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(provider))
        .build()
}

/// The configuration Organizations is read with: `conf`, or `conf` assumed into `org_role_arn`.
pub(crate) async fn org_config(o: &AwsOptions, conf: &SdkConfig) -> SdkConfig {
    match &o.org_role_arn {
        Some(arn) => assume(conf.clone(), arn).await,
        None => conf.clone(),
    }
}

/// Collects the account on a runtime of its own (for callers that are not async).
pub fn collect_blocking(o: &AwsOptions) -> Result<Inventory, CloudError> {
    runtime()?.block_on(collect(o))
}

/// A small runtime for the blocking entry points.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CloudError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CloudError::Runtime)
}

/// Collects every requested service. Global services (IAM, S3 with the account's public access block,
/// Organizations) once; regional ones (EC2, KMS, CloudTrail, RDS, Lambda, EKS, CloudWatch, Config) in the
/// configured region or, with `all_regions`, in every enabled region. Services run
/// concurrently (at most eight at a time per region); calls within a service run one after the other,
/// except IAM's per-user and per-role calls (`concurrency` principals at a time), so the number of
/// requests in flight stays bounded.
pub async fn collect(o: &AwsOptions) -> Result<Inventory, CloudError> {
    let conf = sdk_config(o, None).await;
    let home = conf
        .region()
        .map(|r| r.as_ref().to_string())
        .ok_or(CloudError::NoRegion)?;
    let mut inv = Inventory::default();
    let org_conf = org_config(o, &conf).await;
    let (s3_out, iam_out, orgs_out) = tokio::join!(
        opt(
            o.wants("s3"),
            crate::s3::collect(&conf, o.endpoint_url.as_deref())
        ),
        opt(o.wants("iam"), crate::iam::collect(&conf, o.concurrency)),
        opt(
            o.wants("organizations"),
            crate::organizations::collect(&conf, &org_conf)
        ),
    );
    for (out, region) in [
        (s3_out, "global"),
        (iam_out, "global"),
        (orgs_out, "global"),
    ] {
        if let Some(out) = out {
            absorb(&mut inv, out, region);
        }
    }
    let mut regions = vec![home.clone()];
    if o.all_regions {
        let client = aws_sdk_ec2::Client::new(&conf);
        match client.describe_regions().send().await {
            Ok(r) => {
                regions = r
                    .regions()
                    .iter()
                    .filter_map(|r| r.region_name().map(str::to_string))
                    .collect();
                regions.sort();
            }
            Err(e) => inv.warnings.push(Warning {
                service: "ec2".into(),
                what: "DescribeRegions (collecting the home region only)".into(),
                error: describe(&e),
            }),
        }
    }
    for region in regions {
        let rconf = if region == home {
            conf.clone()
        } else {
            sdk_config(o, Some(region.clone())).await
        };
        let want = |s: &str| o.wants(s);
        let (e, k, c, r, l, x, w, g) = tokio::join!(
            opt(want("ec2"), crate::ec2::collect(&rconf, &region)),
            opt(want("kms"), crate::kms::collect(&rconf, &region)),
            opt(
                want("cloudtrail"),
                crate::cloudtrail::collect(&rconf, &region)
            ),
            opt(want("rds"), crate::rds::collect(&rconf, &region)),
            opt(want("lambda"), crate::lambda::collect(&rconf, &region)),
            opt(want("eks"), crate::eks::collect(&rconf, &region)),
            opt(
                want("cloudwatch"),
                crate::monitoring::cloudwatch(&rconf, &region)
            ),
            opt(want("config"), crate::monitoring::config(&rconf, &region)),
        );
        for out in [e, k, c, r, l, x, w, g].into_iter().flatten() {
            absorb(&mut inv, out, &region);
        }
    }
    Ok(inv)
}

/// Runs `f` when `wanted`.
async fn opt<F: std::future::Future<Output = ServiceOut>>(
    wanted: bool,
    f: F,
) -> Option<ServiceOut> {
    if wanted { Some(f.await) } else { None }
}

/// What one service collector returns.
pub(crate) struct ServiceOut {
    pub service: &'static str,
    pub resources: Vec<rampart_iac::Resource>,
    pub sink: Sink,
}

fn absorb(inv: &mut Inventory, out: ServiceOut, region: &str) {
    let Coverage { services } = &mut inv.coverage;
    services.push((
        out.service.to_string(),
        region.to_string(),
        out.resources.len(),
    ));
    inv.resources.extend(out.resources);
    inv.warnings.extend(out.sink.warnings);
}
