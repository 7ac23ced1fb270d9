//! `cargo run -p firebreak-plan --example check -- FILE...`: what `firebreak plan check`
//! does, until the binary has the command. Prints every problem; exits 1 if any.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut ok = true;
    for arg in std::env::args().skip(1) {
        let path = Path::new(&arg);
        match firebreak_plan::check_file(path) {
            Ok(summary) => println!("{summary}"),
            Err(first) => {
                ok = false;
                let all = std::fs::read_to_string(path)
                    .map(|text| firebreak_plan::diagnose(&text, &arg))
                    .unwrap_or_default();
                if all.is_empty() {
                    eprintln!("{first}");
                }
                for e in all {
                    eprintln!("{e}");
                }
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
