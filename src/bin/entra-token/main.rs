//! `entra-token`: thumbprints, inspection, assertions and tokens for the people who hold the
//! keys. Arguments in, library calls out, logs on stderr, and one clear paragraph on failure.

mod inspect;
mod material_args;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::material_args::MaterialArgs;

#[derive(Parser, Debug)]
#[command(name = "entra-token", version, about = "Certificate credentials for Microsoft Entra ID, without OpenSSL")]
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match &cli.command {
        Command::Thumbprint(args) => inspect::thumbprint(args),
        Command::Inspect { material, json } => inspect::inspect(material, *json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", paragraph(&e));
            ExitCode::FAILURE
        }
    }
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
