//! A fake Bluesky Jetstream: a real WebSocket server on loopback that speaks Jetstream's
//! `subscribe` protocol as documented (JSON text messages, `?cursor=<time_us>` replays
//! from that time, `wantedCollections` filters). Tests load it with events, make it drop
//! connections in the middle of a stream, and count connections; the soak benchmark has
//! it generate events at a steady rate.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

/// Events kept for replay (the soak generator trims older ones).
struct Log {
    /// Sequence number of `events[0]`.
    base: u64,
    events: VecDeque<(i64, Arc<str>)>,
}

struct Shared {
    log: Mutex<Log>,
    grew: Notify,
    connections: AtomicUsize,
    /// Connections still to cut after `drop_after` messages.
    drops_left: AtomicUsize,
    drop_after: usize,
    sent: AtomicUsize,
    cursors: Mutex<Vec<Option<i64>>>,
}

/// A running fake Jetstream.
pub struct FakeJetstream {
    /// `ws://127.0.0.1:PORT/subscribe`
    pub url: String,
    shared: Arc<Shared>,
}

impl FakeJetstream {
    /// Starts it with `events` (`(time_us, json)`, in time order). The first `drops`
    /// connections are cut, without a close frame, after `drop_after` messages each.
    pub async fn start(
        events: Vec<(i64, String)>,
        drops: usize,
        drop_after: usize,
    ) -> FakeJetstream {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake jetstream");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared {
            log: Mutex::new(Log {
                base: 0,
                events: events.into_iter().map(|(t, s)| (t, Arc::from(s))).collect(),
            }),
            grew: Notify::new(),
            connections: AtomicUsize::new(0),
            drops_left: AtomicUsize::new(drops),
            drop_after,
            sent: AtomicUsize::new(0),
            cursors: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = serve(tcp, s).await;
                });
            }
        });
        FakeJetstream {
            url: format!("ws://127.0.0.1:{port}/subscribe"),
            shared,
        }
    }

    /// Appends an event; connected clients receive it.
    pub fn push(&self, time_us: i64, json: String) {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .events
            .push_back((time_us, Arc::from(json)));
        self.shared.grew.notify_waiters();
    }

    /// Forgets events older than `keep` (the soak's bounded replay window).
    pub fn trim(&self, keep: usize) {
        let mut log = self.shared.log.lock().unwrap_or_else(|e| e.into_inner());
        while log.events.len() > keep {
            log.events.pop_front();
            log.base += 1;
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Messages sent, over all connections.
    pub fn sent(&self) -> usize {
        self.shared.sent.load(Ordering::SeqCst)
    }

    /// The `cursor` each connection asked for, in order.
    pub fn cursors(&self) -> Vec<Option<i64>> {
        self.shared
            .cursors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[allow(clippy::result_large_err)] // tungstenite's handshake callback type
async fn serve(tcp: tokio::net::TcpStream, shared: Arc<Shared>) -> Result<(), String> {
    let mut query = String::new();
    let ws = tokio_tungstenite::accept_hdr_async(tcp, |req: &Request, resp: Response| {
        query = req.uri().query().unwrap_or_default().to_owned();
        Ok(resp)
    })
    .await
    .map_err(|e| e.to_string())?;
    shared.connections.fetch_add(1, Ordering::SeqCst);
    let cursor = query.split('&').find_map(|kv| {
        kv.strip_prefix("cursor=")
            .and_then(|v| v.parse::<i64>().ok())
    });
    shared
        .cursors
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(cursor);
    let cut_after = shared
        .drops_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .ok()
        .map(|_| shared.drop_after);
    let (mut tx, mut rx) = ws.split();
    // Drain what the client sends (pongs, options updates).
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = rx.next().await {} });

    // The first sequence number to send: the first event at or after the cursor.
    let mut seq = {
        let log = shared.log.lock().unwrap_or_else(|e| e.into_inner());
        match cursor {
            None => log.base + log.events.len() as u64,
            Some(c) => {
                let skip = log.events.iter().take_while(|(t, _)| *t < c).count();
                log.base + skip as u64
            }
        }
    };
    let mut sent_here = 0usize;
    loop {
        let notified = shared.grew.notified();
        let batch: Vec<Arc<str>> = {
            let log = shared.log.lock().unwrap_or_else(|e| e.into_inner());
            let start = seq.max(log.base);
            let from = (start - log.base) as usize;
            log.events
                .iter()
                .skip(from)
                .take(256)
                .map(|(_, s)| s.clone())
                .collect()
        };
        if batch.is_empty() {
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
            continue;
        }
        for line in batch {
            if cut_after.is_some_and(|n| sent_here >= n) {
                // No close frame: the TCP connection just goes away.
                drain.abort();
                let _ = drain.await;
                return Ok(());
            }
            tx.send(Message::text(line.to_string()))
                .await
                .map_err(|e| e.to_string())?;
            seq += 1;
            sent_here += 1;
            shared.sent.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// A Jetstream commit event creating an `app.bsky.feed.post`, shaped as Jetstream
/// documents it. `reply_to` is the parent (and root) post's at-uri.
pub fn post_event(
    did: &str,
    rkey: &str,
    time_us: i64,
    text: &str,
    lang: &str,
    reply_to: Option<&str>,
) -> String {
    let created = chrono::DateTime::from_timestamp_micros(time_us)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut record = serde_json::json!({
        "$type": "app.bsky.feed.post",
        "createdAt": created,
        "langs": [lang],
        "text": text,
    });
    if let Some(parent) = reply_to {
        let r = serde_json::json!({"cid": "bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "uri": parent});
        record["reply"] = serde_json::json!({"parent": r, "root": r});
    }
    serde_json::json!({
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": format!("3l3qo2vutsw{rkey}"),
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": rkey,
            "record": record,
            "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi"
        }
    })
    .to_string()
}

/// A Jetstream `identity` event (not a post: only a cursor for the client).
pub fn identity_event(did: &str, time_us: i64) -> String {
    serde_json::json!({
        "did": did,
        "time_us": time_us,
        "kind": "identity",
        "identity": {"did": did, "handle": "someone.bsky.social", "seq": 1409752997, "time": "2024-09-05T06:11:04.870Z"}
    })
    .to_string()
}
