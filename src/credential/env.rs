//! Configuration from the environment, with Azure Identity's variable names, so a daemon
//! deployed with `EnvironmentCredential` settings works unchanged. The parsing is a pure
//! function of a variable lookup; only [`Credential::from_env`] and friends read the process
//! environment.

use std::ffi::OsString;
use std::path::PathBuf;

use super::{Credential, CredentialBuilder};
use crate::authority::AuthorityHost;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;

/// The tenant: a GUID or a verified domain.
pub const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
/// The application (client) ID.
pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// Path of the PFX or PEM file (certificate and private key).
pub const AZURE_CLIENT_CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
/// Password of that file, if it has one.
pub const AZURE_CLIENT_CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";
/// `true`/`1` to send the certificate chain (`x5c`) for subject-name/issuer authentication.
pub const AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: &str = "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN";
/// The client secret, for [`Credential::secret_from_env`].
pub const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";

fn env_error(variable: &str, reason: impl Into<String>) -> Error {
    Error::new(ErrorKind::Environment {
        variable: variable.to_owned(),
        reason: reason.into(),
    })
}

/// A variable's value: `None` when unset or empty (after trimming); an error when not Unicode.
fn text(lookup: &impl Fn(&str) -> Option<OsString>, variable: &str) -> Result<Option<String>> {
    match lookup(variable) {
        None => Ok(None),
        Some(value) => {
            let value = value
                .into_string()
                .map_err(|_| env_error(variable, "is not valid Unicode"))?;
            let trimmed = value.trim();
            Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
        }
    }
}

fn required(
    lookup: &impl Fn(&str) -> Option<OsString>,
    variable: &str,
    what: &str,
) -> Result<String> {
    text(lookup, variable)?
        .ok_or_else(|| env_error(variable, format!("is not set: set it to {what}")))
}

/// A boolean the way Azure Identity reads it: `true`/`1` (any case) or `false`/`0`.
fn flag(lookup: &impl Fn(&str) -> Option<OsString>, variable: &str) -> Result<bool> {
    match text(lookup, variable)?.as_deref() {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => Ok(false),
        Some(v) => Err(env_error(
            variable,
            format!("is {v:?}: set it to true, false, 1 or 0"),
        )),
    }
}

/// The password: not trimmed (a password may end in a space), `None` when unset or empty.
fn password(lookup: &impl Fn(&str) -> Option<OsString>) -> Result<Option<Secret>> {
    match lookup(AZURE_CLIENT_CERTIFICATE_PASSWORD) {
        None => Ok(None),
        Some(value) => {
            let value = value.into_string().map_err(|_| {
                env_error(AZURE_CLIENT_CERTIFICATE_PASSWORD, "is not valid Unicode")
            })?;
            Ok((!value.is_empty()).then(|| Secret::new(value)))
        }
    }
}

fn authority(lookup: &impl Fn(&str) -> Option<OsString>) -> Result<AuthorityHost> {
    let value = text(lookup, crate::authority::AZURE_AUTHORITY_HOST)?;
    AuthorityHost::from_env_value(value.as_deref())
}

/// The certificate form, from any variable lookup.
pub(crate) fn certificate_builder(
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Result<CredentialBuilder> {
    let tenant = required(&lookup, AZURE_TENANT_ID, "the directory (tenant) ID")?;
    let client = required(&lookup, AZURE_CLIENT_ID, "the application (client) ID")?;
    let path = required(
        &lookup,
        AZURE_CLIENT_CERTIFICATE_PATH,
        "the path of the PFX or PEM file",
    )?;
    let send_chain = flag(&lookup, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN)?;
    let host = authority(&lookup)?;
    let builder =
        Credential::builder_from_file(tenant, client, PathBuf::from(path), password(&lookup)?)?;
    Ok(builder
        .authority_host(host)
        .send_certificate_chain(send_chain))
}

/// The secret form, from any variable lookup.
pub(crate) fn secret_builder(
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Result<CredentialBuilder> {
    let tenant = required(&lookup, AZURE_TENANT_ID, "the directory (tenant) ID")?;
    let client = required(&lookup, AZURE_CLIENT_ID, "the application (client) ID")?;
    let secret = match lookup(AZURE_CLIENT_SECRET) {
        Some(v) if !v.is_empty() => Secret::new(
            v.into_string()
                .map_err(|_| env_error(AZURE_CLIENT_SECRET, "is not valid Unicode"))?,
        ),
        _ => {
            return Err(env_error(
                AZURE_CLIENT_SECRET,
                "is not set: set it to the client secret's value (not its ID)",
            ))
        }
    };
    let host = authority(&lookup)?;
    Ok(Credential::secret_builder(tenant, client, secret).authority_host(host))
}

impl Credential {
    /// A certificate credential configured from Azure Identity's variables:
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_CERTIFICATE_PATH` (required),
    /// `AZURE_CLIENT_CERTIFICATE_PASSWORD`, `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN` (`true`/`1`)
    /// and `AZURE_AUTHORITY_HOST` (optional). The file is watched and reloaded when it
    /// changes, as with [`Credential::builder_from_file`].
    ///
    /// # Errors
    /// [`ErrorKind::Environment`] naming the variable that is missing or malformed, or the
    /// certificate file's own error.
    ///
    /// ```no_run
    /// # async fn run() -> entra_token::Result<()> {
    /// let credential = entra_token::Credential::from_env()?;
    /// let token = credential.get_token("https://graph.microsoft.com/.default").await?;
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Credential> {
        Self::builder_from_env()?.build()
    }

    /// [`from_env`](Self::from_env), returning the builder for further settings.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn builder_from_env() -> Result<CredentialBuilder> {
        certificate_builder(|name| std::env::var_os(name))
    }

    /// A client-secret credential from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
    /// `AZURE_CLIENT_SECRET` (required) and `AZURE_AUTHORITY_HOST` (optional).
    ///
    /// # Errors
    /// [`ErrorKind::Environment`] naming the variable that is missing or malformed.
    pub fn secret_from_env() -> Result<Credential> {
        Self::secret_builder_from_env()?.build()
    }

    /// [`secret_from_env`](Self::secret_from_env), returning the builder.
    ///
    /// # Errors
    /// As [`secret_from_env`](Self::secret_from_env).
    pub fn secret_builder_from_env() -> Result<CredentialBuilder> {
        secret_builder(|name| std::env::var_os(name))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/exchange/app.pem");

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn variable_of(e: Error) -> String {
        match e.kind() {
            ErrorKind::Environment { variable, .. } => variable.clone(),
            other => panic!("expected an environment error, got {other:?}"),
        }
    }

    const BASE: [(&str, &str); 3] = [
        (AZURE_TENANT_ID, "contoso.onmicrosoft.com"),
        (AZURE_CLIENT_ID, "00000000-0000-0000-0000-000000000001"),
        (AZURE_CLIENT_CERTIFICATE_PATH, APP),
    ];

    #[test]
    fn certificate_form_reads_every_variable() {
        let mut all = BASE.to_vec();
        all.push((AZURE_CLIENT_SEND_CERTIFICATE_CHAIN, "TRUE"));
        all.push(("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us"));
        let credential = certificate_builder(vars(&all)).unwrap().build().unwrap();
        assert_eq!(
            credential.token_endpoint(),
            "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            credential.client_id(),
            "00000000-0000-0000-0000-000000000001"
        );
        assert!(credential.certificate().is_some());
        match &credential.inner.current.load().auth {
            crate::exchange::ClientAuth::Certificate { options, .. } => assert!(options.send_x5c),
            crate::exchange::ClientAuth::Secret(_) => panic!("a certificate credential"),
        }
        assert!(matches!(
            credential.inner.source,
            super::super::Source::File(_)
        ));
    }

    #[test]
    fn each_missing_or_malformed_variable_is_named() {
        for missing in [
            AZURE_TENANT_ID,
            AZURE_CLIENT_ID,
            AZURE_CLIENT_CERTIFICATE_PATH,
        ] {
            let without: Vec<_> = BASE
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            let e = certificate_builder(vars(&without)).err().unwrap();
            assert!(e.to_string().contains("is not set"), "{e}");
            assert_eq!(variable_of(e), missing);
        }
        let mut bad = BASE.to_vec();
        bad.push((AZURE_CLIENT_SEND_CERTIFICATE_CHAIN, "yes please"));
        let e = certificate_builder(vars(&bad)).err().unwrap();
        assert_eq!(variable_of(e), AZURE_CLIENT_SEND_CERTIFICATE_CHAIN);
        let mut bad = BASE.to_vec();
        bad.push(("AZURE_AUTHORITY_HOST", "ftp://login.example"));
        let e = certificate_builder(vars(&bad)).err().unwrap();
        assert_eq!(variable_of(e), "AZURE_AUTHORITY_HOST");
    }

    #[test]
    fn a_wrong_file_is_the_files_error() {
        let mut wrong = BASE.to_vec();
        wrong[2] = (AZURE_CLIENT_CERTIFICATE_PATH, "/nonexistent/cert.pfx");
        let e = certificate_builder(vars(&wrong)).err().unwrap();
        assert!(matches!(e.kind(), ErrorKind::Io));
        assert!(e.to_string().contains("/nonexistent/cert.pfx"), "{e}");
    }

    #[test]
    fn secret_form_needs_the_secret_and_never_shows_it() {
        let e = secret_builder(vars(&BASE[..2])).err().unwrap();
        assert_eq!(variable_of(e), AZURE_CLIENT_SECRET);
        let mut with = BASE[..2].to_vec();
        with.push((AZURE_CLIENT_SECRET, "s3cr3t-value"));
        let credential = secret_builder(vars(&with)).unwrap().build().unwrap();
        assert!(credential.certificate().is_none());
        assert!(!format!("{credential:?}").contains("s3cr3t-value"));
    }
}
