//! Accounts of the web app (users, sessions, login attempts), on both backends: the
//! embedded SQLite and a real PostgreSQL.

use std::sync::Arc;

use chrono::Duration;
use firebreak_respond::guard::Role;
use firebreak_store::{
    Insights, MentionStore, PgStore, SessionRecord, SqliteStore, UserRecord, UserStore,
};
use firebreak_testkit::{mention, t0, PgDatabase};

struct Subject {
    users: Arc<dyn UserStore>,
    mentions: Arc<dyn MentionStore>,
    insights: Arc<dyn Insights>,
    _keep: Box<dyn std::any::Any>,
}

fn sqlite() -> Option<Subject> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(&dir.path().join("a.db")).expect("open sqlite"));
    Some(Subject {
        users: store.clone(),
        mentions: store.clone(),
        insights: store,
        _keep: Box::new(dir),
    })
}

fn postgres() -> Option<Subject> {
    let db = PgDatabase::create()?;
    let store = Arc::new(PgStore::connect(&db.url).expect("connect postgres"));
    Some(Subject {
        users: store.clone(),
        mentions: store.clone(),
        insights: store,
        _keep: Box::new(db),
    })
}

macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[test] fn $name() { if let Some(s) = super::sqlite() { super::$name(&s); } })*
        }
        mod on_postgres {
            $(#[test] fn $name() { if let Some(s) = super::postgres() { super::$name(&s); } })*
        }
    };
}

stories!(
    users_are_created_once_listed_and_updated,
    sessions_expire_and_end_with_their_user,
    failed_logins_are_counted_per_key_within_the_window,
    activity_is_bucketed_per_channel_language_and_sentiment,
    api_tokens_are_listed_without_secrets_and_revoked_one_by_one,
    an_api_token_stops_working_when_it_expires,
);

fn user(name: &str, role: Role) -> UserRecord {
    UserRecord {
        name: name.into(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        ui_lang: "it".into(),
        languages: vec!["it".into(), "en".into()],
        disabled: false,
        created_at: t0(),
    }
}

fn users_are_created_once_listed_and_updated(s: &Subject) {
    assert!(s
        .users
        .create_user(&user("giulia", Role::Admin))
        .expect("create"));
    assert!(
        !s.users
            .create_user(&user("giulia", Role::Viewer))
            .expect("again"),
        "names are unique"
    );
    assert!(s
        .users
        .create_user(&user("anna", Role::Agent))
        .expect("create"));
    let all = s.users.list_users().expect("list");
    assert_eq!(
        all.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        ["anna", "giulia"]
    );
    let mut g = s.users.get_user("giulia").expect("get").expect("exists");
    assert_eq!(g, user("giulia", Role::Admin));
    g.role = Role::Manager;
    g.ui_lang = "de".into();
    g.languages = vec![];
    assert!(s.users.update_user(&g).expect("update"));
    assert_eq!(s.users.get_user("giulia").expect("get"), Some(g));
    assert_eq!(s.users.get_user("nobody").expect("get"), None);
}

fn sessions_expire_and_end_with_their_user(s: &Subject) {
    s.users
        .create_user(&user("marco", Role::Agent))
        .expect("create");
    let session = SessionRecord {
        token_hash: "h1".into(),
        user: "marco".into(),
        csrf: "c1".into(),
        created_at: t0(),
        expires_at: t0() + Duration::hours(1),
    };
    s.users.create_session(&session).expect("session");
    let (found, u) = s.users.session("h1", t0()).expect("read").expect("live");
    assert_eq!((found.csrf.as_str(), u.name.as_str()), ("c1", "marco"));
    assert!(
        s.users
            .session("h1", t0() + Duration::hours(2))
            .expect("read")
            .is_none(),
        "expired"
    );
    assert!(s.users.session("nope", t0()).expect("read").is_none());
    // Disabling a user ends their sessions at once.
    let mut m = s.users.get_user("marco").expect("get").expect("exists");
    m.disabled = true;
    s.users.update_user(&m).expect("disable");
    assert!(s.users.session("h1", t0()).expect("read").is_none());
    m.disabled = false;
    s.users.update_user(&m).expect("enable");
    assert_eq!(s.users.delete_sessions_of("marco").expect("end"), 1);
    assert!(s.users.session("h1", t0()).expect("read").is_none());
    s.users.prune_accounts(t0(), t0()).expect("prune");
}

fn failed_logins_are_counted_per_key_within_the_window(s: &Subject) {
    let keys = vec!["ip:127.0.0.1".to_owned(), "user:eve".to_owned()];
    for i in 0..3 {
        s.users
            .record_login_attempt(&keys, t0() + Duration::minutes(i), false)
            .expect("record");
    }
    s.users
        .record_login_attempt(&keys[..1], t0() + Duration::minutes(4), true)
        .expect("ok");
    assert_eq!(
        s.users
            .failed_logins_since("ip:127.0.0.1", t0())
            .expect("count"),
        3
    );
    assert_eq!(
        s.users
            .failed_logins_since("user:eve", t0() + Duration::minutes(1))
            .expect("count"),
        2
    );
    assert_eq!(
        s.users
            .failed_logins_since("user:bob", t0())
            .expect("count"),
        0
    );
    s.users
        .prune_accounts(t0(), t0() + Duration::minutes(2))
        .expect("prune");
    assert_eq!(
        s.users
            .failed_logins_since("ip:127.0.0.1", t0())
            .expect("count"),
        1
    );
}

fn activity_is_bucketed_per_channel_language_and_sentiment(s: &Subject) {
    // testkit mentions: even ids on @velora, odd on @velora_help, one minute apart.
    let batch: Vec<_> = (0..120).map(mention).collect();
    s.mentions.upsert_mentions(&batch).expect("upsert");
    let channels = s.insights.channels(10).expect("channels");
    assert_eq!(
        channels.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["@velora", "@velora_help"]
    );
    assert_eq!(channels[0].1, t0() + Duration::minutes(118));
    let rows = s
        .insights
        .activity("@velora", t0(), t0() + Duration::hours(3), 3600)
        .expect("activity");
    let total: u64 = rows.iter().map(|r| r.count).sum();
    assert_eq!(total, 60);
    let first_hour: u64 = rows
        .iter()
        .filter(|r| r.bucket_start == t0())
        .map(|r| r.count)
        .sum();
    assert_eq!(first_hour, 30, "{rows:?}");
}

fn api_tokens_are_listed_without_secrets_and_revoked_one_by_one(s: &Subject) {
    for name in ["marta", "luca"] {
        assert!(s
            .users
            .create_user(&user(name, Role::Agent))
            .expect("create"));
    }
    let (a, b, c) = ("a1".repeat(32), "b2".repeat(32), "c3".repeat(32));
    s.users
        .create_api_token(&a, "marta", "ci", t0(), None)
        .expect("token");
    s.users
        .create_api_token(&b, "marta", "grafana", t0() + Duration::minutes(1), None)
        .expect("token");
    s.users
        .create_api_token(&c, "luca", "cli", t0(), None)
        .expect("token");
    let marta = s.users.list_api_tokens(Some("marta")).expect("list");
    let listed: Vec<(&str, &str)> = marta
        .iter()
        .map(|t| (t.id.as_str(), t.label.as_str()))
        .collect();
    // Newest first, named by a prefix of the hash, never the hash itself.
    assert_eq!(listed, [(&b[..12], "grafana"), (&a[..12], "ci")]);
    assert!(marta.iter().all(|t| t.revoked_at.is_none()));
    assert_eq!(s.users.list_api_tokens(None).expect("all").len(), 3);
    // Another user's id, a malformed id, an unknown id: nothing is revoked.
    assert!(!s
        .users
        .revoke_api_token("marta", &c[..12], t0())
        .expect("revoke"));
    assert!(!s
        .users
        .revoke_api_token("marta", "a1a1' OR 1=1", t0())
        .expect("revoke"));
    assert!(!s
        .users
        .revoke_api_token("marta", &"f".repeat(12), t0())
        .expect("revoke"));
    assert!(s.users.api_token_user(&c, t0()).expect("lookup").is_some());
    // Her "ci" token stops working; "grafana" goes on.
    let at = t0() + Duration::hours(1);
    assert!(s
        .users
        .revoke_api_token("marta", &a[..12], at)
        .expect("revoke"));
    assert!(!s
        .users
        .revoke_api_token("marta", &a[..12], at)
        .expect("twice"));
    assert!(s.users.api_token_user(&a, t0()).expect("lookup").is_none());
    assert_eq!(
        s.users
            .api_token_user(&b, t0())
            .expect("lookup")
            .map(|u| u.name),
        Some("marta".to_owned())
    );
    let marta = s.users.list_api_tokens(Some("marta")).expect("list");
    assert_eq!(marta[1].revoked_at, Some(at));
    assert_eq!(marta[0].revoked_at, None);
}

fn an_api_token_stops_working_when_it_expires(s: &Subject) {
    assert!(s
        .users
        .create_user(&user("nora", Role::Agent))
        .expect("create"));
    let (day, forever) = ("d4".repeat(32), "e5".repeat(32));
    let end = t0() + Duration::days(1);
    s.users
        .create_api_token(&day, "nora", "one day", t0(), Some(end))
        .expect("token");
    s.users
        .create_api_token(&forever, "nora", "no expiry", t0(), None)
        .expect("token");
    let name = |hash: &str, at| {
        s.users
            .api_token_user(hash, at)
            .expect("lookup")
            .map(|u| u.name)
    };
    assert_eq!(name(&day, t0()), Some("nora".to_owned()));
    assert_eq!(
        name(&day, end - Duration::seconds(1)),
        Some("nora".to_owned())
    );
    // At its expiry and after, it authenticates no one; the other goes on.
    assert_eq!(name(&day, end), None);
    assert_eq!(name(&day, end + Duration::days(400)), None);
    assert_eq!(
        name(&forever, end + Duration::days(400)),
        Some("nora".to_owned())
    );
    // The list says when each one ends, and which are live.
    let listed = s.users.list_api_tokens(Some("nora")).expect("list");
    let by_label = |l: &str| listed.iter().find(|t| t.label == l).expect("listed");
    assert_eq!(by_label("one day").expires_at, Some(end));
    assert_eq!(by_label("no expiry").expires_at, None);
    assert!(by_label("one day").is_live(t0()));
    assert!(!by_label("one day").is_live(end));
    assert!(by_label("no expiry").is_live(end + Duration::days(400)));
}
