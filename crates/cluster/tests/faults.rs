//! The cluster's guarantees under faults, on a real `nats-server -js` and a real
//! PostgreSQL started by the test: at-least-once delivery turned into exactly-once
//! storage, producers that buffer through a NATS restart, workers that retry through a
//! PostgreSQL restart, and one detector owner whose successor emits every alert once.
//! Skipped (with a message) when nats-server or PostgreSQL is not installed, unless
//! FIREBREAK_REQUIRE_NATS=1 / FIREBREAK_REQUIRE_POSTGRES=1.

mod support;

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use firebreak_cluster::Publisher;
use firebreak_store::{AlertLog, ClusterState};
use support::*;

const LIMIT: Duration = Duration::from_secs(120);

async fn publisher(cluster: &Cluster) -> Publisher {
    let config = cluster.node("ingest");
    let client = firebreak_cluster::connect(&config).await.expect("connect");
    Publisher::start(client, &config).await.expect("publisher")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn republished_mentions_are_stored_once_by_two_workers() {
    let Some(cluster) = Cluster::start("republish") else {
        return;
    };
    let mentions = demo_mentions();
    let n = mentions.len() as i64;
    let a = Worker::start(cluster.node("a"), cluster.store.clone()).await;
    let b = Worker::start(cluster.node("b"), cluster.store.clone()).await;
    let (ca, cb) = (a.counters.clone(), b.counters.clone());
    eventually("both workers pull", LIMIT, || {
        ca.pulling.load(Ordering::SeqCst) && cb.pulling.load(Ordering::SeqCst)
    })
    .await;
    let ingest = publisher(&cluster).await;
    let first = ingest.publish(mentions.clone()).await.expect("publish");
    // The same ids again, as a connector that restarted from an old cursor would.
    let again = ingest
        .publish(mentions[..500].to_vec())
        .await
        .expect("publish");
    assert_eq!((first.inserted, first.duplicates), (n as u64, 0));
    assert_eq!(
        (again.inserted, again.duplicates),
        (0, 500),
        "JetStream drops a re-published id"
    );

    eventually("all mentions stored", LIMIT, || {
        cluster.rows_and_distinct_ids().0 == n
    })
    .await;
    eventually("every message acknowledged", LIMIT, || {
        ca.acked.load(Ordering::Relaxed) + cb.acked.load(Ordering::Relaxed) >= n as u64
    })
    .await;
    a.stop().await;
    b.stop().await;
    assert_eq!(cluster.rows_and_distinct_ids(), (n, n));
    assert!(
        ca.acked.load(Ordering::Relaxed) > 0 && cb.acked.load(Ordering::Relaxed) > 0,
        "both workers took a share: a {} b {}",
        ca.acked.load(Ordering::Relaxed),
        cb.acked.load(Ordering::Relaxed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_worker_leaves_no_mention_lost_or_duplicated() {
    let Some(cluster) = Cluster::start("killworker") else {
        return;
    };
    let mentions = demo_mentions();
    let n = mentions.len() as i64;
    let a = Worker::start(cluster.node("a"), cluster.store.clone()).await;
    let ingest = publisher(&cluster).await;
    let ca = a.counters.clone();
    let feeding = tokio::spawn(async move {
        for chunk in mentions.chunks(50) {
            ingest.publish(chunk.to_vec()).await.expect("publish");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    eventually("worker a has stored some", LIMIT, || {
        ca.acked.load(Ordering::Relaxed) >= 300
    })
    .await;
    a.kill();
    let b = Worker::start(cluster.node("b"), cluster.store.clone()).await;
    feeding.await.expect("feeder");
    eventually("all mentions stored by the survivor", LIMIT, || {
        cluster.rows_and_distinct_ids().0 == n
    })
    .await;
    b.stop().await;
    assert_eq!(cluster.rows_and_distinct_ids(), (n, n));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn producers_buffer_while_nats_restarts_and_nothing_is_lost() {
    let Some(mut cluster) = Cluster::start("natsrestart") else {
        return;
    };
    let mentions = demo_mentions();
    let n = mentions.len() as i64;
    let ingest = publisher(&cluster).await;
    let counters = ingest.counters();
    let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let feeding = tokio::spawn(async move {
        for (i, chunk) in mentions.chunks(50).enumerate() {
            ingest.publish(chunk.to_vec()).await.expect("publish");
            let _ = sent_tx.send(i);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    // A third of the way in, NATS goes away for a while and comes back.
    while let Some(i) = sent_rx.recv().await {
        if i == 14 {
            break;
        }
    }
    // Longer than JetStream's 5 s acknowledgement timeout: the publisher must retry.
    cluster.nats.stop();
    tokio::time::sleep(Duration::from_secs(7)).await;
    cluster.nats.resume();
    feeding.await.expect("every batch was published in the end");
    assert!(
        counters.retries.load(Ordering::Relaxed) > 0,
        "the publisher met the outage (else this test tests nothing)"
    );

    let w = Worker::start(cluster.node("w"), cluster.store.clone()).await;
    eventually("all mentions stored", LIMIT, || {
        cluster.rows_and_distinct_ids().0 == n
    })
    .await;
    w.stop().await;
    assert_eq!(cluster.rows_and_distinct_ids(), (n, n));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_retry_while_postgres_restarts_and_nothing_is_lost() {
    let Some(mut cluster) = Cluster::start("pgrestart") else {
        return;
    };
    let mentions = demo_mentions();
    let n = mentions.len() as i64;
    let w = Worker::start(cluster.node("w"), cluster.store.clone()).await;
    let ingest = publisher(&cluster).await;
    let cw = w.counters.clone();
    let feeding = tokio::spawn(async move {
        for chunk in mentions.chunks(50) {
            ingest.publish(chunk.to_vec()).await.expect("publish");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    eventually("some mentions stored", LIMIT, || {
        cw.acked.load(Ordering::Relaxed) >= 300
    })
    .await;
    // Longer than the pipeline's own write retries (about 6 s): batches fail, are handed
    // back to JetStream and redelivered.
    cluster.pg.stop();
    tokio::time::sleep(Duration::from_secs(9)).await;
    cluster.pg.resume();
    feeding.await.expect("feeder");
    eventually("all mentions stored after the restart", LIMIT, || {
        cluster.rows_and_distinct_ids().0 == n
    })
    .await;
    w.stop().await;
    assert_eq!(cluster.rows_and_distinct_ids(), (n, n));
    assert!(
        cw.failed_batches.load(Ordering::Relaxed) > 0 && cw.redelivered.load(Ordering::Relaxed) > 0,
        "the worker met the outage and got its batches again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_detector_owner_fails_over_and_every_alert_is_emitted_once() {
    let Some(cluster) = Cluster::start("detectfailover") else {
        return;
    };
    let mentions = demo_mentions();
    let n = mentions.len() as u64;
    let worker = Worker::start(cluster.node("w"), cluster.store.clone()).await;
    let outputs = Recorder::default();
    let first = DetectorNode::start(&cluster, "first", outputs.clone()).await;
    eventually("the first node owns the detectors", LIMIT, || {
        first.is_owner()
    })
    .await;
    let second = DetectorNode::start(&cluster, "second", outputs.clone()).await;

    let ingest = publisher(&cluster).await;
    let feeding = tokio::spawn(async move {
        for chunk in mentions.chunks(25) {
            ingest.publish(chunk.to_vec()).await.expect("publish");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    let c1 = first.counters.clone();
    eventually("the owner is mid-stream", LIMIT, || {
        c1.position.load(Ordering::SeqCst) >= n / 2
    })
    .await;
    let emitted_by_first = c1.emitted.load(Ordering::SeqCst);
    first.kill();
    eventually("the standby takes over", LIMIT, || second.is_owner()).await;
    feeding.await.expect("feeder");
    let c2 = second.counters.clone();
    eventually("the new owner reaches the end", LIMIT, || {
        c2.position.load(Ordering::SeqCst) >= n
    })
    .await;
    second.stop().await;
    worker.stop().await;

    // What one uninterrupted detector raises on the stored mentions, in stream order.
    let ids: Vec<_> = demo_mentions().into_iter().map(|m| m.id).collect();
    let store = cluster.store.clone();
    let lookup = ids.clone();
    let stored = blocking(move || store.mentions_by_ids(&lookup))
        .await
        .expect("stored mentions");
    assert_eq!(stored.len() as u64, n);
    let by_id: std::collections::HashMap<_, _> =
        stored.into_iter().map(|m| (m.id.clone(), m)).collect();
    let in_order: Vec<_> = ids.iter().map(|id| by_id[id].clone()).collect();
    let expected: Vec<_> = reference_alerts(&in_order).iter().map(key).collect();
    assert!(
        !expected.is_empty(),
        "the demo crisis raises alerts (else this test tests nothing)"
    );

    let emitted = outputs.keys();
    let distinct: HashSet<_> = emitted.iter().cloned().collect();
    assert_eq!(
        distinct.len(),
        emitted.len(),
        "an alert was emitted twice: {emitted:#?}"
    );
    assert_eq!(
        distinct,
        expected.iter().cloned().collect::<HashSet<_>>(),
        "the cluster emitted exactly the alerts of one uninterrupted detector"
    );
    assert!(
        c2.replayed.load(Ordering::SeqCst) > 0 && c2.emitted.load(Ordering::SeqCst) > 0,
        "the new owner rebuilt its state and then emitted (first emitted {emitted_by_first})"
    );
    let store = cluster.store.clone();
    let claimed = blocking(move || store.alert_log()).await.expect("claims");
    assert_eq!(claimed.len(), emitted.len());
    assert!(
        claimed.iter().all(|r| r.delivered_at.is_some()),
        "every emission handed to the outputs is recorded as delivered"
    );
}
