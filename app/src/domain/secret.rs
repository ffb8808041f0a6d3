//! Secret-bearing values. Neither type implements `Display`, and `Debug` prints a fixed redaction, so a
//! secret cannot reach a log line or an error message by formatting. Reading one is always explicit
//! (`expose`), which keeps every place that touches a secret greppable.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A password typed by a person (portal sign-in, re-authentication, a new IAM console password).
/// Deserialised from form fields; never serialised back out.
#[derive(Clone, Deserialize, Default)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

// Server functions need `Serialize` on their argument structs because the browser sends them.
// It is implemented by hand so the intent is visible: this is the client->server direction only.
impl Serialize for Password {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A secret that IAM returns exactly once (access key secret, Git password, MFA seed, generated
/// password). It travels to the browser only inside the response of the action that created it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OneTimeSecret(String);

impl OneTimeSecret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OneTimeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeSecret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let p = Password::new("canary-pw-123");
        let s = OneTimeSecret::new("canary-secret-456");
        let dbg = format!("{p:?} {s:?} {:?}", (p.clone(), Some(s.clone())));
        assert!(!dbg.contains("canary"), "{dbg}");
        assert_eq!(p.expose(), "canary-pw-123");
        assert_eq!(s.expose(), "canary-secret-456");
    }
}
