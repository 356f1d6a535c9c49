//! New self-signed certificates for app registrations (feature `new-cert`): what
//! `New-SelfSignedCertificate` or `openssl req -x509` are used for today.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::RngCore;
use rcgen::string::PrintableString;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use rsa::pkcs8::EncodePrivateKey;
use rsa::RsaPrivateKey;
use zeroize::Zeroizing;

use super::{pem_block, subject};
use crate::error::{Error, Result};
use crate::material::ClientCertificate;

/// Key sizes [`new_self_signed`] generates. 2048 is Entra's minimum and the usual choice;
/// 3072 matches NIST's recommendation past 2030; 4096 is the largest this crate signs with.
pub const KEY_BITS_CHOICES: [usize; 3] = [2048, 3072, 4096];

/// Longest validity [`new_self_signed`] issues: 3650 days (ten years). Shorter is better: a
/// credential's lifetime is the window in which a leaked key works.
pub const MAX_CERT_DAYS: u32 = 3650;

/// `notBefore` is set this far in the past so that a server whose clock runs slightly behind
/// ours accepts the certificate at once.
const BACKDATE: Duration = Duration::from_secs(5 * 60);

/// Creates a self-signed certificate and its RSA key, ready to upload to an app registration.
///
/// `subject` is written like `CN=my-daemon,O=Contoso,C=US` (CN required; CN, O, OU, C, ST, L
/// allowed), valid from five minutes ago for `days` days (1 to [`MAX_CERT_DAYS`]), with an
/// RSA key of `key_bits` (one of [`KEY_BITS_CHOICES`]) generated from the OS random number
/// generator. The X.509 v3 certificate carries a random 128-bit serial, key usage
/// digitalSignature, extended key usage clientAuth, `CA:FALSE`, and is signed with
/// RSA-PKCS#1-v1.5-SHA256. Write it out with [`export_pfx`](crate::export_pfx) and upload the
/// leaf's DER ([`CertificateInfo::der`](crate::CertificateInfo::der)) as a `.cer`.
///
/// ```
/// # fn main() -> Result<(), entra_token::Error> {
/// let cert = entra_token::new_self_signed("CN=nightly-export,O=Contoso", 365, 2048)?;
/// assert_eq!(cert.subject(), "CN=nightly-export,O=Contoso");
/// assert_eq!(cert.key_bits(), 2048);
/// assert!(cert.is_valid_at(std::time::SystemTime::now()));
/// # Ok(()) }
/// ```
///
/// Key generation takes about a second for 2048 bits and several for 4096. The generated key
/// is zeroized when dropped; `rcgen`'s signing copy is freed, but not zeroized, on return.
///
/// # Errors
/// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for an invalid
/// subject, days or key size.
pub fn new_self_signed(subject: &str, days: u32, key_bits: usize) -> Result<ClientCertificate> {
    if !(1..=MAX_CERT_DAYS).contains(&days) {
        return Err(Error::config(format!(
            "--days must be 1 to {MAX_CERT_DAYS}, not {days}"
        )));
    }
    if !KEY_BITS_CHOICES.contains(&key_bits) {
        return Err(Error::config(format!(
            "--key-bits must be 2048, 3072 or 4096, not {key_bits}"
        )));
    }
    let names = subject::parse(subject)?;
    let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, key_bits)
        .map_err(|e| Error::config(format!("RSA key generation failed ({e})")))?;
    let pkcs8 = key
        .to_pkcs8_der()
        .map_err(|_| Error::malformed("RSA private key (PKCS#8 encoding)"))?;
    let pkcs8 = Zeroizing::new(pkcs8.as_bytes().to_vec());
    drop(key);
    let key_pair = KeyPair::try_from(pkcs8.as_slice()).map_err(rcgen_error)?;
    if key_pair.algorithm() != &rcgen::PKCS_RSA_SHA256 {
        return Err(Error::config(
            "the generated key was not accepted for RSA-SHA256 signing",
        ));
    }

    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name(&names)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + now.saturating_sub(BACKDATE);
    params.not_after = epoch + now + Duration::from_secs(u64::from(days) * 86_400);
    params.serial_number = Some(random_serial());
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let certificate = params.self_signed(&key_pair).map_err(rcgen_error)?;
    drop(key_pair);

    let cert_pem = pem_block("CERTIFICATE", certificate.der());
    let key_pem = pem_block("PRIVATE KEY", &pkcs8);
    ClientCertificate::from_pem_parts(cert_pem.as_bytes(), key_pem.as_bytes())
}

/// rcgen encodes names in the order pushed; RFC 4514 text lists the most specific first, so
/// push in reverse to make the certificate's subject read back exactly as typed.
fn distinguished_name(names: &[(&'static str, String)]) -> Result<DistinguishedName> {
    let mut dn = DistinguishedName::new();
    for (attr, value) in names.iter().rev() {
        let ty = match *attr {
            "CN" => DnType::CommonName,
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "ST" => DnType::StateOrProvinceName,
            "L" => DnType::LocalityName,
            _ => DnType::CountryName,
        };
        // RFC 5280 requires PrintableString for the country; UTF8String for the rest.
        let value = if ty == DnType::CountryName {
            DnValue::PrintableString(
                PrintableString::try_from(value.as_str()).map_err(rcgen_error)?,
            )
        } else {
            DnValue::Utf8String(value.clone())
        };
        dn.push(ty, value);
    }
    Ok(dn)
}

/// 128 random bits, positive, without a leading zero byte (RFC 5280 §4.1.2.2: at most 20
/// octets, positive; CA/Browser Forum: at least 64 bits of randomness).
fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7F) | 0x40;
    SerialNumber::from(bytes.to_vec())
}

fn rcgen_error(e: rcgen::Error) -> Error {
    Error::config(format!("cannot build the certificate ({e})"))
}
