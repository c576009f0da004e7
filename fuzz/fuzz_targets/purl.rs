#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(purl) = rampart_core::purl::Purl::parse(&text) {
        // Round trip: a parsed purl renders to something that parses again.
        let _ = rampart_core::purl::Purl::parse(&purl.to_string());
    }
});
