//! `thumbprint` and `inspect`: what PowerShell's Get-PfxCertificate and `openssl x509 -noout
//! -fingerprint` are used for today, without converting anything.

use std::time::SystemTime;

use entra_token::{CertificateInfo, ClientCertificate, Error, ErrorKind};
use serde_json::json;

use crate::material_args::{self, MaterialArgs};

/// Prints the leaf's three thumbprints. Works on a certificate alone (a `.cer`), since a
/// thumbprint needs no key; with a key present, the leaf is the certificate matching it.
pub fn thumbprint(args: &MaterialArgs) -> Result<(), Error> {
    let leaf = match material_args::load(args) {
        Ok(cert) => cert.certificate().clone(),
        Err(e) if needs_only_certificate(&e) => first_certificate(args)?,
        Err(e) => return Err(e),
    };
    let t = leaf.thumbprints();
    println!("sha1: {}", t.sha1_hex());
    println!("x5t: {}", t.x5t());
    println!("x5t#S256: {}", t.x5t_s256());
    Ok(())
}

fn needs_only_certificate(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::NoPrivateKey)
}

fn first_certificate(args: &MaterialArgs) -> Result<CertificateInfo, Error> {
    material_args::certificates(args)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::new(ErrorKind::NoCertificate).with_path(&args.file))
}

/// What `inspect` found: the leaf and chain, and whether a key that matches it was present.
struct Report {
    leaf: CertificateInfo,
    chain: Vec<CertificateInfo>,
    key: KeyStatus,
}

enum KeyStatus {
    Matches { bits: usize },
    Problem(Error),
}

/// Prints subject, issuer, serial, validity, key, chain and thumbprints. When the key is
/// missing or does not match, the report is still printed and the problem is returned.
pub fn inspect(args: &MaterialArgs, as_json: bool) -> Result<(), Error> {
    let report = match material_args::load(args) {
        Ok(cert) => report_of(&cert),
        Err(e) if is_key_problem(&e) => {
            let mut certs = material_args::certificates(args)?.into_iter();
            let leaf = certs
                .next()
                .ok_or_else(|| Error::new(ErrorKind::NoCertificate))?;
            Report {
                leaf,
                chain: certs.collect(),
                key: KeyStatus::Problem(e),
            }
        }
        Err(e) => return Err(e),
    };
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&report)).unwrap_or_default()
        );
    } else {
        print_text(&report);
    }
    match report.key {
        KeyStatus::Matches { .. } => Ok(()),
        KeyStatus::Problem(e) => Err(e),
    }
}

fn is_key_problem(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::NoPrivateKey
            | ErrorKind::KeyCertificateMismatch
            | ErrorKind::UnsupportedKeyType { .. }
            | ErrorKind::UnsupportedKeySize { .. }
    )
}

fn report_of(cert: &ClientCertificate) -> Report {
    Report {
        leaf: cert.certificate().clone(),
        chain: cert.chain().to_vec(),
        key: KeyStatus::Matches {
            bits: cert.key_bits(),
        },
    }
}

fn validity(cert: &CertificateInfo) -> &'static str {
    let now = SystemTime::now();
    if now < cert.not_before() {
        "NOT YET VALID"
    } else if now > cert.not_after() {
        "EXPIRED"
    } else {
        "valid"
    }
}

fn key_line(cert: &CertificateInfo) -> String {
    match cert.key_bits() {
        Some(bits) => format!("{} {bits} bits", cert.key_algorithm()),
        None => cert.key_algorithm().to_owned(),
    }
}

fn print_text(r: &Report) {
    let c = &r.leaf;
    println!("subject:      {}", c.subject());
    println!("issuer:       {}", c.issuer());
    println!("serial:       {}", c.serial_hex());
    println!("not before:   {}", c.not_before_rfc3339());
    println!("not after:    {}", c.not_after_rfc3339());
    println!("validity:     {}", validity(c));
    println!("key:          {}", key_line(c));
    match &r.key {
        KeyStatus::Matches { bits } => {
            println!("private key:  present, matches the certificate (RSA {bits} bits)")
        }
        KeyStatus::Problem(e) => println!("private key:  {}", key_problem_summary(e)),
    }
    println!("chain:        {} more certificate(s)", r.chain.len());
    for (i, cert) in r.chain.iter().enumerate() {
        println!("  {}. {}", i + 1, cert.subject());
    }
    let t = c.thumbprints();
    println!("sha1:         {}", t.sha1_hex());
    println!("x5t:          {}", t.x5t());
    println!("x5t#S256:     {}", t.x5t_s256());
}

fn key_problem_summary(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::NoPrivateKey => "none in this file (pass --key KEYFILE)",
        ErrorKind::KeyCertificateMismatch => "present, DOES NOT MATCH the certificate",
        ErrorKind::UnsupportedKeySize { .. } => "present, unsupported RSA size",
        _ => "present, unsupported key type",
    }
}

fn to_json(r: &Report) -> serde_json::Value {
    let c = &r.leaf;
    let t = c.thumbprints();
    let (present, matches) = match &r.key {
        KeyStatus::Matches { .. } => (true, true),
        KeyStatus::Problem(e) => (!matches!(e.kind(), ErrorKind::NoPrivateKey), false),
    };
    json!({
        "subject": c.subject(),
        "issuer": c.issuer(),
        "serial": c.serial_hex(),
        "not_before": c.not_before_rfc3339(),
        "not_after": c.not_after_rfc3339(),
        "validity": validity(c),
        "expired": SystemTime::now() > c.not_after(),
        "not_yet_valid": SystemTime::now() < c.not_before(),
        "key_algorithm": c.key_algorithm(),
        "key_bits": c.key_bits(),
        "private_key_present": present,
        "key_matches_certificate": matches,
        "chain": r.chain.iter().map(|c| json!({"subject": c.subject(), "issuer": c.issuer(), "sha1": c.thumbprints().sha1_hex()})).collect::<Vec<_>>(),
        "chain_length": r.chain.len(),
        "sha1": t.sha1_hex(),
        "x5t": t.x5t(),
        "x5t#S256": t.x5t_s256(),
    })
}
