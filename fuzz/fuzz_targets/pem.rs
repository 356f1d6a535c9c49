//! PEM decoding: blocks in any order, encrypted PKCS#8 keys, key/certificate pairing.
#![no_main]

use entra_token::ClientCertificate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ClientCertificate::from_pem_with_password(data, Some("fuzz"));
});
