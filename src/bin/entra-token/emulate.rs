//! `emulate`: the strict local Entra token endpoint in the foreground, for offline
//! integration tests of daemons (point them at the printed authority host).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use entra_token::emulator::Emulator;
use entra_token::{read_certificates, read_material_file, Error, ErrorKind, Secret};

use crate::material_args;

#[derive(Args, Debug)]
pub struct EmulateArgs {
    /// Certificate(s) whose key may sign assertions (PEM, DER .cer or PFX; the first certificate of each file)
    #[arg(long = "register", value_name = "CERT", required = true, num_args = 1..)]
    pub register: Vec<PathBuf>,
    /// TCP port on 127.0.0.1 (default: any free port)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Tenant the emulator serves
    #[arg(long, default_value = entra_token::emulator::DEFAULT_TENANT)]
    pub tenant: String,
    /// Client (application) ID the emulator accepts
    #[arg(long = "client-id", default_value = entra_token::emulator::DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// Also accept this client secret, read from the named environment variable
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// Password of a PFX given to --register, read from the named environment variable
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Lifetime of issued tokens in seconds
    #[arg(long, default_value_t = 3599)]
    pub token_lifetime: u64,
    /// Suggest a refresh after this many seconds (`refresh_in`)
    #[arg(long)]
    pub refresh_in: Option<u64>,
    /// Serve HTTPS with a generated certificate; its CA is written to this PEM file
    #[arg(long, value_name = "CA_PEM")]
    pub https_ca_out: Option<PathBuf>,
}

/// Runs the emulator until Ctrl-C.
pub async fn run(args: &EmulateArgs) -> Result<(), Error> {
    let mut builder = Emulator::builder()
        .tenant(&args.tenant)
        .client_id(&args.client_id)
        .port(args.port)
        .token_lifetime(Duration::from_secs(args.token_lifetime))
        .refresh_in(args.refresh_in.map(Duration::from_secs))
        .https(args.https_ca_out.is_some());
    for path in &args.register {
        let password = material_args::password_from_env_only(args.password_env.as_deref())?;
        let bytes = read_material_file(path)?;
        let certs = read_certificates(&bytes, password.as_ref().map(Secret::secret))
            .map_err(|e| e.with_path(path))?;
        let first = certs
            .first()
            .ok_or_else(|| Error::new(ErrorKind::NoCertificate).with_path(path))?;
        eprintln!(
            "registered {} (x5t#S256 {})",
            first.subject(),
            first.thumbprints().x5t_s256()
        );
        builder = builder.register_certificate_info(first);
    }
    if let Some(var) = &args.secret_env {
        let secret = std::env::var(var).map_err(|_| {
            Error::new(ErrorKind::Environment {
                variable: var.clone(),
                reason: "is not set: export the client secret the emulator should accept"
                    .to_owned(),
            })
        })?;
        builder = builder.client_secret(&secret);
    }
    let emulator = builder.start().await?;
    if let (Some(path), Some(ca)) = (&args.https_ca_out, emulator.ca_pem()) {
        std::fs::write(path, ca)
            .map_err(|e| Error::new(ErrorKind::Io).with_path(path).with_source(e))?;
        eprintln!("CA certificate written to {}", path.display());
    }
    println!("{}", emulator.authority_host());
    eprintln!("token endpoint: {}", emulator.token_endpoint());
    eprintln!("tenant:         {}", emulator.tenant());
    eprintln!("client id:      {}", emulator.client_id());
    eprintln!(
        "try: AZURE_AUTHORITY_HOST={} entra-token token --tenant {} --client-id {} --cert CERT --scope api://demo/.default",
        emulator.authority_host(),
        emulator.tenant(),
        emulator.client_id()
    );
    eprintln!("press Ctrl-C to stop");
    let _ = tokio::signal::ctrl_c().await;
    let counters = emulator.counters();
    eprintln!(
        "served {} request(s), issued {} token(s)",
        counters.total, counters.issued
    );
    emulator.shutdown();
    Ok(())
}
