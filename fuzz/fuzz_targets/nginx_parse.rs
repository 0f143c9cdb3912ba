#![no_main]
//! The nginx parser never panics, and its tree and allocation-free check agree.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let tree = proxyconf::nginx_syntax::parse(data);
    let check = proxyconf::nginx_syntax::check(data);
    assert_eq!(tree.is_ok(), check.is_ok());
    let _ = proxyconf::Config::standalone(data.to_vec(), proxyconf::ProxyKind::Nginx);
});
