//! `assertion` and `token`: the signed client assertion, and an access token for a scope.

use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use clap::Args;
use entra_token::{
    client_assertion, AssertionOptions, Credential, CredentialBuilder, Error, ErrorKind, Secret,
    SigningAlgorithm, ThumbprintHeader,
};

use crate::credential_args::CredentialArgs;

#[derive(Args, Debug)]
pub struct AssertionArgs {
    #[command(flatten)]
    pub credential: CredentialArgs,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(flatten)]
    pub credential: CredentialArgs,
    /// The scope: {resource}/.default, e.g. https://graph.microsoft.com/.default
    #[arg(long)]
    pub scope: String,
    /// Use a client secret read from this environment variable instead of --cert [default when no certificate is given: AZURE_CLIENT_SECRET]
    #[arg(long, value_name = "VAR", conflicts_with = "cert")]
    pub secret_env: Option<String>,
    /// Trust this extra CA (PEM) for the token endpoint's TLS, e.g. the emulator's
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Print {"access_token","token_type","expires_on"} (expires_on in Unix seconds)
    #[arg(long)]
    pub json: bool,
}

/// Prints a freshly signed assertion for the configured endpoint.
pub fn assertion(args: &AssertionArgs) -> Result<(), Error> {
    let c = &args.credential;
    let certificate = c.certificate()?.ok_or_else(|| {
        Error::new(ErrorKind::InvalidConfiguration {
            reason: "an assertion needs a certificate: pass --cert FILE or set AZURE_CLIENT_CERTIFICATE_PATH".to_owned(),
        })
    })?;
    // Build (without contacting anything) a credential to validate tenant, host and endpoint
    // exactly as `token` would, and take its endpoint as the audience.
    let credential = configure(
        Credential::builder(&c.tenant, &c.client_id, certificate.clone()),
        c,
    )?
    .build()?;
    let algorithm = match (c.alg, &c.token_endpoint) {
        (Some(alg), _) => alg.into(),
        (None, Some(_)) => SigningAlgorithm::Rs256,
        (None, None) => SigningAlgorithm::Ps256,
    };
    let options = AssertionOptions::new()
        .algorithm(algorithm)
        .thumbprint_header(ThumbprintHeader::Auto)
        .send_certificate_chain(c.send_x5c()?);
    let jwt = client_assertion(
        &certificate,
        &c.client_id,
        credential.token_endpoint(),
        &options,
    )?;
    println!("{}", jwt.secret());
    Ok(())
}

/// Gets a token and prints it (only the token, or JSON).
pub async fn token(args: &TokenArgs) -> Result<(), Error> {
    let c = &args.credential;
    let builder = match c.certificate()? {
        Some(certificate) => Credential::builder(&c.tenant, &c.client_id, certificate),
        None => Credential::secret_builder(
            &c.tenant,
            &c.client_id,
            client_secret(args.secret_env.as_deref())?,
        ),
    };
    let mut builder = configure(builder, c)?;
    if let Some(ca) = &args.ca_file {
        let pem = std::fs::read(ca)
            .map_err(|e| Error::new(ErrorKind::Io).with_path(ca).with_source(e))?;
        builder = builder.add_root_certificate_pem(&pem);
    }
    let credential = builder.build()?;
    let token = credential.get_token(&args.scope).await?;
    if args.json {
        let expires_on = token
            .expires_at()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let body = serde_json::json!({
            "access_token": token.secret(),
            "token_type": token.token_type(),
            "expires_on": expires_on,
        });
        println!("{body}");
    } else {
        println!("{}", token.secret());
    }
    Ok(())
}

fn configure(builder: CredentialBuilder, c: &CredentialArgs) -> Result<CredentialBuilder, Error> {
    let mut builder = builder.send_certificate_chain(c.send_x5c()?);
    builder = match &c.token_endpoint {
        Some(url) => builder.token_endpoint(url.clone()),
        None => builder.authority_host(c.authority_host()?),
    };
    if let Some(alg) = c.alg {
        builder = builder.algorithm(alg.into());
    }
    Ok(builder)
}

fn client_secret(secret_env: Option<&str>) -> Result<Secret, Error> {
    let var = secret_env.unwrap_or("AZURE_CLIENT_SECRET");
    std::env::var(var).map(Secret::new).map_err(|_| {
        Error::new(ErrorKind::Environment {
            variable: var.to_owned(),
            reason: "is not set: pass --cert FILE (or AZURE_CLIENT_CERTIFICATE_PATH) for a certificate credential, or export the client secret".to_owned(),
        })
    })
}
