//! HTTP/1.1 over a unix socket (`--unix-socket`, as in curl), for puma/unicorn/gunicorn sockets.
//! ureq has no stable unix-socket transport, so the request is written here and the response
//! head is parsed with httparse.

use crate::deadline::Deadline;
use crate::failure::Failure;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

const MAX_RESPONSE: usize = 1 << 20;

/// A response: status, headers (names lower-cased) and body.
pub type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// Sends one request and returns the answer, or why there is none.
pub fn request(
    socket: &Path,
    method: &str,
    authority: &str,
    path: &str,
    headers: &[(String, String)],
    timeout: Duration,
) -> Result<Answer, Failure> {
    let deadline = Deadline::after(timeout);
    let mut stream = UnixStream::connect(socket).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Failure::NoSocket {
            path: socket.to_path_buf(),
        },
        std::io::ErrorKind::ConnectionRefused => Failure::Refused,
        _ => Failure::SocketConnect {
            path: socket.to_path_buf(),
            reason: e.to_string(),
        },
    })?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nUser-Agent: healthwait\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream
        .set_write_timeout(Some(timeout.max(Duration::from_millis(1))))
        .and_then(|()| stream.write_all(req.as_bytes()))
        .map_err(|e| Failure::Send(e.to_string()))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let left = deadline.left();
        if left.is_zero() {
            return Err(Failure::NoCompleteAnswer { within: timeout });
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| Failure::Other(e.to_string()))?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > MAX_RESPONSE {
                    break;
                }
                if method == "HEAD" && buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Failure::NoCompleteAnswer { within: timeout });
            }
            Err(e) => return Err(Failure::Read(e.to_string())),
        }
    }
    parse_response(&buf, method == "HEAD")
}

fn parse_response(buf: &[u8], head_only: bool) -> Result<Answer, Failure> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let body_at = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err(Failure::Truncated),
        Err(e) => return Err(Failure::NotHttp(e.to_string())),
    };
    let status = resp.code.unwrap_or(0);
    let all: Vec<(String, String)> = resp
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect();
    if head_only {
        return Ok((status, all, Vec::new()));
    }
    let header = |name: &str| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    let raw = &buf[body_at..];
    let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        dechunk(raw)
    } else if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        raw[..len.min(raw.len())].to_vec()
    } else {
        raw.to_vec()
    };
    Ok((status, all, body))
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&raw[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        raw = &raw[eol + 2..];
        if size == 0 || raw.len() < size {
            out.extend_from_slice(&raw[..size.min(raw.len())]);
            break;
        }
        out.extend_from_slice(&raw[..size]);
        raw = raw.get(size + 2..).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lengths_and_chunks() {
        let (s, _, b) = parse_response(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
            false,
        )
        .expect("ok");
        assert_eq!((s, b.as_slice()), (200, &b"ok"[..]));
        let (s, _, b) = parse_response(
            b"HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            false,
        )
        .expect("ok");
        assert_eq!((s, b.as_slice()), (503, &b"abcde"[..]));
        assert!(matches!(
            parse_response(b"garbage", false),
            Err(Failure::NotHttp(_))
        ));
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\n", false),
            Err(Failure::Truncated)
        );
    }
}
