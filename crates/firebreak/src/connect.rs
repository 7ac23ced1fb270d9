//! The platform connectors and inbound webhooks of a serving node (`serve`, or an ingest
//! node of a cluster): started from `[[sources]]` and `[[hooks]]`, stopped before the
//! pipeline drains.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Result};
use firebreak_connectors::hooks::Hook;
use firebreak_connectors::sources::{self, SourceContext, Supervision};
use firebreak_pipeline::Envelope;
use firebreak_store::ConnectorStates;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// The running sources.
pub struct Sources {
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Sources {
    /// Starts every `[[sources]]` entry under supervision, sending into `sender`.
    pub fn start(
        config: &Config,
        sender: &mpsc::Sender<Envelope>,
        states: &Arc<dyn ConnectorStates>,
    ) -> Result<Sources> {
        let stop = CancellationToken::new();
        let mut tasks = Vec::new();
        for source in &config.sources {
            let built = source
                .build(stop.clone())
                .map_err(|e| anyhow!("source {:?}: {e}", source.name()))?;
            let ctx = SourceContext::new(
                source.name(),
                source.platform(),
                sender.clone(),
                states.clone(),
                stop.clone(),
            );
            tasks.push(sources::spawn(built, ctx, Supervision::default()));
        }
        Ok(Sources { stop, tasks })
    }

    /// None running (a node that does not ingest).
    pub fn none() -> Sources {
        Sources {
            stop: CancellationToken::new(),
            tasks: Vec::new(),
        }
    }

    /// Stops them: what they sent is committed and their cursors saved.
    pub async fn stop(self) {
        self.stop.cancel();
        for task in self.tasks {
            if tokio::time::timeout(Duration::from_secs(15), task)
                .await
                .is_err()
            {
                eprintln!("a source did not stop within 15 s; its cursor stays at its last commit");
            }
        }
    }
}

/// The inbound webhooks of `[[hooks]]`, by name, their secrets read.
pub fn hooks(config: &Config) -> Result<HashMap<String, Hook>> {
    config
        .hooks
        .iter()
        .map(|h| {
            Hook::from_config(h)
                .map(|hook| (h.name.clone(), hook))
                .map_err(|e| anyhow!("hook {:?}: {e}", h.name))
        })
        .collect()
}
