#![no_main]
//! The haproxy tokenizer and inventory (which runs it) never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = proxyconf::Config::standalone(data.to_vec(), proxyconf::ProxyKind::Haproxy);
});
