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
