//! SSH public keys as IAM accepts them for CodeCommit: `ssh-rsa` in OpenSSH format, or the same key in
//! PEM (`BEGIN PUBLIC KEY` / `BEGIN RSA PUBLIC KEY`) or RFC 4716 (`BEGIN SSH2 PUBLIC KEY`) encoding; at least
//! 2048 bits; at most 16384 characters. Runs in the browser (fingerprint before upload) and the server.
//! Never echoes its input in an error: a pasted private key must not travel further.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::{Digest, Md5};
use sha2::Sha256;

pub const MAX_CHARS: usize = 16_384;
pub const MIN_RSA_BITS: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshKeyError {
    #[error("Paste a public key (it starts with ssh-rsa).")]
    Empty,
    #[error("The key is too long: IAM accepts at most {MAX_CHARS} characters.")]
    TooLong,
    #[error("This is a PRIVATE key. Never share it: paste the public key instead (the .pub file, e.g. ~/.ssh/id_rsa.pub).")]
    PrivateKey,
    #[error("{0} keys are not accepted by AWS CodeCommit; use an RSA key (ssh-keygen -t rsa -b 4096).")]
    UnsupportedType(String),
    #[error("The key is not a valid SSH public key ({0}). Was it truncated when copying?")]
    Malformed(&'static str),
    #[error("The RSA key has {0} bits; IAM requires at least {MIN_RSA_BITS}.")]
    TooSmall(usize),
}

/// A validated RSA public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSshKey {
    pub bits: usize,
    /// The SSH wire-format blob (`string "ssh-rsa", mpint e, mpint n`).
    pub blob: Vec<u8>,
    pub comment: Option<String>,
}

impl ParsedSshKey {
    /// IAM's fingerprint: MD5 of the blob, colon-separated hex (as `ssh-keygen -E md5 -lf` prints it).
    pub fn md5_fingerprint(&self) -> String {
        Md5::digest(&self.blob).iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
    }

    /// `SHA256:…` as `ssh-keygen -lf` prints it by default.
    pub fn sha256_fingerprint(&self) -> String {
        let b64 = STANDARD.encode(Sha256::digest(&self.blob));
        format!("SHA256:{}", b64.trim_end_matches('='))
    }

    /// The key in OpenSSH format.
    pub fn openssh(&self) -> String {
        format!("ssh-rsa {}", STANDARD.encode(&self.blob))
    }

    /// The key as PEM `BEGIN PUBLIC KEY` (X.509 SubjectPublicKeyInfo), as IAM returns for `Encoding=PEM`.
    pub fn pem(&self) -> String {
        let (e, n) = rsa_from_blob(&self.blob).unwrap_or_default();
        let rsa = der_seq(&[der_uint(&n), der_uint(&e)].concat());
        let alg = der_seq(&[vec![0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01], vec![0x05, 0x00]].concat());
        let mut bits = vec![0x00];
        bits.extend_from_slice(&rsa);
        let spki = der_seq(&[alg, der_tlv(0x03, &bits)].concat());
        let b64 = STANDARD.encode(spki);
        let lines: Vec<&str> = b64.as_bytes().chunks(64).filter_map(|c| std::str::from_utf8(c).ok()).collect();
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n"))
    }
}

/// Parse and validate a public key exactly as keydesk (and IAM) accept it.
pub fn parse(input: &str) -> Result<ParsedSshKey, SshKeyError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(SshKeyError::Empty);
    }
    if text.contains("PRIVATE KEY") || text.starts_with("PuTTY-User-Key-File") {
        return Err(SshKeyError::PrivateKey);
    }
    if text.chars().count() > MAX_CHARS {
        return Err(SshKeyError::TooLong);
    }
    if text.starts_with("---- BEGIN SSH2 PUBLIC KEY ----") {
        let body = armored_body(text, "---- END SSH2 PUBLIC KEY ----")?;
        return from_ssh_blob(decode(&body)?, None);
    }
    if text.starts_with("-----BEGIN PUBLIC KEY-----") {
        let der = decode(&armored_body(text, "-----END PUBLIC KEY-----")?)?;
        let (e, n) = rsa_from_spki(&der).ok_or(SshKeyError::Malformed("not an RSA SubjectPublicKeyInfo"))?;
        return from_rsa(e, n, None);
    }
    if text.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
        let der = decode(&armored_body(text, "-----END RSA PUBLIC KEY-----")?)?;
        let (e, n) = rsa_from_pkcs1(&der).ok_or(SshKeyError::Malformed("not a PKCS#1 RSA public key"))?;
        return from_rsa(e, n, None);
    }
    let mut parts = text.split_whitespace();
    let kind = parts.next().unwrap_or_default();
    if kind != "ssh-rsa" {
        return Err(match kind {
            "ssh-ed25519" | "ssh-dss" | "sk-ssh-ed25519@openssh.com" => SshKeyError::UnsupportedType(kind.to_owned()),
            k if k.starts_with("ecdsa-") || k.starts_with("sk-ecdsa") => SshKeyError::UnsupportedType(kind.to_owned()),
            _ => SshKeyError::Malformed("it does not start with ssh-rsa"),
        });
    }
    let blob = decode(parts.next().ok_or(SshKeyError::Malformed("the key data is missing"))?)?;
    let comment = parts.collect::<Vec<_>>().join(" ");
    from_ssh_blob(blob, (!comment.is_empty()).then_some(comment))
}

fn armored_body(text: &str, end: &str) -> Result<String, SshKeyError> {
    if !text.contains(end) {
        return Err(SshKeyError::Malformed("the END line is missing"));
    }
    let mut body = String::new();
    let mut continued = false;
    for line in text.lines().skip(1) {
        let line = line.trim();
        if line == end {
            break;
        }
        // RFC 4716 headers ("Comment: …", possibly continued with a trailing backslash) are skipped.
        if continued || line.contains(':') {
            continued = line.ends_with('\\');
            continue;
        }
        body.push_str(line);
    }
    Ok(body)
}

fn decode(b64: &str) -> Result<Vec<u8>, SshKeyError> {
    STANDARD.decode(b64.trim()).map_err(|_| SshKeyError::Malformed("the base64 data is damaged"))
}

fn read_string<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u32::from_be_bytes(buf.get(..4)?.try_into().ok()?) as usize;
    let s = buf.get(4..4 + len)?;
    *buf = &buf[4 + len..];
    Some(s)
}

fn rsa_from_blob(blob: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut rest = blob;
    if read_string(&mut rest)? != b"ssh-rsa" {
        return None;
    }
    let e = read_string(&mut rest)?.to_vec();
    let n = read_string(&mut rest)?.to_vec();
    rest.is_empty().then_some((e, n))
}

fn from_ssh_blob(blob: Vec<u8>, comment: Option<String>) -> Result<ParsedSshKey, SshKeyError> {
    let mut rest = blob.as_slice();
    match read_string(&mut rest) {
        Some(b"ssh-rsa") => {}
        Some(other) => return Err(SshKeyError::UnsupportedType(String::from_utf8_lossy(other).into_owned())),
        None => return Err(SshKeyError::Malformed("the key data is truncated")),
    }
    let (e, n) = rsa_from_blob(&blob).ok_or(SshKeyError::Malformed("the key data is truncated"))?;
    from_rsa(e, n, comment)
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[i..]
}

fn bit_len(n: &[u8]) -> usize {
    let n = strip_zeros(n);
    n.first().map_or(0, |first| (n.len() - 1) * 8 + (8 - first.leading_zeros() as usize))
}

fn from_rsa(e: Vec<u8>, n: Vec<u8>, comment: Option<String>) -> Result<ParsedSshKey, SshKeyError> {
    let bits = bit_len(&n);
    if bits == 0 || strip_zeros(&e).is_empty() {
        return Err(SshKeyError::Malformed("the RSA numbers are empty"));
    }
    if bits < MIN_RSA_BITS {
        return Err(SshKeyError::TooSmall(bits));
    }
    // Re-encode canonically (mpint: minimal, with a 0x00 prefix when the top bit is set).
    let mpint = |x: &[u8]| {
        let x = strip_zeros(x);
        let mut v = Vec::with_capacity(x.len() + 1);
        if x.first().is_some_and(|b| b & 0x80 != 0) {
            v.push(0);
        }
        v.extend_from_slice(x);
        v
    };
    let mut blob = Vec::new();
    for part in [b"ssh-rsa".to_vec(), mpint(&e), mpint(&n)] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(&part);
    }
    Ok(ParsedSshKey { bits, blob, comment })
}

// --- a minimal DER reader/writer, enough for RSA public keys ---

fn der_read<'a>(buf: &mut &'a [u8], tag: u8) -> Option<&'a [u8]> {
    if *buf.first()? != tag {
        return None;
    }
    let first = *buf.get(1)?;
    let (len, header) = if first & 0x80 == 0 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in buf.get(2..2 + n)? {
            len = (len << 8) | usize::from(*b);
        }
        (len, 2 + n)
    };
    let v = buf.get(header..header + len)?;
    *buf = &buf[header + len..];
    Some(v)
}

fn rsa_from_pkcs1(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut outer = der;
    let mut seq = der_read(&mut outer, 0x30)?;
    let n = der_read(&mut seq, 0x02)?.to_vec();
    let e = der_read(&mut seq, 0x02)?.to_vec();
    Some((e, n))
}

fn rsa_from_spki(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    const RSA_OID: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let mut outer = der;
    let mut spki = der_read(&mut outer, 0x30)?;
    let mut alg = der_read(&mut spki, 0x30)?;
    if der_read(&mut alg, 0x06)? != RSA_OID {
        return None;
    }
    let bits = der_read(&mut spki, 0x03)?;
    rsa_from_pkcs1(bits.get(1..)?)
}

fn der_tlv(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    if v.len() < 0x80 {
        out.push(v.len() as u8);
    } else {
        let len = v.len().to_be_bytes();
        let len = strip_zeros(&len);
        out.push(0x80 | len.len() as u8);
        out.extend_from_slice(len);
    }
    out.extend_from_slice(v);
    out
}

fn der_seq(v: &[u8]) -> Vec<u8> {
    der_tlv(0x30, v)
}

fn der_uint(x: &[u8]) -> Vec<u8> {
    let x = strip_zeros(x);
    let mut v = Vec::new();
    if x.first().is_none_or(|b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(x);
    der_tlv(0x02, &v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A syntactically valid RSA key with an n of `bits` bits (not a real key pair, which parsing
    /// does not need).
    pub fn fake_rsa(bits: usize) -> String {
        let mut n = vec![0xC5u8; bits / 8];
        n[0] = 0x80 | 0x45;
        let k = from_rsa(vec![1, 0, 1], n, None).unwrap_or_else(|_| {
            // Below the minimum: build the blob by hand.
            let mut blob = Vec::new();
            for part in [b"ssh-rsa".to_vec(), vec![1, 0, 1], [vec![0], vec![0xC5u8; bits / 8]].concat()] {
                blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
                blob.extend_from_slice(&part);
            }
            ParsedSshKey { bits, blob, comment: None }
        });
        format!("{} me@laptop", k.openssh())
    }

    #[test]
    fn accepts_rsa_2048_and_4096_in_every_encoding() {
        for bits in [2048, 4096] {
            let k = parse(&fake_rsa(bits)).unwrap();
            assert_eq!(k.bits, bits);
            assert_eq!(k.comment.as_deref(), Some("me@laptop"));
            let again = parse(&k.pem()).unwrap();
            assert_eq!(again.blob, k.blob, "PEM round trip");
            assert_eq!(again.md5_fingerprint(), k.md5_fingerprint());
            let rfc4716 = format!(
                "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"a long \\\ncomment\"\n{}\n---- END SSH2 PUBLIC KEY ----\n",
                STANDARD.encode(&k.blob)
            );
            assert_eq!(parse(&rfc4716).unwrap().blob, k.blob, "RFC 4716");
        }
    }

    #[test]
    fn refuses_small_unsupported_private_and_damaged_keys() {
        assert_eq!(parse(&fake_rsa(1024)), Err(SshKeyError::TooSmall(1024)));
        assert_eq!(parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG me"), Err(SshKeyError::UnsupportedType("ssh-ed25519".into())));
        assert!(matches!(parse("ecdsa-sha2-nistp256 AAAA"), Err(SshKeyError::UnsupportedType(_))));
        assert_eq!(
            parse("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r\n-----END OPENSSH PRIVATE KEY-----"),
            Err(SshKeyError::PrivateKey)
        );
        assert_eq!(parse("  "), Err(SshKeyError::Empty));
        let full = fake_rsa(2048);
        let truncated = &full[..full.len() / 2];
        assert!(matches!(parse(truncated), Err(SshKeyError::Malformed(_))));
        assert!(matches!(parse("hello world"), Err(SshKeyError::Malformed(_))));
        assert_eq!(parse(&"A".repeat(MAX_CHARS + 1)), Err(SshKeyError::TooLong));
    }

    #[test]
    fn errors_never_echo_the_input() {
        let secret = "-----BEGIN RSA PRIVATE KEY-----\nMIIEcanary\n-----END RSA PRIVATE KEY-----";
        let msg = parse(secret).unwrap_err().to_string();
        assert!(!msg.contains("canary"));
    }

    #[test]
    fn fingerprints_have_the_ssh_keygen_shapes() {
        let k = parse(&fake_rsa(2048)).unwrap();
        let md5 = k.md5_fingerprint();
        assert_eq!(md5.len(), 47);
        assert_eq!(md5.matches(':').count(), 15);
        assert!(k.sha256_fingerprint().starts_with("SHA256:") && !k.sha256_fingerprint().ends_with('='));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_damaged_real_keys(cut in 0usize..600, flip in 0usize..600) {
            let mut k = fake_rsa(2048).into_bytes();
            if flip < k.len() { k[flip] ^= 0x01; }
            k.truncate(cut.min(k.len()));
            let _ = parse(&String::from_utf8_lossy(&k));
        }
    }
}
