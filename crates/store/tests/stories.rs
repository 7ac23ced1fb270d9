//! The store's behaviour, told as stories. Every story runs against both
//! backends: the embedded SQLite and a real PostgreSQL (see firebreak-testkit).

use std::sync::Arc;

use chrono::Duration;
use firebreak_core::{
    Analysis, Category, Intent, Mention, MentionId, Register, Sentiment, SentimentLabel, Toxicity,
};
use firebreak_store::{Cursor, MentionQuery, MentionStore, PgStore, SqliteStore};
use firebreak_testkit::{mention, mentions, t0, PgDatabase};

/// A store under test and what keeps it alive.
struct Subject {
    store: Arc<dyn MentionStore>,
    _keep: Box<dyn std::any::Any>,
}

fn sqlite() -> Option<Subject> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("stories.db")).expect("open sqlite");
    Some(Subject {
        store: Arc::new(store),
        _keep: Box::new(dir),
    })
}

fn postgres() -> Option<Subject> {
    let db = PgDatabase::create()?;
    let store = PgStore::connect(&db.url).expect("connect postgres");
    Some(Subject {
        store: Arc::new(store),
        _keep: Box::new(db),
    })
}

macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[test] fn $name() { if let Some(s) = super::sqlite() { super::$name(&*s.store); } })*
        }
        mod on_postgres {
            $(#[test] fn $name() { if let Some(s) = super::postgres() { super::$name(&*s.store); } })*
        }
    };
}

stories!(
    a_stored_mention_reads_back_exactly,
    reimporting_creates_no_duplicates,
    an_id_repeated_within_one_batch_is_stored_once,
    text_is_kept_byte_for_byte,
    filters_narrow_the_list,
    pages_cover_everything_once_newest_first,
    channel_stats_count_per_channel,
    analysis_is_stored_and_filterable,
    text_search_finds_words_and_prefixes_among_many_matches,
);

fn analysed(i: u32, label: SentimentLabel, intent: Intent, category: Option<Category>) -> Mention {
    let mut m = mention(i);
    m.lang = None;
    m.analysis = Some(Analysis {
        lang: Some("it".into()),
        lang_confidence: 0.97,
        sentiment: Sentiment {
            label,
            score: 0.8,
            probs: [0.8, 0.15, 0.05],
        },
        toxicity: Toxicity {
            toxic: 0.25,
            insult: 0.25,
            threat: 0.01,
            identity_hate: 0.0,
        },
        intent,
        intent_confidence: 0.6,
        category,
        register: Register::Emotional,
        emotional: 0.7,
    });
    m
}

fn a_stored_mention_reads_back_exactly(store: &dyn MentionStore) {
    let mut m = mention(1);
    m.in_reply_to = Some(MentionId::new("mastodon:0"));
    m.kind = firebreak_core::MentionKind::Reply;
    let outcome = store
        .upsert_mentions(std::slice::from_ref(&m))
        .expect("upsert");
    assert_eq!((outcome.inserted(), outcome.duplicates()), (1, 0));
    let stored = store.get_mention(&m.id).expect("get").expect("present");
    assert_eq!(stored.mention, m);
    assert!(store
        .get_mention(&MentionId::new("nope"))
        .expect("get")
        .is_none());
}

fn reimporting_creates_no_duplicates(store: &dyn MentionStore) {
    let batch = mentions(100);
    assert_eq!(
        store.upsert_mentions(&batch).expect("first").inserted(),
        100
    );
    let again = store.upsert_mentions(&batch).expect("second");
    assert_eq!((again.inserted(), again.duplicates()), (0, 100));
    // A re-delivery with changed content keeps the first version: nothing is overwritten.
    let mut changed = batch[5].clone();
    changed.text = "edited".into();
    assert_eq!(
        store
            .upsert_mentions(&[changed])
            .expect("third")
            .duplicates(),
        1
    );
    assert_eq!(store.count_mentions().expect("count"), 100);
    let kept = store
        .get_mention(&batch[5].id)
        .expect("get")
        .expect("present");
    assert_eq!(kept.mention.text, batch[5].text);
}

fn an_id_repeated_within_one_batch_is_stored_once(store: &dyn MentionStore) {
    let batch = vec![mention(1), mention(2), mention(1)];
    let outcome = store.upsert_mentions(&batch).expect("upsert");
    assert_eq!(outcome.new, vec![true, true, false]);
    assert_eq!(store.count_mentions().expect("count"), 2);
}

fn text_is_kept_byte_for_byte(store: &dyn MentionStore) {
    let mut m = mention(3);
    m.text = "Zażółć gęślą jaźń — ¿qué? «ciao» 🔥🔥 <script>alert(1)</script> ' \" \\ %_".into();
    m.author.handle = None;
    m.url = None;
    m.lang = None;
    m.author.followers = u64::from(u32::MAX) * 4;
    store
        .upsert_mentions(std::slice::from_ref(&m))
        .expect("upsert");
    let stored = store.get_mention(&m.id).expect("get").expect("present");
    assert_eq!(stored.mention, m);
}

fn filters_narrow_the_list(store: &dyn MentionStore) {
    let mut batch = mentions(40);
    batch[7].text = "The kettle MELTED on my counter".into();
    batch[8].lang = Some("pl".into());
    batch[9].kind = firebreak_core::MentionKind::Reshare;
    store.upsert_mentions(&batch).expect("upsert");
    let count = |q: MentionQuery| {
        store
            .search_mentions(&MentionQuery { limit: 500, ..q })
            .expect("search")
            .mentions
            .len()
    };
    assert_eq!(count(MentionQuery::default()), 40);
    assert_eq!(
        count(MentionQuery {
            channel: Some("@velora".into()),
            ..Default::default()
        }),
        20
    );
    assert_eq!(
        count(MentionQuery {
            text: Some("melted".into()),
            ..Default::default()
        }),
        1,
        "text search ignores case"
    );
    assert_eq!(
        count(MentionQuery {
            text: Some("%".into()),
            ..Default::default()
        }),
        0,
        "wildcards are literal"
    );
    assert_eq!(
        count(MentionQuery {
            lang: Some("pl".into()),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        count(MentionQuery {
            kind: Some("reshare".into()),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        count(MentionQuery {
            author_id: Some("u3".into()),
            ..Default::default()
        }),
        6
    );
    assert_eq!(
        count(MentionQuery {
            platform: Some("bluesky".into()),
            ..Default::default()
        }),
        0
    );
    let since = t0() + Duration::minutes(10);
    let until = t0() + Duration::minutes(20);
    assert_eq!(
        count(MentionQuery {
            since: Some(since),
            until: Some(until),
            ..Default::default()
        }),
        10
    );
    assert_eq!(
        count(MentionQuery {
            channel: Some("@velora".into()),
            since: Some(since),
            until: Some(until),
            ..Default::default()
        }),
        5
    );
}

fn pages_cover_everything_once_newest_first(store: &dyn MentionStore) {
    let mut batch = mentions(57);
    // Two mentions at the same instant must still page deterministically.
    batch[30].created_at = batch[31].created_at;
    store.upsert_mentions(&batch).expect("upsert");
    let mut seen: Vec<Mention> = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = store
            .search_mentions(&MentionQuery {
                limit: 10,
                after: after.clone(),
                ..Default::default()
            })
            .expect("page");
        pages += 1;
        seen.extend(page.mentions.into_iter().map(|m| m.mention));
        match page.next_cursor {
            Some(c) => after = Some(Cursor::decode(&c).expect("cursor")),
            None => break,
        }
    }
    assert_eq!(pages, 6);
    assert_eq!(seen.len(), 57);
    let mut ids: Vec<_> = seen.iter().map(|m| m.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 57, "no mention appears twice");
    assert!(
        seen.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        "newest first"
    );
}

fn channel_stats_count_per_channel(store: &dyn MentionStore) {
    let mut batch = mentions(9);
    batch[0].platform = "bluesky".parse().expect("platform");
    store.upsert_mentions(&batch).expect("upsert");
    let stats = store.channel_stats().expect("stats");
    assert_eq!(stats.len(), 2);
    assert_eq!(
        (stats[0].channel.as_str(), stats[0].mentions),
        ("@velora", 5)
    );
    assert_eq!(
        stats[0].platforms,
        vec!["bluesky".to_owned(), "mastodon".to_owned()]
    );
    assert_eq!(stats[0].first_at, Some(t0()));
    assert_eq!(
        (stats[1].channel.as_str(), stats[1].mentions),
        ("@velora_help", 4)
    );
}

#[test]
fn postgres_refuses_to_delete_mentions() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let store = PgStore::connect(&db.url).expect("connect");
    store.upsert_mentions(&mentions(2)).expect("upsert");
    let mut raw = postgres::Client::connect(&db.url, postgres::NoTls).expect("raw client");
    let err = raw
        .execute("DELETE FROM mentions", &[])
        .expect_err("delete must fail");
    assert!(
        err.to_string().contains("never deleted") || format!("{err:?}").contains("never deleted"),
        "{err:?}"
    );
    let err = raw
        .batch_execute("TRUNCATE mentions")
        .expect_err("truncate must fail");
    assert!(format!("{err:?}").contains("never deleted"), "{err:?}");
    // Reconnecting (a second node, a restart) finds the schema and the data in place.
    let again = PgStore::connect(&db.url).expect("reconnect");
    assert_eq!(again.count_mentions().expect("count"), 2);
    drop(raw);
}

fn analysis_is_stored_and_filterable(store: &dyn MentionStore) {
    let batch = vec![
        analysed(
            1,
            SentimentLabel::Negative,
            Intent::Complaint,
            Some(Category::ProductDefectSafety),
        ),
        analysed(2, SentimentLabel::Positive, Intent::Praise, None),
        analysed(3, SentimentLabel::Negative, Intent::Question, None),
        mention(4),
    ];
    store.upsert_mentions(&batch).expect("upsert");
    for m in &batch {
        let stored = store.get_mention(&m.id).expect("get").expect("present");
        assert_eq!(stored.mention, *m, "analysis round-trips");
    }
    let ids = |q: MentionQuery| -> Vec<String> {
        let mut v: Vec<String> = store
            .search_mentions(&q)
            .expect("search")
            .mentions
            .into_iter()
            .map(|m| m.mention.id.to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        ids(MentionQuery {
            sentiment: Some("negative".into()),
            ..Default::default()
        }),
        ["mastodon:1", "mastodon:3"]
    );
    assert_eq!(
        ids(MentionQuery {
            intent: Some("praise".into()),
            ..Default::default()
        }),
        ["mastodon:2"]
    );
    assert_eq!(
        ids(MentionQuery {
            category: Some("product_defect_safety".into()),
            ..Default::default()
        }),
        ["mastodon:1"]
    );
    // The detected language counts when the platform gave none.
    assert_eq!(
        ids(MentionQuery {
            lang: Some("it".into()),
            ..Default::default()
        })
        .len(),
        4
    );
    // Combinations narrow further; a value nothing has, alone or combined, finds nothing.
    assert_eq!(
        ids(MentionQuery {
            sentiment: Some("negative".into()),
            intent: Some("question".into()),
            lang: Some("it".into()),
            ..Default::default()
        }),
        ["mastodon:3"]
    );
    assert_eq!(
        ids(MentionQuery {
            sentiment: Some("positive".into()),
            intent: Some("complaint".into()),
            ..Default::default()
        }),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(MentionQuery {
            category: Some("billing_pricing".into()),
            channel: Some("@velora".into()),
            ..Default::default()
        }),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(MentionQuery {
            lang: Some("xx".into()),
            ..Default::default()
        }),
        Vec::<String>::new()
    );
}

fn text_search_finds_words_and_prefixes_among_many_matches(store: &dyn MentionStore) {
    // More matches for "kettle" than the search sorts in one go: it walks by time instead.
    let mut batch = mentions(20_100);
    for (i, m) in batch.iter_mut().enumerate() {
        m.text = format!("kettle number {i} arrived");
    }
    batch[17].text = "The Zebra kettle sparked".into();
    batch[20_001].text = "zebra-striped kettle, melted".into();
    batch[333].text = "a ZEBRA without anything else".into();
    batch[444].text = "Il caffè è arrivato freddo, żółć na ekspres".into();
    for chunk in batch.chunks(5000) {
        store.upsert_mentions(chunk).expect("upsert");
    }
    let search = |text: &str, after: Option<Cursor>| {
        store
            .search_mentions(&MentionQuery {
                text: Some(text.into()),
                limit: 50,
                after,
                ..Default::default()
            })
            .expect("search")
    };
    let ids = |p: &firebreak_store::MentionPage| -> Vec<String> {
        p.mentions
            .iter()
            .map(|m| m.mention.id.as_str().to_owned())
            .collect()
    };
    // Every word must match, in any case; words of 3+ letters match as prefixes.
    let mut both = ids(&search("KETTLE zebra", None));
    both.sort();
    assert_eq!(both, ["mastodon:17", "mastodon:20001"]);
    assert_eq!(search("zeb", None).mentions.len(), 3, "a prefix");
    assert_eq!(search("melted zebra", None).mentions.len(), 1);
    assert_eq!(search("giraffe", None).mentions.len(), 0);
    // Diacritics fold on both sides, on both backends (ł is a letter of its own, not l
    // with a mark: Unicode gives it no decomposition).
    for q in ["caffe", "CAFFÈ", "zołc", "żółć ekspres"] {
        assert_eq!(
            ids(&search(q, None)),
            ["mastodon:444"],
            "{q:?} finds the mention with diacritics"
        );
    }
    // A common word: the newest first, page after page, each mention once.
    let first = search("kettle", None);
    assert_eq!(first.mentions.len(), 50);
    assert_eq!(first.mentions[0].mention.id.as_str(), "mastodon:20099");
    let next = first
        .next_cursor
        .as_deref()
        .map(|c| Cursor::decode(c).expect("cursor"));
    let second = search("kettle", next);
    assert_eq!(second.mentions.len(), 50);
    assert_eq!(second.mentions[0].mention.id.as_str(), "mastodon:20049");
    assert!(first
        .mentions
        .iter()
        .all(|m| m.mention.text.to_lowercase().contains("kettle")));
}
