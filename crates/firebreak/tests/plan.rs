//! `firebreak plan check`: the example plan passes; each broken plan fails with its file,
//! line and fix.

mod support;

use support::{firebreak, run, stderr, stdout};

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_example_plan_is_valid() {
    let out = run(firebreak(&repo()).args(["plan", "check", "examples/plan.toml"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("valid crisis plan"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn every_broken_plan_is_rejected_with_its_line_and_a_fix() {
    let dir = repo().join("crates/plan/tests/broken");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("broken plans")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 10);
    for f in files {
        let out = run(firebreak(&repo()).arg("plan").arg("check").arg(&f));
        assert_eq!(
            out.status.code(),
            Some(1),
            "{} must be rejected",
            f.display()
        );
        let err = stderr(&out);
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(err.contains(&format!("{name}:")), "{err}");
        let located = err
            .split(&format!("{name}:"))
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .and_then(|line| line.parse::<u32>().ok());
        assert!(located.is_some_and(|l| l > 0), "no line number in {err}");
        assert!(err.contains("fix:"), "{err}");
    }
}
