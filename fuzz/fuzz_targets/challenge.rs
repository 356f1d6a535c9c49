//! `WWW-Authenticate` challenge parsing: any bytes, valid UTF-8 or not, must give a value or
//! an error, never a panic.
#![no_main]

use entra_token::Challenge;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = std::str::from_utf8(data) {
        let _ = Challenge::parse_all(header);
        let _ = Challenge::parse(header);
    }
});
