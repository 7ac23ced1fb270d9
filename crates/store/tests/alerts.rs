//! What the detectors and the crisis room keep besides mentions and crises: the alert log
//! (every alert emission, and the outbox of notifications whose delivery is unconfirmed)
//! and the versions of the crisis plan saved by the editor, on both backends: the
//! embedded SQLite and a real PostgreSQL.

use std::sync::Arc;

use chrono::Duration;
use firebreak_core::{Alert, AlertKind, ChannelId};
use firebreak_crisis::{CrisisStore, CrisisStoreError};
use firebreak_store::{AlertLog, PgStore, SqliteStore};
use firebreak_testkit::{t0, PgDatabase};

struct Subject {
    log: Arc<dyn AlertLog>,
    crises: Arc<dyn CrisisStore>,
    _keep: Box<dyn std::any::Any>,
}

fn sqlite() -> Option<Subject> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(&dir.path().join("a.db")).expect("open sqlite"));
    Some(Subject {
        log: store.clone(),
        crises: store,
        _keep: Box::new(dir),
    })
}

fn postgres() -> Option<Subject> {
    let db = PgDatabase::create()?;
    let store = Arc::new(PgStore::connect(&db.url).expect("connect postgres"));
    Some(Subject {
        log: store.clone(),
        crises: store,
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
    an_emission_is_claimed_once_and_a_higher_severity_is_a_new_emission,
    undelivered_emissions_are_the_outbox_until_marked_delivered,
    recent_alerts_come_back_whole_newest_first,
    plan_versions_follow_each_other_and_a_stale_save_is_refused,
    an_emission_sent_again_joins_its_crisis_once,
    a_statement_is_filled_in_approved_again_and_only_then_published,
);

fn alert(id: &str, severity: u8, minutes: i64) -> Alert {
    Alert {
        id: id.into(),
        raised_at: t0() + Duration::minutes(minutes),
        channel: ChannelId::from("@velora"),
        kind: AlertKind::NegativeSurge,
        crisis: severity >= 2,
        severity,
        summary: "14 authors complain about \"parcel\" <script>alert(1)</script>".into(),
        terms: vec!["parcel".into(), "ritardo".into()],
        evidence: vec!["m-1".into(), "m-2".into()],
        amplifiers: vec!["a-9".into()],
    }
}

fn an_emission_is_claimed_once_and_a_higher_severity_is_a_new_emission(s: &Subject) {
    let a = alert("@velora:crisis:1", 2, 10);
    assert!(s.log.claim_alert(&a, "a", t0()).expect("claim"));
    assert!(
        !s.log.claim_alert(&a, "b", t0()).expect("claim"),
        "claimed twice"
    );
    let raised = alert("@velora:crisis:1", 3, 20);
    assert!(s.log.claim_alert(&raised, "b", t0()).expect("claim"));
    // The same severity raised again later (a re-notification) is another emission.
    let again = alert("@velora:crisis:1", 3, 400);
    assert!(s.log.claim_alert(&again, "b", t0()).expect("claim"));
    let who: Vec<(u8, String)> = s
        .log
        .alert_log()
        .expect("log")
        .into_iter()
        .map(|r| (r.alert.severity, r.node))
        .collect();
    assert_eq!(who, [(2, "a".into()), (3, "b".into()), (3, "b".into())]);
}

fn undelivered_emissions_are_the_outbox_until_marked_delivered(s: &Subject) {
    let first = alert("@velora:crisis:1", 2, 10);
    let second = alert("@velora:crisis:1", 3, 20);
    s.log.claim_alert(&first, "a", t0()).expect("claim");
    s.log
        .claim_alert(&second, "a", t0() + Duration::seconds(1))
        .expect("claim");
    let pending: Vec<u8> = s
        .log
        .undelivered_alerts(10)
        .expect("outbox")
        .iter()
        .map(|r| r.alert.severity)
        .collect();
    assert_eq!(pending, [2, 3], "oldest claim first");
    s.log
        .mark_alert_delivered(&first, "sent", t0() + Duration::seconds(2))
        .expect("mark");
    let pending = s.log.undelivered_alerts(10).expect("outbox");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].alert, second);
    // A second confirmation does not move the first one's time or outcome.
    s.log
        .mark_alert_delivered(&first, "failed: ops", t0() + Duration::seconds(9))
        .expect("mark");
    let log = s.log.alert_log().expect("log");
    assert_eq!(log[0].outcome.as_deref(), Some("sent"));
    assert_eq!(log[0].delivered_at, Some(t0() + Duration::seconds(2)));
    assert_eq!(log[1].delivered_at, None);
}

fn recent_alerts_come_back_whole_newest_first(s: &Subject) {
    for (i, minutes) in [5, 50, 20].into_iter().enumerate() {
        let a = alert(&format!("@velora:crisis:{i}"), 2, minutes);
        s.log.claim_alert(&a, "local", t0()).expect("claim");
    }
    let recent = s.log.recent_alerts(2).expect("recent");
    let at: Vec<i64> = recent
        .iter()
        .map(|r| (r.alert.raised_at - t0()).num_minutes())
        .collect();
    assert_eq!(at, [50, 20]);
    assert_eq!(
        recent[0].alert,
        alert("@velora:crisis:1", 2, 50),
        "stored whole"
    );
}

fn plan_versions_follow_each_other_and_a_stale_save_is_refused(s: &Subject) {
    assert_eq!(s.crises.latest_plan().expect("latest"), None);
    let v1 = s
        .crises
        .save_plan(0, "plan_version = 1 # a", "marta", "first", t0())
        .expect("save");
    assert_eq!(v1, 1);
    let v2 = s
        .crises
        .save_plan(
            1,
            "plan_version = 1 # b",
            "luca",
            "second",
            t0() + Duration::minutes(1),
        )
        .expect("save");
    assert_eq!(v2, 2);
    // Saved on top of version 1 while version 2 exists: refused, naming the newer one.
    match s
        .crises
        .save_plan(1, "plan_version = 1 # c", "ada", "late", t0())
    {
        Err(CrisisStoreError::PlanConflict(2)) => {}
        other => panic!("expected a conflict with version 2, got {other:?}"),
    }
    let latest = s.crises.latest_plan().expect("latest").expect("a version");
    assert_eq!(
        (latest.version, latest.text.as_str(), latest.author.as_str()),
        (2, "plan_version = 1 # b", "luca")
    );
    let history: Vec<(u64, String)> = s
        .crises
        .plan_history(10)
        .expect("history")
        .into_iter()
        .map(|v| (v.version, v.note))
        .collect();
    assert_eq!(history, [(2, "second".into()), (1, "first".into())]);
}

/// A crisis room on the example plan and this backend.
fn room(s: &Subject) -> firebreak_crisis::CrisisRoom {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plan.toml"),
    )
    .expect("the reference plan");
    let plan = firebreak_plan::parse(&text, "plan.toml").expect("a valid plan");
    firebreak_crisis::CrisisRoom::new(
        Arc::new(plan),
        s.crises.clone(),
        Arc::new(firebreak_crisis::LogPager),
        Arc::new(firebreak_respond::sla::SystemClock),
    )
}

fn an_emission_sent_again_joins_its_crisis_once(s: &Subject) {
    let room = room(s);
    let events = |id| s.crises.crisis_events(id).expect("events").len();
    let first = alert("@velora:crisis:1", 3, 0);
    let id = room
        .on_alert(&first, None)
        .expect("on alert")
        .expect("a crisis opens");
    let opened = events(id);
    // The outbox re-sends the same emission after a crash: nothing new happens.
    assert_eq!(room.on_alert(&first, None).expect("again"), Some(id));
    assert_eq!(events(id), opened);
    // The same incident re-notified later is a new emission and joins.
    let later = alert("@velora:crisis:1", 3, 90);
    assert_eq!(room.on_alert(&later, None).expect("later"), Some(id));
    assert_eq!(events(id), opened + 1);
    assert_eq!(room.on_alert(&later, None).expect("later again"), Some(id));
    assert_eq!(events(id), opened + 1);
}

fn a_statement_is_filled_in_approved_again_and_only_then_published(s: &Subject) {
    use firebreak_crisis::{has_fill_in, RoomError, StatementStatus};
    use firebreak_plan::StatementKind;
    let room = room(s);
    let id = room
        .on_alert(&alert("@velora:crisis:7", 3, 0), None)
        .expect("on alert")
        .expect("a crisis opens");
    let c = room
        .draft(id, StatementKind::Apology, "giulia")
        .expect("draft");
    let first = c
        .statements
        .iter()
        .find(|st| st.lang == "en")
        .expect("an English apology")
        .clone();
    // What only people know is a marked gap, with the alert's terms as a hint; the plan's
    // other words are filled in.
    assert!(has_fill_in(&first.text), "{}", first.text);
    assert!(first.text.contains("parcel"), "{}", first.text);
    assert!(!first.text.contains("{{"), "{}", first.text);
    let n = first.id;
    // Approved as drafted, it still cannot go out with a gap in it.
    room.approve(id, n, "tomasz").expect("approve");
    room.approve(id, n, "elena").expect("approve");
    assert!(matches!(
        room.publish(id, n, "giulia"),
        Err(RoomError::Invalid(m)) if m.contains("fill in")
    ));
    // Filled in: the approvals were for other words, so they start again.
    let filled = "We got this wrong: parcels sent on 3 March were delayed by our warehouse. \
                  We are sorry. Here is what we are doing: every parcel ships today by courier.";
    let c = room.revise(id, n, filled, "tomasz").expect("revise");
    let st = c
        .statements
        .iter()
        .find(|st| st.id == n)
        .expect("statement");
    assert_eq!(st.text, filled);
    assert!(st.approvals.is_empty());
    assert_eq!(st.status, StatementStatus::Draft);
    assert!(matches!(
        room.publish(id, n, "giulia"),
        Err(RoomError::Forbidden(_))
    ));
    room.approve(id, n, "tomasz").expect("approve");
    room.approve(id, n, "elena").expect("approve");
    let c = room.publish(id, n, "giulia").expect("publish");
    let st = c
        .statements
        .iter()
        .find(|st| st.id == n)
        .expect("statement");
    assert_eq!(st.status, StatementStatus::Published);
    // Published words stay as they were; an empty text is refused.
    assert!(matches!(
        room.revise(id, n, "something else", "tomasz"),
        Err(RoomError::Invalid(_))
    ));
    assert!(matches!(
        room.revise(id, n, "   ", "tomasz"),
        Err(RoomError::Invalid(_))
    ));
    let kinds: Vec<String> = s
        .crises
        .crisis_events(id)
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.iter().any(|k| k == "statement_revised"), "{kinds:?}");
}
