//! `new-cert`: a self-signed certificate for an app registration, written as NAME.pfx (the
//! credential) and NAME.cer (the public part to upload): what `New-SelfSignedCertificate`
//! plus `Export-PfxCertificate`, or `openssl req -x509` plus `openssl pkcs12`, are used for.
//! See `convert.rs` for how `main.rs` wires it.

use std::path::PathBuf;

use clap::Args;
use entra_token::{export_pfx, new_self_signed, Error, Secret, MAX_CERT_DAYS};

use crate::convert::{check_free, output_password, print_thumbprints, with_suffix, write_file};

/// The step that gets a token with the new certificate, printed last.
const TOKEN_STEP: &str = "AZURE_TENANT_ID=<tenant> AZURE_CLIENT_ID=<app id> entra-token token";

/// `entra-token new-cert --subject "CN=…" [--days N] [--key-bits 2048|3072|4096] --out NAME
/// [--password-env VAR] [--force]`
#[derive(Args, Debug)]
pub struct NewCertArgs {
    /// Subject, e.g. "CN=nightly-export,O=Contoso,C=US" (CN required; also O, OU, C, ST, L)
    #[arg(long)]
    pub subject: String,
    /// Days of validity, 1 to 3650
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_CERT_DAYS)))]
    pub days: u32,
    /// RSA key size: 2048, 3072 or 4096
    #[arg(long, default_value_t = 2048, value_parser = parse_key_bits)]
    pub key_bits: usize,
    /// Output name: writes NAME.pfx and NAME.cer
    #[arg(long, value_name = "NAME")]
    pub out: PathBuf,
    /// Name of an environment variable holding the PFX password (default: a prompt, asked twice)
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Overwrite existing output files
    #[arg(long)]
    pub force: bool,
}

fn parse_key_bits(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(bits @ (2048 | 3072 | 4096)) => Ok(bits),
        _ => Err("must be 2048, 3072 or 4096".to_owned()),
    }
}

/// Runs `new-cert`: asks for the password first (key generation takes a while), generates the
/// key and certificate, writes NAME.pfx (mode 0600) and NAME.cer, and prints the thumbprints
/// and what to do next.
pub fn run(args: &NewCertArgs) -> Result<(), Error> {
    let pfx_path = with_suffix(&args.out, ".pfx");
    let cer_path = with_suffix(&args.out, ".cer");
    check_free(&[pfx_path.clone(), cer_path.clone()], args.force)?;
    let password = output_password(
        args.password_env.as_deref(),
        false,
        "--password-env",
        &pfx_path,
    )?;
    eprintln!("generating a {}-bit RSA key...", args.key_bits);
    let cert = new_self_signed(&args.subject, args.days, args.key_bits)?;
    let pfx = export_pfx(&cert, password.as_ref().map(Secret::secret))?;
    write_file(&pfx_path, &pfx, true, args.force)?;
    if let Err(e) = write_file(&cer_path, cert.certificate().der(), false, args.force) {
        let _ = std::fs::remove_file(&pfx_path);
        return Err(e);
    }
    let t = cert.certificate();
    println!(
        "wrote {} (certificate and private key: the credential, keep it secret)",
        pfx_path.display()
    );
    println!(
        "wrote {} (certificate only, DER: upload this one)",
        cer_path.display()
    );
    println!("subject: {}", cert.subject());
    println!(
        "valid: {} to {}",
        t.not_before_rfc3339(),
        t.not_after_rfc3339()
    );
    print_thumbprints(&cert);
    println!();
    println!("next steps:");
    println!(
        "  1. Azure portal > App registrations > your app > Certificates & secrets > Certificates >\n     \
         Upload certificate: choose {}. The portal then lists the sha1 thumbprint above.",
        cer_path.display()
    );
    println!(
        "  2. API permissions > Add a permission > the API > Application permissions, then\n     \
         \"Grant admin consent\" (an administrator must do this)."
    );
    println!(
        "  3. Request the resource's .default scope, e.g. https://graph.microsoft.com/.default"
    );
    println!(
        "  4. Get a token: {TOKEN_STEP} {} --scope https://graph.microsoft.com/.default",
        pfx_path.display()
    );
    Ok(())
}
