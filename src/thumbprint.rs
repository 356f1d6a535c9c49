//! Certificate thumbprints: the SHA-1 and SHA-256 digests of the certificate's DER, in the
//! three spellings users meet (Windows/portal hex, JOSE `x5t`, JOSE `x5t#S256`).

use sha1::{Digest, Sha1};
use sha2::Sha256;

use crate::base64url;

/// The thumbprints of one certificate, computed once when it is loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbprints {
    sha1_hex: String,
    x5t: String,
    x5t_s256: String,
}

impl Thumbprints {
    /// Computes all thumbprints of a DER-encoded certificate.
    ///
    /// ```
    /// let t = entra_token::Thumbprints::of_der(b"not really a certificate");
    /// assert_eq!(t.sha1_hex().len(), 40);
    /// assert!(!t.x5t().contains('='));
    /// ```
    pub fn of_der(der: &[u8]) -> Self {
        let sha1 = Sha1::digest(der);
        let sha256 = Sha256::digest(der);
        let sha1_hex = sha1.iter().map(|b| format!("{b:02X}")).collect();
        Thumbprints {
            sha1_hex,
            x5t: base64url::encode(&sha1),
            x5t_s256: base64url::encode(&sha256),
        }
    }

    /// SHA-1 as 40 uppercase hex digits, as the Azure portal and Windows show it.
    pub fn sha1_hex(&self) -> &str {
        &self.sha1_hex
    }

    /// JOSE `x5t`: base64url (no padding) of the SHA-1 digest.
    pub fn x5t(&self) -> &str {
        &self.x5t
    }

    /// JOSE `x5t#S256`: base64url (no padding) of the SHA-256 digest.
    pub fn x5t_s256(&self) -> &str {
        &self.x5t_s256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // SHA-1("abc") and SHA-256("abc") from FIPS 180-2.
        let t = Thumbprints::of_der(b"abc");
        assert_eq!(t.sha1_hex(), "A9993E364706816ABA3E25717850C26C9CD0D89D");
        assert_eq!(t.x5t(), "qZk-NkcGgWq6PiVxeFDCbJzQ2J0");
        assert_eq!(t.x5t_s256(), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }
}
