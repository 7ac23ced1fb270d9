//! Alerts leave Firebreak: a replayed crisis reaches a real local HTTP receiver through a
//! configured, signed webhook.

mod support;

use support::{firebreak, receiver, run, stderr, Server};

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

fn crisis_alert(id: &str, severity: u8) -> firebreak_core::Alert {
    serde_json::from_value(serde_json::json!({
        "id": id, "raised_at": "2026-07-12T08:30:00Z", "channel": "@velora",
        "kind": "emerging_topic", "crisis": true, "severity": severity,
        "summary": "3 authors complain about burnt chargers", "terms": ["charger"],
        "evidence": ["x:1"], "amplifiers": [],
    }))
    .expect("alert")
}

#[test]
fn an_alert_whose_send_a_crash_interrupted_is_sent_at_the_next_start_and_only_then() {
    let (url, seen) = receiver();
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("firebreak.toml"),
        format!("[[notify.targets]]\nkind = \"webhook\"\nname = \"ops\"\nurl = \"{url}\"\ncrisis_only = true\n"),
    )
    .expect("config");
    let db = format!("sqlite://{}", dir.path().join("fb.db").display());
    // The last run claimed two alerts: one was sent and confirmed, the other was claimed
    // when the process died, before the notifier finished with it.
    let now = chrono::Utc::now();
    let (lost, sent) = (
        crisis_alert("@velora:crisis:lost", 3),
        crisis_alert("@velora:crisis:sent", 2),
    );
    {
        let store = firebreak_store::open_handles(&db).expect("store");
        assert!(store
            .alerts
            .claim_alert(&lost, "local", now)
            .expect("claim"));
        assert!(store
            .alerts
            .claim_alert(&sent, "local", now)
            .expect("claim"));
        store
            .alerts
            .mark_alert_delivered(&sent, "sent", now)
            .expect("mark");
    }
    let undelivered = || {
        let store = firebreak_store::open_handles(&db).expect("store");
        store.alerts.undelivered_alerts(10).expect("log").len()
    };
    assert_eq!(undelivered(), 1);

    let server = Server::start(dir.path(), &db, &[]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while (seen.lock().expect("lock").is_empty() || undelivered() > 0)
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let bodies: Vec<serde_json::Value> = seen
        .lock()
        .expect("lock")
        .iter()
        .map(|(_, b)| serde_json::from_str(b).expect("json"))
        .collect();
    assert_eq!(
        bodies.len(),
        1,
        "only the unconfirmed alert is sent: {bodies:?}"
    );
    assert_eq!(bodies[0]["alert"]["id"], "@velora:crisis:lost");
    assert_eq!(bodies[0]["alert"]["severity"], 3);
    assert_eq!(undelivered(), 0, "its delivery is now recorded");
    assert!(server.stop());

    // A clean restart has nothing left to send.
    let server = Server::start(dir.path(), &db, &[]);
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(seen.lock().expect("lock").len(), 1);
    assert!(server.stop());
}
