//! Format sniffing: PEM, binary DER (PFX or certificate), or a PFX's base64 text.
#![no_main]

use entra_token::ClientCertificate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ClientCertificate::from_bytes(data, Some("fuzz"));
});
