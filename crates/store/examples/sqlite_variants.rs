//! Raw SQLite insert rates for schema and tuning variants: the measurement
//! behind the schema choices in ARCHITECTURE.md ("Decisions and trade-offs").
//!
//! cargo run --release -p firebreak-store --example sqlite_variants -- 1000000
use std::time::Instant;

const PK_ONLY: &str = "CREATE TABLE m (id TEXT PRIMARY KEY NOT NULL, channel TEXT, created_at INTEGER, author_id TEXT, text TEXT, other TEXT);";

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(300_000);
    let indexes = [
        (
            "(channel,t)+(t)",
            "CREATE INDEX a ON m(channel, created_at); CREATE INDEX b ON m(created_at);",
        ),
        (
            "(channel,t)+(author)",
            "CREATE INDEX a ON m(channel, created_at); CREATE INDEX b ON m(author_id);",
        ),
    ];
    // (page size, cache KiB, batch, checkpoint pages)
    let tunings = [
        (4096i64, 32768i64, 8192usize, 1000i64),
        (4096, 65536, 8192, 16384),
        (8192, 65536, 8192, 8192),
        (16384, 65536, 8192, 4096),
    ];
    let text = "Ciao @velora, il bollitore è arrivato in ritardo ma funziona benissimo, grazie mille per la spedizione veloce #fail 😡😡 please help";
    for (name, index) in indexes {
        for (page, cache, batch, ckpt) in tunings {
            let dir = tempfile::tempdir().expect("tmp");
            let mut c = rusqlite::Connection::open(dir.path().join("x.db")).expect("open");
            c.pragma_update(None, "page_size", page).expect("page");
            c.pragma_update(None, "journal_mode", "WAL").expect("wal");
            c.pragma_update(None, "synchronous", "NORMAL")
                .expect("sync");
            c.pragma_update(None, "cache_size", -cache).expect("cache");
            c.pragma_update(None, "wal_autocheckpoint", ckpt)
                .expect("ckpt");
            c.execute_batch(PK_ONLY).expect("table");
            c.execute_batch(index).expect("index");
            let start = Instant::now();
            let mut i = 0usize;
            while i < n {
                let tx = c.transaction().expect("tx");
                {
                    let mut st = tx
                        .prepare_cached(
                            "INSERT INTO m VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT(id) DO NOTHING",
                        )
                        .expect("prepare");
                    for j in i..(i + batch).min(n) {
                        let id = format!(
                            "{}:{:x}-{j}",
                            ["mastodon", "bluesky", "x", "reddit"][j % 4],
                            1_234_567u64
                        );
                        st.execute(rusqlite::params![
                            id,
                            if j % 3 == 0 {
                                "@velora"
                            } else {
                                "@velora_help"
                            },
                            (j as i64) * 50_000,
                            format!("u{}", (j * 7919) % 200_000),
                            text,
                            "https://social.example/mastodon/123456"
                        ])
                        .expect("insert");
                    }
                }
                tx.commit().expect("commit");
                i += batch;
            }
            let secs = start.elapsed().as_secs_f64();
            println!(
                "{name:<22} page {page:>5} cache {:>3} MiB batch {batch} checkpoint {:>3} MiB: {:>8.0} rows/s",
                cache / 1024,
                ckpt * page / 1048576,
                n as f64 / secs
            );
        }
    }
}
