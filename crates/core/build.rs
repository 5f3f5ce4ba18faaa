//! Links the system Hyperscan library, and only when the `hyperscan` feature
//! is on: the default build needs no system library at all.
//!
//! The flags come from `pkg-config --libs libhs` when pkg-config knows the
//! library (Debian's `libhyperscan-dev` ships `libhs.pc`), parsed by hand so
//! no build dependency is needed; otherwise a plain `-lhs` is tried.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_HYPERSCAN").is_none() {
        return;
    }
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let libs = Command::new("pkg-config")
        .args(["--libs", "libhs"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok());
    let mut linked = false;
    for flag in libs.as_deref().unwrap_or("").split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={lib}");
            linked |= lib == "hs";
        }
    }
    if !linked {
        println!(
            "cargo:warning=pkg-config does not know libhs; linking -lhs anyway (apt-get install libhyperscan-dev)"
        );
        println!("cargo:rustc-link-lib=hs");
    }
}
