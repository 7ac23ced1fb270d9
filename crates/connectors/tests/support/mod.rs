//! A store and a pipeline for sources under test, and small fake servers.

#![allow(dead_code)]

use std::sync::Mutex;
use std::time::Duration;

use firebreak_connectors::sources::{self, SourceConfig, SourceContext, Supervision};
use firebreak_core::MentionId;
use firebreak_pipeline::{Components, Pipeline, PipelineConfig};
use firebreak_store::{ConnectorHealth, ConnectorRecord, Handles};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A real SQLite store with the real pipeline in front of it.
pub struct Rig {
    _dir: tempfile::TempDir,
    pub handles: Handles,
    pipeline: Mutex<Option<Pipeline>>,
    sender: tokio::sync::mpsc::Sender<firebreak_pipeline::Envelope>,
    tokens: Mutex<Vec<CancellationToken>>,
}

impl Rig {
    pub async fn new() -> Rig {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let handles = firebreak_store::open_handles(&url).expect("store");
        let pipeline = Pipeline::start(
            PipelineConfig::default(),
            Components {
                store: handles.mentions.clone(),
                transforms: vec![],
                detectors: vec![],
                sinks: vec![],
            },
        );
        let sender = pipeline.sender();
        Rig {
            _dir: dir,
            handles,
            pipeline: Mutex::new(Some(pipeline)),
            sender,
            tokens: Mutex::new(Vec::new()),
        }
    }

    /// Builds the source from its config and runs it under supervision.
    pub fn spawn(&self, config: &SourceConfig, sup: Supervision) -> JoinHandle<()> {
        let token = CancellationToken::new();
        self.tokens.lock().expect("tokens").push(token.clone());
        let source = config.build(token.clone()).expect("source builds");
        let ctx = SourceContext::new(
            config.name(),
            config.platform(),
            self.sender.clone(),
            self.handles.connectors.clone(),
            token,
        );
        sources::spawn(source, ctx, sup)
    }

    /// Asks every running source to stop and waits for `handle`.
    pub async fn stop(&self, handle: JoinHandle<()>) {
        for t in self.tokens.lock().expect("tokens").iter() {
            t.cancel();
        }
        tokio::time::timeout(Duration::from_secs(20), handle)
            .await
            .expect("the source stops on shutdown")
            .expect("the source task ends cleanly");
    }

    pub fn count(&self) -> u64 {
        self.handles.mentions.count_mentions().expect("count")
    }

    pub async fn wait_for_count(&self, n: u64, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let c = self.count();
            if c >= n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {c} of {n} mentions stored in {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn wait_for_health(
        &self,
        name: &str,
        health: ConnectorHealth,
        within: Duration,
    ) -> ConnectorRecord {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let rows = self.handles.connectors.connectors().expect("states");
            if let Some(r) = rows.iter().find(|r| r.name == name && r.health == health) {
                return r.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} never became {health:?}: {rows:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The store holds exactly `ids`: each one, and nothing else.
    pub fn assert_exactly(&self, ids: &[String]) {
        let mut unique = ids.to_vec();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "the expected ids are distinct");
        for id in ids {
            assert!(
                self.handles
                    .mentions
                    .get_mention(&MentionId::new(id.clone()))
                    .expect("get")
                    .is_some(),
                "{id} was lost"
            );
        }
        assert_eq!(self.count(), ids.len() as u64, "nothing else was stored");
    }

    pub async fn shutdown(&self) {
        let p = self.pipeline.lock().expect("pipeline").take();
        if let Some(p) = p {
            drop(p.shutdown());
        }
    }
}

/// A server answering every request with `status`; its `host:port`.
pub async fn http_status_server(status: u16) -> String {
    use axum::http::StatusCode;
    let code = StatusCode::from_u16(status).expect("status");
    let app = axum::Router::new().fallback(move || async move { (code, "no such endpoint") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr.to_string()
}
pub mod fakes;
