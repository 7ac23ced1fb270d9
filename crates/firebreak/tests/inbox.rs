//! The inbox end to end, through the binary: mentions become cases, every path to
//! delete, hide or block meets the guardrails, and the audit log finds tampering.

mod support;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use support::{firebreak, json as stdout_json, run, stderr, Server};

const CONFIG: &str = r#"
[inbox]
auto_assign = true

[[inbox.agents]]
name = "giulia"
role = "agent"
languages = ["it", "en"]

[[inbox.agents]]
name = "marco"
role = "manager"
languages = ["de"]
"#;

const COMPLAINTS: &[(&str, &str, &str)] = &[
    (
        "mastodon:1",
        "u1",
        "@velora il bollitore è arrivato rotto e nessuno risponde, vergogna",
    ),
    (
        "mastodon:2",
        "u2",
        "@velora my order never arrived and support keeps ignoring me, disgraceful",
    ),
];

fn mention_line(id: &str, author: &str, text: &str) -> String {
    json!({
        "v": 1, "id": id, "platform": "mastodon", "channel": "@velora", "kind": "mention",
        "created_at": "2026-03-02T09:00:00Z",
        "author": {"id": author, "handle": format!("@{author}"), "followers": 120},
        "text": text,
    })
    .to_string()
}

fn setup() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("firebreak.toml"), CONFIG).expect("config");
    let lines: String = COMPLAINTS
        .iter()
        .map(|(id, a, t)| mention_line(id, a, t) + "\n")
        .collect();
    std::fs::write(dir.path().join("m.jsonl"), lines).expect("mentions");
    let db = format!("sqlite://{}", dir.path().join("fb.db").display());
    let out = run(firebreak(dir.path()).args(["--db", &db, "import", "--json", "m.jsonl"]));
    assert!(out.status.success(), "{}", stderr(&out));
    (dir, db)
}

/// An account named like the configured agent, and an API token acting as it.
fn agent_token(dir: &std::path::Path, db: &str, name: &str) -> String {
    let out = run(firebreak(dir).args(["--db", db, "user", "add", name, "--role", "agent"]));
    assert!(out.status.success(), "{}", stderr(&out));
    support::api_token(dir, db, name)
}

#[test]
fn imported_complaints_become_assigned_cases() {
    let (dir, db) = setup();
    let out = run(firebreak(dir.path()).args(["--db", &db, "cases", "list", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let cases: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("case json"))
        .collect();
    assert_eq!(cases.len(), 2, "{cases:?}");
    for c in &cases {
        assert_eq!(c["status"], "new");
        assert_eq!(c["assignee"], "giulia", "auto-assigned by language");
        assert!(c["priority"].as_str().is_some_and(|p| p.starts_with('p')));
    }
}

#[tokio::test]
async fn every_path_to_delete_hide_or_block_meets_the_guardrails_and_is_audited() {
    let (dir, db) = setup();
    let cli = |args: &[&str]| {
        let mut all = vec!["--db", db.as_str()];
        all.extend_from_slice(args);
        run(firebreak(dir.path()).args(all))
    };

    // The CLI path.
    let out = cli(&[
        "moderate",
        "delete",
        "--mention",
        "mastodon:1",
        "--as",
        "marco",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("never deleted"), "{}", stderr(&out));
    let out = cli(&[
        "moderate",
        "hide",
        "--mention",
        "mastodon:1",
        "--as",
        "giulia",
        "--reason",
        "rude",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "hiding a negative comment without a lawful reason"
    );
    let out = cli(&[
        "moderate",
        "block",
        "--author",
        "mastodon:u1",
        "--as",
        "giulia",
        "--reason",
        "abusive",
        "--approver",
        "marco",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "no public reply and no documented attempts yet"
    );
    assert!(stderr(&out).contains("last resort"), "{}", stderr(&out));

    // The HTTP path: it acts only for a token (a name in X-Firebreak-User is not trusted
    // unless [server] trust_user_header says a proxy sets it).
    let token = agent_token(dir.path(), &db, "giulia");
    let server = Server::start(dir.path(), &db, &[]);
    let client = Client::new();
    for (name, value) in [
        ("x-firebreak-user", "giulia"),
        ("authorization", "Bearer fbk_not_a_token"),
    ] {
        let r = client
            .post(format!("{}/api/v1/cases/1/actions", server.base))
            .header(name, value)
            .json(&json!({"action": "acknowledge"}))
            .send()
            .await
            .expect("act");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{name}: {value}");
    }
    let r = client
        .delete(format!("{}/api/v1/mentions/mastodon:2", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["why"]
            .as_str()
            .is_some_and(|w| w.contains("never deleted")),
        "{body}"
    );
    let hide = |approver: Option<&str>| {
        let mut b = json!({"action": "hide", "mention": "mastodon:2", "hide_reason": "personal_data",
                           "reason": "shows the customer's phone number"});
        if let Some(a) = approver {
            b["approver"] = json!(a);
        }
        client
            .post(format!("{}/api/v1/moderation", server.base))
            .bearer_auth(&token)
            .json(&b)
            .send()
    };
    assert_eq!(
        hide(None).await.expect("hide").status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        hide(Some("marco")).await.expect("hide").status(),
        StatusCode::OK
    );
    let anonymous = client
        .post(format!("{}/api/v1/moderation", server.base))
        .json(&json!({"action": "delete", "mention": "mastodon:2"}))
        .send()
        .await
        .expect("post");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let log: Value = client
        .get(format!("{}/api/v1/audit", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("audit")
        .json()
        .await
        .expect("json");
    let outcomes: Vec<(String, String)> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_owned(),
                e["outcome"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expect = |a: &str, o: &str| (a.to_owned(), o.to_owned());
    assert_eq!(
        outcomes,
        [
            expect("mention.delete", "refused"),
            expect("mention.hide", "refused"),
            expect("author.block", "refused"),
            expect("user.add", "done"),
            expect("user.token", "done"),
            expect("mention.delete", "refused"),
            expect("mention.hide", "pending"),
            expect("mention.hide", "done"),
        ]
    );
    assert!(server.stop());

    // The chain verifies; an edit made behind Firebreak's back is found.
    let out = cli(&["audit", "verify", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout_json(&out), json!({"ok": true, "entries": 8}));
    let conn = rusqlite::Connection::open(dir.path().join("fb.db")).expect("open");
    assert!(
        conn.execute("DELETE FROM audit_log", []).is_err(),
        "append-only"
    );
    conn.execute_batch(
        "DROP TRIGGER audit_log_is_append_only; UPDATE audit_log SET outcome = 'done' WHERE seq = 1;",
    )
    .expect("tamper");
    drop(conn);
    let out = cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("audit entry 1"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_private_conversation_must_close_in_public_over_http() {
    let (dir, db) = setup();
    let token = agent_token(dir.path(), &db, "giulia");
    let server = Server::start(dir.path(), &db, &[]);
    let client = Client::new();
    let cases: Value = client
        .get(format!("{}/api/v1/cases", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(cases["total"], 2);
    let id = cases["cases"][0]["id"].as_i64().expect("id");
    assert!(cases["cases"][0]["next_target"]["target"].is_string());
    let act = |body: Value| {
        client
            .post(format!("{}/api/v1/cases/{id}/actions", server.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let reply = |text: &str, private: bool| {
        let mut b = json!({"text": text});
        if private {
            b["private_channel"] = json!("dm");
        }
        client
            .post(format!("{}/api/v1/cases/{id}/replies", server.base))
            .bearer_auth(&token)
            .json(&b)
            .send()
    };
    assert_eq!(
        act(json!({"action": "acknowledge"}))
            .await
            .expect("a")
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        act(json!({"action": "move_private", "channel": "dm"}))
            .await
            .expect("a")
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        reply("Ti abbiamo scritto in DM", true)
            .await
            .expect("r")
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        act(json!({"action": "resolve"})).await.expect("a").status(),
        StatusCode::OK
    );
    let refused = act(json!({"action": "close"})).await.expect("a");
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let why: Value = refused.json().await.expect("json");
    assert!(
        why["error"]
            .as_str()
            .is_some_and(|e| e.contains("public closing reply")),
        "{why}"
    );
    assert_eq!(
        reply("Risolto, grazie per la pazienza!", false)
            .await
            .expect("r")
            .status(),
        StatusCode::CREATED
    );
    let closed = act(json!({"action": "close"})).await.expect("a");
    let status = closed.status();
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        closed.text().await.unwrap_or_default()
    );
    let case: Value = client
        .get(format!("{}/api/v1/cases/{id}", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(case["case"]["status"], "closed");
    assert_eq!(case["replies"].as_array().map(Vec::len), Some(2));
    assert_eq!(case["mentions"].as_array().map(Vec::len), Some(1));
    let kinds: Vec<&str> = case["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        // The SLA clock runs meanwhile (these mentions are months old): its events interleave.
        .filter(|k| !matches!(*k, "sla_breach" | "priority_changed" | "follow_up_due"))
        .collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "assigned",
            "acknowledged",
            "moved_private",
            "replied",
            "resolved",
            "replied",
            "closed"
        ]
    );
    let history: Value = client
        .get(format!(
            "{}/api/v1/authors/{}",
            server.base,
            case["case"]["author_key"].as_str().unwrap_or("")
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("author")
        .json()
        .await
        .expect("json");
    assert_eq!(
        history["cases"].as_array().map(Vec::len),
        Some(1),
        "{history}"
    );
    assert_eq!(
        history["cases"][0]["mentions"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(history["channels"], json!(["@velora"]));
    let templates: Value = client
        .get(format!("{}/api/v1/cases/{id}/templates", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("templates")
        .json()
        .await
        .expect("json");
    let ack = templates["templates"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "acknowledge"))
        .cloned()
        .unwrap_or(Value::Null);
    assert!(
        ack["text"].as_str().is_some_and(|t| t.contains("@u")),
        "{templates}"
    );
    let bad = act(json!({"action": "teleport"})).await.expect("a");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(server.stop());
}

#[test]
fn a_burst_of_ten_thousand_negative_mentions_all_become_prioritised_cases() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = run(firebreak(dir.path()).args([
        "bench",
        "inbox",
        "--count",
        "10000",
        "--minutes",
        "10",
        "--json",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let f = stdout_json(&out);
    assert_eq!(f["stored"], 10000, "{f}");
    assert_eq!(f["needing_response"], 10000, "{f}");
    assert_eq!(f["in_cases"], 10000, "nothing lost: {f}");
    assert_eq!(f["open_cases"], 10000, "{f}");
}

#[test]
fn lint_reply_prints_the_findings_as_json_and_exits_1() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = run(firebreak(dir.path()).args([
        "lint-reply",
        "--customer-lang",
        "it",
        "--at-fault",
        "--json",
        "Non è colpa nostra. Garantiamo che non succederà mai più.",
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = stdout_json(&out);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(
        rules.contains(&"excuse")
            && rules.contains(&"promise")
            && rules.contains(&"missing_apology"),
        "{v}"
    );
    let f = &v["findings"][0];
    for key in ["rule", "start", "end", "message", "suggestion"] {
        assert!(!f[key].is_null(), "{key} missing in {f}");
    }
    let clean = run(firebreak(dir.path()).args([
        "lint-reply",
        "--customer-lang",
        "it",
        "--json",
        "Ci dispiace molto per il disagio: ti scriviamo in privato per risolvere.",
    ]));
    assert_eq!(clean.status.code(), Some(0), "{}", stdout_json(&clean));
    assert_eq!(stdout_json(&clean), json!({"findings": []}));
}

#[tokio::test]
async fn replies_are_linted_and_personal_data_is_never_posted_in_public() {
    let (dir, db) = setup();
    let token = agent_token(dir.path(), &db, "giulia");
    let server = Server::start(dir.path(), &db, &[]);
    let client = Client::new();
    let cases: Value = client
        .get(format!("{}/api/v1/cases?status=new", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let id = cases["cases"][0]["id"].as_i64().expect("id");
    let post = |text: &str, private: bool| {
        let mut b = json!({"text": text});
        if private {
            b["private_channel"] = json!("email");
        }
        client
            .post(format!("{}/api/v1/cases/{id}/replies", server.base))
            .bearer_auth(&token)
            .json(&b)
            .send()
    };
    let leak =
        "Gentile cliente, la contatteremo al numero +39 333 1234567 o a mario.rossi@example.com";
    let refused = post(leak, false).await.expect("post");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let why: Value = refused.json().await.expect("json");
    assert!(
        why["error"]
            .as_str()
            .is_some_and(|e| e.contains("personal data")),
        "{why}"
    );
    // The same text in a private channel is fine, and its findings are kept with it.
    let ok = post(leak, true).await.expect("post");
    assert_eq!(ok.status(), StatusCode::CREATED);
    let promise = post("Garantiamo che non succederà mai più!", false)
        .await
        .expect("post");
    assert_eq!(
        promise.status(),
        StatusCode::CREATED,
        "a warning, not a refusal"
    );
    let body: Value = promise.json().await.expect("json");
    assert!(
        body["reply"]["lint"]
            .as_array()
            .is_some_and(|l| l.iter().any(|f| f["rule"] == "promise")),
        "{body}"
    );
    // The linter on its own, for the composer.
    let lint: Value = client
        .post(format!("{}/api/v1/lint", server.base))
        .json(&json!({"text": "It's not our fault, the courier lost it.", "customer_lang": "en"}))
        .send()
        .await
        .expect("lint")
        .json()
        .await
        .expect("json");
    assert_eq!(lint["findings"][0]["rule"], "excuse", "{lint}");
    assert!(server.stop());
}
