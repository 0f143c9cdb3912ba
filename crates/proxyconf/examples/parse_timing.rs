//! Times, in-process, (1) a full parse of one nginx config into the complete directive tree and
//! (2) `Config::load` (parse plus server inventory), for scripts/bench-engine.
//! Usage: parse_timing FILE [RUNS]; prints "TREE_MEAN_S LOAD_MEAN_S SERVERS".

use std::time::Instant;

fn mean_secs(runs: u32, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    let t = Instant::now();
    for _ in 0..runs {
        f();
    }
    t.elapsed().as_secs_f64() / f64::from(runs)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: parse_timing FILE [RUNS]");
        std::process::exit(2);
    };
    let runs: u32 = args.next().and_then(|r| r.parse().ok()).unwrap_or(20);
    let path = std::path::Path::new(&file);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("parse_timing: {file}: {e}");
            std::process::exit(1);
        }
    };
    let mut failed = None;
    let tree = mean_secs(runs, || {
        if let Err(e) = proxyconf::nginx::syntax::parse(&bytes) {
            failed = Some(e.message);
        }
    });
    let mut servers = 0;
    let load = mean_secs(runs, || match proxyconf::Config::load(path, None) {
        Ok(cfg) => servers = cfg.servers.len(),
        Err(e) => failed = Some(e.to_string()),
    });
    if let Some(e) = failed {
        eprintln!("parse_timing: {e}");
        std::process::exit(1);
    }
    println!("{tree:.6} {load:.6} {servers}");
}
