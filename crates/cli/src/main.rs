//! The `vaebio` command-line tool.

fn main() {}
