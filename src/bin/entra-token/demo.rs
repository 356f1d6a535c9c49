//! `demo`: the whole flow, offline, against the built-in emulator, printing each step. The
//! README's "run" command.

use std::time::{Duration, Instant, SystemTime};

use entra_token::emulator::Emulator;
use entra_token::{
    client_assertion, decode_unverified, AssertionOptions, ClientCertificate, Credential, Error,
};

/// A test certificate and key (fixtures/pem/rsa2048-combined.pem), embedded so the demo runs
/// anywhere. It is registered nowhere but in the emulator.
const DEMO_PEM: &[u8] = include_bytes!("../../../fixtures/pem/rsa2048-combined.pem");

/// The scope the demo asks for.
const DEMO_SCOPE: &str = "api://entra-token-demo/.default";

pub async fn run() -> Result<(), Error> {
    step(1, "load the certificate (embedded fixture, PEM)");
    let certificate = ClientCertificate::from_pem(DEMO_PEM)?;
    println!("   subject   {}", certificate.subject());
    println!(
        "   sha1      {}   (as the Azure portal shows it)",
        certificate.sha1_hex()
    );
    println!("   x5t       {}", certificate.x5t());
    println!("   x5t#S256  {}", certificate.x5t_s256());
    println!("   key       RSA {} bits", certificate.key_bits());

    step(
        2,
        "start the strict Entra emulator on 127.0.0.1, registering the certificate",
    );
    let emulator = Emulator::builder()
        .register_client_certificate(&certificate)
        .start()
        .await?;
    println!("   token endpoint  {}", emulator.token_endpoint());

    step(
        3,
        "sign a client assertion (RFC 7523, PS256) — decoded, signature elided",
    );
    let assertion = client_assertion(
        &certificate,
        emulator.client_id(),
        &emulator.token_endpoint(),
        &AssertionOptions::new(),
    )?;
    let (header, claims) = decode_unverified(assertion.secret())?;
    println!("   header  {header}");
    println!("   claims  {claims}");
    drop(assertion);

    step(
        4,
        "get_token: exchange a fresh assertion for an access token",
    );
    let credential = Credential::builder(emulator.tenant(), emulator.client_id(), certificate)
        .authority_host(emulator.authority_host())
        .build()?;
    let started = Instant::now();
    let token = credential.get_token(DEMO_SCOPE).await?;
    let first = started.elapsed();
    println!("   scope       {DEMO_SCOPE}");
    println!("   token       [{} bytes, redacted]", token.secret().len());
    println!("   expires in  {}", in_words(token.expires_at()));
    println!(
        "   refresh in  {}   (in the background; callers keep the cached token)",
        in_words(token.refresh_at())
    );
    println!("   took        {first:.2?} (signing + HTTP round trip)");

    step(5, "get_token again: served from the cache");
    let started = Instant::now();
    let again = credential.get_token(DEMO_SCOPE).await?;
    let second = started.elapsed();
    let same = again.secret() == token.secret();
    println!("   same token  {same}");
    println!("   took        {second:.2?}");
    const CALLS: u32 = 100_000;
    let started = Instant::now();
    for _ in 0..CALLS {
        credential.get_token(DEMO_SCOPE).await?;
    }
    let each = started.elapsed() / CALLS;
    println!("   {CALLS} more calls: {each:.2?} each, no network");
    let counters = emulator.counters();
    println!(
        "   the emulator issued {} token(s) for {} request(s)",
        counters.issued, counters.total
    );

    println!("\nDone. Against real Entra: entra-token token --tenant T --client-id C --cert app.pfx --scope https://graph.microsoft.com/.default");
    emulator.shutdown();
    Ok(())
}

fn step(n: u32, what: &str) {
    println!("\n{n}. {what}");
}

fn in_words(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO)
        .as_secs();
    format!("{}m {:02}s", secs / 60, secs % 60)
}
