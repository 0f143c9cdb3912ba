fn main() {
    std::process::exit(swapctl::run());
}
