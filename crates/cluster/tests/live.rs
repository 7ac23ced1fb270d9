//! Live updates across nodes through a real `nats-server`: what a worker commits and what
//! the detector owner raises reaches a web node's listener (skipped without nats-server
//! unless FIREBREAK_REQUIRE_NATS=1).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use firebreak_cluster::live::{listen, Announcer, Heard};
use firebreak_cluster::ClusterConfig;
use firebreak_core::{Alert, AlertKind, ChannelId};
use firebreak_testkit::nats::NatsServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_node_hears_committed_mentions_and_alerts_from_the_workers() {
    let Some(nats) = tokio::task::spawn_blocking(NatsServer::start)
        .await
        .expect("start nats")
    else {
        return;
    };
    let config = ClusterConfig {
        nats_url: nats.url(),
        ..Default::default()
    };
    let heard: Arc<Mutex<Vec<Heard>>> = Arc::default();
    let web = firebreak_cluster::connect(&config).await.expect("connect");
    let sink = heard.clone();
    let listening = {
        let config = config.clone();
        tokio::spawn(async move {
            listen(web, &config, move |h| sink.lock().expect("lock").push(h)).await
        })
    };
    // The subscription must be in place before the worker speaks.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let worker = firebreak_cluster::connect(&config).await.expect("connect");
    let announcer = Announcer::start(worker.clone(), &config);
    let mut counter = announcer.detector();
    let mut alerts = Vec::new();
    let batch = firebreak_testkit::mentions(7);
    counter.observe_batch(&batch, &mut alerts);
    assert!(alerts.is_empty(), "the announcer raises nothing itself");
    let alert = Alert {
        id: "@velora:crisis:1".into(),
        raised_at: firebreak_testkit::t0(),
        channel: ChannelId::from("@velora"),
        kind: AlertKind::NegativeSurge,
        crisis: true,
        severity: 3,
        summary: "12 authors complain about late parcels".into(),
        terms: vec!["parcel".into()],
        evidence: vec!["m-1".into()],
        amplifiers: Vec::new(),
    };
    announcer.sink().emit(&alert).expect("emit");
    // Something that is not an announcement is skipped, not fatal.
    worker
        .publish(format!("{}.mentions", config.live_subject), "many".into())
        .await
        .expect("publish");
    worker.flush().await.expect("flush");

    let start = Instant::now();
    loop {
        let got = heard.lock().expect("lock").clone();
        if got.len() >= 2 {
            assert_eq!(got[0], Heard::Mentions(7));
            assert_eq!(got[1], Heard::Alert(Box::new(alert.clone())));
            assert_eq!(
                got.len(),
                2,
                "the malformed announcement was skipped: {got:?}"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the web node heard only {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    listening.abort();
}
