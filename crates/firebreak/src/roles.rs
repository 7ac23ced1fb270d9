//! `firebreak serve --role ingest|worker|web`: the nodes of a scale-out deployment around
//! NATS JetStream and a shared PostgreSQL (see docs/scale-out.md and `firebreak-cluster`).
//! `--role all` (the default) is the single node of `commands::serve`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use firebreak_cluster::detector::{DetectorCounters, DetectorService};
use firebreak_cluster::worker::WorkerCounters;
use firebreak_cluster::Publisher;
use firebreak_pipeline::Pipeline;
use firebreak_store::{ClusterState, DbUrl};
use tokio::sync::watch;

use crate::commands::{components, notifier, open_stores, shutdown_signal, Stores};
use crate::config::Config;

/// What a `serve` process does.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Everything in one process (the default): SQLite or PostgreSQL, no NATS.
    All,
    /// Connectors, inbound webhooks and the HTTP ingest API: publish to JetStream.
    Ingest,
    /// Consume from JetStream: analysis, storage, the inbox; the detectors where this
    /// node holds the detector lease.
    Worker,
    /// The web app and the API over the shared PostgreSQL (stateless); ingest requests
    /// are published to JetStream.
    Web,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::All => "all",
            Role::Ingest => "ingest",
            Role::Worker => "worker",
            Role::Web => "web",
        })
    }
}

/// Runs a cluster role (not `all`).
pub async fn serve(
    config: &Config,
    role: Role,
    db: Option<String>,
    listen: Option<SocketAddr>,
) -> Result<ExitCode> {
    let url = db.unwrap_or_else(|| config.store.url.clone());
    if !matches!(DbUrl::parse(&url), Ok(DbUrl::Postgres(_))) {
        bail!(
            "serve --role {role} needs the shared PostgreSQL: set store.url = \"postgres://USER:PASSWORD@HOST:PORT/DB\" in [store] (or pass --db); only --role all runs on SQLite"
        );
    }
    let stores = open_stores(url.clone()).await?;
    let client = firebreak_cluster::connect(&config.cluster)
        .await
        .context("cannot connect to NATS ([cluster] nats_url)")?;
    match role {
        Role::Worker => worker(config, stores, url, client).await,
        Role::Ingest | Role::Web => {
            front(
                config,
                role,
                stores,
                client,
                listen.unwrap_or(config.server.listen),
            )
            .await
        }
        Role::All => bail!("--role all is served by the single-node path"),
    }
}

async fn worker(
    config: &Config,
    stores: Stores,
    url: String,
    client: firebreak_cluster::async_nats::Client,
) -> Result<ExitCode> {
    let cluster = &config.cluster;
    let inbox = crate::inbox::open(config, stores.cases.clone())?;
    // Analysis, the idempotent store writer and the inbox; the crisis detectors run in
    // the detector service below, on one node at a time.
    let mut parts = components(config, stores.mentions.clone(), Vec::new(), inbox.clone())?;
    // Web nodes learn about committed mentions and emitted alerts from the workers.
    let announcer = firebreak_cluster::live::Announcer::start(client.clone(), cluster);
    parts.detectors.push(announcer.detector());
    let pipeline = Pipeline::start(config.pipeline(), parts);
    let (stop, stop_rx) = watch::channel(false);

    let worker_counters = Arc::new(WorkerCounters::default());
    let consuming = tokio::spawn(firebreak_cluster::worker::run(
        client.clone(),
        cluster.clone(),
        pipeline.sender(),
        worker_counters.clone(),
        stop_rx.clone(),
    ));

    // The notifier confirms each alert it has finished with; the detector service then
    // records it as delivered in the alert log (the outbox a new owner re-sends from).
    let (confirm, confirmations) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
    let on_done: firebreak_connectors::notify::OnDone =
        Arc::new(move |key: &str, outcome: &str| {
            let _ = confirm.send((key.to_owned(), outcome.to_owned()));
        });
    let crate::commands::AlertOutputs {
        notifier,
        room,
        mut sinks,
    } = crate::commands::alert_outputs(config, &stores, Some(on_done))?;
    let confirmations = notifier.as_ref().map(|_| confirmations);
    sinks.push(announcer.sink());
    if let Some(inbox) = &inbox {
        sinks.push(Box::new(crate::inbox::InboxAlerts(inbox.clone())));
    }
    let state_url = url.clone();
    let state: Arc<dyn ClusterState> = Arc::new(
        tokio::task::spawn_blocking(move || firebreak_store::PgStore::connect(&state_url))
            .await?
            .context("cannot open the cluster state in PostgreSQL")?,
    );
    let detector_counters = Arc::new(DetectorCounters::default());
    let detecting = tokio::spawn(firebreak_cluster::detector::run(
        client,
        DetectorService {
            config: cluster.clone(),
            postgres_url: url,
            state,
            detectors: Arc::new(firebreak_detect::default_detectors),
            sinks,
            confirmations,
            counters: detector_counters.clone(),
        },
        stop_rx,
    ));
    // The SLA and crisis clocks run where the detectors run: one node at a time.
    let clocks = tokio::spawn(owner_clocks(
        detector_counters.clone(),
        inbox,
        room,
        notifier.as_ref().map(|n| n.handle()),
        Duration::from_secs(config.inbox.tick_secs),
    ));
    println!(
        "Firebreak worker {} is running: consuming {} ({}) from {}, storing in PostgreSQL; detectors when it holds the lease. Ctrl-C stops it.",
        cluster.node, cluster.stream, cluster.consumer, cluster.nats_url
    );
    let mut consuming = consuming;
    tokio::select! {
        _ = shutdown_signal() => {}
        r = &mut consuming => {
            clocks.abort();
            let reason = match r {
                Ok(Ok(())) => "it ended".to_owned(),
                Ok(Err(e)) => e.to_string(),
                Err(e) => e.to_string(),
            };
            bail!("the worker stopped: {reason}");
        }
    }
    eprintln!("shutting down: finishing the batch in hand");
    let _ = stop.send(true);
    clocks.abort();
    let _ = consuming.await;
    let _ = detecting.await;
    let report = pipeline.shutdown().await?;
    if let Some(n) = notifier {
        n.shutdown(Duration::from_secs(10)).await;
    }
    eprintln!(
        "stopped: {} messages received ({} redelivered), {} acknowledged, {} stored, {} duplicates",
        worker_counters.received.load(Ordering::Relaxed),
        worker_counters.redelivered.load(Ordering::Relaxed),
        worker_counters.acked.load(Ordering::Relaxed),
        report.inserted,
        report.duplicates
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs the SLA clock and the crisis clock while this node owns the detectors.
async fn owner_clocks(
    owner: Arc<DetectorCounters>,
    inbox: Option<Arc<firebreak_respond::Inbox>>,
    room: Option<Arc<firebreak_crisis::CrisisRoom>>,
    notify: Option<firebreak_connectors::notify::NotifyHandle>,
    every: Duration,
) {
    let mut running: Vec<tokio::task::JoinHandle<()>> = Vec::new();
    loop {
        let is_owner = owner.owner.load(Ordering::SeqCst);
        if is_owner && running.is_empty() {
            if let Some(i) = &inbox {
                running.push(crate::inbox::spawn_clock_with(
                    i.clone(),
                    every,
                    notify.clone(),
                ));
            }
            if let Some(r) = &room {
                running.push(crate::crisis::spawn_clock(r.clone(), every));
            }
        } else if !is_owner {
            for t in running.drain(..) {
                t.abort();
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Ingest and web nodes: HTTP in front, JetStream behind.
async fn front(
    config: &Config,
    role: Role,
    stores: Stores,
    client: firebreak_cluster::async_nats::Client,
    listen: SocketAddr,
) -> Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow!("cannot listen on {listen}: {e}"))?;
    let local = listener.local_addr()?;
    let publisher = Publisher::start(client.clone(), &config.cluster)
        .await
        .context("cannot reach JetStream")?;
    let sources = if role == Role::Ingest {
        crate::connect::Sources::start(config, &publisher.sender(), &stores.connectors)?
    } else {
        crate::connect::Sources::none()
    };
    let hooks = crate::connect::hooks(config)?;
    let web = role == Role::Web;
    let inbox = if web {
        crate::inbox::open(config, stores.cases.clone())?
    } else {
        None
    };
    let notifier = if web { notifier(config)? } else { None };
    let room = if web {
        crate::crisis::open(
            config,
            &stores,
            notifier.as_ref().map(|n| n.handle()),
            Arc::new(firebreak_respond::sla::SystemClock),
        )?
    } else {
        None
    };
    // A web node runs no crisis clock (the detector owner does), so it checks for a plan
    // version saved on another node on the same period.
    if let Some(r) = room.clone() {
        let every = Duration::from_secs(config.inbox.tick_secs);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            loop {
                interval.tick().await;
                let r = r.clone();
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || r.refresh_plan()).await {
                    tracing::warn!(error = %e, "cannot check for a newer saved plan");
                }
            }
        });
    }
    let state = firebreak_server::AppState {
        store: stores.mentions.clone(),
        ingest: publisher.sender(),
        settings: Arc::new(config.server_settings()),
        inbox,
        linter: if web {
            Some(crate::analysis::linter(config)?)
        } else {
            None
        },
        crisis: room,
        hooks: Arc::new(hooks),
        connectors: Some(stores.connectors.clone()),
        accounts: Some(stores.users.clone()),
    };
    let live = firebreak_web::LiveFeed::new();
    if web {
        // No pipeline here: the workers announce what they commit and raise.
        let (client, cluster, feed) = (client.clone(), config.cluster.clone(), live.clone());
        tokio::spawn(async move {
            let heard = firebreak_cluster::live::listen(client, &cluster, move |h| match h {
                firebreak_cluster::live::Heard::Mentions(n) => feed.mentions_arrived(n),
                firebreak_cluster::live::Heard::Alert(a) => feed.push_alert(&a),
            })
            .await;
            if let Err(e) = heard {
                tracing::warn!(error = %e, "live updates from the workers stopped");
            }
        });
    }
    let app = if web {
        let w = firebreak_web::WebState {
            app: state.clone(),
            cases: stores.cases.clone(),
            users: stores.users.clone(),
            insights: stores.insights.clone(),
            alerts: stores.alerts.clone(),
            live: live.clone(),
            settings: Arc::new(config.web_settings()),
        };
        firebreak_web::router(w).fallback_service(firebreak_server::router(state))
    } else {
        firebreak_server::router(state)
    };
    println!(
        "Firebreak {role} node {} is running on http://{local}/, publishing to {} on {}. Ctrl-C stops it.",
        config.cluster.node, config.cluster.stream, config.cluster.nats_url
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        live.close();
    })
    .await
    .context("the HTTP server failed")?;
    sources.stop().await;
    // What was accepted is published before the process ends.
    if tokio::time::timeout(Duration::from_secs(30), publisher.shutdown())
        .await
        .is_err()
    {
        eprintln!("NATS did not take the last queued mentions within 30 s; their senders were not acknowledged and will resend");
    }
    if let Some(n) = notifier {
        n.shutdown(Duration::from_secs(10)).await;
    }
    Ok(ExitCode::SUCCESS)
}
