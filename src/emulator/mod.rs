//! A strict local Microsoft Entra token endpoint, for tests, demos and offline integration
//! tests (feature `emulator`).
//!
//! The emulator is a real HTTP (or HTTPS) server on 127.0.0.1 serving
//! `POST /{tenant}/oauth2/v2.0/token`. It checks what Entra checks — grant type, tenant,
//! client ID, scope, and every detail of the client assertion: compact-JWS encoding,
//! algorithm, thumbprint, `x5c`, signature, audience, issuer, dates, lifetime and replay —
//! and refuses with Entra's JSON error shape and AADSTS codes. It issues opaque tokens, can
//! misbehave on demand ([`Fault`], [`Emulator::set_outage`]), counts what it answered
//! ([`Counters`]) and keeps the last request minus its secrets ([`LastRequest`]).
//!
//! It never logs tokens, secrets or assertions.
//!
//! # What it refuses, and how
//!
//! The outage switch and queued faults answer before any check. Then the first failure
//! answers: request checks run top to bottom; the assertion is checked shape and header
//! first, then key and signature, then claims. `invalid_client` is HTTP 401, every other
//! error 400 (404 for unknown routes, 413 for bodies over [`MAX_REQUEST_BYTES`]). Every
//! answer carries a fresh `trace_id`; `correlation_id` is the request's `client-request-id`
//! when that is a GUID (as on Entra), and the header is sent back when the request says
//! `return-client-request-id: true`.
//!
//! | check | AADSTS | `error` |
//! |---|---|---|
//! | path is not `/{tenant}/oauth2/v2.0/token`, or not `POST` (404) | 9002313 / 900561 | `invalid_request` |
//! | a form field repeated | 9002313 | `invalid_request` |
//! | tenant is not the configured one | 90002 | `invalid_request` |
//! | `grant_type`, `client_id`, `scope` or `client_assertion_type` missing | 900144 | `invalid_request` |
//! | `grant_type` is not `client_credentials` | 70003 | `unsupported_grant_type` |
//! | `client_id` is not the registered app | 700016 | `unauthorized_client` |
//! | `scope` is not exactly one `{resource}/.default` (several, or `/.default` alone) | 70011 | `invalid_scope` |
//! | `scope` does not end in `/.default` | 1002012 | `invalid_scope` |
//! | neither (or both) of `client_assertion` and `client_secret` | 7000218 | `invalid_client` |
//! | wrong `client_secret` | 7000215 | `invalid_client` |
//! | `client_assertion_type` is not `…:jwt-bearer` (emulator's choice of code) | 7000219 | `invalid_client` |
//! | JWT not three base64url parts without padding; header or claims not JSON; `typ` not JWT; `alg`, `iss`, `sub`, `aud`, `exp` or `jti` missing; `x5c` not an array of standard base64; dates not JSON numbers | 50027 | `invalid_client` |
//! | `alg` other than RS256 / PS256 | 5002730 | `invalid_client` |
//! | no registered certificate matches `x5t#S256` / `x5t` / first `x5c`; the two thumbprints disagree; certificate outside its validity; signature does not verify | 700027 | `invalid_client` |
//! | `iss` or `sub` is not the client ID | 700021 | `invalid_client` |
//! | `aud` is not the token endpoint (`127.0.0.1` or `localhost` form) | 700023 | `invalid_client` |
//! | `nbf`/`iat` after now + skew, `exp` before now − skew, `exp − nbf` above the maximum, or `jti` already used (replay) | 700024 | `invalid_client` |
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use entra_token::emulator::Emulator;
//!
//! let emulator = Emulator::builder().client_secret("not-a-real-secret").start().await?;
//! let response = reqwest::Client::new()
//!     .post(emulator.token_endpoint())
//!     .form(&[
//!         ("grant_type", "client_credentials"),
//!         ("client_id", emulator.client_id()),
//!         ("scope", "https://graph.microsoft.com/.default"),
//!         ("client_secret", "not-a-real-secret"),
//!     ])
//!     .send()
//!     .await?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(emulator.counters().issued, 1);
//! # Ok(()) }
//! ```

mod body;
mod builder;
mod faults;
mod handle;
mod handler;
mod response;
mod server;
mod state;
mod tls;
pub(crate) mod validate;
pub use self::body::OVERSIZED_FAULT_BYTES;
pub use self::builder::{
    EmulatorBuilder, DEFAULT_CLIENT_ID, DEFAULT_CLOCK_SKEW, DEFAULT_MAX_ASSERTION_LIFETIME,
    DEFAULT_TENANT, DEFAULT_TOKEN_LIFETIME,
};
pub use self::faults::{Fault, RetryAfter};
pub use self::handle::Emulator;
pub use self::handler::MAX_REQUEST_BYTES;
pub use self::state::{Counters, LastRequest};
