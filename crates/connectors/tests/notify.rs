//! Notifications reach real local servers: an HTTP receiver (axum) standing in for the
//! webhook, Slack and Matrix endpoints, and a real SMTP server (Python's aiosmtpd, installed
//! by scripts/test; `FIREBREAK_REQUIRE_SMTP=1` makes its absence a failure).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::Router;
use firebreak_connectors::notify::{
    build_targets, signature, Notification, Notifier, RetryPolicy, Secret, SmtpTls, TargetConfig,
};
use firebreak_core::{Alert, AlertKind};

#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Status codes to answer, in order; then 200.
    script: Arc<Mutex<Vec<u16>>>,
}

async fn record(
    State(r): State<Receiver>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    r.seen.lock().expect("lock").push(Seen {
        method,
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let mut script = r.script.lock().expect("lock");
    if script.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::from_u16(script.remove(0)).unwrap_or(StatusCode::OK)
    }
}

async fn receiver(script: Vec<u16>) -> (String, Receiver) {
    let r = Receiver {
        seen: Arc::new(Mutex::new(Vec::new())),
        script: Arc::new(Mutex::new(script)),
    };
    let app = Router::new().fallback(record).with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), r)
}

fn alert(severity: u8, crisis: bool) -> Alert {
    Alert {
        id: "@velora:crisis:1".into(),
        raised_at: chrono::DateTime::from_timestamp(1_772_442_000, 0).unwrap_or_default(),
        channel: "@velora".into(),
        kind: AlertKind::NegativeSurge,
        crisis,
        severity,
        summary: "12 authors complain about broken kettles (bollitore rotto)".into(),
        terms: vec!["bollitore".into(), "rotto".into()],
        evidence: vec!["mastodon:1".into(), "mastodon:2".into()],
        amplifiers: vec!["mastodon:big".into()],
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    }
}

#[tokio::test]
async fn a_signed_webhook_is_retried_after_server_errors_with_one_idempotency_key() {
    let (base, r) = receiver(vec![503, 429]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let key_file = dir.path().join("hook.key");
    std::fs::write(&key_file, "s3cret-hook-key\n").expect("key");
    let targets = build_targets(&[TargetConfig::Webhook {
        name: "ops".into(),
        url: format!("{base}/hook"),
        secret: Some(Secret {
            env: None,
            file: Some(key_file),
        }),
        min_severity: 0,
        crisis_only: false,
    }])
    .expect("targets");
    let notifier = Notifier::start(targets, fast());
    let stats = notifier.stats();
    notifier
        .send(Notification::from_alert(&alert(3, true)))
        .await
        .expect("queue");
    notifier.shutdown(Duration::from_secs(10)).await;
    let seen = r.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3, "two failures, then success");
    let keys: Vec<_> = seen
        .iter()
        .map(|s| s.headers.get("idempotency-key").cloned())
        .collect();
    assert!(keys.iter().all(|k| k == &keys[0] && k.is_some()));
    let last = &seen[2];
    assert_eq!(last.method, Method::POST);
    assert_eq!(
        last.headers
            .get("x-firebreak-signature")
            .and_then(|v| v.to_str().ok()),
        Some(signature(b"s3cret-hook-key", &last.body).as_str())
    );
    let body: serde_json::Value = serde_json::from_slice(&last.body).expect("json");
    assert_eq!(body["event"], "alert");
    assert_eq!(body["alert"]["severity"], 3);
    use std::sync::atomic::Ordering::Relaxed;
    assert_eq!(
        (
            stats.sent.load(Relaxed),
            stats.retries.load(Relaxed),
            stats.failed.load(Relaxed)
        ),
        (1, 2, 0)
    );
}

#[tokio::test]
async fn a_client_error_is_permanent_and_not_retried() {
    let (base, r) = receiver(vec![400]).await;
    let targets = build_targets(&[TargetConfig::Slack {
        name: "slack".into(),
        url: format!("{base}/services/T/B/X"),
        min_severity: 0,
        crisis_only: false,
    }])
    .expect("targets");
    let notifier = Notifier::start(targets, fast());
    let stats = notifier.stats();
    notifier
        .send(Notification::from_alert(&alert(2, true)))
        .await
        .expect("queue");
    notifier.shutdown(Duration::from_secs(10)).await;
    assert_eq!(r.seen.lock().expect("lock").len(), 1);
    assert_eq!(stats.failed.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[tokio::test]
async fn slack_and_matrix_get_their_own_shapes_and_filters_apply() {
    let (base, r) = receiver(vec![]).await;
    std::env::set_var("FIREBREAK_TEST_MATRIX_TOKEN", "syt_token");
    let targets = build_targets(&[
        TargetConfig::Slack {
            name: "slack".into(),
            url: format!("{base}/slack"),
            min_severity: 3,
            crisis_only: true,
        },
        TargetConfig::Matrix {
            name: "matrix".into(),
            homeserver: format!("{base}/"),
            room_id: "!room:example.org".into(),
            access_token: Secret {
                env: Some("FIREBREAK_TEST_MATRIX_TOKEN".into()),
                file: None,
            },
            min_severity: 0,
            crisis_only: false,
        },
    ])
    .expect("targets");
    let notifier = Notifier::start(targets, fast());
    // Severity 2: Matrix only. A positive spike (not a crisis): Matrix only.
    notifier
        .send(Notification::from_alert(&alert(2, true)))
        .await
        .expect("q");
    notifier
        .send(Notification::from_alert(&alert(1, false)))
        .await
        .expect("q");
    notifier
        .send(Notification::from_alert(&alert(4, true)))
        .await
        .expect("q");
    notifier.shutdown(Duration::from_secs(10)).await;
    let seen = r.seen.lock().expect("lock").clone();
    let slack: Vec<&Seen> = seen.iter().filter(|s| s.path == "/slack").collect();
    let matrix: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.path.contains("/_matrix/"))
        .collect();
    assert_eq!((slack.len(), matrix.len()), (1, 3));
    let text: serde_json::Value = serde_json::from_slice(&slack[0].body).expect("json");
    assert!(text["text"]
        .as_str()
        .is_some_and(|t| t.contains("sev 4") && t.contains("bollitore")));
    let m = matrix[0];
    assert_eq!(m.method, Method::PUT);
    assert!(
        m.path
            .starts_with("/_matrix/client/v3/rooms/%21room%3Aexample.org/send/m.room.message/"),
        "{}",
        m.path
    );
    assert_eq!(
        m.headers.get("authorization").and_then(|v| v.to_str().ok()),
        Some("Bearer syt_token")
    );
    let body: serde_json::Value = serde_json::from_slice(&m.body).expect("json");
    assert_eq!(body["msgtype"], "m.text");
}

#[test]
fn a_missing_secret_names_the_variable_and_never_the_value() {
    let err = build_targets(&[TargetConfig::Matrix {
        name: "matrix".into(),
        homeserver: "https://matrix.example.org".into(),
        room_id: "!r:example.org".into(),
        access_token: Secret {
            env: Some("FIREBREAK_TEST_UNSET_TOKEN".into()),
            file: None,
        },
        min_severity: 0,
        crisis_only: false,
    }])
    .err()
    .map(|e| e.to_string());
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("FIREBREAK_TEST_UNSET_TOKEN")),
        "{err:?}"
    );
    let bad_url = build_targets(&[TargetConfig::Slack {
        name: "s".into(),
        url: "ftp://x".into(),
        min_severity: 0,
        crisis_only: false,
    }]);
    assert!(bad_url.is_err());
}

#[tokio::test]
async fn email_reaches_a_real_smtp_server() {
    let Some(smtp) = firebreak_testkit::Smtp::start() else {
        return;
    };
    let targets = build_targets(&[TargetConfig::Email {
        name: "crisis-team".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: smtp.port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "Firebreak <firebreak@example.com>".into(),
        to: vec!["lead@example.com".into(), "legal@example.com".into()],
        min_severity: 0,
        crisis_only: true,
    }])
    .expect("targets");
    let notifier = Notifier::start(targets, fast());
    let stats = notifier.stats();
    notifier
        .send(Notification::from_alert(&alert(3, true)))
        .await
        .expect("q");
    notifier.shutdown(Duration::from_secs(20)).await;
    assert_eq!(stats.sent.load(std::sync::atomic::Ordering::Relaxed), 1);
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(
        mail.contains("Subject: [Firebreak CRISIS sev 3] @velora: negative_surge"),
        "{mail}"
    );
    assert!(
        mail.contains("To: lead@example.com, legal@example.com"),
        "{mail}"
    );
    assert!(mail.contains("broken kettles"), "{mail}");
}
