//! Arguments shared by every command that loads key material, and the password rules:
//! `--password-env VAR`, else `AZURE_CLIENT_CERTIFICATE_PASSWORD`, else a prompt when stdin is
//! a terminal. A password is never accepted as a command-line value.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;
use entra_token::{
    read_certificates, read_material_file, CertificateInfo, ClientCertificate, Error, ErrorKind,
    Secret,
};

/// The environment variable Azure Identity reads the certificate password from.
pub const PASSWORD_ENV: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";

#[derive(Args, Debug, Clone)]
pub struct MaterialArgs {
    /// PFX/PKCS#12 or PEM file (told apart by content, not extension)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Separate PEM private key, when FILE holds only the certificate(s)
    #[arg(long, value_name = "KEYFILE")]
    pub key: Option<PathBuf>,
    /// Name of an environment variable holding the password (default: AZURE_CLIENT_CERTIFICATE_PASSWORD, else a prompt)
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

/// Resolves the password without ever taking it from argv.
pub fn password(password_env: Option<&str>, file: &Path) -> Result<Option<Secret>, Error> {
    if let Some(var) = password_env {
        return match std::env::var(var) {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(std::env::VarError::NotPresent) => Err(Error::new(ErrorKind::Environment {
                variable: var.to_owned(),
                reason:
                    "is not set: export it with the certificate password, or drop --password-env"
                        .to_owned(),
            })),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::new(ErrorKind::Environment {
                variable: var.to_owned(),
                reason: "is not valid UTF-8".to_owned(),
            })),
        };
    }
    if let Ok(value) = std::env::var(PASSWORD_ENV) {
        return Ok(Some(Secret::new(value)));
    }
    Ok(prompt(file))
}

/// Loads the material, prompting for a password only if the file turns out to need one.
pub fn load(args: &MaterialArgs) -> Result<ClientCertificate, Error> {
    let mut password = explicit_password(args)?;
    loop {
        let pw = password.as_ref().map(Secret::secret);
        let result = match &args.key {
            Some(key) => ClientCertificate::from_pem_parts_files(&args.file, key, pw),
            None => ClientCertificate::from_file(&args.file, pw),
        };
        match result {
            Err(e) if *e.kind() == ErrorKind::PasswordRequired && password.is_none() => {
                match prompt(&args.file) {
                    Some(p) => password = Some(p),
                    None => return Err(e),
                }
            }
            other => return other,
        }
    }
}

/// Every certificate in FILE (no key needed), prompting for a password if needed.
pub fn certificates(args: &MaterialArgs) -> Result<Vec<CertificateInfo>, Error> {
    let bytes = read_material_file(&args.file)?;
    let mut password = explicit_password(args)?;
    loop {
        match read_certificates(&bytes, password.as_ref().map(Secret::secret)) {
            Err(e) if *e.kind() == ErrorKind::PasswordRequired && password.is_none() => {
                match prompt(&args.file) {
                    Some(p) => password = Some(p),
                    None => return Err(e.with_path(&args.file)),
                }
            }
            other => return other.map_err(|e| e.with_path(&args.file)),
        }
    }
}

/// The password from `--password-env VAR` or AZURE_CLIENT_CERTIFICATE_PASSWORD; never prompts.
pub fn password_from_env_only(password_env: Option<&str>) -> Result<Option<Secret>, Error> {
    match password_env {
        Some(var) => password(Some(var), Path::new("")),
        None => Ok(std::env::var(PASSWORD_ENV).ok().map(Secret::new)),
    }
}

/// The password from `--password-env` or AZURE_CLIENT_CERTIFICATE_PASSWORD, without prompting.
fn explicit_password(args: &MaterialArgs) -> Result<Option<Secret>, Error> {
    if let Some(var) = &args.password_env {
        return password(Some(var), &args.file);
    }
    Ok(std::env::var(PASSWORD_ENV).ok().map(Secret::new))
}

fn prompt(file: &Path) -> Option<Secret> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    rpassword::prompt_password(format!("password for {}: ", file.display()))
        .ok()
        .map(Secret::new)
}
