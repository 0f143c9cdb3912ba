#![no_main]
//! Structure-aware: configs built from the rules that decide what serves (named defaults and
//! `from`, `default-server disabled`, `track`, `weight 0`, `.if` branches, `cookie disabled`,
//! a person's commented-out and `down` lines, markers with reasons, nginx files included by
//! several upstreams, backups and `option allbackups`, proxies switched off with `disabled`,
//! damaged markers whose `lines=` does not fit, stale marked copies beside a live server). For
//! selectors drawn from the input, disable then enable gives back every file byte for byte, no
//! serving upstream is emptied, a person's line is never touched, no enable makes a second live
//! copy, and on nginx every marker is either a listed server's or a warning naming its line.
use libfuzzer_sys::fuzz_target;
use proxyconf::plan::Edited;
use proxyconf::{Config, Method, ProxyKind, Selector};
use std::path::PathBuf;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[self.next() as usize % from.len()]
    }
}

const AT: &str = "2026-01-01T00:00:00Z";

const REASONS: &[&str] = &[
    "",
    "deploy 42",
    "lines=3 ticket 42",
    "# upstream-toggle: disabled 2020-01-01T00:00:00Z",
];

fn haproxy(b: &mut Bytes) -> Vec<u8> {
    let mut out = String::new();
    let n = 3 + b.next() % 24;
    for _ in 0..n {
        let s = 1 + b.next() % 4;
        let k = 1 + b.next() % 3;
        let line = match b.next() % 21 {
            0 => "defaults\n".to_string(),
            1 => format!("defaults d{k}\n"),
            2 => format!("defaults d{k} from d{}\n", 1 + b.next() % 3),
            3 => format!("    default-server {}\n", b.pick(&["disabled", "enabled", "backup", "weight 0", "check"])),
            4 => format!("backend b{k}\n"),
            5 => format!("backend b{k} from d{}\n", 1 + b.next() % 3),
            6 => format!("listen l{k}\n"),
            7 => b.pick(&[".if 0\n", ".if 1\n", ".if defined(X)\n", ".elif 1\n", ".else\n", ".endif\n"]).to_string(),
            8 | 9 | 10 => {
                let params = b.pick(&[
                    "", " check", " disabled", " enabled", " enabled check", " backup", " weight 0",
                    " weight 5", " cookie disabled", " id enabled", " check disabled enabled",
                ]);
                let track = b.pick(&["", "", " track b1/s1", " track s2", " track l1/s1"]);
                format!("    server s{s} 127.0.0.1:80{s}{k}{params}{track}\n")
            }
            11 => format!("    #server s{s} 127.0.0.1:80{s}{k}{}\n", b.pick(&["", " disabled", " check", " backup"])),
            12 => format!("    server s{s} 127.0.0.1:80{s}{k} # upstream-toggle: disabled by ops\n"),
            13 => format!(
                "    server s{s} 127.0.0.1:80{s}{k} disabled # upstream-toggle: disabled 2026-01-01T00:00:00Z{}\n",
                b.pick(&["", " lines=2", " deploy 7"])
            ),
            14 => format!("    server-template t{k} 1-3 127.0.0.{s}:80\n"),
            16 => b.pick(&["    option allbackups\n", "    disabled\n", "    enabled\n"]).to_string(),
            // A stale copy, or one whose marker was pasted from an nginx multi-line server.
            17 | 18 => format!(
                "    #server s{s} 127.0.0.1:80{s}{k}{} # upstream-toggle: disabled 2026-01-01T00:00:00Z{}\n",
                b.pick(&["", " check", " backup"]),
                b.pick(&["", " lines=1", " lines=3", " lines=2 deploy 7"])
            ),
            19 => "    # retired # upstream-toggle: disabled 2026-01-01T00:00:00Z\n".to_string(),
            _ => "frontend f\n    use_backend b1 if { path_beg /x }\n".to_string(),
        };
        out.push_str(&line);
    }
    out.into_bytes()
}

fn nginx(b: &mut Bytes) -> (Vec<u8>, Vec<u8>) {
    let mut shared = String::new();
    for _ in 0..1 + b.next() % 5 {
        let s = 1 + b.next() % 4;
        shared.push_str(&match b.next() % 11 {
            6 => format!("# server 127.0.0.1:80{s}; # upstream-toggle: disabled {AT}\n"),
            7 => format!(
                "#server 127.0.0.1:80{s}\n#    max_fails=2; # upstream-toggle: disabled {AT} lines={}\n",
                b.pick(&["1", "2", "3"])
            ),
            8 => format!(
                "# server 127.0.0.1:80{s} weight=2; # upstream-toggle: disabled {AT} lines={}\n",
                b.pick(&["1", "2", "4"])
            ),
            9 => format!("#    max_fails=2; # upstream-toggle: disabled {AT} lines=2\n"),
            10 => format!("server 127.0.0.1:80{s} down; # upstream-toggle: disabled {AT}\n"),
            0 => format!("server 127.0.0.1:80{s};\n"),
            1 => format!("server 127.0.0.{s};\n"),
            2 => format!("# server 127.0.0.1:80{s} down;\n"),
            3 => format!("server 127.0.0.1:80{s} backup;\n"),
            4 => format!("server 127.0.0.1:80{s}\n    max_fails=2;\n"),
            _ => format!("server 127.0.0.1:80{s} down; # upstream-toggle: disabled by ops\n"),
        });
    }
    let mut main = String::from("events {}\nhttp {\n");
    for u in 1..=1 + b.next() % 3 {
        main.push_str(&format!("upstream u{u} {{\n"));
        if b.next() % 4 == 0 {
            main.push_str("    hash $request_uri;\n");
        }
        if b.next() % 3 != 0 {
            main.push_str("    include shared.conf;\n");
        }
        for _ in 0..b.next() % 3 {
            let s = 1 + b.next() % 4;
            main.push_str(b.pick(&[
                "    server 127.0.0.1:80",
                "    # server 127.0.0.1:80",
                "    server 127.0.0.1:90",
            ]));
            main.push_str(&format!(
                "{s}{};\n",
                b.pick(&["", " down", " backup", " weight=2"])
            ));
        }
        main.push_str("    server 127.0.0.9:9999 backup;\n}\n");
    }
    main.push_str("}\n");
    (main.into_bytes(), shared.into_bytes())
}

fn selector(b: &mut Bytes) -> Option<Selector> {
    let s = 1 + b.next() % 4;
    let k = 1 + b.next() % 3;
    let text = match b.next() % 7 {
        0 => format!("s{s}"),
        1 => format!("b{k}/s{s}"),
        2 => format!("127.0.0.1:80{s}{k}"),
        3 => format!("127.0.0.1:80{s}"),
        4 => format!("127.0.0.{s}:80"),
        5 => format!("u{k}/127.0.0.1:80{s}"),
        _ => format!("l{k}/s{s}"),
    };
    Selector::parse(&text, None).ok()
}

/// Whatever the reason text, the marker reads back with its own line count and a clean reason.
fn marker_reads_back(data: &[u8]) {
    let reason = String::from_utf8_lossy(&data[..data.len().min(200)]).into_owned();
    let lines = 1 + data.first().copied().unwrap_or(0) as usize % 12;
    let line = format!(
        "server x;{}",
        proxyconf::marker::render(std::time::UNIX_EPOCH, Some(&reason), lines, Default::default())
    );
    let (_, m) =
        proxyconf::marker::find(line.as_bytes(), 0..line.len()).expect("own marker is found");
    let clean = proxyconf::marker::clean_reason(&reason);
    assert_eq!(
        (m.lines, m.reason.unwrap_or_default()),
        (lines, clean),
        "{line}"
    );
}

/// Every marker in an included pool (where the generator puts them all) is a listed server's or
/// a warning naming its line: a damaged marker never makes a server vanish.
fn markers_never_vanish(cfg: &Config) {
    for (f, src) in cfg.files.iter().enumerate().skip(1) {
        let b = &src.bytes;
        let mut start = 0;
        let mut markers = 0;
        for line in b.split(|&c| c == b'\n') {
            let r = start..start + line.len();
            start = r.end + 1;
            markers += usize::from(proxyconf::marker::find(b, r).is_some());
        }
        let mut servers: Vec<usize> = cfg
            .servers
            .iter()
            .filter(|s| s.file == f && s.marked())
            .map(|s| s.line)
            .collect();
        servers.sort();
        servers.dedup();
        let name = src.path.display().to_string();
        let mut warned: Vec<&String> = cfg
            .warnings
            .iter()
            .filter(|w| w.starts_with(&name) && w.contains("a marker of upstream-toggle"))
            .collect();
        warned.sort();
        warned.dedup();
        assert_eq!(
            servers.len() + warned.len(),
            markers,
            "markers in {name}: listed {servers:?}, warned {warned:?}\n{}",
            String::from_utf8_lossy(b)
        );
    }
}

fuzz_target!(|data: &[u8]| {
    marker_reads_back(data);
    let mut b = Bytes(data);
    let method = match b.next() % 3 {
        0 => None,
        1 => Some(Method::Comment),
        _ => Some(Method::Down),
    };
    let reason = Some(b.pick(REASONS).to_string()).filter(|r| !r.is_empty());
    let kind_is_nginx = b.next() % 2 == 0;
    let sels: Vec<Selector> = (0..1 + b.next() % 3)
        .filter_map(|_| selector(&mut b))
        .collect();
    if kind_is_nginx {
        let (main, shared) = nginx(&mut b);
        let dir = tempfile::tempdir_in("/dev/shm").expect("tmpdir");
        let write =
            |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).expect("write");
        write("nginx.conf", &main);
        write("shared.conf", &shared);
        let path: PathBuf = dir.path().join("nginx.conf");
        let Ok(cfg) = Config::load(&path, Some(ProxyKind::Nginx)) else {
            return;
        };
        markers_never_vanish(&cfg);
        let files: Vec<PathBuf> = cfg.files.iter().map(|f| f.path.clone()).collect();
        let mut reload = |new: &[Edited]| {
            for e in new {
                std::fs::write(&files[e.file], &e.bytes).ok()?;
            }
            Config::load(&path, Some(ProxyKind::Nginx)).ok()
        };
        if let Err(e) = proxyconf::roundtrip::check_selector_round_trip(
            &cfg,
            &sels,
            method,
            reason,
            &mut reload,
        ) {
            panic!(
                "{e}\nmain:\n{}\nshared:\n{}",
                String::from_utf8_lossy(&main),
                String::from_utf8_lossy(&shared)
            );
        }
    } else {
        let text = haproxy(&mut b);
        let Ok(cfg) = Config::standalone(text.clone(), ProxyKind::Haproxy) else {
            return;
        };
        let mut reload = |new: &[Edited]| {
            Config::standalone(new.first()?.bytes.clone(), ProxyKind::Haproxy).ok()
        };
        if let Err(e) = proxyconf::roundtrip::check_selector_round_trip(
            &cfg,
            &sels,
            method,
            reason,
            &mut reload,
        ) {
            panic!(
                "{e}\nconfig:\n{}\nselectors: {sels:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }
});
