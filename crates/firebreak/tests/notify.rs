//! Alerts leave Firebreak: a replayed crisis reaches a real local HTTP receiver through a
//! configured, signed webhook.

mod support;

use support::{firebreak, receiver, run, stderr};

#[test]
fn a_replayed_crisis_is_notified_through_a_signed_webhook() {
    let (url, seen) = receiver();
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("hook.key"), "a-webhook-signing-key").expect("key");
    std::fs::write(
        dir.path().join("firebreak.toml"),
        format!(
            "[[notify.targets]]\nkind = \"webhook\"\nname = \"ops\"\nurl = \"{url}\"\ncrisis_only = true\nsecret = {{ file = \"hook.key\" }}\n"
        ),
    )
    .expect("config");
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/demo/velora-crisis.jsonl");
    let out = run(firebreak(dir.path())
        .args(["replay", "--max", "--json", "--alerts-out", "alerts.jsonl"])
        .arg(&demo));
    assert!(out.status.success(), "{}", stderr(&out));
    let alerts = std::fs::read_to_string(dir.path().join("alerts.jsonl")).expect("alerts");
    let crisis: Vec<serde_json::Value> = alerts
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|a: &serde_json::Value| a["crisis"] == true)
        .collect();
    assert!(!crisis.is_empty(), "the demo crisis raises a crisis alert");
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(
        seen.len(),
        crisis.len(),
        "each crisis alert (and each escalation) is sent once"
    );
    for (signature, body) in &seen {
        let v: serde_json::Value = serde_json::from_str(body).expect("json body");
        assert_eq!(v["event"], "alert");
        assert_eq!(v["alert"]["crisis"], true);
        assert_eq!(
            signature,
            &firebreak_connectors::notify::signature(b"a-webhook-signing-key", body.as_bytes())
        );
    }
}

#[test]
fn a_notification_secret_that_cannot_be_read_is_a_config_error() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("firebreak.toml"),
        "[[notify.targets]]\nkind = \"matrix\"\nname = \"room\"\nhomeserver = \"https://m.example.org\"\nroom_id = \"!r:example.org\"\naccess_token = { env = \"FIREBREAK_TEST_NO_SUCH_TOKEN\" }\n",
    )
    .expect("config");
    let out = run(firebreak(dir.path()).args(["config", "check"]));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("FIREBREAK_TEST_NO_SUCH_TOKEN"),
        "{}",
        stderr(&out)
    );
}
