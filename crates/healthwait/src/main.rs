fn main() {
    std::process::exit(healthwait::run());
}
