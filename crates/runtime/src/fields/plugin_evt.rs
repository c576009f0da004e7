//! The `evt.*` fields libsinsp gives every plugin event (`k8s_audit`, `aws_cloudtrail`): the
//! event's number, its time in Falco's formats, the source and plugin names, and the plugin's
//! one-line rendering of the event (`evt.plugininfo`). One table and one extractor for both sources.

use super::{Val, field_table};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

const NS_PER_S: i64 = 1_000_000_000;

/// Ids of these fields start here, after any source's own table.
pub(crate) const BASE: u16 = 0x4000;

field_table!(pub enum EvtField, FIELDS @ BASE {
    Num = "evt.num": Int/None,
    Time = "evt.time": Str/None,
    TimeS = "evt.time.s": Str/None,
    TimeIso8601 = "evt.time.iso8601": Str/None,
    Datetime = "evt.datetime": Str/None,
    DatetimeS = "evt.datetime.s": Str/None,
    Rawtime = "evt.rawtime": Int/None,
    RawtimeS = "evt.rawtime.s": Int/None,
    RawtimeNs = "evt.rawtime.ns": Int/None,
    Source = "evt.source": Str/None,
    PluginName = "evt.pluginname": Str/None,
    PluginInfo = "evt.plugininfo": Str/None,
    Hostname = "evt.hostname": Str/None,
    IsAsync = "evt.is_async": Bool/None,
});

/// What a plugin event tells these fields.
pub trait PluginEvent {
    /// The event's number (from [`next_number`]).
    fn number(&self) -> u64;
    /// Event time, ns since the epoch (0: unknown).
    fn time_ns(&self) -> i64;
    /// The source name in rules files (`aws_cloudtrail`).
    fn source_name(&self) -> &'static str;
    /// The plugin's name (`cloudtrail`, `k8saudit`).
    fn plugin_name(&self) -> &'static str;
    /// The plugin's one-line rendering of the event.
    fn plugin_info(&self) -> Cow<'_, str>;
}

static NEXT: AtomicU64 = AtomicU64::new(1);

/// The next event number: unique and increasing in this process, like libsinsp's inspector count.
pub fn next_number() -> u64 {
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The time fields of any source, from ns since the epoch, in Falco's formats.
pub(crate) fn time_value(f: EvtField, ts: i64) -> Val<'static> {
    let iso = || crate::alert::rfc3339_nanos(ts);
    let datetime = || {
        let mut s = iso().replacen('T', " ", 1);
        s.pop(); // the `Z`
        s
    };
    match f {
        EvtField::Time => Val::Str(Cow::Owned(crate::alert::clock_nanos(ts))),
        EvtField::TimeS => Val::Str(Cow::Owned(
            crate::alert::clock_nanos(ts).chars().take(8).collect(),
        )),
        EvtField::TimeIso8601 => Val::Str(Cow::Owned(iso())),
        EvtField::Datetime => Val::Str(Cow::Owned(datetime())),
        EvtField::DatetimeS => Val::Str(Cow::Owned(datetime().chars().take(19).collect())),
        EvtField::Rawtime => Val::Int(ts),
        EvtField::RawtimeS => Val::Int(ts / NS_PER_S),
        EvtField::RawtimeNs => Val::Int(ts % NS_PER_S),
        _ => Val::None,
    }
}

/// Extracts field `id` of a plugin event, when it is one of these fields.
pub(crate) fn extract<E: PluginEvent + ?Sized>(e: &E, id: u16) -> Option<Val<'_>> {
    let f = EvtField::from_id(id)?;
    Some(match f {
        EvtField::Num => Val::Int(i64::try_from(e.number()).unwrap_or(i64::MAX)),
        EvtField::Source => Val::Str(Cow::Borrowed(e.source_name())),
        EvtField::PluginName => Val::Str(Cow::Borrowed(e.plugin_name())),
        EvtField::PluginInfo => Val::Str(e.plugin_info()),
        EvtField::Hostname => Val::None,
        EvtField::IsAsync => Val::Bool(false),
        _ if e.time_ns() == 0 => Val::None,
        time => time_value(time, e.time_ns()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(i64);

    impl PluginEvent for Fake {
        fn number(&self) -> u64 {
            42
        }
        fn time_ns(&self) -> i64 {
            self.0
        }
        fn source_name(&self) -> &'static str {
            "aws_cloudtrail"
        }
        fn plugin_name(&self) -> &'static str {
            "cloudtrail"
        }
        fn plugin_info(&self) -> Cow<'_, str> {
            Cow::Borrowed("info")
        }
    }

    fn get(e: &Fake, name: &str) -> Option<String> {
        let f = FIELDS.iter().find(|f| f.name == name).expect("field");
        match extract(e, f.id)? {
            Val::Str(s) => Some(s.into_owned()),
            Val::Int(n) => Some(n.to_string()),
            Val::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    #[test]
    fn times_numbers_and_names_in_falcos_formats() {
        let ts = crate::alert::parse_rfc3339_nanos("2026-11-27T10:11:12.123456789Z").expect("time");
        let e = Fake(ts);
        assert_eq!(get(&e, "evt.num").as_deref(), Some("42"));
        assert_eq!(get(&e, "evt.time").as_deref(), Some("10:11:12.123456789"));
        assert_eq!(get(&e, "evt.time.s").as_deref(), Some("10:11:12"));
        assert_eq!(
            get(&e, "evt.time.iso8601").as_deref(),
            Some("2026-11-27T10:11:12.123456789Z")
        );
        assert_eq!(
            get(&e, "evt.datetime").as_deref(),
            Some("2026-11-27 10:11:12.123456789")
        );
        assert_eq!(
            get(&e, "evt.datetime.s").as_deref(),
            Some("2026-11-27 10:11:12")
        );
        assert_eq!(get(&e, "evt.rawtime.ns").as_deref(), Some("123456789"));
        assert_eq!(get(&e, "evt.source").as_deref(), Some("aws_cloudtrail"));
        assert_eq!(get(&e, "evt.plugininfo").as_deref(), Some("info"));
        assert_eq!(get(&e, "evt.is_async").as_deref(), Some("false"));
        assert_eq!(get(&Fake(0), "evt.time"), None, "no time, no value");
        assert!(
            extract(&e, 3).is_none(),
            "a source's own field is not one of these"
        );
        assert!(next_number() < next_number());
    }
}
