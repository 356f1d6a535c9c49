//! X.509 certificate parsing and the facts derived from it.
#![no_main]

use entra_token::CertificateInfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = CertificateInfo::from_der(data);
});
