//! Syslog (RFC 5424) to the local socket `/dev/log` or over UDP. The message is the alert's
//! Falco JSON; facility `user`, severity from the rule priority (same scale as syslog's).

use super::{Output, OutputError};
use crate::alert::Alert;
use crate::rules::Priority;
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;

/// Largest datagram sent; longer messages are cut (UDP syslog receivers commonly accept 64 KiB).
const MAX_DATAGRAM: usize = 60_000;

enum Transport {
    Local(UnixDatagram),
    Udp(UdpSocket),
}

/// A syslog sender.
pub struct Syslog {
    name: String,
    transport: Transport,
    hostname: String,
}

impl Syslog {
    /// Sends to `/dev/log`.
    pub fn local(hostname: &str) -> Result<Syslog, OutputError> {
        let io = |source| OutputError::Io {
            what: "/dev/log".into(),
            source,
        };
        let sock = UnixDatagram::unbound().map_err(io)?;
        sock.connect("/dev/log").map_err(io)?;
        Ok(Syslog {
            name: "syslog:/dev/log".into(),
            transport: Transport::Local(sock),
            hostname: hostname.to_string(),
        })
    }

    /// Sends to `addr` (`host:port`) over UDP.
    pub fn udp(addr: &str, hostname: &str) -> Result<Syslog, OutputError> {
        let io = |source| OutputError::Io {
            what: format!("syslog udp://{addr}"),
            source,
        };
        let sock = UdpSocket::bind("0.0.0.0:0").map_err(io)?;
        sock.connect(addr).map_err(io)?;
        Ok(Syslog {
            name: format!("syslog:udp://{addr}"),
            transport: Transport::Udp(sock),
            hostname: hostname.to_string(),
        })
    }
}

/// Syslog severity of a priority (emergency 0 … debug 7).
fn severity(p: Priority) -> u8 {
    match p {
        Priority::Emergency => 0,
        Priority::Alert => 1,
        Priority::Critical => 2,
        Priority::Error => 3,
        Priority::Warning => 4,
        Priority::Notice => 5,
        Priority::Informational => 6,
        Priority::Debug => 7,
    }
}

/// One RFC 5424 message: `<PRI>1 TIMESTAMP HOST rampart PID - - MSG`.
pub fn format_5424(alert: &Alert, hostname: &str) -> String {
    const FACILITY_USER: u8 = 1;
    let pri = FACILITY_USER * 8 + severity(alert.priority);
    let host = if hostname.is_empty() { "-" } else { hostname };
    // RFC 5424 allows at most 6 fractional digits
    let time = match (alert.time.get(..26), alert.time.len()) {
        (Some(t), 30) => format!("{t}Z"),
        _ => alert.time.clone(),
    };
    format!(
        "<{pri}>1 {time} {host} rampart {} - - {}",
        std::process::id(),
        alert.to_json_line()
    )
}

impl Output for Syslog {
    fn name(&self) -> &str {
        &self.name
    }

    fn emit(&mut self, alert: &Alert) -> Result<(), OutputError> {
        let msg = format_5424(alert, &self.hostname);
        let mut bytes = msg.as_bytes();
        if bytes.len() > MAX_DATAGRAM {
            bytes = &bytes[..MAX_DATAGRAM];
        }
        let sent = match &self.transport {
            Transport::Local(s) => s.send(bytes),
            Transport::Udp(s) => s.send(bytes),
        };
        sent.map(|_| ()).map_err(|source| OutputError::Io {
            what: self.name.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_rfc5424_over_udp() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        server
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let addr = server.local_addr().unwrap().to_string();
        let mut out = Syslog::udp(&addr, "node-1").unwrap();
        let alert = Alert {
            output: "12:00:00.000000000: Warning hi".into(),
            priority: Priority::Warning,
            rule: "R".into(),
            time: "2024-01-02T03:04:05.123456789Z".into(),
            output_fields: Default::default(),
            source: "syscall".into(),
            tags: vec![],
            hostname: "node-1".into(),
            message: "hi".into(),
        };
        out.emit(&alert).unwrap();
        let mut buf = [0u8; 4096];
        let n = server.recv(&mut buf).unwrap();
        let msg = std::str::from_utf8(&buf[..n]).unwrap();
        // facility user (1) * 8 + warning (4) = 12
        assert!(
            msg.starts_with("<12>1 2024-01-02T03:04:05.123456Z node-1 rampart "),
            "{msg}"
        );
        let json = msg.split(" - - ").nth(1).unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["rule"], "R");
    }
}
