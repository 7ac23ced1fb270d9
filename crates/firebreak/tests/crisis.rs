//! A dev crisis scenario replayed end to end with the example plan: the crisis opens by
//! itself, the webhook and SMTP notifications reach real local servers, the checklist is
//! instantiated, escalation happens when nobody acknowledges, and the post-mortem's onset,
//! first alert and first reply agree with the scenario's labels and what happened.

mod support;

use chrono::{DateTime, Utc};
use serde_json::Value;
use support::{firebreak, json as stdout_json, receiver, run, stderr, stdout, Smtp};

const SCENARIO: &str = "crisis-scenarios/defective_product-it-16";

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {v}"))
}

#[test]
fn a_replayed_crisis_runs_the_plan_from_alert_to_post_mortem() {
    let Some(data) = firebreak_testkit::shared_data_dir() else {
        eprintln!("skipping: ../shared/data is not there");
        return;
    };
    let Some(smtp) = Smtp::start() else { return };
    let (hook, seen) = receiver();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let plan = repo.join("examples/plan.toml");
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("firebreak.toml"),
        format!(
            r#"
[crisis]
plan = "{plan}"

[[inbox.agents]]
name = "marta"
languages = ["it", "es", "en"]

[[notify.targets]]
kind = "webhook"
name = "ops"
url = "{hook}"
crisis_only = true

[[notify.targets]]
kind = "email"
name = "crisis-team"
smtp_host = "127.0.0.1"
smtp_port = {port}
tls = "none"
from = "Firebreak <firebreak@example.com>"
to = ["social@example.com"]
crisis_only = true
"#,
            plan = plan.display(),
            port = smtp.port
        ),
    )
    .expect("config");
    let db = format!("sqlite://{}", dir.path().join("fb.db").display());
    let cli = |args: &[&str]| {
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(args);
        run(firebreak(dir.path()).args(all))
    };

    let scenario = data.join(format!("{SCENARIO}.jsonl"));
    let out = run(firebreak(dir.path())
        .args([
            "--db",
            &db,
            "replay",
            "--max",
            "--json",
            "--alerts-out",
            "alerts.jsonl",
        ])
        .arg(&scenario));
    assert!(out.status.success(), "{}", stderr(&out));
    let labels: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join(format!("{SCENARIO}.labels.json"))).expect("labels"),
    )
    .expect("labels json");
    let alerts: Vec<Value> = std::fs::read_to_string(dir.path().join("alerts.jsonl"))
        .expect("alerts")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|a: &Value| a["crisis"] == true)
        .collect();
    assert!(!alerts.is_empty());

    // 1. The crisis opened by itself, from the alert.
    let list = cli(&["crisis", "list", "--json"]);
    let crises: Vec<Value> = stdout(&list)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(
        crises.len(),
        1,
        "one crisis, not one per alert: {}",
        stdout(&list)
    );
    let crisis = &crises[0];
    assert_eq!(crisis["channel"], labels["channel"]);
    assert_eq!(crisis["alert_ids"][0], alerts[0]["id"]);
    let id = crisis["id"].as_i64().expect("id").to_string();

    // 2. Notifications reached the real servers: the alert and the page on the webhook,
    //    the page by email to the people the plan names.
    let bodies: Vec<Value> = seen
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|(_, b)| serde_json::from_str(b).ok())
        .collect();
    assert!(
        bodies.iter().any(|b| b["event"] == "alert"),
        "no alert on the webhook"
    );
    let pages: Vec<&Value> = bodies.iter().filter(|b| b["event"] == "page").collect();
    assert!(!pages.is_empty(), "no page on the webhook");
    let mails = smtp.messages();
    assert!(
        mails
            .iter()
            .any(|m| m.contains("crisis opened") && m.contains("giulia.rinaldi@example.com")),
        "no page by email to the crisis lead: {mails:?}"
    );

    // 3. The checklist is instantiated with owners and due times after the opening.
    let show = cli(&["crisis", "show", &id, "--json"]);
    let c: Value = serde_json::from_str(&stdout(&show)).expect("crisis json");
    let opened = time(&c["opened_at"]);
    let steps = c["checklist"].as_array().expect("checklist");
    assert!(steps.len() >= 3, "{steps:?}");
    assert!(steps
        .iter()
        .all(|s| time(&s["due_at"]) > opened && s["owner"].is_string()));

    // 4. Nobody acknowledged: the plan's escalation re-notified or escalated.
    let report = cli(&["report", &id, "--format", "json"]);
    assert!(report.status.success(), "{}", stderr(&report));
    let pm = stdout_json(&report);
    let kinds: Vec<&str> = pm["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"opened"));
    assert!(
        kinds.contains(&"renotified") || kinds.contains(&"escalated"),
        "{kinds:?}"
    );

    // 5. Someone answers a crisis case; the post-mortem agrees with the labels and events.
    let alert_id = crisis["alert_ids"][0]
        .as_str()
        .expect("alert id")
        .to_owned();
    let cases = cli(&["cases", "list", "--json", "--crisis", &alert_id]);
    let crisis_case = stdout(&cases)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|c| c["crisis_id"].is_string())
        .expect("a case linked to the crisis");
    let case_id = crisis_case["id"].as_i64().expect("case id").to_string();
    let replied = cli(&[
        "cases",
        "reply",
        &case_id,
        "--as",
        "marta",
        "Ci dispiace molto: ti scriviamo in privato per capire cosa è successo.",
    ]);
    assert!(replied.status.success(), "{}", stderr(&replied));
    let reply_at = time(&stdout_json(&replied)["reply"]["at"]);
    let pm = stdout_json(&cli(&["report", &id, "--format", "json"]));
    let m = &pm["metrics"];
    let label_onset = time(&labels["onset"]);
    let first_alert = time(&alerts[0]["raised_at"]);
    assert_eq!(time(&m["first_alert_at"]), first_alert);
    let onset = time(&m["onset_at"]);
    assert!(
        onset >= label_onset && onset <= first_alert,
        "onset {onset}, label {label_onset}, alert {first_alert}"
    );
    assert_eq!(time(&m["first_public_response_at"]), reply_at);
    assert_eq!(m["answered"], 1);
    let html = cli(&["report", &id, "--format", "html"]);
    let html = stdout(&html);
    assert!(
        html.contains("<svg") && !html.contains("<script"),
        "the report is self-contained and inert"
    );
}

#[tokio::test]
async fn a_drill_runs_on_drill_channels_posts_nothing_and_is_scored() {
    let Some(data) = firebreak_testkit::shared_data_dir() else {
        eprintln!("skipping: ../shared/data is not there");
        return;
    };
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("firebreak.toml"),
        format!(
            "[server]\ntrust_user_header = true\n\n[crisis]\nplan = \"{}\"\n\n[[inbox.agents]]\nname = \"marta\"\nlanguages = [\"it\"]\n",
            repo.join("examples/plan.toml").display()
        ),
    )
    .expect("config");
    let db = format!("sqlite://{}", dir.path().join("fb.db").display());
    let server = support::Server::start(dir.path(), &db, &[]);
    let out = run(firebreak(dir.path())
        .args(["drill", "--speed", "200000", "--server", &server.base])
        .arg(data.join(format!("{SCENARIO}.jsonl"))));
    assert!(out.status.success(), "{}", stderr(&out));
    let client = reqwest::Client::new();
    let mut crises = Value::Null;
    for _ in 0..100 {
        crises = client
            .get(format!("{}/api/v1/crises", server.base))
            .header("x-firebreak-user", "marta")
            .send()
            .await
            .expect("crises")
            .json()
            .await
            .expect("json");
        if crises["crises"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let c = &crises["crises"][0];
    assert_eq!(c["drill"], true, "{crises}");
    assert!(c["channel"]
        .as_str()
        .is_some_and(|ch| ch.starts_with("drill:")));
    let alert = c["alert_ids"][0].as_str().expect("alert").to_owned();
    let cases: Value = client
        .get(format!("{}/api/v1/cases?crisis={alert}", server.base))
        .header("x-firebreak-user", "marta")
        .send()
        .await
        .expect("cases")
        .json()
        .await
        .expect("json");
    let case = cases["cases"][0]["id"].as_i64().expect("a drill case");
    let reply: Value = client
        .post(format!("{}/api/v1/cases/{case}/replies", server.base))
        .header("x-firebreak-user", "marta")
        .json(&serde_json::json!({"text": "Ci dispiace: ti scriviamo in privato.", "delivery": {"via": "connector", "platform_id": "real-1"}}))
        .send()
        .await
        .expect("reply")
        .json()
        .await
        .expect("json");
    assert_eq!(
        reply["reply"]["delivery"]["via"], "dry_run",
        "a drill never reaches a platform: {reply}"
    );
    let id = c["id"].as_i64().expect("id");
    let md = client
        .get(format!(
            "{}/api/v1/crises/{id}/report?format=md",
            server.base
        ))
        .header("x-firebreak-user", "marta")
        .send()
        .await
        .expect("report")
        .text()
        .await
        .expect("text");
    assert!(md.contains("(DRILL)") && md.contains("drill score"), "{md}");
    assert!(server.stop());
}

#[test]
fn a_crisis_can_be_opened_by_hand_from_cases() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("firebreak.toml"),
        format!(
            "[crisis]\nplan = \"{}\"\n",
            repo.join("examples/plan.toml").display()
        ),
    )
    .expect("config");
    let line = serde_json::json!({
        "v": 1, "id": "mastodon:1", "platform": "mastodon", "channel": "@velora", "kind": "mention",
        "created_at": "2026-03-02T09:00:00Z", "author": {"id": "u1", "handle": "@u1", "followers": 120},
        "text": "@velora il bollitore è arrivato rotto e nessuno risponde, vergogna",
    });
    std::fs::write(dir.path().join("m.jsonl"), format!("{line}\n")).expect("mentions");
    let db = format!("sqlite://{}", dir.path().join("fb.db").display());
    let cli = |args: &[&str]| {
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(args);
        run(firebreak(dir.path()).args(all))
    };
    assert!(cli(&["import", "m.jsonl"]).status.success());
    let refused = cli(&[
        "crisis",
        "open",
        "--channel",
        "@velora",
        "--severity",
        "2",
        "--title",
        "kettles",
        "--case",
        "1",
        "--as",
        "mallory",
    ]);
    assert!(
        !refused.status.success(),
        "only the plan's team may open a crisis"
    );
    let out = cli(&[
        "crisis",
        "open",
        "--channel",
        "@velora",
        "--severity",
        "2",
        "--title",
        "Kettles arrive broken",
        "--case",
        "1",
        "--as",
        "giulia",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let c: Value =
        serde_json::from_str(&stdout(&cli(&["crisis", "show", "1", "--json"]))).expect("json");
    assert_eq!(c["status"], "declared");
    assert_eq!(c["escalation"]["acked_by"], "giulia");
    let alert = c["alert_ids"][0].as_str().expect("alert").to_owned();
    let cases = cli(&["cases", "list", "--json", "--crisis", &alert]);
    assert_eq!(
        stdout(&cases).lines().count(),
        1,
        "the case is linked to the crisis"
    );
}
