//! The inbox's rules, told as stories, on both backends: the embedded SQLite and a real
//! PostgreSQL. Time comes from a manual clock so that SLA stories are exact.

use std::sync::Arc;

use chrono::Duration;
use firebreak_core::{
    Analysis, Category, Intent, Mention, MentionId, Register, Sentiment, SentimentLabel, Toxicity,
};
use firebreak_respond::audit::{self, Outcome};
use firebreak_respond::case::{CaseReason, CaseStatus, Priority, PrivateChannel};
use firebreak_respond::guard::{
    Actor, HideReason, ModerationAction, ModerationRequest, Role, Target, Verdict,
};
use firebreak_respond::inbox::{Agent, Inbox, InboxConfig, InboxError, ReplyDraft};
use firebreak_respond::sla::ManualClock;
use firebreak_respond::store::{CaseQuery, CaseStore, Delivery};
use firebreak_store::{MentionStore, PgStore, SqliteStore};
use firebreak_testkit::{mention, t0, PgDatabase};

/// Raw SQL on the database behind the store's back.
type RawSql = Box<dyn Fn(&str) -> Result<(), String>>;

struct Subject {
    mentions: Arc<dyn MentionStore>,
    cases: Arc<dyn CaseStore>,
    /// Runs raw SQL on the database behind the store's back (tampering stories).
    raw: RawSql,
    _keep: Box<dyn std::any::Any>,
}

fn sqlite() -> Option<Subject> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("inbox.db");
    let store = Arc::new(SqliteStore::open(&path).expect("open sqlite"));
    Some(Subject {
        mentions: store.clone(),
        cases: store,
        raw: Box::new(move |sql| {
            let c = rusqlite::Connection::open(&path).map_err(|e| e.to_string())?;
            c.execute_batch(sql).map_err(|e| e.to_string())
        }),
        _keep: Box::new(dir),
    })
}

fn postgres() -> Option<Subject> {
    let db = PgDatabase::create()?;
    let store = Arc::new(PgStore::connect(&db.url).expect("connect postgres"));
    let url = db.url.clone();
    Some(Subject {
        mentions: store.clone(),
        cases: store,
        raw: Box::new(move |sql| {
            let mut c =
                postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())?;
            c.batch_execute(sql).map_err(|e| e.to_string())
        }),
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
    a_complaint_becomes_a_case_and_the_authors_next_mention_joins_it,
    praise_needs_no_case_and_trolls_are_kept_but_not_fed,
    reach_and_crisis_raise_priority,
    a_private_conversation_closes_where_it_started,
    sla_clocks_raise_each_breach_once,
    follow_up_reminders_keep_the_user_informed,
    merge_and_split_keep_every_mention_in_exactly_one_case,
    deleting_a_negative_comment_is_refused_and_audited,
    hiding_needs_a_lawful_reason_and_a_second_person,
    blocking_is_the_last_resort,
    the_audit_chain_finds_an_edit_made_behind_the_stores_back,
    the_schema_refuses_to_delete_cases_and_audit_entries,
    new_cases_are_assigned_by_language_skill_and_load,
    a_stale_case_is_not_saved_over_a_newer_one,
    viewers_cannot_change_cases,
    replies_are_stored_with_author_and_time,
);

fn analysed(i: u32, label: SentimentLabel, intent: Intent, category: Option<Category>) -> Mention {
    let mut m = mention(i);
    m.analysis = Some(Analysis {
        lang: Some("it".into()),
        lang_confidence: 0.97,
        sentiment: Sentiment {
            label,
            score: 0.8,
            probs: match label {
                SentimentLabel::Negative => [0.8, 0.15, 0.05],
                SentimentLabel::Neutral => [0.1, 0.8, 0.1],
                SentimentLabel::Positive => [0.05, 0.15, 0.8],
            },
        },
        toxicity: Toxicity {
            toxic: 0.1,
            insult: 0.1,
            threat: 0.01,
            identity_hate: 0.0,
        },
        intent,
        intent_confidence: 0.8,
        category,
        register: Register::Emotional,
        emotional: 0.7,
    });
    m
}

fn complaint(i: u32) -> Mention {
    analysed(
        i,
        SentimentLabel::Negative,
        Intent::Complaint,
        Some(Category::DeliveryLogistics),
    )
}

fn by_author(mut m: Mention, author: &str, followers: u64) -> Mention {
    m.author.id = author.into();
    m.author.handle = Some(format!("@{author}"));
    m.author.followers = followers;
    m.author.verified = false;
    m
}

fn inbox(s: &Subject, config: InboxConfig) -> (Inbox, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(t0() + Duration::hours(1)));
    (Inbox::new(s.cases.clone(), config, clock.clone()), clock)
}

fn ingest(s: &Subject, inbox: &Inbox, ms: &[Mention]) {
    s.mentions.upsert_mentions(ms).expect("store mentions");
    inbox.intake(ms).expect("intake");
}

fn agent() -> Actor {
    Actor::new("giulia", Role::Agent)
}

fn manager() -> Actor {
    Actor::new("marco", Role::Manager)
}

fn audit_log(s: &Subject) -> Vec<audit::AuditEntry> {
    s.cases.audit_entries(0, 10_000).expect("audit")
}

fn a_complaint_becomes_a_case_and_the_authors_next_mention_joins_it(s: &Subject) {
    let (inbox, _) = inbox(s, InboxConfig::default());
    ingest(s, &inbox, &[by_author(complaint(1), "ana", 120)]);
    let open = inbox.list(&CaseQuery::default()).expect("list");
    assert_eq!(open.len(), 1);
    let case = &open[0];
    assert_eq!(case.status, CaseStatus::New);
    assert_eq!(case.reason, CaseReason::Complaint);
    assert_eq!(case.mentions, vec![MentionId::new("mastodon:1")]);
    assert!(case.due.first_response > case.opened_at);
    // The same author again, on the same channel: same case, not a new one.
    ingest(s, &inbox, &[by_author(complaint(3), "ana", 120)]);
    let open = inbox.list(&CaseQuery::default()).expect("list");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].mentions.len(), 2);
    // Intake is idempotent: a re-delivered mention changes nothing.
    ingest(s, &inbox, &[by_author(complaint(3), "ana", 120)]);
    assert_eq!(inbox.get(open[0].id).expect("get").mentions.len(), 2);
    let kinds: Vec<String> = s
        .cases
        .case_events(open[0].id)
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["opened", "mention_added"]);
    // A reply in the thread by someone else joins the thread's case.
    let mut reply = by_author(complaint(5), "bea", 10);
    reply.in_reply_to = Some(MentionId::new("mastodon:1"));
    reply.channel = "@velora_help".into();
    ingest(s, &inbox, &[reply]);
    assert_eq!(inbox.list(&CaseQuery::default()).expect("list").len(), 1);
    assert_eq!(
        s.cases
            .case_of_mention(&MentionId::new("mastodon:5"))
            .expect("lookup"),
        Some(open[0].id)
    );
}

fn praise_needs_no_case_and_trolls_are_kept_but_not_fed(s: &Subject) {
    let (inbox, _) = inbox(s, InboxConfig::default());
    let praise = analysed(2, SentimentLabel::Positive, Intent::Praise, None);
    let mut troll = by_author(
        analysed(4, SentimentLabel::Negative, Intent::Other, None),
        "troll",
        5,
    );
    if let Some(a) = troll.analysis.as_mut() {
        a.toxicity.toxic = 0.95;
        a.toxicity.insult = 0.95;
    }
    let question = by_author(
        analysed(6, SentimentLabel::Neutral, Intent::Question, None),
        "cy",
        5,
    );
    s.mentions
        .upsert_mentions(&[praise.clone(), troll.clone(), question.clone()])
        .expect("store");
    let report = inbox.intake(&[praise, troll, question]).expect("intake");
    assert_eq!(report.opened.len(), 2);
    assert_eq!(report.skipped, 1);
    let cases = inbox.list(&CaseQuery::default()).expect("list");
    let troll_case = cases.iter().find(|c| c.author_key == "mastodon:troll");
    assert!(troll_case.is_some_and(|c| c.dont_feed && c.priority == Priority::P4));
    // The troll's case sorts last: the queue serves answerable people first.
    assert_eq!(
        cases.last().map(|c| c.author_key.as_str()),
        Some("mastodon:troll")
    );
    assert!(cases.iter().any(|c| c.reason == CaseReason::Question));
}

fn reach_and_crisis_raise_priority(s: &Subject) {
    let (inbox, _) = inbox(s, InboxConfig::default());
    ingest(
        s,
        &inbox,
        &[
            by_author(complaint(1), "small", 12),
            by_author(complaint(2), "big", 850_000),
        ],
    );
    let cases = inbox.list(&CaseQuery::default()).expect("list");
    assert_eq!(cases[0].author_key, "mastodon:big");
    assert!(cases[0].priority < cases[1].priority, "{cases:#?}");
    let small = cases[1].clone();
    let alert = firebreak_core::Alert {
        id: "@velora_help:crisis:1".into(),
        evidence: vec![MentionId::new("mastodon:1")],
        ..sample_alert()
    };
    assert_eq!(inbox.link_alert(&alert).expect("link"), vec![small.id]);
    let linked = inbox.get(small.id).expect("get");
    assert_eq!(linked.crisis_id.as_deref(), Some("@velora_help:crisis:1"));
    assert!(linked.priority < small.priority);
}

fn sample_alert() -> firebreak_core::Alert {
    firebreak_core::Alert {
        id: "x".into(),
        raised_at: t0(),
        channel: "@velora_help".into(),
        kind: firebreak_core::AlertKind::NegativeSurge,
        crisis: true,
        severity: 2,
        summary: "s".into(),
        terms: vec![],
        evidence: vec![],
        amplifiers: vec![],
    }
}

fn a_private_conversation_closes_where_it_started(s: &Subject) {
    let (inbox, clock) = inbox(s, InboxConfig::default());
    ingest(s, &inbox, &[by_author(complaint(1), "ana", 120)]);
    let id = inbox.list(&CaseQuery::default()).expect("list")[0].id;
    inbox.acknowledge(id, &agent()).expect("ack");
    inbox
        .move_private(id, PrivateChannel::Dm, &agent())
        .expect("private");
    clock.advance(Duration::minutes(30));
    inbox
        .reply(
            id,
            draft("Ti abbiamo scritto in privato", Some(PrivateChannel::Dm)),
            &agent(),
        )
        .expect("private reply");
    inbox.resolve(id, &agent()).expect("resolve");
    // Closing without the public closing reply is refused, and the refusal is audited.
    let err = inbox.close(id, &agent()).err().map(|e| e.to_string());
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("public closing reply")),
        "{err:?}"
    );
    let last = audit_log(s).pop().expect("an audit entry");
    assert_eq!(
        (last.action.as_str(), last.outcome),
        ("case.closed", Outcome::Refused)
    );
    inbox
        .reply(
            id,
            draft("Risolto in privato, grazie per la pazienza!", None),
            &agent(),
        )
        .expect("public reply");
    let closed = inbox.close(id, &agent()).expect("close");
    assert_eq!(closed.status, CaseStatus::Closed);
    // A closed case is final; the author's next complaint opens a new case.
    assert!(inbox.start(id, &agent()).is_err());
    ingest(s, &inbox, &[by_author(complaint(9), "ana", 120)]);
    let open = inbox.list(&CaseQuery::default()).expect("list");
    assert_eq!(open.len(), 1);
    assert_ne!(open[0].id, id);
}

fn draft(text: &str, private: Option<PrivateChannel>) -> ReplyDraft {
    ReplyDraft {
        text: text.into(),
        private_channel: private,
        in_reply_to: None,
        delivery: Delivery::Manual,
        at_fault: false,
        send: false,
    }
}

fn sla_clocks_raise_each_breach_once(s: &Subject) {
    let (inbox, clock) = inbox(s, InboxConfig::default());
    ingest(s, &inbox, &[by_author(complaint(1), "ana", 120)]);
    let case = inbox.list(&CaseQuery::default()).expect("list")[0].clone();
    let first = case.due.first_response;
    clock.set(first - Duration::seconds(1));
    assert!(inbox.tick().expect("tick").is_empty(), "not due yet");
    clock.set(first + Duration::seconds(1));
    let events = inbox.tick().expect("tick");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "breach:first_response");
    assert_eq!(events[0].case_id, case.id);
    assert!(
        inbox.tick().expect("tick").is_empty(),
        "a breach is raised once"
    );
    // Answering stops the first-response clock; the resolution clock still runs.
    inbox
        .reply(
            case.id,
            draft("Ci scusiamo, verifichiamo subito.", None),
            &agent(),
        )
        .expect("reply");
    clock.set(case.due.resolution + Duration::seconds(1));
    let kinds: Vec<String> = inbox
        .tick()
        .expect("tick")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"breach:resolution".to_owned()), "{kinds:?}");
    let timeline: Vec<String> = s
        .cases
        .case_events(case.id)
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(timeline.iter().filter(|k| *k == "sla_breach").count(), 2);
    // A resolved case has no running clocks.
    inbox.resolve(case.id, &agent()).expect("resolve");
    clock.advance(Duration::days(30));
    assert!(inbox.tick().expect("tick").is_empty());
}

fn follow_up_reminders_keep_the_user_informed(s: &Subject) {
    let (inbox, clock) = inbox(s, InboxConfig::default());
    ingest(s, &inbox, &[by_author(complaint(1), "ana", 120)]);
    let id = inbox.list(&CaseQuery::default()).expect("list")[0].id;
    inbox
        .reply(id, draft("Ci dispiace, scrivici in DM.", None), &agent())
        .expect("reply");
    inbox
        .move_private(id, PrivateChannel::Email, &agent())
        .expect("private");
    inbox
        .reply(
            id,
            draft("Gentile cliente, ...", Some(PrivateChannel::Email)),
            &agent(),
        )
        .expect("email");
    let every = inbox.config().targets.follow_up();
    clock.advance(every - Duration::minutes(1));
    assert!(inbox
        .tick()
        .expect("tick")
        .iter()
        .all(|e| e.kind != "follow_up_due"));
    clock.advance(Duration::minutes(2));
    let events = inbox.tick().expect("tick");
    assert_eq!(
        events.iter().filter(|e| e.kind == "follow_up_due").count(),
        1,
        "{events:?}"
    );
    // Once per period, not once per tick.
    assert!(inbox
        .tick()
        .expect("tick")
        .iter()
        .all(|e| e.kind != "follow_up_due"));
    clock.advance(every + Duration::minutes(1));
    assert_eq!(
        inbox
            .tick()
            .expect("tick")
            .iter()
            .filter(|e| e.kind == "follow_up_due")
            .count(),
        1
    );
}

fn merge_and_split_keep_every_mention_in_exactly_one_case(s: &Subject) {
    let (inbox, _) = inbox(s, InboxConfig::default());
    ingest(
        s,
        &inbox,
        &[
            by_author(complaint(1), "ana", 1),
            by_author(complaint(3), "ana", 1),
            by_author(complaint(5), "bea", 1),
        ],
    );
    let cases = inbox.list(&CaseQuery::default()).expect("list");
    assert_eq!(cases.len(), 2);
    let (ana, bea) = if cases[0].author_key.ends_with("ana") {
        (cases[0].id, cases[1].id)
    } else {
        (cases[1].id, cases[0].id)
    };
    let merged = inbox.merge(ana, bea, &agent()).expect("merge");
    assert_eq!(merged.mentions.len(), 3);
    let gone = inbox.get(bea).expect("get");
    assert_eq!(
        (gone.status, gone.merged_into),
        (CaseStatus::Closed, Some(ana))
    );
    assert_eq!(
        s.cases
            .case_of_mention(&MentionId::new("mastodon:5"))
            .expect("q"),
        Some(ana)
    );
    let split = inbox
        .split(ana, &[MentionId::new("mastodon:5")], &agent())
        .expect("split");
    assert_eq!(split.mentions, vec![MentionId::new("mastodon:5")]);
    assert_eq!(inbox.get(ana).expect("get").mentions.len(), 2);
    assert_eq!(
        s.cases
            .case_of_mention(&MentionId::new("mastodon:5"))
            .expect("q"),
        Some(split.id)
    );
    assert!(
        inbox
            .split(
                ana,
                &[MentionId::new("mastodon:1"), MentionId::new("mastodon:3")],
                &agent()
            )
            .is_err(),
        "a split leaves something behind"
    );
    assert!(inbox.merge(ana, ana, &agent()).is_err());
}

fn moderation(action: ModerationAction, target: Target) -> ModerationRequest {
    ModerationRequest {
        action,
        target,
        hide_reason: None,
        reason: String::new(),
        requested_by: agent(),
        approver: None,
    }
}

fn negative_mention() -> Target {
    Target::Mention {
        id: "mastodon:1".into(),
        negative: true,
    }
}

fn deleting_a_negative_comment_is_refused_and_audited(s: &Subject) {
    let (inbox, _) = inbox(s, InboxConfig::default());
    for who in [agent(), manager(), Actor::new("root", Role::Admin)] {
        let mut req = moderation(ModerationAction::Delete, negative_mention());
        req.reason = "bad for the brand".into();
        req.requested_by = who;
        req.approver = Some(Actor::new("boss", Role::Admin));
        let verdict = inbox.moderate(req).expect("moderate");
        assert!(
            matches!(&verdict, Verdict::Refused { why } if why.contains("never deleted")),
            "{verdict:?}"
        );
    }
    let log = audit_log(s);
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|e| e.action == "mention.delete"
        && e.outcome == Outcome::Refused
        && e.target == "mention:mastodon:1"
        && e.detail.contains("never deleted")));
}

fn hiding_needs_a_lawful_reason_and_a_second_person(s: &Subject) {
    let (inbox, _) = inbox(s, InboxConfig::default());
    let v = inbox
        .moderate(moderation(ModerationAction::Hide, negative_mention()))
        .expect("m");
    assert!(matches!(v, Verdict::Refused { .. }), "no reason: {v:?}");
    let mut req = moderation(ModerationAction::Hide, negative_mention());
    req.hide_reason = Some(HideReason::PersonalData);
    req.reason = "the comment shows a customer's phone number".into();
    let v = inbox.moderate(req.clone()).expect("m");
    assert!(matches!(v, Verdict::NeedsApproval { .. }), "{v:?}");
    let mut self_approved = req.clone();
    self_approved.approver = Some(agent());
    assert!(matches!(
        inbox.moderate(self_approved).expect("m"),
        Verdict::Refused { .. }
    ));
    let mut approved = req;
    approved.approver = Some(manager());
    assert!(matches!(
        inbox.moderate(approved).expect("m"),
        Verdict::Allowed(_)
    ));
    let outcomes: Vec<Outcome> = audit_log(s).into_iter().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Refused,
            Outcome::Pending,
            Outcome::Refused,
            Outcome::Done
        ]
    );
}

fn blocking_is_the_last_resort(s: &Subject) {
    let (inbox, _) = inbox(s, InboxConfig::default());
    let author = |public_reply_given, contact_attempts| Target::Author {
        key: "mastodon:troll".into(),
        public_reply_given,
        contact_attempts,
    };
    let mut req = moderation(ModerationAction::Block, author(false, 0));
    req.reason = "insults staff daily".into();
    req.approver = Some(manager());
    let v = inbox.moderate(req.clone()).expect("m");
    assert!(
        matches!(&v, Verdict::Refused { why } if why.contains("last resort")),
        "{v:?}"
    );
    req.target = author(false, 2);
    req.approver = Some(Actor::new("luca", Role::Agent));
    assert!(
        matches!(
            inbox.moderate(req.clone()).expect("m"),
            Verdict::Refused { .. }
        ),
        "an agent cannot approve"
    );
    req.approver = None;
    assert!(matches!(
        inbox.moderate(req.clone()).expect("m"),
        Verdict::NeedsApproval { .. }
    ));
    req.target = author(true, 0);
    req.approver = Some(manager());
    assert!(matches!(
        inbox.moderate(req.clone()).expect("m"),
        Verdict::Allowed(_)
    ));
    req.reason = " ".into();
    assert!(
        matches!(inbox.moderate(req).expect("m"), Verdict::Refused { .. }),
        "a reason is required"
    );
    assert_eq!(audit_log(s).len(), 5);
}

fn the_audit_chain_finds_an_edit_made_behind_the_stores_back(s: &Subject) {
    let (inbox, _) = inbox(s, InboxConfig::default());
    ingest(s, &inbox, &[by_author(complaint(1), "ana", 1)]);
    let id = inbox.list(&CaseQuery::default()).expect("list")[0].id;
    inbox.acknowledge(id, &agent()).expect("ack");
    inbox
        .moderate(moderation(ModerationAction::Delete, negative_mention()))
        .expect("m");
    inbox.resolve(id, &agent()).expect("resolve");
    assert_eq!(audit::verify(&audit_log(s)), Ok(3));
    // Someone with database access rewrites the refusal as done. The append-only trigger
    // stops a plain UPDATE; an attacker who drops it still leaves a broken chain.
    assert!((s.raw)("UPDATE audit_log SET outcome = 'done' WHERE seq = 2").is_err());
    let disable = if s.mentions.backend() == firebreak_store::Backend::Sqlite {
        "DROP TRIGGER audit_log_is_append_only"
    } else {
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"
    };
    (s.raw)(disable).expect("drop trigger");
    (s.raw)("UPDATE audit_log SET outcome = 'done' WHERE seq = 2").expect("tamper");
    assert_eq!(
        audit::verify(&audit_log(s)),
        Err(audit::ChainError::Edited { seq: 2 })
    );
}

fn the_schema_refuses_to_delete_cases_and_audit_entries(s: &Subject) {
    let (inbox, _) = inbox(s, InboxConfig::default());
    ingest(s, &inbox, &[by_author(complaint(1), "ana", 1)]);
    let id = inbox.list(&CaseQuery::default()).expect("list")[0].id;
    inbox
        .reply(id, draft("Ci scusiamo.", None), &agent())
        .expect("reply");
    for sql in [
        "DELETE FROM cases",
        "DELETE FROM audit_log",
        "DELETE FROM case_events",
        "DELETE FROM replies",
        "UPDATE replies SET author = 'x'",
    ] {
        assert!((s.raw)(sql).is_err(), "{sql} must be refused");
    }
    assert_eq!(s.cases.replies(id).expect("replies").len(), 1);
}

fn new_cases_are_assigned_by_language_skill_and_load(s: &Subject) {
    let config = InboxConfig {
        auto_assign: true,
        agents: vec![
            Agent {
                name: "hans".into(),
                role: Role::Agent,
                languages: vec!["de".into()],
                skills: vec![],
                capacity: 10,
            },
            Agent {
                name: "giulia".into(),
                role: Role::Agent,
                languages: vec!["it".into()],
                skills: vec![],
                capacity: 1,
            },
            Agent {
                name: "paola".into(),
                role: Role::Agent,
                languages: vec!["it".into(), "es".into()],
                skills: vec!["billing_pricing".into()],
                capacity: 10,
            },
        ],
        ..InboxConfig::default()
    };
    let (inbox, _) = inbox(s, config);
    let billing = by_author(
        analysed(
            1,
            SentimentLabel::Negative,
            Intent::Complaint,
            Some(Category::BillingPricing),
        ),
        "ana",
        1,
    );
    ingest(s, &inbox, &[billing]);
    ingest(s, &inbox, &[by_author(complaint(3), "bea", 1)]);
    ingest(s, &inbox, &[by_author(complaint(5), "cy", 1)]);
    let mut got: Vec<(String, Option<String>)> = inbox
        .list(&CaseQuery::default())
        .expect("list")
        .into_iter()
        .map(|c| (c.author_key, c.assignee))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("mastodon:ana".to_owned(), Some("paola".to_owned())), // the billing specialist
            ("mastodon:bea".to_owned(), Some("giulia".to_owned())), // Italian, lightest load
            ("mastodon:cy".to_owned(), Some("paola".to_owned())),  // giulia is at capacity
        ]
    );
    let load = s.cases.open_load().expect("load");
    assert_eq!(load, [("giulia".to_owned(), 1), ("paola".to_owned(), 2)]);
    // Manual assignment names a configured agent.
    let id = inbox.list(&CaseQuery::default()).expect("list")[0].id;
    assert!(matches!(
        inbox.assign(id, Some("nobody"), &agent()),
        Err(InboxError::Invalid(_))
    ));
    assert_eq!(
        inbox
            .assign(id, Some("hans"), &agent())
            .expect("assign")
            .assignee
            .as_deref(),
        Some("hans")
    );
}

fn a_stale_case_is_not_saved_over_a_newer_one(s: &Subject) {
    let (inbox, _) = inbox(s, InboxConfig::default());
    ingest(s, &inbox, &[by_author(complaint(1), "ana", 1)]);
    let mut stale = inbox.list(&CaseQuery::default()).expect("list")[0].clone();
    inbox.acknowledge(stale.id, &agent()).expect("ack");
    stale.assignee = Some("mallory".into());
    let r = s.cases.save_case(&mut stale, &[], &[]);
    assert!(
        matches!(r, Err(firebreak_respond::store::StoreFailure::Conflict(_))),
        "{r:?}"
    );
    assert_eq!(inbox.get(stale.id).expect("get").assignee, None);
}

fn viewers_cannot_change_cases(s: &Subject) {
    let (inbox, _) = inbox(s, InboxConfig::default());
    ingest(s, &inbox, &[by_author(complaint(1), "ana", 1)]);
    let id = inbox.list(&CaseQuery::default()).expect("list")[0].id;
    let viewer = Actor::new("vera", Role::Viewer);
    assert!(matches!(
        inbox.acknowledge(id, &viewer),
        Err(InboxError::Forbidden(_))
    ));
    assert!(matches!(
        inbox.reply(id, draft("hi", None), &viewer),
        Err(InboxError::Forbidden(_))
    ));
    assert_eq!(inbox.get(id).expect("get").status, CaseStatus::New);
    let last = audit_log(s).pop().expect("audited");
    assert_eq!(
        (last.actor.as_str(), last.outcome),
        ("vera", Outcome::Refused)
    );
}

fn replies_are_stored_with_author_and_time(s: &Subject) {
    let (inbox, clock) = inbox(s, InboxConfig::default());
    ingest(s, &inbox, &[by_author(complaint(1), "ana", 1)]);
    let id = inbox.list(&CaseQuery::default()).expect("list")[0].id;
    clock.advance(Duration::minutes(7));
    let (case, reply) = inbox
        .reply(
            id,
            ReplyDraft {
                delivery: Delivery::Connector {
                    platform_id: "109".into(),
                },
                ..draft("Ci dispiace! Ti scriviamo in DM.", None)
            },
            &agent(),
        )
        .expect("reply");
    assert_eq!(case.first_public_reply_at, Some(clock_now(&clock)));
    let stored = s.cases.replies(id).expect("replies");
    assert_eq!(stored, vec![reply.clone()]);
    assert_eq!(reply.author, "giulia");
    assert_eq!(reply.in_reply_to, Some(MentionId::new("mastodon:1")));
    assert_eq!(
        s.cases.recent_public_replies(10).expect("recent"),
        vec![(id, "Ci dispiace! Ti scriviamo in DM.".to_owned())]
    );
    assert!(inbox.reply(id, draft("  ", None), &agent()).is_err());
}

fn clock_now(c: &ManualClock) -> chrono::DateTime<chrono::Utc> {
    use firebreak_respond::sla::Clock;
    c.now()
}
