use std::time::{Duration, UNIX_EPOCH};

use der::Decode;
use der::Encode;
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;

use super::*;
use crate::error::ErrorKind;

const APP_PEM: &[u8] = include_bytes!("../../tests/data/exchange/app.pem");
const CHAIN_PEM: &[u8] = include_bytes!("../../tests/data/exchange/chain.pem");
const AUD: &str = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";

fn cert(pem: &[u8]) -> ClientCertificate {
    ClientCertificate::from_pem(pem).unwrap()
}

/// The public key taken from the certificate itself (not from the private key), so the
/// verification below is independent of the signing code.
fn public_key_of(cert: &ClientCertificate) -> RsaPublicKey {
    let der: Vec<u8> = cert.chain_der().next().unwrap().to_vec();
    let x509 = x509_cert::Certificate::from_der(&der).unwrap();
    let spki = x509
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    RsaPublicKey::from_public_key_der(&spki).unwrap()
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn jti() -> Uuid {
    Uuid::parse_str("6f1c2c39-6c4e-4b1f-9d43-0c2f4c9c1a7e").unwrap()
}

fn signed(options: &AssertionOptions) -> String {
    let c = cert(APP_PEM);
    let jwt = sign(
        &c,
        CLIENT,
        AUD,
        at(1_700_000_000),
        jti(),
        options,
        &mut OsRng,
    )
    .unwrap();
    jwt.secret().to_owned()
}

fn verify(jwt: &str, cert: &ClientCertificate, alg: SigningAlgorithm) {
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    let sig = base64url::decode(sig).unwrap();
    let key = public_key_of(cert);
    match alg {
        SigningAlgorithm::Rs256 => {
            let sig = rsa::pkcs1v15::Signature::try_from(sig.as_slice()).unwrap();
            rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
                .verify(input.as_bytes(), &sig)
                .expect("RS256 signature verifies with the certificate's key");
        }
        SigningAlgorithm::Ps256 => {
            let sig = rsa::pss::Signature::try_from(sig.as_slice()).unwrap();
            // Verifies with an explicit salt length of 32.
            rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(key, 32)
                .verify(input.as_bytes(), &sig)
                .expect("PS256 signature verifies with the certificate's key");
        }
    }
}

#[test]
fn header_and_claims_are_exact_json() {
    let c = cert(APP_PEM);
    let input = signing_input(
        &c,
        CLIENT,
        AUD,
        at(1_700_000_000),
        jti(),
        &AssertionOptions::new(),
    )
    .unwrap();
    let (h, p) = input.split_once('.').unwrap();
    let header = String::from_utf8(base64url::decode(h).unwrap()).unwrap();
    let claims = String::from_utf8(base64url::decode(p).unwrap()).unwrap();
    assert_eq!(
        header,
        format!(
            r#"{{"alg":"PS256","typ":"JWT","x5t#S256":"{}"}}"#,
            c.x5t_s256()
        )
    );
    assert_eq!(
        claims,
        format!(
            r#"{{"aud":"{AUD}","iss":"{CLIENT}","sub":"{CLIENT}","jti":"{}","nbf":1700000000,"iat":1700000000,"exp":1700000300}}"#,
            jti()
        )
    );
}

#[test]
fn rs256_verifies_and_names_sha1_thumbprint() {
    let c = cert(APP_PEM);
    let jwt = signed(&AssertionOptions::new().algorithm(SigningAlgorithm::Rs256));
    assert!(!jwt.contains('='), "no padding anywhere: {jwt}");
    verify(&jwt, &c, SigningAlgorithm::Rs256);
    let (header, claims) = decode_unverified(&jwt).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["x5t"], c.x5t());
    assert_eq!(c.x5t(), c.certificate().thumbprints().x5t());
    assert!(header.get("x5t#S256").is_none());
    assert!(header.get("x5c").is_none());
    assert_eq!(claims["iss"], CLIENT);
    assert_eq!(claims["sub"], CLIENT);
    assert_eq!(claims["aud"], AUD);
    assert!(claims["nbf"].is_u64() && claims["exp"].is_u64() && claims["iat"].is_u64());
}

#[test]
fn ps256_verifies_and_names_sha256_thumbprint() {
    let c = cert(APP_PEM);
    let jwt = signed(&AssertionOptions::new());
    assert!(!jwt.contains('='), "no padding anywhere: {jwt}");
    verify(&jwt, &c, SigningAlgorithm::Ps256);
    let (header, _) = decode_unverified(&jwt).unwrap();
    assert_eq!(header["alg"], "PS256");
    assert_eq!(header["x5t#S256"], c.x5t_s256());
    assert!(header.get("x5t").is_none());
}

#[test]
fn ps256_salt_length_is_the_digest_length() {
    let key = cert(APP_PEM).signing_key().clone();
    assert_eq!(BlindedSigningKey::<Sha256>::new(key).salt_len(), 32);
}

#[test]
fn signatures_are_randomized_but_inputs_are_pure() {
    let options = AssertionOptions::new();
    let c = cert(APP_PEM);
    let a = signing_input(&c, CLIENT, AUD, at(5_000), jti(), &options).unwrap();
    let b = signing_input(&c, CLIENT, AUD, at(5_000), jti(), &options).unwrap();
    assert_eq!(a, b);
    // PSS salts differ per signature.
    assert_ne!(signed(&options), signed(&options));
}

#[test]
fn thumbprint_header_both_and_explicit() {
    let c = cert(APP_PEM);
    let both = signed(&AssertionOptions::new().thumbprint_header(ThumbprintHeader::Both));
    let (header, _) = decode_unverified(&both).unwrap();
    assert_eq!(header["x5t"], c.x5t());
    assert_eq!(header["x5t#S256"], c.x5t_s256());
    let sha1 = signed(&AssertionOptions::new().thumbprint_header(ThumbprintHeader::Sha1));
    let (header, _) = decode_unverified(&sha1).unwrap();
    assert_eq!(header["alg"], "PS256");
    assert_eq!(header["x5t"], c.x5t());
    assert!(header.get("x5t#S256").is_none());
}

#[test]
fn x5c_is_standard_base64_der_leaf_first() {
    let c = cert(CHAIN_PEM);
    let options = AssertionOptions::new().send_certificate_chain(true);
    let jwt = sign(
        &c,
        CLIENT,
        AUD,
        at(1_700_000_000),
        jti(),
        &options,
        &mut OsRng,
    )
    .unwrap();
    verify(jwt.secret(), &c, SigningAlgorithm::Ps256);
    let (header, _) = decode_unverified(jwt.secret()).unwrap();
    let x5c = header["x5c"].as_array().unwrap();
    assert_eq!(x5c.len(), 2);
    let ders: Vec<Vec<u8>> = c.chain_der().map(<[u8]>::to_vec).collect();
    for (entry, der) in x5c.iter().zip(&ders) {
        let text = entry.as_str().unwrap();
        assert_eq!(base64url::decode_standard(text).unwrap(), *der);
    }
    assert_eq!(ders[0], c.certificate().der(), "leaf first");
    let ca_pem = include_str!("../../tests/data/exchange/ca.crt");
    let ca = ::pem::parse(ca_pem).unwrap();
    assert_eq!(ders[1], ca.contents());
}

#[test]
fn lifetime_sets_exp_and_is_range_checked() {
    let c = cert(APP_PEM);
    let options = AssertionOptions::new().lifetime(Duration::from_secs(600));
    let input = signing_input(&c, CLIENT, AUD, at(1_000), jti(), &options).unwrap();
    let (_, claims) = decode_unverified(&format!("{input}.")).unwrap();
    assert_eq!(claims["exp"], 1_600);
    for bad in [0, 59, 3601, 86_400] {
        let options = AssertionOptions::new().lifetime(Duration::from_secs(bad));
        let err = signing_input(&c, CLIENT, AUD, at(1_000), jti(), &options).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidConfiguration { .. }),
            "{bad}"
        );
    }
    for good in [60, 3600] {
        let options = AssertionOptions::new().lifetime(Duration::from_secs(good));
        assert!(signing_input(&c, CLIENT, AUD, at(1_000), jti(), &options).is_ok());
    }
}

#[test]
fn client_assertion_uses_fresh_jti_and_now() {
    let c = cert(APP_PEM);
    let options = AssertionOptions::new();
    let a = client_assertion(&c, CLIENT, AUD, &options).unwrap();
    let b = client_assertion(&c, CLIENT, AUD, &options).unwrap();
    let (_, ca) = decode_unverified(a.secret()).unwrap();
    let (_, cb) = decode_unverified(b.secret()).unwrap();
    assert_ne!(ca["jti"], cb["jti"]);
    let jti = Uuid::parse_str(ca["jti"].as_str().unwrap()).unwrap();
    assert_eq!(jti.get_version_num(), 4);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(ca["iat"].as_u64().unwrap().abs_diff(now) <= 5);
    assert_eq!(ca["nbf"], ca["iat"]);
    assert_eq!(format!("{a:?}"), "Secret([redacted])");
}

#[test]
fn empty_inputs_and_bad_jwts_are_refused() {
    let c = cert(APP_PEM);
    let o = AssertionOptions::new();
    assert!(signing_input(&c, " ", AUD, at(1), jti(), &o).is_err());
    assert!(signing_input(&c, CLIENT, "", at(1), jti(), &o).is_err());
    for bad in ["", "a.b", "a.b.c.d", "!!.e30.", "e30.W10.", "bnVsbA.e30."] {
        let err = decode_unverified(bad).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Malformed { .. }), "{bad}");
    }
}

#[test]
fn algorithm_names_round_trip() {
    for alg in [SigningAlgorithm::Ps256, SigningAlgorithm::Rs256] {
        assert_eq!(alg.to_string().parse::<SigningAlgorithm>().unwrap(), alg);
    }
}
