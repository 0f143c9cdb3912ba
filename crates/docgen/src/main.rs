//! `cargo run -p docgen`: rewrites man/ and completions/ at the workspace root.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (path, bytes) in docgen::files() {
        let p = root.join(&path);
        if let Some(dir) = p.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("docgen: cannot create {}: {e}", dir.display());
                std::process::exit(1);
            }
        }
        if let Err(e) = std::fs::write(&p, bytes) {
            eprintln!("docgen: cannot write {}: {e}", p.display());
            std::process::exit(1);
        }
        println!("wrote {path}");
    }
}
