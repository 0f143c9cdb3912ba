#![no_main]
//! Parse -> disable -> enable: wherever the input parses, every live server comes back byte for byte.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for kind in [proxyconf::ProxyKind::Nginx, proxyconf::ProxyKind::Haproxy] {
        if let Err(e) = proxyconf::roundtrip::check_round_trips(data, kind, 16, &mut |_| Ok(())) {
            panic!("{e}");
        }
    }
});
