#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rampart_kube::rbac::fuzzing::fuzz_rbac(data);
});
