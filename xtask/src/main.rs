//! Project tasks: `cargo xtask demo`, `cargo xtask test`.
fn main() {}
