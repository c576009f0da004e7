#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rampart_vuln::fuzzing::distro_and_language_feeds(data);
    rampart_vuln::fuzzing::enrichment_feeds(data);
});
