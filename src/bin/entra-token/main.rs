//! `entra-token`: thumbprints, inspection, assertions and tokens for the people who hold the
//! keys. Arguments in, library calls out, logs on stderr, and one clear paragraph on failure.

mod convert;
mod credential_args;
mod demo;
mod emulate;
mod inspect;
mod material_args;
mod new_cert;
mod token_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::material_args::MaterialArgs;

#[derive(Parser, Debug)]
#[command(
    name = "entra-token",
    version,
    about = "Certificate credentials for Microsoft Entra ID, without OpenSSL"
)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug); RUST_LOG also works
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the certificate's thumbprints: sha1 (hex, as the Azure portal shows), x5t, x5t#S256
    Thumbprint(MaterialArgs),
    /// Show subject, issuer, validity, key, chain and thumbprints, and whether the key matches
    Inspect {
        #[command(flatten)]
        material: MaterialArgs,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Print a signed client assertion (JWT) for the token endpoint
    Assertion(token_cmd::AssertionArgs),
    /// Get an access token for a scope and print it
    Token(token_cmd::TokenArgs),
    /// Run the strict local Entra emulator in the foreground
    Emulate(emulate::EmulateArgs),
    /// Walk the whole flow offline against the built-in emulator
    Demo,
    /// Convert key material: PFX to PEM files, or PEM to a modern PFX
    Convert(convert::ConvertArgs),
    /// Create a self-signed certificate: NAME.pfx (key) and NAME.cer (to upload)
    NewCert(new_cert::NewCertArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match &cli.command {
        Command::Thumbprint(args) => inspect::thumbprint(args),
        Command::Inspect { material, json } => inspect::inspect(material, *json),
        Command::Assertion(args) => token_cmd::assertion(args),
        Command::Token(args) => block_on(token_cmd::token(args)),
        Command::Emulate(args) => block_on(emulate::run(args)),
        Command::Demo => block_on(demo::run()),
        Command::Convert(args) => convert::run(args),
        Command::NewCert(args) => new_cert::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", paragraph(&e));
            ExitCode::FAILURE
        }
    }
}

fn block_on<F: std::future::Future<Output = Result<(), entra_token::Error>>>(
    future: F,
) -> Result<(), entra_token::Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| entra_token::Error::new(entra_token::ErrorKind::Io).with_source(e))?
        .block_on(future)
}

/// The error and its causes as one paragraph (each cause once).
fn paragraph(e: &entra_token::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(" (");
            text.push_str(&cause_text);
            text.push(')');
        }
        source = cause.source();
    }
    text
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
