//! The hourly rollup behind the overview's charts counts each new mention once, in the
//! same transaction as its insert, on both backends.

use std::sync::Arc;

use chrono::Duration;
use firebreak_store::{Insights, MentionStore, PgStore, SqliteStore};
use firebreak_testkit::{mention, t0, PgDatabase};

fn check(mentions: &dyn MentionStore, insights: &dyn Insights) {
    // Three mentions in the first hour, one in the second, all on @velora.
    let mut batch: Vec<_> = (0..4).map(|i| mention(i * 2)).collect();
    batch[3].created_at = t0() + Duration::minutes(70);
    assert_eq!(
        mentions.upsert_mentions(&batch).expect("store").inserted(),
        4
    );
    // Re-delivered: stored once, counted once.
    assert_eq!(
        mentions
            .upsert_mentions(&batch)
            .expect("again")
            .duplicates(),
        4
    );
    let rows = insights
        .activity("@velora", t0(), t0() + Duration::hours(2), 3600)
        .expect("activity");
    let mut per_hour: Vec<(i64, u64)> = rows
        .iter()
        .map(|r| ((r.bucket_start - t0()).num_hours(), r.count))
        .collect();
    per_hour.sort();
    assert_eq!(per_hour, [(0, 3), (1, 1)]);
    assert!(rows
        .iter()
        .all(|r| r.lang.as_deref() == Some("it") && r.sentiment.is_none()));
    // A two-hour bucket adds them up; another channel has nothing.
    let two = insights
        .activity("@velora", t0(), t0() + Duration::hours(2), 7200)
        .expect("activity");
    assert_eq!(two.iter().map(|r| r.count).sum::<u64>(), 4);
    assert!(insights
        .activity("@other", t0(), t0() + Duration::hours(2), 3600)
        .expect("activity")
        .is_empty());
}

#[test]
fn the_rollup_counts_new_mentions_once_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = Arc::new(SqliteStore::open(&dir.path().join("r.db")).expect("open"));
    check(s.as_ref(), s.as_ref());
}

#[test]
fn the_rollup_counts_new_mentions_once_on_postgres() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let s = Arc::new(PgStore::connect(&db.url).expect("connect"));
    check(s.as_ref(), s.as_ref());
}
