//! A daemon's use of `entra-token`: build one `Credential` at start-up, clone it into every
//! task, and call `get_token` each time a token is needed. The cache serves all tasks from
//! one request and refreshes the token in the background before it expires.
//!
//! Runs offline against the local emulator:
//!
//! ```text
//! cargo run --example daemon --features emulator
//! ```
//!
//! Against Entra, drop the emulator and its `authority_host`, and use your tenant, your
//! app's client ID and its certificate.

use std::time::{Duration, SystemTime};

use entra_token::emulator::Emulator;
use entra_token::{ClientCertificate, Credential};

const SCOPE: &str = "https://graph.microsoft.com/.default";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The app's certificate and private key (a test fixture; never commit a real key).
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/pem/rsa2048-combined.pem"
    );
    let certificate = ClientCertificate::from_file(path, None)?;

    // A local Entra token endpoint with the certificate uploaded to its app registration.
    let emulator = Emulator::builder()
        .register_client_certificate(&certificate)
        .start_in_background()?;

    // One credential for the whole process.
    let credential = Credential::builder(emulator.tenant(), emulator.client_id(), certificate)
        .authority_host(emulator.authority_host())
        .build()?;

    // Workers share the credential (a clone is a pointer copy) and so share its cache.
    let mut workers = tokio::task::JoinSet::new();
    for worker in 1..=4 {
        let credential = credential.clone();
        workers.spawn(async move {
            for round in 1..=3 {
                // Ask every time: a cached token comes back in well under a microsecond.
                let token = credential.get_token(SCOPE).await?;
                call_api(worker, round, token.secret(), token.expires_at());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok::<_, entra_token::Error>(())
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }

    // Twelve calls, one token request.
    println!("token requests served: {}", emulator.counters().issued);
    Ok(())
}

/// Stands in for an API call with `Authorization: Bearer {token}`. Never log the token
/// itself: it is as good as a password until it expires.
fn call_api(worker: u32, round: u32, token: &str, expires_at: SystemTime) {
    let left = expires_at
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    println!(
        "worker {worker}, call {round}: bearer token of {} bytes, expires in {} min",
        token.len(),
        left.as_secs() / 60
    );
}
