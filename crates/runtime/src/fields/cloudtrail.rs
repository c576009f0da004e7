//! The `aws_cloudtrail` source: one CloudTrail record and the `ct.*`, `s3.*`, `ec2.*` fields as
//! Falco's cloudtrail plugin defines them.

use super::json::{get, get_str, text, to_val};
use super::{Event, FieldRef, Source, Val, field_table};
use serde_json::Value;
use std::borrow::Cow;

/// One CloudTrail record (an element of a log file's `Records`).
#[derive(Debug, Clone, PartialEq)]
pub struct CloudTrailEvent {
    pub json: Value,
    /// `eventTime` in ns since the epoch; 0 when absent.
    pub ts: i64,
    /// `evt.num` ([`super::plugin_evt::next_number`]).
    pub num: u64,
}

impl CloudTrailEvent {
    /// Wraps one decoded record.
    pub fn new(json: Value) -> CloudTrailEvent {
        let ts = json
            .get("eventTime")
            .and_then(Value::as_str)
            .and_then(crate::alert::parse_rfc3339_nanos)
            .unwrap_or(0);
        CloudTrailEvent {
            json,
            ts,
            num: super::plugin_evt::next_number(),
        }
    }
}

field_table!(pub enum C, FIELDS {
    Id = "ct.id": Str/None,
    Error = "ct.error": Str/None,
    ErrorMessage = "ct.errormessage": Str/None,
    Time = "ct.time": Str/None,
    Src = "ct.src": Str/None,
    ShortSrc = "ct.shortsrc": Str/None,
    Name = "ct.name": Str/None,
    User = "ct.user": Str/None,
    UserAccountId = "ct.user.accountid": Str/None,
    UserIdentityType = "ct.user.identitytype": Str/None,
    UserPrincipalId = "ct.user.principalid": Str/None,
    UserArn = "ct.user.arn": Str/None,
    Region = "ct.region": Str/None,
    SrcIp = "ct.srcip": Str/None,
    UserAgent = "ct.useragent": Str/None,
    Info = "ct.info": Str/None,
    ManagementEvent = "ct.managementevent": Str/None,
    ReadOnly = "ct.readonly": Str/None,
    RequestId = "ct.requestid": Str/None,
    EventType = "ct.eventtype": Str/None,
    ApiVersion = "ct.apiversion": Str/None,
    Resources = "ct.resources": Str/None,
    RecipientAccountId = "ct.recipientaccountid": Str/None,
    EventCategory = "ct.eventcategory": Str/None,
    VpcEndpointId = "ct.vpcendpointid": Str/None,
    Request = "ct.request": Str/None,
    RequestDot = "ct.request.": Str/Suffix,
    Response = "ct.response": Str/None,
    ResponseDot = "ct.response.": Str/Suffix,
    AdditionalEventData = "ct.additionaleventdata": Str/None,
    AdditionalEventDataDot = "ct.additionaleventdata.": Str/Suffix,
    S3Uri = "s3.uri": Str/None,
    S3Bucket = "s3.bucket": Str/None,
    S3Key = "s3.key": Str/None,
    S3Bytes = "s3.bytes": Int/None,
    S3BytesIn = "s3.bytes.in": Int/None,
    S3BytesOut = "s3.bytes.out": Int/None,
    S3CntGet = "s3.cnt.get": Int/None,
    S3CntPut = "s3.cnt.put": Int/None,
    S3CntOther = "s3.cnt.other": Int/None,
    Ec2Name = "ec2.name": Str/None,
    Ec2ImageId = "ec2.imageid": Str/None,
    JsonValue = "json.value": Str/Required,
    JsonObj = "json.obj": Str/None,
    JsonRawtime = "json.rawtime": Int/None,
});

impl Event for CloudTrailEvent {
    fn source(&self) -> Source {
        Source::CloudTrail
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
        match C::from_id(field.id) {
            Some(C::JsonValue) => match field.arg.key() {
                Some(p) => super::json::pointer(&self.json, &p)
                    .map_or(Val::None, |v| Val::Str(Cow::Owned(text(v).into_owned()))),
                None => Val::None,
            },
            Some(C::JsonObj) => Val::Str(Cow::Owned(self.json.to_string())),
            Some(C::JsonRawtime) => Val::Int(self.ts),
            Some(c) => extract(self, c, &field.display),
            None => Val::None,
        }
    }
}

impl super::plugin_evt::PluginEvent for CloudTrailEvent {
    fn number(&self) -> u64 {
        self.num
    }

    fn time_ns(&self) -> i64 {
        self.ts
    }

    fn source_name(&self) -> &'static str {
        "aws_cloudtrail"
    }

    fn plugin_name(&self) -> &'static str {
        "cloudtrail"
    }

    /// As the plugin renders an event: region, user, the short event source and the event name.
    fn plugin_info(&self) -> Cow<'_, str> {
        let j = &self.json;
        let mut line = get_str(j, &["awsRegion"]).unwrap_or("").to_string();
        if let Some(u) = user(j).filter(|u| !u.is_empty()) {
            line.push(' ');
            line.push_str(&u);
        }
        let src = get_str(j, &["eventSource"]).unwrap_or("");
        line.push(' ');
        line.push_str(src.strip_suffix(".amazonaws.com").unwrap_or(src));
        line.push(' ');
        line.push_str(get_str(j, &["eventName"]).unwrap_or(""));
        Cow::Owned(line)
    }
}

fn s_at<'a>(j: &'a Value, path: &[&str]) -> Val<'a> {
    get(j, path).map_or(Val::None, to_val)
}

/// The plugin's `ct.user`: the IAM user name, the assumed role's issuer, or the principal.
fn user(j: &Value) -> Option<Cow<'_, str>> {
    let ui = j.get("userIdentity")?;
    if let Some(n) = get_str(ui, &["userName"]) {
        return Some(Cow::Borrowed(n));
    }
    if let Some(n) = get_str(ui, &["sessionContext", "sessionIssuer", "userName"]) {
        return Some(Cow::Borrowed(n));
    }
    if get_str(ui, &["type"]) == Some("Root") {
        return Some(Cow::Borrowed("root"));
    }
    if let Some(arn) = get_str(ui, &["arn"]) {
        return Some(Cow::Borrowed(arn.rsplit('/').next().unwrap_or(arn)));
    }
    get_str(ui, &["principalId"]).map(Cow::Borrowed)
}

fn s3_bytes(j: &Value, key: &str) -> Option<i64> {
    get(j, &["additionalEventData", key]).and_then(Value::as_i64)
}

fn extract<'a>(e: &'a CloudTrailEvent, c: C, display: &str) -> Val<'a> {
    let j = &e.json;
    let name = get_str(j, &["eventName"]).unwrap_or("");
    match c {
        C::Id => s_at(j, &["eventID"]),
        C::Error => s_at(j, &["errorCode"]),
        C::ErrorMessage => s_at(j, &["errorMessage"]),
        C::Time => s_at(j, &["eventTime"]),
        C::Src => s_at(j, &["eventSource"]),
        C::ShortSrc => get_str(j, &["eventSource"]).map_or(Val::None, |s| {
            Val::str(s.strip_suffix(".amazonaws.com").unwrap_or(s))
        }),
        C::Name => s_at(j, &["eventName"]),
        C::User => user(j).map_or(Val::None, Val::Str),
        C::UserAccountId => s_at(j, &["userIdentity", "accountId"]),
        C::UserIdentityType => s_at(j, &["userIdentity", "type"]),
        C::UserPrincipalId => s_at(j, &["userIdentity", "principalId"]),
        C::UserArn => s_at(j, &["userIdentity", "arn"]),
        C::Region => s_at(j, &["awsRegion"]),
        C::SrcIp => s_at(j, &["sourceIPAddress"]),
        C::UserAgent => s_at(j, &["userAgent"]),
        C::Info => Val::Str(Cow::Owned(format!(
            "{} {} {}",
            user(j).unwrap_or(Cow::Borrowed("")),
            get_str(j, &["awsRegion"]).unwrap_or(""),
            name
        ))),
        C::ManagementEvent => s_at(j, &["managementEvent"]),
        C::ReadOnly => s_at(j, &["readOnly"]),
        C::RequestId => s_at(j, &["requestID"]),
        C::EventType => s_at(j, &["eventType"]),
        C::ApiVersion => s_at(j, &["apiVersion"]),
        C::Resources => s_at(j, &["resources"]),
        C::RecipientAccountId => s_at(j, &["recipientAccountId"]),
        C::EventCategory => s_at(j, &["eventCategory"]),
        C::VpcEndpointId => s_at(j, &["vpcEndpointId"]),
        C::Request => s_at(j, &["requestParameters"]),
        C::Response => s_at(j, &["responseElements"]),
        C::AdditionalEventData => s_at(j, &["additionalEventData"]),
        C::RequestDot | C::ResponseDot | C::AdditionalEventDataDot => {
            let (root, prefix) = match c {
                C::RequestDot => ("requestParameters", "ct.request."),
                C::ResponseDot => ("responseElements", "ct.response."),
                _ => ("additionalEventData", "ct.additionaleventdata."),
            };
            let key = display.strip_prefix(prefix).unwrap_or("");
            let Some(obj) = j.get(root) else {
                return Val::None;
            };
            // the plugin matches keys case-insensitively (`ct.request.bucketname` = `bucketName`)
            let mut cur = obj;
            for part in key.split('.') {
                let next = cur.as_object().and_then(|m| {
                    m.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(part))
                        .map(|(_, v)| v)
                });
                match next {
                    Some(v) => cur = v,
                    None => return Val::None,
                }
            }
            Val::Str(text(cur))
        }
        C::S3Bucket => s_at(j, &["requestParameters", "bucketName"]),
        C::S3Key => s_at(j, &["requestParameters", "key"]),
        C::S3Uri => {
            let (Some(b), Some(k)) = (
                get_str(j, &["requestParameters", "bucketName"]),
                get_str(j, &["requestParameters", "key"]),
            ) else {
                return Val::None;
            };
            Val::Str(Cow::Owned(format!("s3://{b}/{k}")))
        }
        C::S3Bytes => match (
            s3_bytes(j, "bytesTransferredIn"),
            s3_bytes(j, "bytesTransferredOut"),
        ) {
            (None, None) => Val::None,
            (a, b) => Val::Int(a.unwrap_or(0) + b.unwrap_or(0)),
        },
        C::S3BytesIn => s3_bytes(j, "bytesTransferredIn").map_or(Val::None, Val::Int),
        C::S3BytesOut => s3_bytes(j, "bytesTransferredOut").map_or(Val::None, Val::Int),
        C::S3CntGet => Val::Int(i64::from(name == "GetObject")),
        C::S3CntPut => Val::Int(i64::from(name == "PutObject")),
        C::S3CntOther => Val::Int(i64::from(name != "GetObject" && name != "PutObject")),
        C::Ec2Name => ec2_name(j),
        C::Ec2ImageId => j
            .pointer("/responseElements/instancesSet/items/0/imageId")
            .map_or(Val::None, to_val),
        C::JsonValue | C::JsonObj | C::JsonRawtime => Val::None,
    }
}

fn ec2_name(j: &Value) -> Val<'_> {
    let tags = j
        .pointer("/requestParameters/tagSpecificationSet/items/0/tags")
        .and_then(Value::as_array);
    tags.into_iter()
        .flatten()
        .find(|t| t.get("key").and_then(Value::as_str) == Some("Name"))
        .and_then(|t| t.get("value"))
        .map_or(Val::None, to_val)
}
