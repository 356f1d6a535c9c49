//! `convert`: PFX to PEM files and PEM to a PFX with modern encryption, chain included: what
//! `openssl pkcs12` and online "SSL converters" are used for today.
//!
//! Wiring in `main.rs` (with `mod convert; mod new_cert;`):
//!
//! ```ignore
//! enum Command {
//!     /// Convert PFX to PEM (NAME.crt.pem + NAME.key.pem) or PEM to PFX (NAME.pfx), chain included
//!     Convert(convert::ConvertArgs),
//!     /// Create a self-signed certificate for an app registration: NAME.pfx and NAME.cer
//!     NewCert(new_cert::NewCertArgs),
//! }
//! // in main():
//! Command::Convert(args) => convert::run(args),
//! Command::NewCert(args) => new_cert::run(args),
//! ```
//!
//! Output passwords follow the input rules: never from argv, only from an environment
//! variable named on the command line or from a prompt (asked twice).

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use entra_token::{export_pem, export_pfx, ClientCertificate, Error, ErrorKind, Secret};

use crate::material_args::{self, MaterialArgs};

/// `entra-token convert FILE [--key KEYFILE] [--password-env VAR] --to pem|pfx [--out NAME]
/// [--out-password-env VAR | --no-encrypt] [--force]`
#[derive(Args, Debug)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub material: MaterialArgs,
    /// Output format: pem writes NAME.crt.pem (chain) and NAME.key.pem; pfx writes NAME.pfx
    #[arg(long, value_enum)]
    pub to: Target,
    /// Output name without extension (default: FILE without its extension)
    #[arg(long, value_name = "NAME")]
    pub out: Option<PathBuf>,
    /// Name of an environment variable holding the output password (default: a prompt, asked twice)
    #[arg(long, value_name = "VAR", conflicts_with = "no_encrypt")]
    pub out_password_env: Option<String>,
    /// Write the key unencrypted (pem) or the PFX with the empty password (pfx), as Key Vault does
    #[arg(long)]
    pub no_encrypt: bool,
    /// Overwrite existing output files
    #[arg(long)]
    pub force: bool,
}

/// The format `convert` writes.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// NAME.crt.pem (leaf first, then the chain) and NAME.key.pem (PKCS#8)
    Pem,
    /// NAME.pfx (PBES2/AES-256-CBC, HMAC-SHA256 MAC)
    Pfx,
}

/// Runs `convert`: loads the input, asks for the output password, writes the files, and
/// prints their paths and the leaf's thumbprints.
pub fn run(args: &ConvertArgs) -> Result<(), Error> {
    let cert = material_args::load(&args.material)?;
    let name = match &args.out {
        Some(name) => name.clone(),
        None => default_name(&args.material.file),
    };
    let outputs = match args.to {
        Target::Pem => vec![
            with_suffix(&name, ".crt.pem"),
            with_suffix(&name, ".key.pem"),
        ],
        Target::Pfx => vec![with_suffix(&name, ".pfx")],
    };
    let inputs = [Some(&args.material.file), args.material.key.as_ref()];
    for output in &outputs {
        if inputs
            .iter()
            .flatten()
            .any(|input| same_file(input, output))
        {
            return Err(config(format!(
                "{} is the input file: choose another --out",
                output.display()
            )));
        }
    }
    check_free(&outputs, args.force)?;
    let password = output_password(
        args.out_password_env.as_deref(),
        args.no_encrypt,
        "--out-password-env",
        &outputs[outputs.len() - 1],
    )?;
    let pw = password.as_ref().map(Secret::secret);
    match args.to {
        Target::Pem => {
            let pem = export_pem(&cert, pw)?;
            write_file(
                &outputs[0],
                pem.certificates().as_bytes(),
                false,
                args.force,
            )?;
            if let Err(e) = write_file(
                &outputs[1],
                pem.private_key().secret().as_bytes(),
                true,
                args.force,
            ) {
                let _ = std::fs::remove_file(&outputs[0]);
                return Err(e);
            }
            println!(
                "wrote {} (certificate + {} chain certificate(s))",
                outputs[0].display(),
                cert.chain().len()
            );
            let how = if pem.is_encrypted() {
                "encrypted PKCS#8: PBES2, AES-256-CBC"
            } else {
                "UNENCRYPTED PKCS#8"
            };
            println!("wrote {} (private key, {how})", outputs[1].display());
        }
        Target::Pfx => {
            let pfx = export_pfx(&cert, pw)?;
            write_file(&outputs[0], &pfx, true, args.force)?;
            let how = if pw.is_some() {
                "PBES2/AES-256-CBC, HMAC-SHA256"
            } else {
                "EMPTY password"
            };
            println!(
                "wrote {} (certificate + {} chain certificate(s) and private key, {how})",
                outputs[0].display(),
                cert.chain().len()
            );
        }
    }
    if password.is_none() {
        eprintln!("warning: the private key is not protected by a password: keep the file readable only by the account that uses it");
    }
    print_thumbprints(&cert);
    Ok(())
}

/// The leaf's three thumbprints, in the `thumbprint` command's format.
pub(crate) fn print_thumbprints(cert: &ClientCertificate) {
    println!("sha1: {}", cert.sha1_hex());
    println!("x5t: {}", cert.x5t());
    println!("x5t#S256: {}", cert.x5t_s256());
}

/// `app.pfx` → `app`, `app.crt.pem` → `app`: FILE without its key-material extensions.
fn default_name(file: &Path) -> PathBuf {
    let mut name = file.to_path_buf();
    for _ in 0..2 {
        let known = name.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["pem", "pfx", "p12", "crt", "cer", "key"].contains(&e.to_ascii_lowercase().as_str())
        });
        if known {
            name.set_extension("");
        }
    }
    name
}

/// `NAME` + suffix, keeping any dots already in NAME (`contoso.app` → `contoso.app.pfx`).
pub(crate) fn with_suffix(name: &Path, suffix: &str) -> PathBuf {
    let mut s = OsString::from(name.as_os_str());
    s.push(suffix);
    PathBuf::from(s)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn config(reason: String) -> Error {
    Error::new(ErrorKind::InvalidConfiguration { reason })
}

/// Refuses, before any prompt or work, to overwrite an existing file without `--force`.
pub(crate) fn check_free(paths: &[PathBuf], force: bool) -> Result<(), Error> {
    match paths.iter().find(|p| p.exists()) {
        Some(p) if !force => Err(exists(p)),
        _ => Ok(()),
    }
}

fn exists(path: &Path) -> Error {
    config(format!(
        "{} exists: pass --force to overwrite it, or choose another --out",
        path.display()
    ))
}

/// The password for a file we write: from the environment variable named by `flag`, or a
/// prompt asked twice. `None` only with `no_encrypt`. Never from argv; never empty.
pub(crate) fn output_password(
    var: Option<&str>,
    no_encrypt: bool,
    flag: &str,
    file: &Path,
) -> Result<Option<Secret>, Error> {
    if no_encrypt {
        return Ok(None);
    }
    let empty = || {
        config(format!("an empty password protects nothing: give one, or pass --no-encrypt if {} may be unprotected", file.display()))
    };
    if let Some(var) = var {
        let value = std::env::var(var).map_err(|e| {
            let reason = match e {
                std::env::VarError::NotPresent => format!(
                    "is not set: export it with the password for {}, or drop {flag} to be prompted",
                    file.display()
                ),
                std::env::VarError::NotUnicode(_) => "is not valid UTF-8".to_owned(),
            };
            Error::new(ErrorKind::Environment {
                variable: var.to_owned(),
                reason,
            })
        })?;
        return if value.is_empty() {
            Err(empty())
        } else {
            Ok(Some(Secret::new(value)))
        };
    }
    if !std::io::stdin().is_terminal() {
        return Err(config(format!(
            "no password for {}: set {flag} VAR, or run in a terminal to be prompted",
            file.display()
        )));
    }
    let prompt = |text: String| {
        rpassword::prompt_password(text)
            .map(Secret::new)
            .map_err(|e| config(format!("cannot read the password ({e})")))
    };
    let first = prompt(format!("new password for {}: ", file.display()))?;
    if first.secret().is_empty() {
        return Err(empty());
    }
    let second = prompt("repeat it: ".to_owned())?;
    if first != second {
        return Err(config(
            "the two passwords differ: nothing was written".to_owned(),
        ));
    }
    Ok(Some(first))
}

/// Creates `path` (replacing it only with `force`) and writes `bytes`. Files holding a key
/// are created, or set before writing, with mode 0600 on Unix.
pub(crate) fn write_file(
    path: &Path,
    bytes: &[u8],
    holds_key: bool,
    force: bool,
) -> Result<(), Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    if holds_key {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let cannot = |e: std::io::Error| config(format!("cannot write {} ({e})", path.display()));
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => exists(path),
        _ => cannot(e),
    })?;
    #[cfg(unix)]
    if holds_key {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(cannot)?;
    }
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(cannot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name_drops_key_material_extensions_only() {
        assert_eq!(default_name(Path::new("k/app.pfx")), PathBuf::from("k/app"));
        assert_eq!(default_name(Path::new("app.crt.pem")), PathBuf::from("app"));
        assert_eq!(
            default_name(Path::new("contoso.app.P12")),
            PathBuf::from("contoso.app")
        );
        assert_eq!(default_name(Path::new("bundle")), PathBuf::from("bundle"));
        assert_eq!(
            with_suffix(Path::new("contoso.app"), ".pfx"),
            PathBuf::from("contoso.app.pfx")
        );
    }
}
