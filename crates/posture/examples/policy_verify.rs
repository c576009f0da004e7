//! `rampart policy verify PATH` in miniature: runs every Gatekeeper `suite.yaml` under PATH and prints
//! gator-style lines; exits 1 when any case fails.

use rampart_posture::Limits;
use rampart_posture::gatekeeper::verify::verify_path;

fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: policy_verify PATH");
        std::process::exit(2);
    };
    match verify_path(std::path::Path::new(&path), Limits::default()) {
        Ok(suites) => {
            let mut ok = true;
            for s in &suites {
                print!("{}", s.render());
                ok &= s.passed();
            }
            std::process::exit(if ok { 0 } else { 1 });
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
