//! Times, in-process, (1) a full parse of one nginx config into the complete directive tree and
//! (2) `Config::load` (parse plus server inventory) and (3) the streaming parse alone (`check`, what
//! an edit pays), for scripts/bench-engine.
//! Usage: parse_timing FILE [RUNS [SELECTOR]]; prints best-of-RUNS seconds "TREE LOAD SERVERS CHECK FILTERED" (the last is 0 without a selector).

use std::time::Instant;

/// The best of `runs` timings: this machine's neighbours slow single runs by up to 2x, and the
/// fastest run is the one they disturbed least.
fn best_secs(runs: u32, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: parse_timing FILE [RUNS [SELECTOR]]");
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
    let tree = best_secs(runs, || {
        if let Err(e) = proxyconf::nginx_syntax::parse(&bytes) {
            failed = Some(e.message);
        }
    });
    let check = best_secs(runs, || {
        if let Err(e) = proxyconf::nginx_syntax::check(&bytes) {
            failed = Some(e.message);
        }
    });
    let mut servers = 0;
    let load = best_secs(runs, || match proxyconf::Config::load(path, None) {
        Ok(cfg) => servers = cfg.servers.len(),
        Err(e) => failed = Some(e.to_string()),
    });
    // What one edit pays: the load that lists only the servers a selector may name.
    let filtered = args.next().map_or(0.0, |arg| {
        let sel = proxyconf::Selector::parse(&arg, None).expect("selector");
        let keep = |address: &[u8], _: bool| sel.may_match(address);
        best_secs(runs, || {
            if let Err(e) =
                proxyconf::Config::load_only(path, Some(proxyconf::ProxyKind::Nginx), Some(&keep))
            {
                failed = Some(e.to_string());
            }
        })
    });
    if let Some(e) = failed {
        eprintln!("parse_timing: {e}");
        std::process::exit(1);
    }
    println!("{tree:.6} {load:.6} {servers} {check:.6} {filtered:.6}");
}
