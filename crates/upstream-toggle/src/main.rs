fn main() {
    std::process::exit(upstream_toggle::run());
}
