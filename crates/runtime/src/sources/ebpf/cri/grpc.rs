//! Unary gRPC over HTTP/2 (`h2`) on a unix socket: one request message, one response message,
//! the status from the trailers (or from the headers of a trailers-only answer).

use super::CriError;
use bytes::{Bytes, BytesMut};
use std::path::Path;

/// An HTTP/2 connection to the runtime; its driver runs on the caller's tokio runtime.
pub(super) struct Conn {
    send: h2::client::SendRequest<Bytes>,
}

impl Conn {
    pub(super) async fn connect(socket: &Path) -> Result<Conn, CriError> {
        let io = tokio::net::UnixStream::connect(socket)
            .await
            .map_err(|source| CriError::Connect {
                path: socket.to_path_buf(),
                source,
            })?;
        let (send, conn) = h2::client::handshake(io)
            .await
            .map_err(|source| CriError::Http2 {
                method: "(handshake)".into(),
                source,
            })?;
        tokio::spawn(async move {
            // ends with the connection; an error here surfaces on the request side
            let _ = conn.await;
        });
        Ok(Conn { send })
    }

    /// Calls `method` (`/package.Service/Method`) with `req`; the response is at most `limit`
    /// bytes.
    pub(super) async fn unary<Q, R>(
        &mut self,
        method: &str,
        req: &Q,
        limit: usize,
    ) -> Result<R, CriError>
    where
        Q: prost::Message,
        R: prost::Message + Default,
    {
        let h2err = |source| CriError::Http2 {
            method: method.to_string(),
            source,
        };
        let request = http::Request::builder()
            .method(http::Method::POST)
            .uri(format!("http://localhost{method}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .map_err(|e| CriError::Malformed {
                method: method.to_string(),
                detail: format!("request: {e}"),
            })?;
        let mut send = self.send.clone().ready().await.map_err(h2err)?;
        let (response, mut stream) = send.send_request(request, false).map_err(h2err)?;
        stream.send_data(frame(req), true).map_err(h2err)?;
        let (parts, mut body) = response.await.map_err(h2err)?.into_parts();
        if parts.status != http::StatusCode::OK {
            return Err(CriError::HttpStatus {
                method: method.to_string(),
                status: parts.status.as_u16(),
            });
        }
        // a trailers-only answer (an error, usually) has its status in the headers
        if let Some(status) = grpc_status(method, &parts.headers) {
            status?;
        }
        let mut buf = BytesMut::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(h2err)?;
            let _ = body.flow_control().release_capacity(chunk.len());
            if buf.len() + chunk.len() > limit {
                return Err(CriError::TooLarge {
                    method: method.to_string(),
                    limit,
                });
            }
            buf.extend_from_slice(&chunk);
        }
        let trailers = body.trailers().await.map_err(h2err)?.unwrap_or_default();
        match grpc_status(method, &trailers) {
            Some(status) => status?,
            None => {
                return Err(CriError::Malformed {
                    method: method.to_string(),
                    detail: "no grpc-status".into(),
                });
            }
        }
        unframe(method, &buf)
    }
}

/// A length-prefixed gRPC message (uncompressed).
pub(super) fn frame(msg: &impl prost::Message) -> Bytes {
    let len = msg.encoded_len();
    let mut out = Vec::with_capacity(5 + len);
    out.push(0);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    msg.encode_raw(&mut out);
    out.into()
}

/// The one message of a unary response body.
pub(super) fn unframe<R: prost::Message + Default>(
    method: &str,
    buf: &[u8],
) -> Result<R, CriError> {
    let malformed = |detail: String| CriError::Malformed {
        method: method.to_string(),
        detail,
    };
    let (head, rest) = buf
        .split_at_checked(5)
        .ok_or_else(|| malformed(format!("{} byte body", buf.len())))?;
    if head[0] != 0 {
        return Err(malformed("compressed message".into()));
    }
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let msg = rest
        .get(..len)
        .ok_or_else(|| malformed(format!("message of {len} bytes cut at {}", rest.len())))?;
    R::decode(msg).map_err(|e| malformed(e.to_string()))
}

/// `grpc-status` (and `grpc-message`) of a header block, when present.
fn grpc_status(method: &str, headers: &http::HeaderMap) -> Option<Result<(), CriError>> {
    let code = headers.get("grpc-status")?;
    let code: u32 = code
        .to_str()
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(2);
    if code == 0 {
        return Some(Ok(()));
    }
    let message = headers
        .get("grpc-message")
        .map(|m| percent_decode(m.as_bytes()))
        .unwrap_or_default();
    Some(Err(CriError::Status {
        method: method.to_string(),
        code,
        message,
    }))
}

/// gRPC percent-encodes `grpc-message`.
fn percent_decode(b: &[u8]) -> String {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::ebpf::cri::proto::VersionResponse;

    #[test]
    fn frames_round_trip_and_bad_frames_are_errors() {
        let msg = VersionResponse {
            runtime_name: "containerd".into(),
            ..Default::default()
        };
        let framed = frame(&msg);
        assert_eq!(unframe::<VersionResponse>("/m", &framed).unwrap(), msg);
        assert!(unframe::<VersionResponse>("/m", &framed[..framed.len() - 1]).is_err());
        assert!(unframe::<VersionResponse>("/m", &[0, 0]).is_err());
        let mut compressed = framed.to_vec();
        compressed[0] = 1;
        assert!(unframe::<VersionResponse>("/m", &compressed).is_err());
        // a huge declared length is an error, not an allocation
        assert!(unframe::<VersionResponse>("/m", &[0, 0xff, 0xff, 0xff, 0xff, 1]).is_err());
    }

    #[test]
    fn reads_grpc_status_and_message() {
        let mut h = http::HeaderMap::new();
        assert!(grpc_status("/m", &h).is_none());
        h.insert("grpc-status", "5".parse().unwrap());
        h.insert(
            "grpc-message",
            "container %22x%22 not found".parse().unwrap(),
        );
        match grpc_status("/m", &h) {
            Some(Err(CriError::Status { code, message, .. })) => {
                assert_eq!((code, message.as_str()), (5, "container \"x\" not found"));
            }
            other => panic!("{other:?}"),
        }
    }
}
