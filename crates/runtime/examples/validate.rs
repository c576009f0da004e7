//! Validates rules files like `falco -V` (`cargo run -p rampart-runtime --example validate -- FILE…`);
//! `--json` prints Falco's JSON shape.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let report = rampart_runtime::rules::validate(&files);
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    std::process::exit(i32::from(!report.successful()));
}
