//! `Config::load_only` lists fewer servers but keeps the counts the safety rule needs.

use proxyconf::{plan, Config, Error, Request, Selector};
use std::time::SystemTime;

#[test]
fn filtered_inventory_keeps_serving_counts_and_safety() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        "http {\n upstream a {\n  server 10.0.0.1:80;\n  server 10.0.0.2:80 backup down;\n  server 10.0.0.3:80 down;\n }\n upstream b {\n  server 10.0.0.1:80;\n  server 10.0.0.4:80;\n }\n upstream c {\n  server 10.0.0.1:80;\n  server 10.0.0.5:80 backup;\n }\n}\n",
    )
    .expect("write");
    let keep = |addr: &[u8], _: bool| addr == b"10.0.0.1:80";
    let cfg = Config::load_only(&conf, None, Some(&keep)).expect("loads");
    assert!(cfg.partial);
    assert_eq!(cfg.servers.len(), 3);
    let serving: Vec<usize> = cfg.upstreams.iter().map(|u| u.serving).collect();
    assert_eq!(serving, [1, 2, 1]);
    let backups: Vec<usize> = cfg.upstreams.iter().map(|u| u.backups).collect();
    assert_eq!(backups, [0, 0, 1], "a backup that is down cannot serve");
    let sel = [Selector::parse("10.0.0.1:80", None).expect("selector")];
    let req = Request::Disable {
        method: None,
        reason: None,
    };
    // Upstream a would be left with nothing (its backup is down too): refused, even though its
    // other servers are unlisted.
    let err = plan(&cfg, &sel, &req, false, SystemTime::now()).expect_err("refused");
    assert!(
        matches!(err, Error::WouldEmpty { ref name, group: "upstream", .. } if name == "a"),
        "{err}"
    );
    let sel_b = [Selector::parse("b/10.0.0.1:80", None).expect("selector")];
    let p = plan(&cfg, &sel_b, &req, false, SystemTime::now()).expect("b keeps 10.0.0.4");
    assert_eq!(p.outcomes.len(), 1);
    let sel_c = [Selector::parse("c/10.0.0.1:80", None).expect("selector")];
    plan(&cfg, &sel_c, &req, false, SystemTime::now()).expect("c's unlisted backup takes over");
}

/// What a filtered load must list: the full load's servers that `keep` keeps (live ones whose
/// address it accepts) plus every commented-out one, with the same upstreams and counts.
fn assert_filtered_agrees(conf: &std::path::Path, keep: &proxyconf::inventory::Keep<'_>) {
    let full = Config::load(conf, Some(proxyconf::ProxyKind::Nginx));
    let part = Config::load_only(conf, Some(proxyconf::ProxyKind::Nginx), Some(keep));
    let (full, part) = match (full, part) {
        (Ok(f), Ok(p)) => (f, p),
        (Err(f), Err(p)) => {
            assert_eq!(f.to_string(), p.to_string(), "{}", conf.display());
            return;
        }
        (f, p) => panic!(
            "{}: full load {:?}, filtered load {:?}",
            conf.display(),
            f.err(),
            p.err()
        ),
    };
    let expected: Vec<String> = full
        .servers
        .iter()
        .filter(|s| {
            s.method == Some(proxyconf::Method::Comment)
                || keep(
                    s.address.as_bytes(),
                    s.marker.is_some() || has_comment(&full, s),
                )
        })
        .map(|s| format!("{s:?}"))
        .collect();
    let got: Vec<String> = part.servers.iter().map(|s| format!("{s:?}")).collect();
    assert_eq!(got, expected, "{}", conf.display());
    assert_eq!(
        format!("{:?}", part.upstreams),
        format!("{:?}", full.upstreams),
        "{}",
        conf.display()
    );
    assert_eq!(part.warnings, full.warnings, "{}", conf.display());
}

/// Whether a live nginx server has a comment after its `;` on the same line (these fixtures put no
/// `;` in quotes or comments before the directive's own).
fn has_comment(cfg: &Config, s: &proxyconf::Server) -> bool {
    let text = String::from_utf8_lossy(&cfg.files[s.file].bytes).into_owned();
    text.lines()
        .skip(s.line - 1)
        .find_map(|l| l.split_once(';'))
        .is_some_and(|(_, after)| after.trim_start().starts_with('#'))
}

/// Lines written plainly are skimmed by a filtered load, all others lexed: both must agree with the
/// full load, on the servers listed and on every upstream's counts.
#[test]
fn filtered_load_agrees_with_the_full_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("nginx.conf");
    let inc = dir.path().join("servers.inc");
    std::fs::write(&inc, "server 10.0.9.1:80;\nserver 10.0.9.2:80 down;\n").expect("write");
    std::fs::write(
        &conf,
        concat!(
            "http {\n",
            " upstream a {\n",
            "  least_conn;\n",
            "  server 10.0.0.1:80 weight=2 max_fails=3;  # rack 1; {not a block}\n",
            "  server 10.0.0.2:80 backup;\n",
            "  server 10.0.0.3:80 down;#tight\n",
            "  server 10.0.0.4:80\n     weight=5\n     max_fails=1;\n",
            "  server 10.0.0.5:80; server 10.0.0.6:80 slow_start=10s;\n",
            "  server \"10.0.0.7:80\";\n",
            "  server 10.0.0.8:80 \"down\";\n",
            "  server 10.0.0.9:80 d\\own;\n",
            "  server 10.0.0.10:80 downtime=1 backups=2;\r\n",
            "  # server 10.0.0.11:80;\n",
            "  server 10.0.0.12:80 # a comment between arguments\n    weight=1;\n",
            "  server 10.0.0.13:80 ;\n",
            "  server\t10.0.0.14:80\tweight=1;\t\t# tabs\n",
            "  include servers.inc;\n",
            " }\n",
            " upstream b { server 10.0.0.1:80; server unix:/run/b.sock down; hash $uri; }\n",
            " server { listen 80; location / { proxy_pass http://a; } }\n",
            "}\n",
            "stream { upstream s { server 10.0.0.1:80; server 10.0.0.15:80 backup; } }\n",
        ),
    )
    .expect("write");
    let addresses = [
        "10.0.0.1:80",
        "10.0.0.2:80",
        "10.0.0.4:80",
        "10.0.0.5:80",
        "10.0.0.6:80",
        "10.0.0.9:80",
        "10.0.0.10:80",
        "10.0.0.12:80",
        "10.0.0.14:80",
        "10.0.9.1:80",
        "nowhere:1",
    ];
    for a in addresses {
        assert_filtered_agrees(&conf, &|addr: &[u8], _: bool| addr == a.as_bytes());
    }
    assert_filtered_agrees(&conf, &|_: &[u8], commented: bool| commented);
    assert_filtered_agrees(&conf, &|_: &[u8], _: bool| false);
}

/// The same agreement over every nginx file of the real-world corpus, when it is there.
#[test]
fn filtered_load_agrees_on_the_corpus() {
    let Some(corpus) = hotswap_tests::corpus_dir() else {
        return;
    };
    let mut files = 0;
    for entry in std::fs::read_dir(corpus.join("nginx")).expect("corpus/nginx") {
        let path = entry.expect("entry").path();
        if !path.is_file() {
            continue;
        }
        files += 1;
        assert_filtered_agrees(&path, &|_: &[u8], _: bool| false);
        assert_filtered_agrees(&path, &|_: &[u8], commented: bool| commented);
        if let Ok(cfg) = Config::load(&path, Some(proxyconf::ProxyKind::Nginx)) {
            if let Some(s) = cfg.servers.first() {
                let a = s.address.clone();
                assert_filtered_agrees(&path, &|addr: &[u8], _: bool| addr == a.as_bytes());
            }
        }
    }
    assert!(files > 100, "only {files} nginx files in the corpus");
}
