//! What makes a file edit live for this proxy, said after every edit: the reload that works for
//! how it runs (its own pid file, `-c`, `-p`), or haproxy's runtime commands in the direction
//! of the edit, with the real backend and server names and the config's own admin socket.

use proxyconf::{Applied, Change, ProxyKind};
use std::path::Path;

/// The notice for `done` (edits of `main`), None when nothing was written.
pub fn notice(done: &Applied, main: &Path, prefix: Option<&Path>) -> Option<String> {
    if done.written.is_empty() {
        return None;
    }
    // nginx reads a relative -c against its prefix, not the caller's directory: name the file
    // the way it can be found from anywhere.
    let main = &std::path::absolute(main).unwrap_or_else(|_| main.to_path_buf());
    let files = done
        .written
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let cfg = &done.config;
    let quote = |p: &Path| shell_words::quote(&p.display().to_string()).into_owned();
    let pid = cfg
        .settings
        .pid_file
        .as_ref()
        .map(|s| match (prefix, &s.value) {
            (Some(pre), p) if p.is_relative() => pre.join(p),
            (_, p) => p.clone(),
        });
    let how = match cfg.kind {
        ProxyKind::Nginx => {
            let p = prefix
                .map(|p| format!(" -p {}", quote(p)))
                .unwrap_or_default();
            let signal = pid
                .map(|f| format!(" (or kill -HUP $(cat {}))", quote(&f)))
                .unwrap_or_default();
            format!(
                "make it live: nginx{p} -c {} -s reload{signal}, then wait for the old workers to \
                 exit before stopping the server. `swapctl -c {} out|in SERVER` edits, reloads and \
                 waits for the drain in one step",
                quote(main),
                quote(main)
            )
        }
        ProxyKind::Haproxy => {
            // A line that was commented out is no server of the running haproxy: only a reload
            // brings it in (the runtime API would answer "No such server").
            let new_server = done
                .plan
                .outcomes
                .iter()
                .any(|o| o.change == Change::Enabled && !cfg.servers[o.server].is_live());
            let commands: Vec<String> = done
                .plan
                .outcomes
                .iter()
                .filter_map(|o| {
                    let s = &cfg.servers[o.server];
                    let state = match o.change {
                        Change::Disabled { .. } => "maint",
                        Change::Enabled => "ready",
                        _ => return None,
                    };
                    Some(format!(
                        "set server {}/{} state {state}",
                        cfg.upstream_of(s).name,
                        s.name.as_deref()?
                    ))
                })
                .collect();
            let socket = cfg
                .settings
                .admin_sockets
                .iter()
                .find(|s| s.value.is_admin())
                .and_then(|s| socat_address(&s.value.address));
            match (socket, commands.is_empty() || new_server) {
                (Some(sock), false) => format!(
                    "make it live now through the admin socket (the file keeps it across reloads): \
                     echo '{}' | socat stdio {sock}",
                    commands.join("; ")
                ),
                _ => format!(
                    "reload haproxy to make it live: kill -USR2 $(cat {}) for a master (-W), or \
                     systemctl reload haproxy",
                    pid.as_deref().map_or_else(|| "PIDFILE".into(), quote)
                ),
            }
        }
    };
    Some(format!("the change is in {files} but not live yet; {how}"))
}

/// socat's address for a haproxy `stats socket` address.
fn socat_address(address: &str) -> Option<String> {
    let tcp = |hp: &str| Some(format!("TCP:{hp}"));
    if let Some(p) = address.strip_prefix("unix@") {
        return Some(p.to_string());
    }
    if let Some(hp) = address
        .strip_prefix("ipv4@")
        .or_else(|| address.strip_prefix("ipv6@"))
    {
        return tcp(hp);
    }
    if address.starts_with('/') {
        return Some(address.to_string());
    }
    address.contains(':').then(|| format!("TCP:{address}"))
}
