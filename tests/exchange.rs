//! The credential against the strict local Entra emulator: every assertion it receives is
//! verified (signature, thumbprint, aud, dates, jti replay), every refusal must come back as
//! the typed error with its AADSTS code and hint, and faults exercise retries and caps.
#![cfg(feature = "emulator")]

mod support;

use std::time::Duration;

use entra_token::emulator::{Emulator, Fault, RetryAfter};
use entra_token::retry::RetryPolicy;
use entra_token::{ClientCertificate, Credential, CredentialBuilder, ErrorKind, SigningAlgorithm};
use support::{fast_retries, pem};

const TENANT: &str = "contoso.onmicrosoft.com";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const SCOPE: &str = "https://graph.microsoft.com/.default";

fn emulator(https: bool) -> Emulator {
    Emulator::builder()
        .tenant(TENANT)
        .client_id(CLIENT)
        .register_client_certificate(&pem("app.pem"))
        .register_client_certificate(&pem("chain.pem"))
        .client_secret("correct-horse")
        .https(https)
        .start_in_background()
        .unwrap()
}

/// A credential for `emu` (trusting its CA over HTTPS) with [`fast_retries`] and no reqwest
/// timeout, so it also works on tokio's paused clock. Unlike `support::against`, refresh
/// jitter stays on.
fn builder(emu: &Emulator, certificate: ClientCertificate) -> CredentialBuilder {
    let mut b = Credential::builder(TENANT, CLIENT, certificate)
        .authority_host(emu.authority_host())
        .timeout(None)
        .retry_policy(fast_retries());
    if let Some(ca) = emu.ca_pem() {
        b = b.add_root_certificate_pem(ca.as_bytes());
    }
    b
}

/// Gets a token with `app.pem` from a new credential for `emu` ([`builder`]).
async fn get_app_token(emu: &Emulator) {
    builder(emu, pem("app.pem"))
        .build()
        .unwrap()
        .get_token(SCOPE)
        .await
        .unwrap();
}

/// The AADSTS code of a refusal, after checking it is one.
fn refused_with(err: &entra_token::Error) -> u32 {
    err.entra()
        .unwrap_or_else(|| panic!("expected an Entra error, got {err:?}"))
        .code()
        .unwrap()
}

#[tokio::test]
async fn rs256_and_ps256_with_and_without_x5c_over_http_and_https() {
    for https in [false, true] {
        let emu = emulator(https);
        assert_eq!(emu.authority_host().starts_with("https://"), https);
        for (file, alg, x5c) in [
            ("app.pem", SigningAlgorithm::Ps256, false),
            ("app.pem", SigningAlgorithm::Rs256, false),
            ("app.pem", SigningAlgorithm::Ps256, true),
            ("chain.pem", SigningAlgorithm::Rs256, true),
        ] {
            let credential = builder(&emu, pem(file))
                .algorithm(alg)
                .send_certificate_chain(x5c)
                .build()
                .unwrap();
            let token = credential.get_token(SCOPE).await.unwrap();
            assert!(!token.secret().is_empty());
            let last = emu.last_request().unwrap();
            let header = last.assertion_header.unwrap();
            assert_eq!(
                header["alg"],
                alg.as_str(),
                "{file} {alg} x5c={x5c} https={https}"
            );
            assert_eq!(header.get("x5c").is_some(), x5c);
            let thumbprint = if alg == SigningAlgorithm::Ps256 {
                "x5t#S256"
            } else {
                "x5t"
            };
            assert!(header.get(thumbprint).is_some());
            assert!(last.return_client_request_id);
            assert_eq!(last.client_request_id.unwrap().len(), 36);
        }
        let counters = emu.counters();
        assert_eq!((counters.issued, counters.total), (4, 4));
    }
}

#[tokio::test]
async fn each_refusal_maps_to_its_code_and_hint_and_is_not_retried() {
    let emu = emulator(false);
    let cases: Vec<(CredentialBuilder, &str, u32, &str)> = vec![
        (
            builder(&emu, pem("other.pem")),
            SCOPE,
            700027,
            "upload its public part",
        ),
        (
            Credential::builder(
                TENANT,
                "99999999-0000-0000-0000-000000000000",
                pem("app.pem"),
            )
            .authority_host(emu.authority_host())
            .timeout(None),
            SCOPE,
            700016,
            "check the client ID",
        ),
        (
            Credential::builder("fabrikam.onmicrosoft.com", CLIENT, pem("app.pem"))
                .authority_host(emu.authority_host())
                .timeout(None),
            SCOPE,
            90002,
            "tenant was not found",
        ),
        (
            builder(&emu, pem("app.pem")),
            "https://graph.microsoft.com/User.Read",
            1002012,
            "{resource}/.default",
        ),
    ];
    for (b, scope, code, hint) in cases {
        emu.reset_counters();
        let err = b.build().unwrap().get_token(scope).await.unwrap_err();
        assert_eq!(refused_with(&err), code, "{err}");
        assert!(err.to_string().contains(hint), "{code}: {err}");
        assert!(!err.is_retryable(), "{code}");
        assert_eq!(emu.counters().total, 1, "AADSTS{code} is not retried");
    }
}

#[tokio::test]
async fn a_wrong_audience_is_refused() {
    let emu = emulator(false);
    // Same server, but the URL (and so `aud`) differs from the emulator's endpoint.
    let credential = builder(&emu, pem("app.pem"))
        .token_endpoint(format!("{}?api-version=1", emu.token_endpoint()))
        .build()
        .unwrap();
    let err = credential.get_token(SCOPE).await.unwrap_err();
    // Entra's code for an `aud` that is not this tenant's token endpoint.
    assert_eq!(refused_with(&err), 700023, "{err}");
    assert!(err.to_string().contains("'aud' is"), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_clock_far_behind_gives_700024() {
    let emu = emulator(false);
    emu.advance_clock(Duration::from_secs(2 * 3600));
    let err = builder(&emu, pem("app.pem"))
        .build()
        .unwrap()
        .get_token(SCOPE)
        .await
        .unwrap_err();
    assert_eq!(refused_with(&err), 700024, "{err}");
    assert!(err.to_string().contains("clock"), "{err}");
}

#[tokio::test]
async fn secret_credentials() {
    let emu = emulator(false);
    let make = |secret: &str| {
        Credential::secret_builder(TENANT, CLIENT, secret)
            .authority_host(emu.authority_host())
            .build()
            .unwrap()
    };
    make("correct-horse").get_token(SCOPE).await.unwrap();
    emu.reset_counters();
    let err = make("battery-staple").get_token(SCOPE).await.unwrap_err();
    assert_eq!(refused_with(&err), 7000215, "{err}");
    assert!(err.to_string().contains("secret's value"), "{err}");
    assert!(!format!("{err} {err:?}").contains("battery-staple"));
    assert_eq!(emu.counters().total, 1);
}

#[tokio::test(start_paused = true)]
async fn throttling_then_success_honours_retry_after() {
    let emu = emulator(false);
    emu.inject(Fault::TooManyRequests {
        retry_after: RetryAfter::Seconds(5),
    });
    let started = tokio::time::Instant::now();
    get_app_token(&emu).await;
    assert!(started.elapsed() >= Duration::from_secs(5));
    let c = emu.counters();
    assert_eq!((c.total, c.faults, c.issued), (2, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn outage_twice_then_success() {
    let emu = emulator(false);
    emu.inject(Fault::Status(503));
    emu.inject(Fault::PlainStatus(503));
    get_app_token(&emu).await;
    assert_eq!(emu.counters().total, 3);
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_the_bound() {
    let emu = emulator(false);
    emu.set_outage(Some(503));
    let credential = builder(&emu, pem("app.pem"))
        .retry_policy(
            // A generous time budget: the attempt bound, not the budget, must stop it (the
            // paused clock may jump to pending HTTP timers while a request is in flight).
            fast_retries().max_attempts(3),
        )
        .build()
        .unwrap();
    let err = credential.get_token(SCOPE).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
    assert_eq!(emu.counters().total, 3);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_connection_is_retried() {
    let emu = emulator(false);
    emu.inject(Fault::DropConnection);
    get_app_token(&emu).await;
    assert_eq!(emu.counters().total, 2);
}

#[tokio::test]
async fn garbage_and_oversized_bodies() {
    let emu = emulator(false);
    let credential = builder(&emu, pem("app.pem")).build().unwrap();
    emu.inject(Fault::Garbage);
    let err = credential.get_token(SCOPE).await.unwrap_err();
    match err.kind() {
        ErrorKind::InvalidResponse { reason } => {
            assert!(reason.contains("<!DOCTYPE html>"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // A failure is shared with the callers of the next moments, without a new request.
    let again = credential.get_token(SCOPE).await.unwrap_err();
    assert!(matches!(again.kind(), ErrorKind::InvalidResponse { .. }));
    emu.inject(Fault::Oversized);
    let credential = builder(&emu, pem("app.pem")).build().unwrap();
    let err = credential.get_token(SCOPE).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ResponseTooLarge { .. }),
        "{err:?}"
    );
    assert_eq!(emu.counters().total, 2, "neither is retried");
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let emu = emulator(false);
    emu.inject(Fault::Delay(Duration::from_secs(3)));
    let credential = builder(&emu, pem("app.pem"))
        .timeout(Some(Duration::from_millis(300)))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = credential.get_token(SCOPE).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}
