//! `{host} {port} {address} {name} {upstream}` placeholders, checked so no shell text gets in.

use std::collections::BTreeMap;

/// Why a template cannot be filled for a server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A `{` without its `}`.
    #[error("unclosed '{{' in template '{template}'")]
    Unclosed {
        /// The template.
        template: String,
    },
    /// `{host}` or `{port}` of a unix-socket server.
    #[error("{{{key}}} in '{template}': {address} is a unix socket and has no {key}; use {{address}} (or {{name}})")]
    NoHostPort {
        /// `host` or `port`.
        key: String,
        /// The template.
        template: String,
        /// The server's socket address.
        address: String,
    },
    /// A placeholder that is not one of the five.
    #[error("unknown placeholder {{{key}}} in '{template}'; use {{host}} {{port}} {{address}} {{name}} {{upstream}}")]
    Unknown {
        /// What was between the braces.
        key: String,
        /// The template.
        template: String,
    },
    /// A value that is not plainly an address or a name (shell text must not get in).
    #[error("refusing to put {{{key}}} = {value:?} into a command: only letters, digits and . _ - : / @ [ ] are allowed")]
    Unsafe {
        /// The placeholder.
        key: String,
        /// Its value.
        value: String,
    },
    /// A health URL without `scheme://`.
    #[error("--health '{template}' has no scheme: write http://…, https://… or tcp://…")]
    NoScheme {
        /// The template.
        template: String,
    },
    /// An https health check of a unix-socket server.
    #[error("--health '{template}': {address} is a unix socket, and swapctl does not speak TLS over one; use http://")]
    TlsOverUnix {
        /// The template.
        template: String,
        /// The server's socket address.
        address: String,
    },
}

/// The values one server offers to `--restart` and `--health` templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vars(BTreeMap<&'static str, String>);

/// Characters a value may hold: enough for addresses, socket paths and haproxy names, and nothing
/// a shell treats specially except `[` `]` of an IPv6 address.
fn safe(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 256
        && v.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'.' | b'_' | b'-' | b':' | b'/' | b'@' | b'[' | b']')
        })
}

impl Vars {
    /// Values for one server; `address` is as the config writes it. A unix-socket server has no
    /// `{host}` or `{port}`.
    pub fn new(upstream: &str, name: Option<&str>, address: &str) -> Vars {
        let mut m = BTreeMap::new();
        m.insert("address", address.to_string());
        if let Some((host, port)) = split(address) {
            m.insert("host", host);
            m.insert("port", port);
        }
        m.insert("name", name.unwrap_or(address).to_string());
        m.insert("upstream", upstream.to_string());
        Vars(m)
    }

    /// Fills `template`; refuses unknown placeholders and values that are not plainly an address or name.
    pub fn fill(&self, template: &str) -> Result<String, Error> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').ok_or_else(|| Error::Unclosed {
                template: template.to_string(),
            })?;
            let key = &after[..close];
            let value = match self.0.get(key) {
                Some(v) => v,
                None if matches!(key, "host" | "port") => {
                    return Err(Error::NoHostPort {
                        key: key.to_string(),
                        template: template.to_string(),
                        address: self.0["address"].clone(),
                    })
                }
                None => {
                    return Err(Error::Unknown {
                        key: key.to_string(),
                        template: template.to_string(),
                    })
                }
            };
            if !safe(value) {
                return Err(Error::Unsafe {
                    key: key.to_string(),
                    value: value.clone(),
                });
            }
            out.push_str(value);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The same values as `HOTSWAP_HOST`, `HOTSWAP_PORT`, ... environment variables.
    pub fn env(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(k, v)| (format!("HOTSWAP_{}", k.to_uppercase()), v.clone()))
            .collect()
    }
}

/// The socket path of a unix-socket server.
pub fn unix_path(address: &str) -> Option<&str> {
    address
        .strip_prefix("unix:")
        .or_else(|| address.strip_prefix("unix@"))
}

fn split(address: &str) -> Option<(String, String)> {
    if unix_path(address).is_some() || address.starts_with('/') {
        return None;
    }
    if let Some(rest) = address.strip_prefix('[') {
        if let Some((h, p)) = rest.split_once("]:") {
            return Some((h.to_string(), p.to_string()));
        }
    }
    Some(match address.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_string(), p.to_string()),
        _ => (address.to_string(), "80".to_string()),
    })
}

/// The health URL for one server. A unix-socket server's `http://{address}/PATH` becomes
/// `http+unix://%2F…/PATH` and `tcp://{address}` becomes `unix:/…`, so the probe reaches the
/// socket itself instead of a host named "unix".
pub fn health_url(template: &str, vars: &Vars) -> Result<String, Error> {
    if !template.contains("://") && !template.starts_with("unix:") {
        return Err(Error::NoScheme {
            template: template.to_string(),
        });
    }
    let address = &vars.0["address"];
    if let Some(path) = unix_path(address) {
        if template.starts_with("https://") {
            return Err(Error::TlsOverUnix {
                template: template.to_string(),
                address: address.clone(),
            });
        }
        let encoded = path.replace('%', "%25").replace('/', "%2F");
        if let Some(rest) = template.strip_prefix("http://{address}") {
            return vars.fill(&format!("http+unix://{encoded}{rest}"));
        }
        if template == "tcp://{address}" {
            return Ok(format!("unix:{path}"));
        }
    }
    vars.fill(template)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_refuses() {
        let v = Vars::new("app", None, "127.0.0.1:4040");
        assert_eq!(
            v.fill("restart {port} on {host} in {upstream}").as_deref(),
            Ok("restart 4040 on 127.0.0.1 in app")
        );
        assert!(v.fill("{nope}").is_err());
        assert!(v.fill("{port").is_err());
        let evil = Vars::new("app", Some("x;rm -rf /"), "127.0.0.1:1");
        assert!(evil.fill("echo {name}").is_err());
        assert!(Vars::new("a$(id)", None, "1.2.3.4:5")
            .fill("{upstream}")
            .is_err());
        let unix = Vars::new("app", None, "unix:/run/app.sock");
        assert!(unix
            .fill("x {port}")
            .expect_err("no port")
            .to_string()
            .contains("use {address}"));
        assert_eq!(
            health_url("http://{address}/up", &unix).as_deref(),
            Ok("http+unix://%2Frun%2Fapp.sock/up")
        );
        assert_eq!(
            health_url("tcp://{address}", &unix).as_deref(),
            Ok("unix:/run/app.sock")
        );
        assert!(health_url("{address}/up", &v)
            .expect_err("no scheme")
            .to_string()
            .contains("no scheme"));
        let v6 = Vars::new("app", None, "[::1]:8080");
        assert_eq!(v6.fill("{host} {port}").as_deref(), Ok("::1 8080"));
        assert!(v
            .env()
            .contains(&("HOTSWAP_PORT".to_string(), "4040".to_string())));
    }
}
