//! Secret newtypes: zeroized on drop, redacted in `Debug`, no `Display`.
//!
//! The only way to read a secret is the explicitly named `secret()` accessor, so a secret
//! cannot reach a log line or an error message by accident.

use std::fmt;

use zeroize::Zeroizing;

/// A password or client secret. Zeroized when dropped; `Debug` prints `Secret([redacted])`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret value, taking ownership so no copy is left behind.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The secret value. Named so that every read of a secret is visible in review.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// A byte buffer holding secret material (a decrypted key, a derived key), zeroized on drop.
pub(crate) type SecretBytes = Zeroizing<Vec<u8>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(
            format!("{:#?}", Some(&s)),
            "Some(\n    Secret([redacted]),\n)"
        );
        assert_eq!(s.secret(), "hunter2");
    }
}
