//! The authorisation matrix: every role against every state-changing endpoint of the web
//! app (and the API's case actions, merged behind it), in process. Also: no session, no
//! CSRF token, and a cross-site Origin are refused; refusals are audited; login is rate
//! limited; the session cookie is HttpOnly and SameSite=Strict; every page carries the CSP.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::Utc;
use firebreak_core::{
    Analysis, Category, Intent, Mention, Register, Sentiment, SentimentLabel, Toxicity,
};
use firebreak_respond::audit::Outcome;
use firebreak_respond::guard::Role;
use firebreak_respond::inbox::{Agent, InboxConfig};
use firebreak_respond::sla::SystemClock;
use firebreak_respond::Inbox;
use firebreak_store::{MentionStore, SqliteStore, UserRecord, UserStore};
use firebreak_web::{hash_password, LiveFeed, WebSettings, WebState};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";
const ROLES: [Role; 4] = [Role::Viewer, Role::Agent, Role::Manager, Role::Admin];

fn complaint(i: u32) -> Mention {
    let mut m = firebreak_testkit::mention(i);
    m.author.id = format!("author{i}").as_str().into();
    m.author.handle = Some(format!("@author{i}"));
    m.created_at = Utc::now();
    m.analysis = Some(Analysis {
        lang: Some("en".into()),
        lang_confidence: 0.97,
        sentiment: Sentiment {
            label: SentimentLabel::Negative,
            score: 0.8,
            probs: [0.8, 0.15, 0.05],
        },
        toxicity: Toxicity {
            toxic: 0.1,
            insult: 0.1,
            threat: 0.01,
            identity_hate: 0.0,
        },
        intent: Intent::Complaint,
        intent_confidence: 0.8,
        category: Some(Category::DeliveryLogistics),
        register: Register::Emotional,
        emotional: 0.7,
    });
    m
}

struct World {
    app: Router,
    store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

struct NoPager;

impl firebreak_crisis::Pager for NoPager {
    fn page(&self, _page: firebreak_crisis::Page) {}
}

/// The reference plan, in force as the file's version 0.
fn crisis_room(store: &Arc<SqliteStore>) -> Arc<firebreak_crisis::CrisisRoom> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plan.toml"),
    )
    .expect("the reference plan");
    let plan = firebreak_plan::parse(&text, "plan.toml").expect("a valid plan");
    Arc::new(
        firebreak_crisis::CrisisRoom::new(
            Arc::new(plan),
            store.clone(),
            Arc::new(NoPager),
            Arc::new(SystemClock),
        )
        .with_source(text, 0),
    )
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Arc::new(SqliteStore::open(&dir.path().join("w.db")).expect("open"));
    let agents = ROLES
        .iter()
        .map(|r| Agent {
            name: format!("api-{}", r.as_str()),
            role: *r,
            languages: vec!["en".into()],
            skills: vec![],
            capacity: 10,
        })
        .collect();
    let config = InboxConfig {
        agents,
        auto_assign: false,
        ..InboxConfig::default()
    };
    let inbox = Arc::new(
        Inbox::new(store.clone(), config, Arc::new(SystemClock))
            .with_linter(Arc::new(firebreak_respond::lint::Linter::new(None))),
    );
    let mentions: Vec<Mention> = (1..=40).map(complaint).collect();
    store.upsert_mentions(&mentions).expect("mentions");
    inbox.intake(&mentions).expect("intake");
    for r in ROLES {
        let user = UserRecord {
            name: r.as_str().into(),
            role: r,
            password_hash: hash_password(PASSWORD).expect("hash"),
            ui_lang: "en".into(),
            languages: vec![],
            disabled: false,
            created_at: Utc::now(),
        };
        assert!(store.create_user(&user).expect("user"));
        store
            .create_api_token(
                &firebreak_server::token_hash(&format!("tok-{}", r.as_str())),
                r.as_str(),
                "test",
                Utc::now(),
                None,
            )
            .expect("token");
    }
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    std::mem::forget(rx);
    let api = firebreak_server::AppState {
        store: store.clone(),
        ingest: tx,
        settings: Arc::new(firebreak_server::ServerSettings::default()),
        inbox: Some(inbox),
        linter: Some(Arc::new(firebreak_respond::lint::Linter::new(None))),
        crisis: Some(crisis_room(&store)),
        hooks: Default::default(),
        connectors: None,
        accounts: Some(store.clone()),
    };
    let web = WebState {
        app: api.clone(),
        cases: store.clone(),
        users: store.clone(),
        insights: store.clone(),
        alerts: store.clone(),
        live: LiveFeed::new(),
        settings: Arc::new(WebSettings::default()),
    };
    let app = firebreak_web::router(web).fallback_service(firebreak_server::router(api));
    World {
        app,
        store,
        _dir: dir,
    }
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .expect("body");
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn cookies_of(headers: &axum::http::HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

fn value_after<'a>(html: &'a str, marker: &str) -> &'a str {
    html.split(marker)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
}

struct Session {
    cookie: String,
    csrf: String,
}

async fn login(app: &Router, name: &str, password: &str) -> (StatusCode, Option<Session>) {
    let (_, headers, html) = send(
        app,
        Request::get("/login").body(Body::empty()).expect("req"),
    )
    .await;
    let login_cookie = cookies_of(&headers)
        .into_iter()
        .find(|c| c.starts_with("fb_login="))
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .expect("login csrf cookie");
    let csrf = value_after(&html, "name=\"csrf\" value=\"").to_owned();
    let body = format!(
        "name={name}&password={}&csrf={csrf}&next=/",
        password.replace(' ', "+")
    );
    let (status, headers, _) = send(
        app,
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, login_cookie)
            .body(Body::from(body))
            .expect("req"),
    )
    .await;
    let Some(session) = cookies_of(&headers)
        .into_iter()
        .find(|c| c.starts_with("fb_session=") && !c.starts_with("fb_session=;"))
    else {
        return (status, None);
    };
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    let cookie = session.split(';').next().unwrap_or("").to_owned();
    let (_, _, page) = send(
        app,
        Request::get("/settings")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    let csrf = value_after(&page, "data-csrf=\"").to_owned();
    assert_eq!(csrf.len(), 64, "a CSRF token on every page");
    (status, Some(Session { cookie, csrf }))
}

async fn post_form(app: &Router, path: &str, s: Option<&Session>, body: &str) -> StatusCode {
    let mut req =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(s) = s {
        req = req.header(header::COOKIE, &s.cookie);
    }
    let (status, _, text) = send(app, req.body(Body::from(body.to_owned())).expect("req")).await;
    if status.is_server_error() {
        panic!("{path}: {status} {text}");
    }
    status
}

/// One state-changing endpoint: the path and form for a role (so that each role acts on
/// its own case), and the lowest role allowed.
struct Endpoint {
    name: &'static str,
    min: Role,
    request: fn(role_index: u32, csrf: &str) -> (String, String),
}

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "case acknowledge",
        min: Role::Agent,
        request: |i, csrf| {
            (
                format!("/cases/{}/action", 1 + i),
                format!("csrf={csrf}&action=acknowledge"),
            )
        },
    },
    Endpoint {
        name: "case note",
        min: Role::Agent,
        request: |i, csrf| {
            (
                format!("/cases/{}/action", 5 + i),
                format!("csrf={csrf}&action=note&text=called+back"),
            )
        },
    },
    Endpoint {
        name: "case move to private",
        min: Role::Agent,
        request: |i, csrf| {
            (
                format!("/cases/{}/action", 9 + i),
                format!("csrf={csrf}&action=move_private&channel=dm"),
            )
        },
    },
    Endpoint {
        name: "case follow-up contact",
        min: Role::Agent,
        request: |i, csrf| {
            (
                format!("/cases/{}/action", 13 + i),
                format!("csrf={csrf}&action=contact_attempt&text=phoned"),
            )
        },
    },
    Endpoint {
        name: "case reply",
        min: Role::Agent,
        request: |i, csrf| {
            (format!("/cases/{}/reply", 17 + i), format!("csrf={csrf}&text=Hi%2C+thank+you+for+telling+us%2C+we+are+looking+into+it.&channel=public"))
        },
    },
    Endpoint {
        name: "case close",
        min: Role::Agent,
        request: |i, csrf| {
            (
                format!("/cases/{}/action", 21 + i),
                format!("csrf={csrf}&action=start"),
            )
        },
    },
    Endpoint {
        name: "add user",
        min: Role::Admin,
        request: |i, csrf| {
            (
                "/settings/users".into(),
                format!("csrf={csrf}&name=new{i}&role=agent&password=long+enough+pw&ui_lang=it"),
            )
        },
    },
    Endpoint {
        name: "change user",
        min: Role::Admin,
        request: |_, csrf| {
            (
                "/settings/users/new3".into(),
                format!("csrf={csrf}&role=manager&state="),
            )
        },
    },
    Endpoint {
        name: "own settings",
        min: Role::Viewer,
        request: |_, csrf| ("/settings/me".into(), format!("csrf={csrf}&ui_lang=pl")),
    },
];

#[tokio::test]
async fn every_role_against_every_state_changing_endpoint() {
    let w = world();
    let mut sessions = Vec::new();
    for r in ROLES {
        let (status, s) = login(&w.app, r.as_str(), PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{} signs in", r.as_str());
        sessions.push(s.expect("session"));
    }
    // Admin first for "change user", which needs the user that admin adds.
    let order = [3usize, 0, 1, 2];
    let mut table = String::new();
    for e in ENDPOINTS {
        for &i in &order {
            let role = ROLES[i];
            let s = &sessions[i];
            let (path, body) = (e.request)(i as u32, &s.csrf);
            let status = post_form(&w.app, &path, Some(s), &body).await;
            let allowed = role >= e.min;
            table.push_str(&format!("{:<24} {:<8} {status}\n", e.name, role.as_str()));
            if allowed {
                assert_eq!(
                    status,
                    StatusCode::SEE_OTHER,
                    "{} as {}: {path}",
                    e.name,
                    role.as_str()
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{} as {}: {path}",
                    e.name,
                    role.as_str()
                );
            }
            // Without a session: 401. Without the CSRF token: 403.
            let (path, body) = (e.request)(i as u32, "");
            assert_eq!(
                post_form(&w.app, &path, None, &body).await,
                StatusCode::UNAUTHORIZED
            );
            assert_eq!(
                post_form(&w.app, &path, Some(s), &body).await,
                StatusCode::FORBIDDEN
            );
        }
    }
    // The live linter: every signed-in role may lint; the CSRF header is required.
    for (i, s) in sessions.iter().enumerate() {
        for (token, want) in [
            (s.csrf.as_str(), StatusCode::OK),
            ("", StatusCode::FORBIDDEN),
        ] {
            let (status, _, body) = send(
                &w.app,
                Request::post("/ui/lint")
                    .header(header::COOKIE, &s.cookie)
                    .header(header::CONTENT_TYPE, "application/json")
                    .header("x-csrf-token", token)
                    .body(Body::from(
                        r#"{"text":"We guarantee this will never happen again.","case":30}"#,
                    ))
                    .expect("req"),
            )
            .await;
            assert_eq!(status, want, "lint as {}", ROLES[i].as_str());
            if want == StatusCode::OK {
                assert!(body.contains("\"promise\""), "{body}");
            }
        }
    }
    // The API behind the web app: API tokens act as their account, with its role.
    for (i, role) in ROLES.iter().enumerate() {
        let (status, _, body) = send(
            &w.app,
            Request::post(format!("/api/v1/cases/{}/actions", 25 + i))
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer tok-{}", role.as_str()),
                )
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"action":"acknowledge"}"#))
                .expect("req"),
        )
        .await;
        let want = if *role >= Role::Agent {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, want, "API acknowledge as {}: {body}", role.as_str());
    }
    // A name in X-Firebreak-User is not trusted unless the configuration says a proxy sets
    // it; an unknown token acts as no one.
    for (name, value) in [
        ("x-firebreak-user", "api-admin".to_owned()),
        ("authorization", "Bearer tok-nobody".to_owned()),
    ] {
        let (status, _, body) = send(
            &w.app,
            Request::post("/api/v1/cases/31/actions")
                .header(name, value)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"action":"acknowledge"}"#))
                .expect("req"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
    }
    // Logout ends the session.
    for s in &sessions {
        assert_eq!(
            post_form(&w.app, "/logout", Some(s), &format!("csrf={}", s.csrf)).await,
            StatusCode::SEE_OTHER
        );
        let (status, _, _) = send(
            &w.app,
            Request::get("/inbox")
                .header(header::COOKIE, &s.cookie)
                .body(Body::empty())
                .expect("req"),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "signed out: back to the login form"
        );
    }
    // Refusals are in the audit log.
    use firebreak_respond::store::CaseStore;
    let audit = w.store.audit_entries(0, 10_000).expect("audit");
    let refused = |actor: &str, action: &str| {
        audit
            .iter()
            .any(|e| e.actor == actor && e.action == action && e.outcome == Outcome::Refused)
    };
    assert!(refused("viewer", "user.add"), "{table}");
    assert!(refused("manager", "user.change"));
    assert!(refused("viewer", "reply.send"));
    assert!(refused("viewer", "case.acknowledge"));
    assert!(audit
        .iter()
        .any(|e| e.actor == "admin" && e.action == "user.add" && e.outcome == Outcome::Done));
    let changed = w.store.get_user("new3").expect("get").expect("added");
    assert_eq!(changed.role, Role::Manager);
    assert_eq!(
        w.store.get_user("viewer").expect("get").map(|u| u.ui_lang),
        Some("pl".into())
    );
    println!("{table}");
}

#[tokio::test]
async fn logins_are_rate_limited_and_cross_site_posts_refused() {
    let w = world();
    for _ in 0..5 {
        let (status, s) = login(&w.app, "agent", "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(s.is_none());
    }
    // The right password no longer helps for a while.
    let (status, s) = login(&w.app, "agent", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(s.is_none());
    // Another user from the same address still can (the per-IP limit is higher).
    let (status, s) = login(&w.app, "admin", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let s = s.expect("session");
    let (status, _, _) = send(
        &w.app,
        Request::post("/settings/me")
            .header(header::COOKIE, &s.cookie)
            .header(header::ORIGIN, "https://evil.example")
            .header(header::HOST, "firebreak.local")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={}&ui_lang=de", s.csrf)))
            .expect("req"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Every page carries the CSP without inline script.
    for path in [
        "/",
        "/explorer",
        "/inbox",
        "/cases/1",
        "/settings",
        "/login",
    ] {
        let (status, headers, html) = send(
            &w.app,
            Request::get(path)
                .header(header::COOKIE, &s.cookie)
                .body(Body::empty())
                .expect("req"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        let csp = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(
            !html.contains("<script>") && !html.contains(" style=\""),
            "{path}: inline script or style"
        );
    }
}

#[tokio::test]
async fn a_user_changes_their_own_password_and_their_other_sessions_end() {
    let w = world();
    let (_, here) = login(&w.app, "viewer", PASSWORD).await;
    let here = here.expect("session");
    let (_, elsewhere) = login(&w.app, "viewer", PASSWORD).await;
    let elsewhere = elsewhere.expect("second session");
    let new = "a much longer new passphrase";
    let form = |current: &str, new: &str, confirm: &str, csrf: &str| {
        format!(
            "csrf={csrf}&current={}&new={}&confirm={}",
            current.replace(' ', "+"),
            new.replace(' ', "+"),
            confirm.replace(' ', "+")
        )
    };

    // The current password is required, and the confirmation must match.
    let wrong = form("not my password", new, new, &here.csrf);
    assert_eq!(
        post_form(&w.app, "/settings/password", Some(&here), &wrong).await,
        StatusCode::FORBIDDEN
    );
    let mismatch = form(PASSWORD, new, "something else entirely", &here.csrf);
    assert_eq!(
        post_form(&w.app, "/settings/password", Some(&here), &mismatch).await,
        StatusCode::BAD_REQUEST
    );
    let short = form(PASSWORD, "short", "short", &here.csrf);
    assert_eq!(
        post_form(&w.app, "/settings/password", Some(&here), &short).await,
        StatusCode::BAD_REQUEST
    );

    let ok = form(PASSWORD, new, new, &here.csrf);
    assert_eq!(
        post_form(&w.app, "/settings/password", Some(&here), &ok).await,
        StatusCode::SEE_OTHER
    );
    // This session goes on; the other one has ended.
    let page = |s: &Session| {
        Request::get("/settings")
            .header(header::COOKIE, &s.cookie)
            .body(Body::empty())
            .expect("req")
    };
    assert_eq!(send(&w.app, page(&here)).await.0, StatusCode::OK);
    assert_ne!(send(&w.app, page(&elsewhere)).await.0, StatusCode::OK);
    // The old password no longer signs in; the new one does.
    assert_eq!(
        login(&w.app, "viewer", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(&w.app, "viewer", new).await.0, StatusCode::SEE_OTHER);
    // Both the refusal and the change are in the audit log.
    let audit = firebreak_respond::store::CaseStore::audit_entries(w.store.as_ref(), 0, 1000)
        .expect("audit");
    let mine: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "user.password")
        .collect();
    assert!(mine.iter().any(|e| e.outcome == Outcome::Refused));
    assert!(mine.iter().any(|e| e.outcome == Outcome::Done));
}

/// Form encoding of a value (the plan text holds newlines, quotes, `=` and `#`).
fn form_value(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn get_page(app: &Router, path: &str, s: &Session) -> (StatusCode, String) {
    let (status, _, html) = send(
        app,
        Request::get(path)
            .header(header::COOKIE, &s.cookie)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    (status, html)
}

async fn save_plan(
    app: &Router,
    s: &Session,
    base: &str,
    text: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let body = format!(
        "csrf={}&base={base}&note={}&text={}",
        s.csrf,
        form_value("the brand's new name"),
        form_value(text)
    );
    send(
        app,
        Request::post("/plan/edit")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &s.cookie)
            .body(Body::from(body))
            .expect("req"),
    )
    .await
}

#[tokio::test]
async fn the_plan_editor_validates_refuses_stale_saves_and_puts_the_plan_in_force() {
    let w = world();
    let mut sessions = Vec::new();
    for r in ROLES {
        let (_, s) = login(&w.app, r.as_str(), PASSWORD).await;
        sessions.push(s.expect("session"));
    }
    let (viewer, agent, manager, admin) = (&sessions[0], &sessions[1], &sessions[2], &sessions[3]);
    let (_, plan_page) = get_page(&w.app, "/plan", viewer).await;
    assert!(
        plan_page.contains("Acme Coffee"),
        "the file's plan is in force"
    );
    assert!(
        !plan_page.contains("plan-edit-link"),
        "viewers see no editor link"
    );

    // Viewers and agents may read the plan, not change it.
    for s in [viewer, agent] {
        assert_eq!(
            get_page(&w.app, "/plan/edit", s).await.0,
            StatusCode::FORBIDDEN
        );
        let (status, _, _) = save_plan(&w.app, s, "0", "plan_version = 1").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    let (status, form) = get_page(&w.app, "/plan/edit", manager).await;
    assert_eq!(status, StatusCode::OK);
    let base = value_after(&form, "name=\"base\" value=\"").to_owned();
    assert_eq!(base, "0");
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plan.toml"),
    )
    .expect("plan");
    assert!(
        form.contains("brand = &quot;Acme Coffee&quot;")
            || form.contains("brand = &#34;Acme Coffee&#34;"),
        "the text in force is in the editor"
    );

    // An invalid plan is not saved: every problem comes back with its line and fix.
    let broken = text
        .replace("plan_version = 1", "plan_version = 7")
        .replace("brand = \"Acme Coffee\"", "brand = \"\"");
    let (status, _, html) = save_plan(&w.app, manager, &base, &broken).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let problems = html.matches("class=\"plan-problem\"").count();
    assert!(problems >= 1, "{html}");
    assert!(
        html.contains("data-line=\"29\""),
        "plan_version is on line 29: {html}"
    );
    let (_, plan_page) = get_page(&w.app, "/plan", manager).await;
    assert!(plan_page.contains("Acme Coffee"), "nothing changed");

    // A valid change is saved as version 1 and in force at once.
    let renamed = text.replace("brand = \"Acme Coffee\"", "brand = \"Acme Roasters\"");
    let (status, headers, _) = save_plan(&w.app, manager, &base, &renamed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers.get(header::LOCATION).and_then(|v| v.to_str().ok()),
        Some("/plan?saved=1")
    );
    let (_, plan_page) = get_page(&w.app, "/plan?saved=1", viewer).await;
    assert!(
        plan_page.contains("Acme Roasters"),
        "the saved plan is in force"
    );

    // A save made on top of the old version is refused: it would undo the manager's.
    let (status, _, html) = save_plan(&w.app, admin, "0", &text).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("plan-conflict"), "{html}");
    let (_, plan_page) = get_page(&w.app, "/plan", viewer).await;
    assert!(plan_page.contains("Acme Roasters"));

    use firebreak_crisis::CrisisStore;
    let history = w.store.plan_history(10).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].version, history[0].author.as_str()),
        (1, "manager")
    );
    use firebreak_respond::store::CaseStore;
    let audit = w.store.audit_entries(0, 10_000).expect("audit");
    let has = |actor: &str, outcome: Outcome| {
        audit
            .iter()
            .any(|e| e.actor == actor && e.action == "plan.save" && e.outcome == outcome)
    };
    assert!(has("viewer", Outcome::Refused), "refusals are audited");
    assert!(has("manager", Outcome::Done));
    assert!(has("admin", Outcome::Refused), "the stale save is audited");
}

async fn api_status(app: &Router, token: &str) -> StatusCode {
    send(
        app,
        Request::get("/api/v1/cases?limit=5")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("req"),
    )
    .await
    .0
}

#[tokio::test]
async fn api_tokens_are_shown_once_and_revoked_by_their_owner_or_an_admin() {
    let w = world();
    let (_, agent) = login(&w.app, "agent", PASSWORD).await;
    let agent = agent.expect("agent session");
    let (_, admin) = login(&w.app, "admin", PASSWORD).await;
    let admin = admin.expect("admin session");

    // A token needs a name and a CSRF token.
    assert_eq!(
        post_form(
            &w.app,
            "/settings/tokens",
            Some(&agent),
            &format!("csrf={}&label=", agent.csrf)
        )
        .await,
        StatusCode::BAD_REQUEST
    );
    assert_ne!(
        post_form(
            &w.app,
            "/settings/tokens",
            Some(&agent),
            "csrf=forged&label=ci"
        )
        .await,
        StatusCode::OK
    );
    let create = |s: &Session, label: &str| {
        Request::post("/settings/tokens")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &s.cookie)
            .body(Body::from(format!("csrf={}&label={label}", s.csrf)))
            .expect("req")
    };
    let (status, _, page) = send(&w.app, create(&agent, "grafana")).await;
    assert_eq!(status, StatusCode::OK);
    let token = page
        .split("<pre id=\"new-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the new token, shown once")
        .to_owned();
    assert!(token.starts_with("fbk_"), "{token}");
    assert_eq!(api_status(&w.app, &token).await, StatusCode::OK);
    // Listed by name and id, never shown again.
    let (_, settings) = get_page(&w.app, "/settings", &agent).await;
    assert!(settings.contains("grafana"));
    assert!(!settings.contains(&token));
    let id = value_after(&settings, "class=\"token-row\" data-token=\"").to_owned();
    assert_eq!(id.len(), 12);
    let viewer_id = firebreak_server::token_hash("tok-viewer")[..12].to_owned();
    assert!(
        !settings.contains(&viewer_id),
        "an agent sees only their own tokens"
    );

    // Someone else's token: only an admin may revoke it.
    let (_, viewer) = login(&w.app, "viewer", PASSWORD).await;
    let viewer = viewer.expect("viewer session");
    let revoke = |s: &Session, user: &str| format!("csrf={}&id={id}&user={user}", s.csrf);
    assert_eq!(
        post_form(
            &w.app,
            "/settings/tokens/revoke",
            Some(&viewer),
            &revoke(&viewer, "agent")
        )
        .await,
        StatusCode::FORBIDDEN
    );
    // Revoking one's own (with no user named) works once; the token stops working.
    let own = format!("csrf={}&id={id}", agent.csrf);
    assert_eq!(
        post_form(&w.app, "/settings/tokens/revoke", Some(&agent), &own).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(api_status(&w.app, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        post_form(&w.app, "/settings/tokens/revoke", Some(&agent), &own).await,
        StatusCode::NOT_FOUND
    );
    // An admin sees everyone's tokens and revokes the viewer's.
    assert_eq!(api_status(&w.app, "tok-viewer").await, StatusCode::OK);
    let (_, all) = get_page(&w.app, "/settings", &admin).await;
    assert!(all.contains(&format!("data-token=\"{viewer_id}\"")));
    let body = format!("csrf={}&id={viewer_id}&user=viewer", admin.csrf);
    assert_eq!(
        post_form(&w.app, "/settings/tokens/revoke", Some(&admin), &body).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        api_status(&w.app, "tok-viewer").await,
        StatusCode::UNAUTHORIZED
    );
    let audit = firebreak_respond::store::CaseStore::audit_entries(w.store.as_ref(), 0, 1000)
        .expect("audit");
    let actions: Vec<(&str, &str, Outcome)> = audit
        .iter()
        .filter(|e| e.action.starts_with("token."))
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.outcome))
        .collect();
    assert!(actions.contains(&("agent", "token.create", Outcome::Done)));
    assert!(actions.contains(&("agent", "token.revoke", Outcome::Done)));
    assert!(actions.contains(&("viewer", "token.revoke", Outcome::Refused)));
    assert!(actions.contains(&("admin", "token.revoke", Outcome::Done)));
}

#[tokio::test]
async fn the_overview_says_whether_each_crisis_alerts_notification_went_out() {
    use firebreak_store::AlertLog;
    let w = world();
    let alert = |id: &str, minutes: i64| -> firebreak_core::Alert {
        serde_json::from_value(serde_json::json!({
            "id": id, "channel": "@velora", "kind": "emerging_topic", "crisis": true,
            "severity": 3, "summary": format!("summary of {id}"), "terms": ["charger"],
            "raised_at": (Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339(),
            "evidence": [], "amplifiers": [],
        }))
        .expect("alert")
    };
    let now = Utc::now();
    let (sent, failed, pending) = (
        alert("a-sent", 3),
        alert("a-failed", 2),
        alert("a-pending", 1),
    );
    for a in [&sent, &failed, &pending] {
        assert!(w.store.claim_alert(a, "local", now).expect("claim"));
    }
    w.store
        .mark_alert_delivered(&sent, "sent", now)
        .expect("mark");
    w.store
        .mark_alert_delivered(&failed, "failed: ops-webhook", now)
        .expect("mark");
    let (_, viewer) = login(&w.app, "viewer", PASSWORD).await;
    let (status, html) = get_page(&w.app, "/overview/live", &viewer.expect("session")).await;
    assert_eq!(status, StatusCode::OK);
    let chip_after = |summary: &str| -> String {
        let item = html
            .split("<li class=\"alert")
            .find(|li| li.contains(summary))
            .unwrap_or_else(|| panic!("{summary} is listed: {html}"));
        value_after(item, "data-delivery=\"").to_owned()
    };
    assert_eq!(chip_after("summary of a-sent"), "notify_sent");
    assert_eq!(chip_after("summary of a-failed"), "notify_failed");
    assert_eq!(chip_after("summary of a-pending"), "notify_pending");
    assert!(html.contains("Notification failed: ops-webhook"), "{html}");
}

#[tokio::test]
async fn an_api_token_expires_when_asked_and_an_expired_one_is_refused() {
    let w = world();
    let (_, agent) = login(&w.app, "agent", PASSWORD).await;
    let agent = agent.expect("agent session");
    let create = |body: String| {
        Request::post("/settings/tokens")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &agent.cookie)
            .body(Body::from(body))
            .expect("req")
    };
    // An expiry that is not a number of days (or "never") is refused with a reason.
    let (status, _, body) = send(
        &w.app,
        create(format!("csrf={}&label=ci&expires_days=soon", agent.csrf)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("expires_days"), "{body}");
    let (status, _, _) = send(
        &w.app,
        create(format!("csrf={}&label=ci&expires_days=0", agent.csrf)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Thirty days: it works now, and the list says when it ends.
    let (status, _, page) = send(
        &w.app,
        create(format!("csrf={}&label=grafana&expires_days=30", agent.csrf)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token = page
        .split("<pre id=\"new-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the new token")
        .to_owned();
    assert_eq!(api_status(&w.app, &token).await, StatusCode::OK);
    let in_30_days = (Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let (_, settings) = get_page(&w.app, "/settings", &agent).await;
    assert!(settings.contains(&in_30_days), "{settings}");
    // A token whose time is up is refused by the API and shown as expired.
    let stale = firebreak_server::token_hash("tok-stale");
    w.store
        .create_api_token(
            &stale,
            "agent",
            "old script",
            Utc::now() - chrono::Duration::days(91),
            Some(Utc::now() - chrono::Duration::days(1)),
        )
        .expect("token");
    assert_eq!(
        api_status(&w.app, "tok-stale").await,
        StatusCode::UNAUTHORIZED
    );
    let (_, settings) = get_page(&w.app, "/settings", &agent).await;
    let row = settings
        .split(&format!("data-token=\"{}\"", &stale[..12]))
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .expect("the expired token is listed");
    assert!(row.contains("token-expired"), "{row}");
    assert!(!row.contains("/settings/tokens/revoke"), "{row}");
    assert_eq!(api_status(&w.app, &token).await, StatusCode::OK);
}
