//! Measures raw SQLite insert rates for schema variants (used to choose the schema).
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(300_000);
    let variants: &[(&str, &str)] = &[
        ("pk+chan_t+t", "CREATE TABLE m (id TEXT PRIMARY KEY NOT NULL, channel TEXT, created_at INTEGER, author_id TEXT, text TEXT, other TEXT); CREATE INDEX a ON m(channel, created_at); CREATE INDEX b ON m(created_at);"),
        //("rowid+pk+1idx", "CREATE TABLE m (id TEXT PRIMARY KEY NOT NULL, channel TEXT, created_at INTEGER, author_id TEXT, text TEXT, other TEXT); CREATE INDEX a ON m(channel, created_at);"),
        //("norowid+2idx", "CREATE TABLE m (id TEXT PRIMARY KEY NOT NULL, channel TEXT, created_at INTEGER, author_id TEXT, text TEXT, other TEXT) WITHOUT ROWID; CREATE INDEX a ON m(channel, created_at); CREATE INDEX b ON m(author_id);"),
    ];
    for (name, schema) in variants {
        for (cache, batch, ckpt) in [
            (-32768i64, 8192usize, 1000i64),
            (-65536, 8192, 16384),
            (-65536, 32768, 16384),
        ] {
            let dir = tempfile::tempdir().expect("tmp");
            let c = rusqlite::Connection::open(dir.path().join("x.db")).expect("open");
            c.pragma_update(None, "journal_mode", "WAL").expect("wal");
            c.pragma_update(None, "synchronous", "NORMAL")
                .expect("sync");
            c.pragma_update(None, "cache_size", cache).expect("cache");
            c.pragma_update(None, "wal_autocheckpoint", ckpt)
                .expect("ckpt");
            c.execute_batch(schema).expect("schema");
            let start = Instant::now();
            let mut c = c;
            let text = "Ciao @velora, il bollitore è arrivato in ritardo ma funziona benissimo, grazie mille per la spedizione veloce #fail 😡😡 please help";
            for chunk in (0..n).collect::<Vec<_>>().chunks(batch) {
                let tx = c.transaction().expect("tx");
                {
                    let mut st = tx
                        .prepare_cached(
                            "INSERT INTO m VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT(id) DO NOTHING",
                        )
                        .expect("prep");
                    for &i in chunk {
                        let id = format!(
                            "{}:{:x}-{}",
                            ["mastodon", "bluesky", "x", "reddit"][i % 4],
                            1234567u64,
                            i
                        );
                        st.execute(rusqlite::params![
                            id,
                            if i % 3 == 0 {
                                "@velora"
                            } else {
                                "@velora_help"
                            },
                            (i as i64) * 50_000,
                            format!("u{}", (i * 7919) % 200_000),
                            text,
                            "https://social.example/mastodon/123456"
                        ])
                        .expect("ins");
                    }
                }
                tx.commit().expect("commit");
            }
            let s = start.elapsed().as_secs_f64();
            println!(
                "{name:<16} cache {:>4} MiB batch {batch:>6} ckpt {ckpt:>5}: {:>8.0} rows/s",
                -cache / 1024,
                n as f64 / s
            );
        }
    }
}
