//! Property tests over generated configs (random whitespace, comments, quoting, line endings and
//! server forms): every edit touches only its directive's lines, passes the real validator, and
//! enable restores the file exactly. The real `nginx -t`/`haproxy -c` run on every disabled config.

use proptest::prelude::*;
use proxyconf::roundtrip::check_round_trips;
use proxyconf::roundtrip::Violation;
use proxyconf::ProxyKind;

fn validator(
    kind: ProxyKind,
    dir: &std::path::Path,
) -> impl FnMut(&[u8]) -> Result<(), Violation> + '_ {
    move |bytes: &[u8]| {
        let (name, args): (&str, &[&str]) = match kind {
            ProxyKind::Nginx => ("nginx.conf", &["-t", "-q", "-e", "stderr", "-c"]),
            ProxyKind::Haproxy => ("haproxy.cfg", &["-c", "-f"]),
        };
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| Violation(e.to_string()))?;
        let out = std::process::Command::new(hotswap_tests::require(kind.binary()))
            .args(args)
            .arg(&path)
            .current_dir(dir)
            .output()
            .map_err(|e| Violation(e.to_string()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Violation(String::from_utf8_lossy(&out.stderr).into_owned()))
        }
    }
}

fn gap() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", "\t", "  ", " \t ", "\n            "])
}

fn nginx_server() -> impl Strategy<Value = String> {
    let addr = prop_oneof![
        (1u8..9, 1000u16..60000).prop_map(|(h, p)| format!("127.0.0.{h}:{p}")),
        (1000u16..60000).prop_map(|p| format!("[::1]:{p}")),
        (1u8..9).prop_map(|n| format!("unix:/tmp/hotswap-prop-{n}.sock")),
        (1u8..9, 1000u16..60000).prop_map(|(h, p)| format!("\"127.0.0.{h}:{p}\"")),
        (1000u16..60000).prop_map(|p| format!("'localhost:{p}'")),
    ];
    let params = prop::collection::vec(
        prop::sample::select(vec![
            "weight=3",
            "max_fails=2",
            "fail_timeout=5s",
            "max_conns=10",
        ]),
        0..3,
    );
    let comment = prop::option::of(prop::sample::select(vec![
        " # primary",
        "\t#x;{}",
        " # café",
    ]));
    (addr, params, gap(), gap(), comment).prop_map(|(a, ps, g1, g2, c)| {
        let mut s = format!("server{g1}{a}");
        for p in ps {
            s.push_str(g2);
            s.push_str(p);
        }
        s.push(';');
        s.push_str(c.unwrap_or(""));
        s
    })
}

fn nginx_config() -> impl Strategy<Value = Vec<u8>> {
    let upstream = (
        prop::collection::vec(nginx_server(), 2..5),
        any::<bool>(),
        any::<bool>(),
    );
    (
        prop::collection::vec(upstream, 1..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(ups, crlf, final_nl)| {
            let mut lines = vec!["events {}".to_string(), "http {".to_string()];
            for (k, (servers, one_line_pair, comment_line)) in ups.into_iter().enumerate() {
                lines.push(format!("    upstream u{k} {{"));
                if comment_line {
                    lines.push("        # servers below; {braces} and ; in comments".into());
                }
                let mut it = servers.into_iter().peekable();
                while let Some(s) = it.next() {
                    match (one_line_pair, it.peek()) {
                        (true, Some(_)) => {
                            // A trailing comment would swallow the second directive, so the first has none.
                            let first = s
                                .split(" #")
                                .next()
                                .unwrap_or_default()
                                .split("\t#")
                                .next()
                                .unwrap_or_default()
                                .to_string();
                            let t = it.next().unwrap_or_default();
                            lines.push(format!("        {first} {t}"));
                        }
                        _ => lines.push(format!("        {s}")),
                    }
                }
                lines.push("    }".into());
            }
            lines.push("}".into());
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut text = lines.join(nl);
            if final_nl {
                text.push_str(nl);
            }
            text.into_bytes()
        })
}

fn haproxy_config() -> impl Strategy<Value = Vec<u8>> {
    let server = (
        prop::sample::select(vec!["", "ipv4@"]),
        1000u16..60000,
        prop::collection::vec(
            prop::sample::select(vec!["check", "weight 5", "inter 2s", "maxconn 10"]),
            0..3,
        ),
        gap().prop_filter("one line", |g| !g.contains('\n')),
        prop::option::of(prop::sample::select(vec![" # main", "\t# \"quoted\" text"])),
        any::<bool>(),
    );
    (prop::collection::vec(server, 2..5), any::<bool>()).prop_map(|(servers, quoted)| {
        let mut text = String::from("defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nfrontend fe\n    bind 127.0.0.1:1\n    default_backend app\n\nbackend app\n    balance roundrobin\n");
        for (i, (pre, port, params, g, c, q)) in servers.into_iter().enumerate() {
            let name = if quoted && q { format!("\"s{i}\"") } else { format!("s{i}") };
            text.push_str(&format!("    server{g}{name}{g}{pre}127.0.0.1:{port}"));
            for p in params {
                text.push_str(g);
                text.push_str(p);
            }
            text.push_str(c.unwrap_or(""));
            text.push('\n');
        }
        text.into_bytes()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn nginx_edits_are_local_valid_and_reversible(cfg in nginx_config()) {
        let dir = tempfile::tempdir().expect("tempdir");
        validator(ProxyKind::Nginx, dir.path())(&cfg).map_err(|v| TestCaseError::reject(v.0))?;
        let result = check_round_trips(&cfg, ProxyKind::Nginx, 64, &mut validator(ProxyKind::Nginx, dir.path()));
        // Two lines of one address in one upstream are copies: the round trip skips them, since
        // an enable never makes a second live copy (the generator may draw the same address).
        let copies = proxyconf::Config::standalone(cfg.clone(), ProxyKind::Nginx)
            .is_ok_and(|c| (0..c.servers.len()).any(|i| c.live_twin(i).is_some()));
        match result {
            Ok(trips) => prop_assert!(trips >= 4 || copies, "{} round trips", trips),
            Err(e) => prop_assert!(false, "{}\n---\n{}", e, String::from_utf8_lossy(&cfg)),
        }
    }

    #[test]
    fn haproxy_edits_are_local_valid_and_reversible(cfg in haproxy_config()) {
        let dir = tempfile::tempdir().expect("tempdir");
        validator(ProxyKind::Haproxy, dir.path())(&cfg).map_err(|v| TestCaseError::reject(v.0))?;
        let result = check_round_trips(&cfg, ProxyKind::Haproxy, 64, &mut validator(ProxyKind::Haproxy, dir.path()));
        match result {
            Ok(trips) => prop_assert!(trips >= 4),
            Err(e) => prop_assert!(false, "{}\n---\n{}", e, String::from_utf8_lossy(&cfg)),
        }
    }
}
