//! Inputs the fuzzers found, minimised, kept as regression tests of the round-trip property.

use proxyconf::roundtrip::check_round_trips;
use proxyconf::ProxyKind;

fn round_trips(input: &str, kind: ProxyKind) -> usize {
    check_round_trips(input.as_bytes(), kind, 64, &mut |_| Ok(()))
        .unwrap_or_else(|e| panic!("{e}\n---\n{input}"))
}

#[test]
fn a_marked_server_with_unknown_params_is_found_again() {
    // round_trip found: a server whose params nginx would not know was commented out and then no
    // longer recognised as a server, so it could not be enabled again.
    let input =
        "upstream b {\n    zone b 64k;\n    server service.consul serv(ice=http resolve;\n}\n";
    assert_eq!(round_trips(input, ProxyKind::Nginx), 2);
}

#[test]
fn a_marked_directive_longer_than_eight_lines_is_found_again() {
    // round_trip found: a `server` whose arguments ran over many lines was commented out line by
    // line, and the re-read looked at no more than 8 comment lines.
    let params: String = (0..12)
        .map(|i| format!("        weight={}\n", i + 1))
        .collect();
    let input = format!("upstream a {{\n    server 10.0.0.1:80\n{params}        max_fails=1;\n    server 10.0.0.2:80;\n}}\n");
    assert_eq!(round_trips(&input, ProxyKind::Nginx), 4);
}

#[test]
fn a_person_comment_next_to_a_marked_one_stays_a_server() {
    let input = "upstream a {\n    #server 10.0.0.3:80;\n    server 10.0.0.1:80;\n    server 10.0.0.2:80;\n}\n";
    assert_eq!(round_trips(input, ProxyKind::Nginx), 4);
    let cfg =
        proxyconf::Config::standalone(input.as_bytes().to_vec(), ProxyKind::Nginx).expect("parses");
    let p = proxyconf::plan::for_servers(
        &cfg,
        &[1],
        &proxyconf::Request::Disable {
            method: Some(proxyconf::Method::Comment),
            reason: None,
        },
        true,
        std::time::SystemTime::UNIX_EPOCH,
    )
    .expect("plan");
    let after = p.apply(&cfg).remove(0).bytes;
    let cfg2 = proxyconf::Config::standalone(after, ProxyKind::Nginx).expect("parses");
    assert_eq!(
        cfg2.servers.len(),
        3,
        "both commented lines are servers: {:?}",
        cfg2.servers.iter().map(|s| &s.address).collect::<Vec<_>>()
    );
}

#[test]
fn a_comment_between_the_arguments_of_a_commented_out_directive_is_skipped() {
    // round_trip found: a multi-line `server` with a comment line between its arguments was
    // commented out, and the re-read did not skip the inner comment the way nginx does.
    let input = "upstream a {\n    server 10.0.0.1:80\n    # a note between the arguments\n        weight=2;\n    server 10.0.0.2:80;\n}\n";
    assert_eq!(round_trips(input, ProxyKind::Nginx), 4);
}

#[test]
fn a_haproxy_server_line_ending_in_a_backslash_is_refused_not_corrupted() {
    // round_trip found: anything appended after a dangling `\` (a keyword, a marker) was escaped
    // into the last word. Such a line is now refused with a reason, and nothing changes.
    let input =
        "backend app\n    server s1 127.0.0.1:1 check\n    server s2 127.0.0.1:2 weight 1\\\n";
    assert_eq!(
        round_trips(input, ProxyKind::Haproxy),
        2,
        "s1 round-trips; s2 is refused"
    );
    let cfg = proxyconf::Config::standalone(input.as_bytes().to_vec(), ProxyKind::Haproxy)
        .expect("parses");
    let req = proxyconf::Request::Disable {
        method: None,
        reason: None,
    };
    let err =
        proxyconf::plan::for_servers(&cfg, &[1], &req, true, std::time::SystemTime::UNIX_EPOCH)
            .expect_err("refused");
    assert!(
        matches!(err, proxyconf::Error::Refused(ref m) if m.contains(":3: the line ends with a backslash")),
        "{err}"
    );
}

#[test]
fn haproxy_keywords_before_the_last_enabled_are_left_alone() {
    // round_trip found: enabling removed every `disabled`, including one a later `enabled` overrode.
    let input = "backend app\n    server s1 127.0.0.1:1 disabled check enabled\n    server s2 127.0.0.1:2\n";
    assert_eq!(round_trips(input, ProxyKind::Haproxy), 4);
    let inherited = "backend app\n    default-server disabled\n    server s1 127.0.0.1:1 disabled enabled\n    server s2 127.0.0.1:2 enabled\n";
    assert_eq!(round_trips(inherited, ProxyKind::Haproxy), 4);
}

#[test]
fn an_nginx_server_without_an_address_is_refused_not_corrupted() {
    // round_trip found: `server ;` commented out could not be read back as a server.
    let input = "upstream a {\n    server ;\n    server 10.0.0.1:80;\n    server 10.0.0.2:80;\n}\n";
    assert_eq!(
        round_trips(input, ProxyKind::Nginx),
        4,
        "the two real servers round-trip; `server ;` is refused"
    );
}

#[test]
fn a_person_comment_without_a_semicolon_does_not_swallow_the_next_server() {
    // round_trip found: `# server a b c` (no `;`) right above a server the tool commented out was
    // read as one directive together with it.
    let input = "upstream a {\n    # server 192.168.0.7: maxconn 100\n    server 10.0.0.1:80;\n    server 10.0.0.2:80;\n}\n";
    assert_eq!(round_trips(input, ProxyKind::Nginx), 4);
}

#[test]
fn marker_text_inside_a_word_is_not_a_marker() {
    // round_trip found: `#` is literal inside an nginx word, so a word may contain the marker text.
    let input = "upstream a {\n    server 10.0.0.1:80# upstream-toggle: disabled x\n        weight=1;\n    server 10.0.0.2:80;\n}\n";
    assert_eq!(round_trips(input, ProxyKind::Nginx), 4);
}

/// The selector round trip of `edit_rules` on a standalone haproxy config.
fn selector_round_trip(input: &str, selector: &str) {
    let cfg = proxyconf::Config::standalone(input.as_bytes().to_vec(), ProxyKind::Haproxy)
        .expect("parses");
    let sel = proxyconf::Selector::parse(selector, None).expect("selector");
    let mut reload = |new: &[proxyconf::Edited]| {
        proxyconf::Config::standalone(new.first()?.bytes.clone(), ProxyKind::Haproxy).ok()
    };
    proxyconf::roundtrip::check_selector_round_trip(&cfg, &[sel], None, None, &mut reload)
        .unwrap_or_else(|e| panic!("{e}\n---\n{input}"));
}

#[test]
fn a_scoped_name_leaves_a_persons_line_in_a_same_named_section_alone() {
    // edit_rules found: `l1/s2` took out s2 in the third `listen l1`, and enabling it brought back
    // the person's `disabled` s2 of the two other sections of that name too.
    let input = "listen l1\n    server s2 127.0.0.1:8022 disabled\nlisten l1\n    server s2 127.0.0.1:8022 disabled\nlisten l1\n    server s3 127.0.0.1:8031 weight 0\n    server s2 127.0.0.1:8021 weight 0\n";
    selector_round_trip(input, "l1/s2");
}

#[test]
fn keyword_arguments_and_trackers_round_trip() {
    let input = "backend b1\n    server s1 127.0.0.1:8011 check cookie disabled\n    server s2 127.0.0.1:8021 track s1\n    server s3 127.0.0.1:8031 enabled check\nbackend b2\n    server s1 127.0.0.1:8011 track b1/s1\n    server s4 127.0.0.1:8041\n";
    for sel in ["s1", "b1/s2", "s3", "b2/s1", "127.0.0.1:8011"] {
        selector_round_trip(input, sel);
    }
}

#[test]
fn a_haproxy_line_ending_in_a_keyword_without_its_value_is_refused() {
    // round_trip found (seeded from a real config whose comment had been joined to a server
    // line): `... based on the cookie` ends with `cookie`, so an appended `disabled` was read as
    // the cookie's value and the server never showed as disabled. Such a line is now refused.
    let input = "listen switch 127.0.0.2:8000\n\tserver backend1 127.0.0.3:8001\n\tserver backend2 127.0.0.3:8002 cookie 2 b, haproxy can only select a server based on the cookie\n";
    assert_eq!(round_trips(input, ProxyKind::Haproxy), 2);
    let cfg = proxyconf::Config::standalone(input.as_bytes().to_vec(), ProxyKind::Haproxy)
        .expect("parses");
    let r = proxyconf::plan::for_servers(
        &cfg,
        &[1],
        &proxyconf::Request::Disable {
            method: Some(proxyconf::Method::Down),
            reason: None,
        },
        true,
        std::time::UNIX_EPOCH,
    );
    assert!(
        matches!(r, Err(proxyconf::Error::Refused(ref m)) if m.contains("`cookie`")),
        "{r:?}"
    );
}

/// `disable` then `enable` of a selector on a config loaded from `files` (name, text), by
/// [`proxyconf::roundtrip::check_selector_round_trip`], with the edits written back to disk.
fn nginx_selector_round_trip(files: &[(&str, &str)], selector: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let main = dir.path().join(files[0].0);
    let cfg = proxyconf::Config::load(&main, Some(ProxyKind::Nginx)).expect("loads");
    let paths: Vec<std::path::PathBuf> = cfg.files.iter().map(|f| f.path.clone()).collect();
    let sel = proxyconf::Selector::parse(selector, None).expect("selector");
    let mut reload = |new: &[proxyconf::Edited]| {
        for e in new {
            std::fs::write(&paths[e.file], &e.bytes).ok()?;
        }
        proxyconf::Config::load(&main, Some(ProxyKind::Nginx)).ok()
    };
    proxyconf::roundtrip::check_selector_round_trip(&cfg, &[sel], None, None, &mut reload)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn an_enable_never_makes_a_second_live_copy() {
    // edit_rules found: a marked line left over beside a live copy came back with the line just
    // taken out (two copies), and a pool line that is a leftover in one upstream came back there
    // through another upstream that includes the same file.
    nginx_selector_round_trip(
        &[
            (
                "nginx.conf",
                "events {}\nhttp {\nupstream u1 {\n    server 127.0.0.1:801;\n    # server 127.0.0.1:801; # upstream-toggle: disabled 2026-01-01T00:00:00Z\n    server 127.0.0.9:9999 backup;\n}\n}\n",
            ),
        ],
        "127.0.0.1:801",
    );
    nginx_selector_round_trip(
        &[
            (
                "nginx.conf",
                "events {}\nhttp {\nupstream u1 {\n    include shared.conf;\n    server 127.0.0.9:9999 backup;\n}\nupstream u2 {\n    hash $request_uri;\n    include shared.conf;\n    server 127.0.0.1:902;\n    server 127.0.0.1:801;\n}\n}\n",
            ),
            (
                "shared.conf",
                "# server 127.0.0.1:801; # upstream-toggle: disabled 2026-01-01T00:00:00Z\n",
            ),
        ],
        "127.0.0.1:801",
    );
}
