#![allow(clippy::print_stdout, clippy::expect_used)] // a build script talks to cargo on stdout; a missing list is a broken checkout
//! Names the common-password list by its content (FNV-1a, 64 bits): the server serves it under that
//! name and the browser asks for it by the same name, so a changed list is never read from a cache.

fn main() {
    let path = "src/domain/common_passwords.txt";
    println!("cargo:rerun-if-changed={path}");
    let bytes = std::fs::read(path).expect("the common-password list");
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    println!("cargo:rustc-env=KEYDESK_COMMON_LIST_HASH={hash:016x}");
}
