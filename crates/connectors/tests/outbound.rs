//! Replies posted through the connectors: the inbox decides, the publisher posts, the
//! platform's id is recorded; dry runs post nothing; a refusal leaves nothing recorded as
//! sent and is audited.

mod support;

use std::sync::Arc;

use chrono::Duration;
use firebreak_connectors::outbound::Publishers;
use firebreak_connectors::sources::SourceConfig;
use firebreak_core::{
    Analysis, Category, Intent, Mention, MentionId, Register, Sentiment, SentimentLabel, Toxicity,
};
use firebreak_respond::audit::Outcome;
use firebreak_respond::case::{CaseId, PrivateChannel};
use firebreak_respond::guard::{Actor, Role};
use firebreak_respond::inbox::{Inbox, InboxConfig, InboxError, ReplyDraft};
use firebreak_respond::outbound::Outbound;
use firebreak_respond::sla::ManualClock;
use firebreak_respond::store::{CaseQuery, Delivery};
use firebreak_store::Handles;
use firebreak_testkit::{mention, t0};

fn complaint(native: &str, channel: &str, author: &str) -> Mention {
    let mut m = mention(1);
    let platform = channel_platform(channel);
    m.id = MentionId::new(format!("{platform}:{native}"));
    m.platform = platform.parse().expect("platform");
    m.channel = firebreak_core::ChannelId::new(channel);
    m.author.id = format!("{platform}:{author}").into();
    m.author.handle = Some(author.into());
    m.analysis = Some(Analysis {
        lang: Some("it".into()),
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

fn channel_platform(channel: &str) -> &'static str {
    if channel.starts_with("r/") {
        "reddit"
    } else {
        "mastodon"
    }
}

struct Desk {
    _dir: tempfile::TempDir,
    handles: Handles,
    inbox: Inbox,
}

fn desk(outbound: Option<Arc<dyn Outbound>>, mentions: &[Mention]) -> (Desk, Vec<CaseId>) {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let handles = firebreak_store::open_handles(&url).expect("store");
    let clock = Arc::new(ManualClock::new(t0() + Duration::hours(1)));
    let mut inbox = Inbox::new(handles.cases.clone(), InboxConfig::default(), clock);
    if let Some(o) = outbound {
        inbox = inbox.with_outbound(o);
    }
    handles.mentions.upsert_mentions(mentions).expect("store");
    inbox.intake(mentions).expect("intake");
    let ids = inbox
        .list(&CaseQuery::default())
        .expect("list")
        .iter()
        .map(|c| c.id)
        .collect();
    (
        Desk {
            _dir: dir,
            handles,
            inbox,
        },
        ids,
    )
}

fn draft(text: &str, private: Option<PrivateChannel>) -> ReplyDraft {
    ReplyDraft {
        text: text.into(),
        private_channel: private,
        in_reply_to: None,
        delivery: Delivery::Manual,
        at_fault: false,
        send: true,
    }
}

fn agent() -> Actor {
    Actor::new("giulia", Role::Agent)
}

fn mastodon_source(url: &str, token_file: &str) -> SourceConfig {
    toml::from_str(&format!(
        r#"
platform = "mastodon"
name = "masto"
channel = "@velora@mastodon.social"
instance = "{url}"
token = {{ file = "{token_file}" }}
"#
    ))
    .expect("config")
}

/// Publishers for one Mastodon source at `url` (its token in a secret file that lives as
/// long as the returned directory).
fn mastodon_publishers(url: &str, dry_run: bool) -> (tempfile::TempDir, Publishers) {
    let dir = tempfile::tempdir().expect("tmp");
    let token = dir.path().join("token");
    std::fs::write(&token, "test-token").expect("token");
    let publishers = Publishers::from_sources(
        &[mastodon_source(url, &token.display().to_string())],
        dry_run,
    )
    .expect("publishers");
    (dir, publishers)
}

const REPLY: &str =
    "Ci dispiace molto per il pacco danneggiato. Ti scriviamo in privato per la sostituzione.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_reply_is_posted_on_the_thread_and_its_platform_id_recorded() {
    let fake = support::fakes::FakeMastodon::start(support::fakes::Faults::default()).await;
    let (_dir, publishers) = mastodon_publishers(&fake.url, false);
    let m = complaint(
        "113500000000000401",
        "@velora@mastodon.social",
        "jonas@chaos.social",
    );
    let (desk, cases) = desk(Some(Arc::new(publishers)), &[m]);
    let id = cases[0];

    let inbox = desk.inbox;
    let (case, reply) =
        tokio::task::spawn_blocking(move || inbox.reply(id, draft(REPLY, None), &agent()))
            .await
            .expect("join")
            .expect("reply posted");
    assert!(case.first_public_reply_at.is_some());
    assert_eq!(
        reply.delivery,
        Delivery::Connector {
            platform_id: "mastodon:113700000000000001".into()
        }
    );
    let posted = fake.posted();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0]["in_reply_to_id"], "113500000000000401");
    assert_eq!(posted[0]["visibility"], "public");
    assert!(
        posted[0]["status"].starts_with("@jonas@chaos.social "),
        "the author is addressed: {}",
        posted[0]["status"]
    );
    assert_eq!(
        fake.idempotency_keys().len(),
        1,
        "an idempotency key is sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dm_goes_out_as_a_direct_status() {
    let fake = support::fakes::FakeMastodon::start(support::fakes::Faults::default()).await;
    let (_dir, publishers) = mastodon_publishers(&fake.url, false);
    let m = complaint(
        "113500000000000402",
        "@velora@mastodon.social",
        "ana@mastodon.uno",
    );
    let (desk, cases) = desk(Some(Arc::new(publishers)), &[m]);
    let id = cases[0];
    let inbox = desk.inbox;
    let reply = tokio::task::spawn_blocking(move || {
        inbox.reply(
            id,
            draft(
                "Ciao Ana, per la sostituzione ci serve il numero d'ordine: rispondi qui quando puoi.",
                Some(PrivateChannel::Dm),
            ),
            &agent(),
        )
    })
    .await
    .expect("join")
    .expect("dm sent")
    .1;
    assert!(matches!(reply.delivery, Delivery::Connector { .. }));
    assert_eq!(fake.posted()[0]["visibility"], "direct");
}

#[test]
fn dry_run_checks_and_records_but_posts_nothing() {
    // Nothing listens on port 9: a real post would fail.
    let (_dir, publishers) = mastodon_publishers("http://127.0.0.1:9", true);
    let publishers = Arc::new(publishers);
    let m = complaint("1", "@velora@mastodon.social", "ana");
    let (desk, cases) = desk(Some(publishers.clone()), &[m]);
    let (_, reply) = desk
        .inbox
        .reply(cases[0], draft(REPLY, None), &agent())
        .expect("dry run");
    assert_eq!(reply.delivery, Delivery::DryRun);
    let runs = publishers.dry_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].in_reply_to, Some(MentionId::new("mastodon:1")));
}

#[test]
fn without_a_publisher_for_the_channel_nothing_is_recorded_as_sent_and_the_refusal_is_audited() {
    let m = complaint("7", "@velora@mastodon.social", "ana");
    let (desk, cases) = desk(None, &[m]);
    let err = desk
        .inbox
        .reply(cases[0], draft(REPLY, None), &agent())
        .expect_err("no connector");
    assert!(matches!(err, InboxError::Delivery(_)), "{err}");
    assert!(
        err.to_string().contains("no connector posts on mastodon"),
        "{err}"
    );
    let case = desk.inbox.get(cases[0]).expect("case");
    assert!(
        case.first_public_reply_at.is_none(),
        "no reply was recorded"
    );
    let audit = desk.handles.cases.audit_entries(0, 100).expect("audit");
    let last = audit.last().expect("an entry");
    assert_eq!(last.action, "reply.send");
    assert_eq!(last.outcome, Outcome::Refused);
}

#[test]
fn a_bluesky_reply_over_300_characters_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("tmp");
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "app-pass-word").expect("pw");
    let config: SourceConfig = toml::from_str(&format!(
        r#"
platform = "bluesky"
name = "b"
channel = "@velora.bsky.social"
keywords = ["velora"]
appview = "http://127.0.0.1:9"
account = {{ identifier = "velora.bsky.social", app_password = {{ file = "{}" }}, pds = "http://127.0.0.1:9" }}
"#,
        pw.display()
    ))
    .expect("config");
    let publishers = Publishers::from_sources(&[config], false).expect("publishers");
    let post = firebreak_respond::outbound::OutboundPost {
        key: "k".into(),
        platform: "bluesky".into(),
        channel: "@velora.bsky.social".into(),
        in_reply_to: Some(MentionId::new(
            "bluesky:at://did:plc:x/app.bsky.feed.post/1",
        )),
        private: None,
        to_handle: None,
        to_author: "bluesky:did:plc:x".into(),
        text: "x".repeat(301),
    };
    let err = publishers.post(&post).expect_err("too long");
    assert!(err.contains("at most 300"), "{err}");
    let dm = firebreak_respond::outbound::OutboundPost {
        private: Some(PrivateChannel::Dm),
        text: "ciao".into(),
        ..post
    };
    assert!(publishers
        .post(&dm)
        .expect_err("no DMs")
        .contains("not supported"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reddit_reply_is_a_comment_on_the_thing_answered() {
    let fake = support::fakes::FakeReddit::start(support::fakes::Faults::default()).await;
    let dir = tempfile::tempdir().expect("tmp");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret-s3cret-s3cret").expect("secret");
    let password = dir.path().join("password");
    std::fs::write(&password, "hunter2hunter2").expect("password");
    let config: SourceConfig = toml::from_str(&format!(
        r#"
platform = "reddit"
name = "reddit"
channel = "r/ebikes"
client_id = "app"
client_secret = {{ file = "{}" }}
username = "velora_official"
password = {{ file = "{}" }}
user_agent = "linux:firebreak-test:0.1 (by /u/velora)"
subreddits = ["ebikes"]
auth_url = "{url}/api/v1/access_token"
api_url = "{url}"
"#,
        secret.display(),
        password.display(),
        url = fake.url
    ))
    .expect("config");
    let publishers = Publishers::from_sources(&[config], false).expect("publishers");
    let m = complaint("t1_mq3c002", "r/ebikes", "marta_rossi");
    let (desk, cases) = desk(Some(Arc::new(publishers)), &[m]);
    let id = cases[0];
    let inbox = desk.inbox;
    let reply = tokio::task::spawn_blocking(move || inbox.reply(id, draft(REPLY, None), &agent()))
        .await
        .expect("join")
        .expect("posted")
        .1;
    let Delivery::Connector { platform_id } = reply.delivery else {
        panic!("posted through the connector");
    };
    assert!(platform_id.starts_with("reddit:t1_"), "{platform_id}");
    let posted = fake.posted();
    assert_eq!(posted[0]["thing_id"], "t1_mq3c002");
    assert_eq!(posted[0]["api_type"], "json");
}
