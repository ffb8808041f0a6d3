//! The SSH public-key parser must never panic, whatever is pasted, and what it accepts must be
//! self-consistent: the OpenSSH and PEM forms it produces parse back to the same key.
#![no_main]

#[path = "../../app/src/domain/ssh_key.rs"]
#[allow(dead_code)]
mod ssh_key;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(key) = ssh_key::parse(text) {
        assert!(key.bits >= ssh_key::MIN_RSA_BITS, "accepted a small key");
        let again = ssh_key::parse(&key.openssh()).expect("its own OpenSSH form parses");
        assert_eq!(again.blob, key.blob);
        let pem = ssh_key::parse(&key.pem()).expect("its own PEM form parses");
        assert_eq!(pem.md5_fingerprint(), key.md5_fingerprint());
    }
});
