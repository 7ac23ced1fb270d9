//! Live updates: the pipeline tells the [`LiveFeed`] about new mentions (as a detector)
//! and alerts (as an alert sink); browsers listen on `GET /events` (server-sent events)
//! and refresh the live parts of their page.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use firebreak_core::{Alert, Mention};
use firebreak_pipeline::{AlertSink, Detector};
use futures_util::Stream;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

use crate::{CurrentUser, WebState};

#[derive(Debug, Clone)]
pub(crate) enum LiveEvent {
    Mentions(u64),
    Alert(String),
    /// The server is stopping: streams end so that it can.
    Shutdown,
}

struct Inner {
    tx: broadcast::Sender<LiveEvent>,
}

/// The live state shared by the pipeline and the pages.
#[derive(Clone)]
pub struct LiveFeed(Arc<Inner>);

impl Default for LiveFeed {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(256);
        LiveFeed(Arc::new(Inner { tx }))
    }
}

impl LiveFeed {
    pub fn new() -> LiveFeed {
        LiveFeed::default()
    }

    /// An alert sink for the pipeline.
    pub fn sink(&self) -> Box<dyn AlertSink> {
        Box::new(Sink(self.clone()))
    }

    /// A detector for the pipeline that only counts new mentions.
    pub fn detector(&self) -> Box<dyn Detector> {
        Box::new(Watcher(self.clone()))
    }

    /// Tells the browsers about an alert (the pages read it from the alert log).
    pub fn push_alert(&self, alert: &Alert) {
        let _ = self
            .0
            .tx
            .send(LiveEvent::Alert(alert.kind.as_str().to_owned()));
    }

    /// Tells the browsers that `n` mentions arrived.
    pub fn mentions_arrived(&self, n: u64) {
        let _ = self.0.tx.send(LiveEvent::Mentions(n));
    }

    /// Ends every open event stream (call it when the server stops, so that graceful
    /// shutdown does not wait for browsers).
    pub fn close(&self) {
        let _ = self.0.tx.send(LiveEvent::Shutdown);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.0.tx.subscribe()
    }
}

struct Sink(LiveFeed);

impl AlertSink for Sink {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.0.push_alert(alert);
        Ok(())
    }
}

struct Watcher(LiveFeed);

impl Detector for Watcher {
    fn name(&self) -> &'static str {
        "web-live"
    }
    fn observe(&mut self, _mention: &Mention, _alerts: &mut Vec<Alert>) {
        self.0.mentions_arrived(1);
    }
    fn observe_batch(&mut self, batch: &[Mention], _alerts: &mut Vec<Alert>) {
        if !batch.is_empty() {
            self.0.mentions_arrived(batch.len() as u64);
        }
    }
}

/// `GET /events`: `mentions` (data: how many arrived) and `alert` (data: its kind) events,
/// for the signed-in user.
pub(crate) async fn events(
    State(state): State<WebState>,
    _user: CurrentUser,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(state.live.subscribe())
        .take_while(|e| !matches!(e, Ok(LiveEvent::Shutdown)))
        .filter_map(|e| match e {
            Ok(LiveEvent::Mentions(n)) => {
                Some(Ok(Event::default().event("mentions").data(n.to_string())))
            }
            Ok(LiveEvent::Alert(kind)) => Some(Ok(Event::default().event("alert").data(kind))),
            // A slow browser missed some events: ask it to refresh anyway.
            Err(_) => Some(Ok(Event::default().event("mentions").data("0"))),
            Ok(LiveEvent::Shutdown) => None,
        });
    let hello = tokio_stream::once(Ok(Event::default().event("hello").data("ok")));
    Sse::new(hello.chain(stream)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
