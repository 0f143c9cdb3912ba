//! What a deploy needs, checked before anything changes: templates that fill for every server,
//! programs that exist.

use crate::adapters::template;
use crate::adapters::template::Vars;
use crate::runner::health::health_template;
use crate::steps::Options;
use crate::steps::ServerRef;
use crate::Error;
use std::path::PathBuf;

/// Refuses a bad template before anything changes: unknown placeholders, `{port}` of a
/// unix-socket server, a health URL without a scheme.
pub fn check_templates(opts: &Options, servers: &[ServerRef]) -> Result<(), Error> {
    let bad = |flag| move |source| Error::Template { flag, source };
    for s in servers {
        let v = Vars::new(&s.upstream, s.name.as_deref(), &s.address);
        if let Some(r) = &opts.restart {
            v.fill(r).map_err(bad("--restart"))?;
        }
        if let Some(r) = opts.canary.as_ref().and_then(|g| g.rollback.as_ref()) {
            v.fill(r).map_err(bad("--rollback"))?;
        }
        let url = template::health_url(health_template(opts, s), &v).map_err(bad("--health"))?;
        let target = healthwait::Target::parse(&url).map_err(|e| Error::health_target(s, e))?;
        // An expectation the target cannot have (a status for a tcp:// check) is refused here.
        let expect = healthwait::ProbeOptions {
            unix_socket: template::unix_path(&s.address)
                .filter(|_| url.starts_with("http://"))
                .map(PathBuf::from),
            ..opts.health_expect.clone()
        };
        if opts.health_args.iter().any(|a| a.starts_with("--health-")) {
            if !matches!(target, healthwait::target::Target::Http { .. }) {
                return Err(Error::health_target(
                    s,
                    format!("--health-* expectations need an http(s):// --health, not {target}"),
                ));
            }
            healthwait::Probe::new(target, expect).map_err(|e| Error::health_target(s, e))?;
        }
    }
    Ok(())
}

/// Words `sh` runs without looking a program up.
const SHELL_WORDS: &[&str] = &[
    "!", ".", ":", "[", "{", "(", "case", "cd", "command", "echo", "eval", "exec", "exit",
    "export", "false", "for", "if", "kill", "printf", "set", "test", "trap", "true", "ulimit",
    "umask", "until", "wait", "while",
];

/// The program a filled command starts (after `VAR=value` words), when it is one `sh` must find;
/// Err names it when it does not exist or cannot be run. Refused before anything changes: else
/// the deploy fails after a server is already out.
pub fn check_programs(opts: &Options, servers: &[ServerRef]) -> Result<(), Error> {
    let templates = [
        ("--restart", opts.restart.as_deref()),
        (
            "--rollback",
            opts.canary.as_ref().and_then(|g| g.rollback.as_deref()),
        ),
    ];
    for (flag, template) in templates {
        let (Some(template), Some(s)) = (template, servers.first()) else {
            continue;
        };
        let v = Vars::new(&s.upstream, s.name.as_deref(), &s.address);
        let Ok(cmd) = v.fill(template) else {
            continue;
        };
        let Ok(words) = shell_words::split(&cmd) else {
            continue;
        };
        // `NAME=value` words set the environment, whatever the value holds.
        let assignment = |w: &str| {
            w.split_once('=').is_some_and(|(name, _)| {
                name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
        };
        let Some(program) = words.iter().find(|w| !assignment(w)) else {
            continue;
        };
        if SHELL_WORDS.contains(&program.as_str()) || program.contains(['$', '`']) {
            continue;
        }
        let runnable = |p: &std::path::Path| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        };
        let found = if program.contains('/') {
            runnable(std::path::Path::new(program))
        } else {
            std::env::var_os("PATH").is_some_and(|path| {
                std::env::split_paths(&path).any(|d| runnable(&d.join(program)))
            })
        };
        if !found {
            return Err(Error::NoProgram {
                flag,
                program: program.clone(),
            });
        }
    }
    Ok(())
}
