//! `Config::load_only` lists fewer servers but keeps the counts the safety rule needs.

use proxyconf::{plan, Config, Error, Request, Selector};
use std::time::SystemTime;

#[test]
fn filtered_inventory_keeps_serving_counts_and_safety() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        "http {\n upstream a {\n  server 10.0.0.1:80;\n  server 10.0.0.2:80 backup;\n  server 10.0.0.3:80 down;\n }\n upstream b {\n  server 10.0.0.1:80;\n  server 10.0.0.4:80;\n }\n}\n",
    )
    .expect("write");
    let keep = |addr: &[u8], _: bool| addr == b"10.0.0.1:80";
    let cfg = Config::load_only(&conf, None, Some(&keep)).expect("loads");
    assert!(cfg.partial);
    assert_eq!(cfg.servers.len(), 2);
    let serving: Vec<usize> = cfg.upstreams.iter().map(|u| u.serving).collect();
    assert_eq!(serving, [1, 2]);
    let sel = [Selector::parse("10.0.0.1:80", None).expect("selector")];
    let req = Request::Disable {
        method: None,
        reason: None,
    };
    // Upstream a would be left with only a backup: refused, even though its other servers are unlisted.
    let err = plan(&cfg, &sel, &req, false, SystemTime::now()).expect_err("refused");
    assert!(
        matches!(err, Error::WouldEmpty { ref name, group: "upstream", .. } if name == "a"),
        "{err}"
    );
    let sel_b = [Selector::parse("b/10.0.0.1:80", None).expect("selector")];
    let p = plan(&cfg, &sel_b, &req, false, SystemTime::now()).expect("b keeps 10.0.0.4");
    assert_eq!(p.outcomes.len(), 1);
}
