//! PFX/PKCS#12 decoding, with the password the seed corpus uses and with none.
#![no_main]

use entra_token::ClientCertificate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ClientCertificate::from_pfx(data, Some("fuzz"));
    let _ = ClientCertificate::from_pfx(data, None);
});
