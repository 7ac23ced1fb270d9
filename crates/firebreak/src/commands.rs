//! One function per command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use firebreak_pipeline::source::{Pace, SourceStats};
use firebreak_pipeline::{AlertSink, Components, JsonlAlertSink, Pipeline, PipelineReport};
use firebreak_store::MentionStore;
use serde_json::json;

use crate::config::{Config, DEFAULT_CONFIG};
use crate::files::{feed, Feed, Input};
use crate::{AuditAction, BenchWhat, Cli, Command, ConfigAction, DetectWhat, EvalWhat, PlanAction};

/// The bundled demo crisis (see examples/demo/README.md).
pub const DEMO_CRISIS: &[u8] = include_bytes!("../../../examples/demo/velora-crisis.jsonl");
/// The example crisis plan, bundled for the demo.
pub const DEMO_PLAN: &str = include_str!("../../../examples/plan.toml");
const DEMO_DB: &str = "sqlite://./firebreak-data/demo.db";

pub async fn run(cli: Cli) -> Result<ExitCode> {
    if let Command::Config {
        action: ConfigAction::Check { file },
    } = &cli.command
    {
        return config_check(file.as_deref().or(cli.config.as_deref()));
    }
    if let Command::Plan {
        action: PlanAction::Check { file },
    } = &cli.command
    {
        return plan_check(file);
    }
    let config = load_config(cli.config.as_deref())?;
    let db = cli.db.clone();
    let transformer = config.analysis.transformer_dir.clone();
    match cli.command {
        Command::Serve { listen, role } if role != crate::roles::Role::All => {
            crate::roles::serve(&config, role, db, listen).await
        }
        Command::Serve { listen, .. } => {
            let stores = open_stores(db.unwrap_or_else(|| config.store.url.clone())).await?;
            serve(
                &config,
                stores,
                listen.unwrap_or(config.server.listen),
                None,
            )
            .await
        }
        Command::Import {
            files,
            format,
            json,
            quiet,
        } => {
            let stores = open_stores(db.unwrap_or_else(|| config.store.url.clone())).await?;
            import(&config, stores, files, format, json, quiet).await
        }
        Command::Replay {
            file,
            speed,
            max: _,
            alerts_out,
            json,
        } => replay(&config, db, file, speed, alerts_out, json).await,
        Command::Stats { json } => {
            let store = open_store(db.unwrap_or_else(|| config.store.url.clone())).await?;
            stats(store, json).await
        }
        Command::Demo { listen, load_only } => {
            demo(
                &config,
                db.unwrap_or_else(|| DEMO_DB.to_owned()),
                listen,
                load_only,
            )
            .await
        }
        Command::Bench {
            what:
                BenchWhat::Ingest {
                    count,
                    batch_size,
                    json,
                    with_analysis,
                },
        } => {
            let mut config = config.clone();
            config.analysis.enabled = with_analysis;
            crate::bench::ingest(
                &config,
                db,
                count,
                batch_size.unwrap_or(config.pipeline.batch_size),
                json,
            )
            .await
        }
        Command::Bench {
            what:
                BenchWhat::Latency {
                    rate,
                    seconds,
                    json,
                },
        } => crate::latency::latency(&config, rate, seconds, json).await,
        Command::Analyze { json, models } => {
            let models = models.or(config.analysis.models_dir.clone());
            tokio::task::spawn_blocking(move || {
                crate::analysis::analyze_stdin(models.as_deref(), transformer.as_deref(), json)
            })
            .await?
        }
        Command::Train { data, out } => {
            tokio::task::spawn_blocking(move || crate::analysis::train(&data, &out)).await?
        }
        Command::Eval {
            what: EvalWhat::Analysis { data, models },
        } => {
            let models = models.or(config.analysis.models_dir.clone());
            tokio::task::spawn_blocking(move || {
                crate::analysis::eval(&data, models.as_deref(), transformer.as_deref())
            })
            .await?
        }
        Command::Eval {
            what:
                EvalWhat::Scenarios {
                    dir,
                    alerts_out,
                    models,
                    json,
                },
        } => {
            let models = models.or(config.analysis.models_dir.clone());
            tokio::task::spawn_blocking(move || {
                crate::detection::eval_scenarios(
                    &dir,
                    alerts_out.as_deref(),
                    models.as_deref(),
                    transformer.as_deref(),
                    json,
                )
            })
            .await?
        }
        Command::Eval {
            what: EvalWhat::Nab { dir, profile },
        } => {
            tokio::task::spawn_blocking(move || crate::detection::eval_nab(&dir, &profile)).await?
        }
        Command::Detect {
            what: DetectWhat::Series { file },
        } => tokio::task::spawn_blocking(move || crate::detection::detect_series(&file)).await?,
        Command::LintReply {
            lang,
            customer_lang,
            at_fault,
            troll,
            private,
            json,
            text,
        } => {
            let ctx = firebreak_respond::lint::LintContext {
                lang,
                customer_lang,
                at_fault,
                troll,
                public: !private,
                ..Default::default()
            };
            let config = config.clone();
            tokio::task::spawn_blocking(move || {
                crate::analysis::lint_reply(&config, &text, &ctx, json)
            })
            .await?
        }
        Command::Audit {
            action: AuditAction::Verify { json },
        } => {
            let cases = open_stores(db.unwrap_or_else(|| config.store.url.clone()))
                .await?
                .cases;
            tokio::task::spawn_blocking(move || crate::inbox::audit_verify(cases, json)).await?
        }
        Command::Cases { action } => {
            let cases = open_stores(db.unwrap_or_else(|| config.store.url.clone()))
                .await?
                .cases;
            let config = config.clone();
            tokio::task::spawn_blocking(move || crate::inbox::cases_command(&config, cases, action))
                .await?
        }
        Command::Moderate {
            action,
            mention,
            author,
            hide_reason,
            reason,
            actor,
            approver,
        } => {
            let stores = open_stores(db.unwrap_or_else(|| config.store.url.clone())).await?;
            let config = config.clone();
            tokio::task::spawn_blocking(move || {
                crate::inbox::moderate(
                    &config,
                    stores,
                    crate::inbox::ModerateArgs {
                        action,
                        mention,
                        author,
                        hide_reason,
                        reason,
                        actor,
                        approver,
                    },
                )
            })
            .await?
        }
        Command::Bench {
            what:
                BenchWhat::Inbox {
                    count,
                    minutes,
                    json,
                },
        } => crate::inbox::bench(&config, db, count, minutes, json).await,
        Command::Crisis { action } => {
            let stores = open_stores(db.unwrap_or_else(|| config.store.url.clone())).await?;
            let config = config.clone();
            tokio::task::spawn_blocking(move || crate::crisis::command(&config, stores, action))
                .await?
        }
        Command::Drill {
            file,
            speed,
            server,
        } => {
            let server = server.unwrap_or_else(|| format!("http://{}", config.server.listen));
            let secret = config.server_settings().ingest_secret.clone();
            crate::drill::drill(&server, &file, speed, secret).await
        }
        Command::Report { id, format, out } => {
            let stores = open_stores(db.unwrap_or_else(|| config.store.url.clone())).await?;
            let config = config.clone();
            tokio::task::spawn_blocking(move || {
                crate::crisis::report(&config, stores, id, &format, out.as_deref())
            })
            .await?
        }
        Command::User { action } => {
            let stores = open_stores(db.unwrap_or_else(|| config.store.url.clone())).await?;
            tokio::task::spawn_blocking(move || crate::users::command(stores, action)).await?
        }
        Command::Config { .. } | Command::Plan { .. } => unreachable!("handled above"),
    }
}

/// `firebreak plan check FILE`: the summary, or every problem with its line and fix.
fn plan_check(file: &Path) -> Result<ExitCode> {
    match firebreak_plan::check_file(file) {
        Ok(summary) => {
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Err(first) => {
            let problems = std::fs::read_to_string(file)
                .map(|text| firebreak_plan::diagnose(&text, &file.display().to_string()))
                .unwrap_or_default();
            if problems.is_empty() {
                eprintln!("{first}");
            } else {
                for p in &problems {
                    eprintln!("{p}");
                }
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The config file: `--config`, else ./firebreak.toml when present, else defaults.
fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from(DEFAULT_CONFIG)).filter(|p| p.exists()),
    }
}

fn load_config(explicit: Option<&Path>) -> Result<Config> {
    let path = config_path(explicit);
    Config::load(path.as_deref(), std::env::vars())
        .map_err(|e| anyhow!("invalid configuration\n{e}"))
}

fn config_check(explicit: Option<&Path>) -> Result<ExitCode> {
    let path = config_path(explicit);
    let name = path.as_ref().map_or_else(
        || "(no file; defaults)".to_owned(),
        |p| p.display().to_string(),
    );
    match Config::load(path.as_deref(), std::env::vars()) {
        Ok(config) => {
            println!(
                "{name}: OK\n\n# effective configuration (secrets hidden)\n{}",
                config.to_redacted_toml()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// A flag that turns true on the first Ctrl-C, so that a file source stops
/// reading and the pipeline drains what it has. A second Ctrl-C exits at once.
fn stop_on_ctrl_c() -> Arc<std::sync::atomic::AtomicBool> {
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let set = flag.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping: storing what was read (Ctrl-C again to quit now)");
            set.store(true, std::sync::atomic::Ordering::Relaxed);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    flag
}

/// Opens the store on a blocking thread (opening migrates and may connect).
pub async fn open_store(url: String) -> Result<Arc<dyn MentionStore>> {
    let shown = firebreak_store::DbUrl::parse(&url)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| firebreak_store::redact(&url));
    tokio::task::spawn_blocking(move || firebreak_store::open(&url))
        .await?
        .with_context(|| format!("cannot open the store {shown}"))
}

/// The notifier for `[notify]`, when targets are configured.
pub fn notifier(config: &Config) -> Result<Option<firebreak_connectors::notify::Notifier>> {
    notifier_with(config, None)
}

/// The notifier, calling `on_done` when it has finished with each notification.
pub fn notifier_with(
    config: &Config,
    on_done: Option<firebreak_connectors::notify::OnDone>,
) -> Result<Option<firebreak_connectors::notify::Notifier>> {
    use firebreak_connectors::notify::{build_targets, Notifier, RetryPolicy};
    if config.notify.targets.is_empty() {
        return Ok(None);
    }
    let targets = build_targets(&config.notify.targets).context("[notify] targets")?;
    Ok(Some(match on_done {
        Some(f) => Notifier::start_with_receipts(targets, RetryPolicy::default(), f),
        None => Notifier::start(targets, RetryPolicy::default()),
    }))
}

/// One database through each of its interfaces: mentions, cases, crises.
pub type Stores = firebreak_store::Handles;

/// Opens the store with every table, on a blocking thread.
pub async fn open_stores(url: String) -> Result<Stores> {
    let shown = firebreak_store::DbUrl::parse(&url)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| firebreak_store::redact(&url));
    tokio::task::spawn_blocking(move || firebreak_store::open_handles(&url))
        .await?
        .with_context(|| format!("cannot open the store {shown}"))
}

/// The pipeline's components for this configuration: analysis when enabled,
/// the detectors when their alerts go somewhere (a plain import has no alert
/// output, so it does not pay for detection), the inbox when given.
pub fn components(
    config: &Config,
    store: Arc<dyn MentionStore>,
    mut sinks: Vec<Box<dyn AlertSink>>,
    inbox: Option<Arc<firebreak_respond::Inbox>>,
) -> Result<Components> {
    let mut transforms: Vec<Arc<dyn firebreak_pipeline::Transform>> = Vec::new();
    if config.analysis.enabled {
        let analyzer = crate::analysis::load(
            config.analysis.models_dir.as_deref(),
            config.analysis.transformer_dir.as_deref(),
        )?;
        transforms.push(Arc::new(crate::analysis::AnalyzeMentions::new(analyzer)));
    }
    let mut detectors = if sinks.is_empty() {
        Vec::new()
    } else {
        firebreak_detect::default_detectors()
    };
    if let Some(inbox) = inbox {
        if !detectors.is_empty() {
            sinks.push(Box::new(crate::inbox::InboxAlerts(inbox.clone())));
        }
        // After the detectors, so that a batch's crisis is known before its cases open.
        detectors.push(Box::new(crate::inbox::InboxWatcher(inbox)));
    }
    Ok(Components {
        store,
        transforms,
        detectors,
        sinks,
    })
}

/// Runs `input` through a fresh pipeline over `store` and drains it.
pub async fn run_input(
    config: &Config,
    store: Arc<dyn MentionStore>,
    input: Input,
    sinks: Vec<Box<dyn AlertSink>>,
    inbox: Option<Arc<firebreak_respond::Inbox>>,
) -> Result<(SourceStats, PipelineReport)> {
    let pipeline = Pipeline::start(config.pipeline(), components(config, store, sinks, inbox)?);
    let fed = feed(input, pipeline.sender()).await;
    // Drain whatever was accepted even when the input failed half-way.
    let report = pipeline.shutdown().await?;
    Ok((fed?, report))
}

async fn import(
    config: &Config,
    Stores {
        mentions: store,
        cases,
        ..
    }: Stores,
    files: Vec<String>,
    format: Option<crate::files::FormatArg>,
    json: bool,
    quiet: bool,
) -> Result<ExitCode> {
    let start = Instant::now();
    let input = Input::Files(Feed {
        files,
        format,
        batch_size: config.pipeline.batch_size,
        pace: None,
        progress: !quiet && !json,
        stop: Some(stop_on_ctrl_c()),
    });
    let inbox = crate::inbox::open(config, cases)?;
    let (source, report) = run_input(config, store, input, Vec::new(), inbox).await?;
    let secs = start.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            json!({"imported": report.inserted, "duplicates": report.duplicates, "rejected": source.rejected})
        );
    } else {
        println!(
            "imported {}, duplicates {}, rejected {}{} ({} records in {:.2}s, {:.0} mentions/s)",
            report.inserted,
            report.duplicates,
            source.rejected,
            if source.rejected > 0 {
                " (each listed above with its line number)"
            } else {
                ""
            },
            source.records,
            secs,
            source.decoded as f64 / secs.max(1e-9),
        );
    }
    if source.interrupted {
        eprintln!("interrupted: everything read before Ctrl-C is stored; run the same import again to finish (stored mentions are skipped as duplicates)");
        return Ok(ExitCode::from(130));
    }
    if report.failed > 0 {
        bail!(
            "{} mentions could not be stored (see the errors above); fix the store and import again: re-importing is safe, nothing is stored twice",
            report.failed
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn replay(
    config: &Config,
    db: Option<String>,
    file: String,
    speed: Option<f64>,
    alerts_out: Option<PathBuf>,
    json: bool,
) -> Result<ExitCode> {
    if let Some(s) = speed {
        if !(s.is_finite() && s > 0.0) {
            bail!("--speed must be a positive number (e.g. 60 for one hour per minute)");
        }
    }
    // A fresh temporary store unless --db names one.
    let tmp =
        tempfile::tempdir().context("cannot create a temporary directory for the replay store")?;
    let url = db.unwrap_or_else(|| format!("sqlite://{}", tmp.path().join("replay.db").display()));
    let stores = open_stores(url).await?;
    let (store, cases) = (stores.mentions.clone(), stores.cases.clone());
    // A replay runs on event time: response times, SLA and escalation timers mean what they
    // would have meant live.
    let clock = Arc::new(firebreak_respond::sla::StreamClock::default());
    let inbox = crate::inbox::open_with_clock(config, cases, clock.clone())?;
    // Without --alerts-out the alerts are logged (stderr).
    let mut sinks: Vec<Box<dyn AlertSink>> = vec![Box::new(crate::detection::LogAlerts)];
    if let Some(path) = &alerts_out {
        let out = std::fs::File::create(path)
            .with_context(|| format!("cannot create the alerts file {}", path.display()))?;
        sinks = vec![Box::new(JsonlAlertSink::new(std::io::BufWriter::new(out)))];
    }
    sinks.insert(
        0,
        Box::new(crate::detection::StoredAlerts::new(stores.alerts.clone())),
    );
    let notifier = notifier(config)?;
    if let Some(n) = &notifier {
        sinks.push(Box::new(n.sink()));
    }
    let room = crate::crisis::open(
        config,
        &stores,
        notifier.as_ref().map(|n| n.handle()),
        clock.clone(),
    )?;
    if let Some(room) = &room {
        sinks.push(Box::new(crate::crisis::CrisisAlerts {
            room: room.clone(),
            mentions: store.clone(),
        }));
    }
    let start = Instant::now();
    let input = Input::Files(Feed {
        files: vec![file],
        format: None,
        batch_size: if speed.is_some() {
            256
        } else {
            config.pipeline.batch_size
        },
        pace: speed.map(|speed| Pace { speed }),
        progress: !json,
        stop: Some(stop_on_ctrl_c()),
    });
    let mut parts = components(config, store.clone(), sinks, inbox.clone())?;
    parts
        .detectors
        .insert(0, Box::new(crate::crisis::StreamTime(clock.clone())));
    let pipeline = Pipeline::start(config.pipeline(), parts);
    // The timers run on the replay's clock, checked often (the replay may be fast).
    let tick = std::time::Duration::from_millis(200);
    let inbox_clock = inbox.clone().map(|i| crate::inbox::spawn_clock(i, tick));
    let room_clock = room.clone().map(|r| crate::crisis::spawn_clock(r, tick));
    let fed = feed(input, pipeline.sender()).await;
    let report = pipeline.shutdown().await?;
    let source = fed?;
    for c in [inbox_clock, room_clock].into_iter().flatten() {
        c.abort();
    }
    // One last look at the end of the stream.
    let (i, r) = (inbox.clone(), room.clone());
    tokio::task::spawn_blocking(move || -> Result<()> {
        if let Some(i) = i {
            i.tick()?;
        }
        if let Some(r) = r {
            r.tick()?;
        }
        Ok(())
    })
    .await??;
    let secs = start.elapsed().as_secs_f64();
    if let Some(n) = notifier {
        n.shutdown(std::time::Duration::from_secs(30)).await;
    }
    tokio::task::spawn_blocking(move || drop(store)).await?;
    if json {
        println!(
            "{}",
            json!({
                "mentions": source.decoded,
                "imported": report.inserted,
                "duplicates": report.duplicates,
                "rejected": source.rejected,
                "alerts": report.alerts,
            })
        );
    } else {
        println!(
            "replayed {} mentions ({} new, {} duplicates, {} rejected) in {:.2}s; {} alerts{}",
            source.decoded,
            report.inserted,
            report.duplicates,
            source.rejected,
            secs,
            report.alerts,
            alerts_out
                .as_ref()
                .map(|p| format!(" written to {}", p.display()))
                .unwrap_or_default(),
        );
    }
    for e in &report.output_errors {
        eprintln!("error: {e}");
    }
    if report.failed > 0 || !report.output_errors.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

async fn stats(store: Arc<dyn MentionStore>, json: bool) -> Result<ExitCode> {
    let s = store.clone();
    let (mentions, channels) = tokio::task::spawn_blocking(move || {
        Ok::<_, firebreak_store::StoreError>((s.count_mentions()?, s.channel_stats()?))
    })
    .await??;
    tokio::task::spawn_blocking(move || drop(store)).await?;
    if json {
        println!("{}", json!({"mentions": mentions, "channels": channels}));
    } else {
        println!("{mentions} mentions in {} channel(s)", channels.len());
        for c in channels {
            println!(
                "  {:<24} {:>10}  {}  {} .. {}",
                c.channel,
                c.mentions,
                c.platforms.join(","),
                c.first_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                c.last_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn demo(
    config: &Config,
    db: String,
    listen: std::net::SocketAddr,
    load_only: bool,
) -> Result<ExitCode> {
    // The demo runs the crisis room with the example plan unless a plan is configured; the
    // plan is written next to the demo database, where it can be read and edited.
    let mut config = config.clone();
    if config.crisis.plan.is_none() {
        let path = PathBuf::from("./firebreak-data/demo-plan.toml");
        if !path.exists() {
            std::fs::create_dir_all("./firebreak-data")
                .context("cannot create ./firebreak-data for the demo")?;
            std::fs::write(&path, DEMO_PLAN)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        config.crisis.plan = Some(path);
    }
    let config = &config;
    let stores = open_stores(db.clone()).await?;
    let store = stores.mentions.clone();
    let inbox = crate::inbox::open(config, stores.cases.clone())?;
    let room = crate::crisis::open(
        config,
        &stores,
        None,
        Arc::new(firebreak_respond::sla::SystemClock),
    )?;
    // The recorded crisis is moved in time so that it ends ten minutes ago: response
    // targets, timers and charts then read as they would during a live crisis.
    let mut mentions = Vec::new();
    for (i, line) in DEMO_CRISIS.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        mentions.push(
            firebreak_core::wire::decode_jsonl(line)
                .map_err(|e| anyhow!("the bundled demo, line {}: {e}", i + 1))?,
        );
    }
    let last = mentions
        .iter()
        .map(|m| m.created_at)
        .max()
        .unwrap_or_else(chrono::Utc::now);
    let shift = chrono::Utc::now() - chrono::Duration::minutes(10) - last;
    for m in mentions.iter_mut() {
        m.created_at += shift;
    }
    let mut sinks: Vec<Box<dyn AlertSink>> = vec![
        Box::new(crate::detection::StoredAlerts::new(stores.alerts.clone())),
        Box::new(crate::detection::LogAlerts),
    ];
    if let Some(room) = &room {
        sinks.push(Box::new(crate::crisis::CrisisAlerts {
            room: room.clone(),
            mentions: store.clone(),
        }));
    }
    let pipeline = Pipeline::start(
        config.pipeline(),
        components(config, store.clone(), sinks, inbox)?,
    );
    let total = mentions.len();
    let mut inserted = 0;
    for chunk in mentions.chunks(config.pipeline.batch_size.max(1)) {
        inserted += pipeline.submit(chunk.to_vec()).await?.inserted;
    }
    pipeline.shutdown().await?;
    eprintln!(
        "demo crisis loaded into {}: {total} mentions ({inserted} new, {} already there); crisis plan: {}",
        firebreak_store::redact(&db),
        total as u64 - inserted,
        config
            .crisis
            .plan
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    if load_only {
        tokio::task::spawn_blocking(move || drop(store)).await?;
        return Ok(ExitCode::SUCCESS);
    }
    drop(store);
    let users = stores.users.clone();
    let sign_in = tokio::task::spawn_blocking(move || demo_account(users.as_ref())).await??;
    eprintln!("{sign_in}");
    serve(config, stores, listen, Some("demo")).await
}

/// The demo's account: made on first run (an admin named `demo`, a random password kept in
/// ./firebreak-data/demo-password.txt so later runs can say it again).
fn demo_account(users: &dyn firebreak_store::UserStore) -> Result<String> {
    let file = PathBuf::from("./firebreak-data/demo-password.txt");
    if users.get_user("demo")?.is_none() {
        let password = firebreak_web::generate_password();
        let hash = firebreak_web::hash_password(&password).map_err(|e| anyhow!("{e}"))?;
        users.create_user(&firebreak_store::UserRecord {
            name: "demo".into(),
            role: firebreak_respond::guard::Role::Admin,
            password_hash: hash,
            ui_lang: "en".into(),
            languages: vec!["en".into(), "it".into()],
            disabled: false,
            created_at: chrono::Utc::now(),
        })?;
        std::fs::write(&file, format!("{password}\n"))
            .with_context(|| format!("cannot write {}", file.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
        }
    }
    Ok(match std::fs::read_to_string(&file) {
        Ok(p) => format!(
            "sign in as demo, password {} (kept in {})",
            p.trim(),
            file.display()
        ),
        Err(_) => {
            "sign in with your account (firebreak user add NAME --role admin makes one)".into()
        }
    })
}

/// Serves until Ctrl-C or SIGTERM, then drains the pipeline.
async fn serve(
    config: &Config,
    stores: Stores,
    listen: std::net::SocketAddr,
    label: Option<&str>,
) -> Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow!("{listen} is already in use: stop the other process or choose another address with --listen 127.0.0.1:PORT")
        } else {
            anyhow!("cannot listen on {listen}: {e}")
        }
    })?;
    let local = listener.local_addr()?;
    let (store, cases) = (stores.mentions.clone(), stores.cases.clone());
    let inbox = crate::inbox::open(config, cases)?;
    // With notification targets, alerts go through an outbox: claimed in the alert log,
    // recorded as delivered when the notifier confirms them, re-sent after a crash.
    let outbox = (!config.notify.targets.is_empty())
        .then(|| crate::detection::Outbox::start(stores.alerts.clone()));
    let AlertOutputs {
        notifier,
        room: crisis_room,
        mut sinks,
    } = alert_outputs(config, &stores, outbox.as_ref().map(|o| o.on_done()))?;
    // The alert log first: the overview lists alerts from it, also after a restart.
    sinks.insert(
        0,
        Box::new(match &outbox {
            Some(o) => o.stored_alerts(),
            None => crate::detection::StoredAlerts::new(stores.alerts.clone()),
        }),
    );
    if let Some(o) = &outbox {
        let resent = tokio::task::block_in_place(|| o.redeliver(&mut sinks))?;
        if resent > 0 {
            eprintln!("re-sent {resent} alerts whose delivery the last run did not confirm");
        }
    }
    let crisis_clock = crisis_room.clone().map(|r| {
        crate::crisis::spawn_clock(r, std::time::Duration::from_secs(config.inbox.tick_secs))
    });
    // The web app's live feed: alerts and new mentions, pushed to browsers over SSE.
    let live = firebreak_web::LiveFeed::new();
    sinks.push(live.sink());
    let mut parts = components(config, store.clone(), sinks, inbox.clone())?;
    parts.detectors.push(live.detector());
    let pipeline = Pipeline::start(config.pipeline(), parts);
    let clock = inbox.clone().map(|i| {
        crate::inbox::spawn_clock_with(
            i,
            std::time::Duration::from_secs(config.inbox.tick_secs),
            notifier.as_ref().map(|n| n.handle()),
        )
    });
    // Platform connectors: each under supervision, resuming from its saved cursor.
    let sources = crate::connect::Sources::start(config, &pipeline.sender(), &stores.connectors)?;
    let hooks = crate::connect::hooks(config)?;
    let state = firebreak_server::AppState {
        store: store.clone(),
        ingest: pipeline.sender(),
        settings: Arc::new(config.server_settings()),
        inbox,
        linter: Some(crate::analysis::linter(config)?),
        crisis: crisis_room.clone(),
        hooks: Arc::new(hooks),
        connectors: Some(stores.connectors.clone()),
        accounts: Some(stores.users.clone()),
    };
    let web = firebreak_web::WebState {
        app: state.clone(),
        cases: stores.cases.clone(),
        users: stores.users.clone(),
        insights: stores.insights.clone(),
        alerts: stores.alerts.clone(),
        live: live.clone(),
        settings: Arc::new(config.web_settings()),
    };
    // The web app's pages, with the API behind them.
    let app = firebreak_web::router(web).fallback_service(firebreak_server::router(state));
    println!(
        "Firebreak{} is running: open http://{local}/  (API: http://{local}/api/v1/mentions, store: {}). Ctrl-C stops it.",
        label.map(|l| format!(" {l}")).unwrap_or_default(),
        store.backend()
    );
    tracing::info!(%local, "listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        live.close();
    })
    .await
    .context("the HTTP server failed")?;
    eprintln!("shutting down: flushing accepted mentions");
    for c in [clock, crisis_clock].into_iter().flatten() {
        c.abort();
    }
    // Sources stop first (what they sent is committed, and their cursors saved).
    sources.stop().await;
    let report = pipeline.shutdown().await?;
    if let Some(n) = notifier {
        n.shutdown(std::time::Duration::from_secs(10)).await;
    }
    tokio::task::spawn_blocking(move || drop(store)).await?;
    eprintln!(
        "stopped: {} mentions received, {} stored, {} duplicates, {} not stored",
        report.received, report.inserted, report.duplicates, report.failed
    );
    Ok(ExitCode::SUCCESS)
}

/// Where a live node's alerts go.
pub(crate) struct AlertOutputs {
    pub notifier: Option<firebreak_connectors::notify::Notifier>,
    pub room: Option<Arc<firebreak_crisis::CrisisRoom>>,
    pub sinks: Vec<Box<dyn AlertSink>>,
}

/// Where a live node's alerts go: the log, the notifiers, and the crisis room when a plan
/// is loaded (`serve`, and the detector owner of a cluster).
pub(crate) fn alert_outputs(
    config: &Config,
    stores: &Stores,
    on_done: Option<firebreak_connectors::notify::OnDone>,
) -> Result<AlertOutputs> {
    let notifier = notifier_with(config, on_done)?;
    let mut sinks: Vec<Box<dyn AlertSink>> = vec![Box::new(crate::detection::LogAlerts)];
    if let Some(n) = &notifier {
        sinks.push(Box::new(n.sink()));
    }
    let room = crate::crisis::open(
        config,
        stores,
        notifier.as_ref().map(|n| n.handle()),
        Arc::new(firebreak_respond::sla::SystemClock),
    )?;
    if let Some(room) = &room {
        sinks.push(Box::new(crate::crisis::CrisisAlerts {
            room: room.clone(),
            mentions: stores.mentions.clone(),
        }));
    }
    Ok(AlertOutputs {
        notifier,
        room,
        sinks,
    })
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
