//! Arguments of `assertion` and `token`, with Azure Identity's environment variables as
//! defaults: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH,
//! AZURE_CLIENT_CERTIFICATE_PASSWORD, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN, AZURE_CLIENT_SECRET
//! and AZURE_AUTHORITY_HOST.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use entra_token::{AuthorityHost, ClientCertificate, Error, ErrorKind, SigningAlgorithm};

use crate::material_args::{self, MaterialArgs};

#[derive(Args, Debug)]
pub struct CredentialArgs {
    /// Tenant ID (GUID) or verified domain [env: AZURE_TENANT_ID]
    #[arg(long, env = "AZURE_TENANT_ID", hide_env = true)]
    pub tenant: String,
    /// Application (client) ID [env: AZURE_CLIENT_ID]
    #[arg(long = "client-id", env = "AZURE_CLIENT_ID", hide_env = true)]
    pub client_id: String,
    /// PFX or PEM file with the certificate (and key) [env: AZURE_CLIENT_CERTIFICATE_PATH]
    #[arg(
        long,
        value_name = "FILE",
        env = "AZURE_CLIENT_CERTIFICATE_PATH",
        hide_env = true
    )]
    pub cert: Option<PathBuf>,
    /// Separate PEM private key for --cert
    #[arg(long, value_name = "KEYFILE")]
    pub key: Option<PathBuf>,
    /// Environment variable holding the certificate password (default AZURE_CLIENT_CERTIFICATE_PASSWORD)
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Authority host, e.g. https://login.microsoftonline.us [env: AZURE_AUTHORITY_HOST]
    #[arg(long, value_name = "URL", conflicts_with = "token_endpoint")]
    pub authority_host: Option<String>,
    /// Full token endpoint (ADFS or another RFC 7523 server); it becomes the assertion's aud
    #[arg(long, value_name = "URL")]
    pub token_endpoint: Option<String>,
    /// Signature algorithm (default PS256 with x5t#S256; RS256 sends x5t; RS256 with --token-endpoint)
    #[arg(long, value_enum)]
    pub alg: Option<Alg>,
    /// Send the certificate chain in x5c (subject name/issuer trust) [env: AZURE_CLIENT_SEND_CERTIFICATE_CHAIN]
    #[arg(long)]
    pub send_x5c: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum Alg {
    /// RSASSA-PSS with SHA-256, header x5t#S256 (Microsoft's current documentation)
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, header x5t (older form; ADFS)
    Rs256,
}

impl From<Alg> for SigningAlgorithm {
    fn from(alg: Alg) -> Self {
        match alg {
            Alg::Ps256 => SigningAlgorithm::Ps256,
            Alg::Rs256 => SigningAlgorithm::Rs256,
        }
    }
}

impl CredentialArgs {
    /// The certificate from --cert / AZURE_CLIENT_CERTIFICATE_PATH.
    pub fn certificate(&self) -> Result<Option<ClientCertificate>, Error> {
        let Some(file) = &self.cert else {
            return Ok(None);
        };
        material_args::load(&MaterialArgs {
            file: file.clone(),
            key: self.key.clone(),
            password_env: self.password_env.clone(),
        })
        .map(Some)
    }

    /// --authority-host, else AZURE_AUTHORITY_HOST, else the public cloud.
    pub fn authority_host(&self) -> Result<AuthorityHost, Error> {
        match &self.authority_host {
            Some(host) => Ok(AuthorityHost::from(host.as_str())),
            None => AuthorityHost::from_env(),
        }
    }

    /// --send-x5c or AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=1/true.
    pub fn send_x5c(&self) -> Result<bool, Error> {
        if self.send_x5c {
            return Ok(true);
        }
        match std::env::var("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN") {
            Err(_) => Ok(false),
            Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => Ok(true),
                "" | "0" | "false" | "no" => Ok(false),
                _ => Err(Error::new(ErrorKind::Environment {
                    variable: "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN".to_owned(),
                    reason: format!("is {v:?}: use 1/true or 0/false"),
                })),
            },
        }
    }
}
