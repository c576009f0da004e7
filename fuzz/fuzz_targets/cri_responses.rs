#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rampart_runtime::fuzzing::fuzz_cri_responses(data);
});
