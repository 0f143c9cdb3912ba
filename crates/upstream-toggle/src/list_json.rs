//! `list --json`, written by hand in exactly the layout of serde_json's pretty printer (a test holds
//! the two equal on every field and every escape). A big config lists 20,000 rows: through serde,
//! escaping each of their 340,000 keys byte by byte and writing every fragment on its own took
//! half the command's time.

use crate::json::{server_row, MethodName, ServerRow, StateName};
use proxyconf::Config;
use std::io::{Result, Write};

/// The rows of `shown`, as one JSON array and a newline.
pub fn list_json(cfg: &Config, shown: &[usize], out: &mut impl Write) -> Result<()> {
    if shown.is_empty() {
        return out.write_all(b"[]\n");
    }
    for (n, &i) in shown.iter().enumerate() {
        out.write_all(if n == 0 { b"[\n  {" } else { b",\n  {" })?;
        row(&server_row(cfg, i), out)?;
        out.write_all(b"\n  }")?;
    }
    out.write_all(b"\n]\n")
}

/// The fields of one row, in the order `ServerRow` declares them (serde's order).
fn row(r: &ServerRow<'_>, out: &mut impl Write) -> Result<()> {
    let mut f = Fields { out };
    f.key(b"\n    \"file\": ")?;
    string(&r.file, f.out)?;
    f.key(b",\n    \"line\": ")?;
    f.out.write_all(itoa(r.line, &mut [0; 20]))?;
    f.key(b",\n    \"upstream\": ")?;
    string(r.upstream, f.out)?;
    f.key(b",\n    \"context\": ")?;
    string(r.context, f.out)?;
    f.key(b",\n    \"name\": ")?;
    optional(r.name, f.out)?;
    f.key(b",\n    \"address\": ")?;
    string(r.address, f.out)?;
    f.key(b",\n    \"params\": ")?;
    if r.params.is_empty() {
        f.out.write_all(b"[]")?;
    } else {
        for (n, p) in r.params.iter().enumerate() {
            f.out
                .write_all(if n == 0 { b"[\n      " } else { b",\n      " })?;
            string(p, f.out)?;
        }
        f.out.write_all(b"\n    ]")?;
    }
    f.key(b",\n    \"state\": ")?;
    string(state(r.state), f.out)?;
    f.key(b",\n    \"method\": ")?;
    optional(r.method.map(method), f.out)?;
    f.key(b",\n    \"backup\": ")?;
    boolean(r.backup, f.out)?;
    f.key(b",\n    \"marked\": ")?;
    boolean(r.marked, f.out)?;
    f.key(b",\n    \"disabled_at\": ")?;
    optional(r.disabled_at, f.out)?;
    f.key(b",\n    \"reason\": ")?;
    optional(r.reason, f.out)?;
    f.key(b",\n    \"damaged\": ")?;
    optional(r.damaged, f.out)?;
    f.key(b",\n    \"template\": ")?;
    optional(r.template, f.out)?;
    f.key(b",\n    \"conditional\": ")?;
    boolean(r.conditional, f.out)?;
    f.key(b",\n    \"serves\": ")?;
    boolean(r.serves, f.out)
}

struct Fields<'w, W> {
    out: &'w mut W,
}

impl<W: Write> Fields<'_, W> {
    /// A key with the line break before it and the `: ` after it, written at once.
    fn key(&mut self, key: &[u8]) -> Result<()> {
        self.out.write_all(key)
    }
}

fn state(s: StateName) -> &'static str {
    match s {
        StateName::Enabled => "enabled",
        StateName::Disabled => "disabled",
    }
}

fn method(m: MethodName) -> &'static str {
    match m {
        MethodName::Comment => "comment",
        MethodName::Down => "down",
        MethodName::Disabled => "disabled",
    }
}

fn boolean(b: bool, out: &mut impl Write) -> Result<()> {
    out.write_all(if b { b"true" } else { b"false" })
}

fn optional(s: Option<&str>, out: &mut impl Write) -> Result<()> {
    match s {
        Some(s) => string(s, out),
        None => out.write_all(b"null"),
    }
}

/// A JSON string as serde_json writes it: `"` and `\` escaped, control bytes as `\n`-style
/// escapes or `\u00XX`, everything else (UTF-8 included) as is.
fn string(s: &str, out: &mut impl Write) -> Result<()> {
    let b = s.as_bytes();
    // One pass with no early exit, so it compiles to vector compares: most strings need nothing.
    let plain = b
        .iter()
        .fold(true, |ok, &c| ok & (c >= 0x20) & (c != b'"') & (c != b'\\'));
    out.write_all(b"\"")?;
    if plain {
        out.write_all(b)?;
        return out.write_all(b"\"");
    }
    let mut from = 0;
    for (i, &c) in b.iter().enumerate() {
        let escape: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xf)],
            ],
            _ => continue,
        };
        out.write_all(&b[from..i])?;
        out.write_all(escape)?;
        from = i + 1;
    }
    out.write_all(&b[from..])?;
    out.write_all(b"\"")
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Decimal digits of `n`, without a formatter.
fn itoa(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::list_json;
    use crate::json::server_row;
    use proxyconf::{Config, ProxyKind};

    /// The hand-written rows equal serde_json's pretty printing of the same `ServerRow`s.
    fn agrees(cfg: &Config) {
        let all: Vec<usize> = (0..cfg.servers.len()).collect();
        for shown in [&all[..], &all[..1], &[][..]] {
            let mut ours = Vec::new();
            list_json(cfg, shown, &mut ours).expect("write");
            let rows: Vec<_> = shown.iter().map(|&i| server_row(cfg, i)).collect();
            let mut theirs = serde_json::to_vec_pretty(&rows).expect("serialize");
            theirs.push(b'\n');
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }

    #[test]
    fn nginx_rows_match_serde_json() {
        let conf = concat!(
            "http {\n",
            " upstream \"a\\\"q\" {\n",
            "  server 10.0.0.1:80 weight=2 \"x\\\\y\" 'caf\u{e9}';\n",
            "  server 10.0.0.2:80 down backup;\n",
            "  # server 10.0.0.3:80 max_fails=1; # upstream-toggle: disabled 2026-01-02T03:04:05Z reason=\"say \\\"hi\\\"\\tnow\"\n",
            "  server 10.0.0.4:80;\n",
            " }\n",
            "}\n",
            "stream { upstream s { server unix:/run/s.sock; } }\n",
        );
        let cfg = Config::standalone(conf.as_bytes().to_vec(), ProxyKind::Nginx).expect("parses");
        let reasons: Vec<_> = cfg
            .servers
            .iter()
            .filter_map(|s| s.marker.as_ref()?.reason.clone())
            .collect();
        assert!(
            reasons.len() == 1 && reasons[0].contains(['"', '\\']),
            "{reasons:?}"
        );
        agrees(&cfg);
    }

    #[test]
    fn haproxy_rows_match_serde_json() {
        let conf = concat!(
            "global\n  stats socket /run/h.sock level admin\n",
            "defaults\n  mode http\n  default-server disabled\n",
            "backend b\n",
            "  server s1 10.0.0.1:80 check weight 0\n",
            "  server s2 10.0.0.2:80 enabled track b/s1\n",
            "  server-template web 1-3 10.0.0.10:80\n",
            ".if defined(X)\n  server s3 10.0.0.3:80 backup\n.endif\n",
            "listen l\n  bind :80\n  server s4 \"10.0.0.4:80\" cookie \"\u{1}\"\n",
        );
        let cfg = Config::standalone(conf.as_bytes().to_vec(), ProxyKind::Haproxy).expect("parses");
        let s = &cfg.servers;
        assert!(
            s.len() >= 5 && s.iter().any(|s| s.template.is_some()),
            "{s:?}"
        );
        assert!(s.iter().any(|s| s.conditional) && s.iter().any(|s| s.backup));
        agrees(&cfg);
    }

    #[test]
    fn escapes_as_serde_json_does() {
        for s in [
            "",
            "plain",
            "q\"b\\",
            "\u{1}\u{8}\u{c}\n\r\t\u{1f}\u{7f}",
            "caf\u{e9} \u{1F600}",
        ] {
            let mut ours = Vec::new();
            super::string(s, &mut ours).expect("write");
            assert_eq!(ours, serde_json::to_vec(s).expect("serialize"), "{s:?}");
        }
        for n in [0, 7, 10, 99, 100, 123_456, usize::MAX] {
            assert_eq!(super::itoa(n, &mut [0; 20]), n.to_string().as_bytes());
        }
    }
}
