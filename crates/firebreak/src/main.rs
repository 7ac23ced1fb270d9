//! The `firebreak` command line: the binary edge, where errors become
//! messages for people (`anyhow`) and settings come together (`config`).

mod analysis;
mod bench;
mod commands;
mod config;
mod connect;
mod crisis;
mod detection;
mod drill;
mod files;
mod inbox;
mod latency;
mod roles;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "firebreak",
    version,
    about = "See a social media crisis coming and handle it well."
)]
pub struct Cli {
    /// Database: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB
    /// [default: store.url of the config, or ./firebreak-data/firebreak.db]
    #[arg(long, global = true, value_name = "URL")]
    db: Option<String>,

    /// Configuration file [default: ./firebreak.toml when it exists]
    #[arg(long, global = true, value_name = "FILE", env = "FIREBREAK_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the HTTP API and pages (default 127.0.0.1:8080).
    Serve {
        /// Address to listen on [default: server.listen of the config]
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// all: one node (SQLite or PostgreSQL, no NATS). In a cluster ([cluster] in the
        /// config, PostgreSQL): ingest, worker or web (see docs/scale-out.md).
        #[arg(long, value_enum, default_value_t = roles::Role::All)]
        role: roles::Role,
    },
    /// Import Mention JSONL v1 or CSV files ("-" reads stdin).
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
        /// Input format [default: csv for *.csv, jsonl otherwise]
        #[arg(long, value_enum)]
        format: Option<files::FormatArg>,
        /// Print the summary as JSON: {"imported":N,"duplicates":N,"rejected":N}
        #[arg(long)]
        json: bool,
        /// Don't show the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Check a draft reply: promises, excuses, tone, apology, private channel, personal
    /// data, language, duplicates, trolls. Exits 1 when it finds something.
    LintReply {
        /// The draft's language, when the text is too short to tell.
        #[arg(long)]
        lang: Option<String>,
        /// The customer's language (for language_mismatch).
        #[arg(long)]
        customer_lang: Option<String>,
        /// The brand is at fault: the draft must apologise.
        #[arg(long)]
        at_fault: bool,
        /// The mention answered is a troll's.
        #[arg(long)]
        troll: bool,
        /// The reply is private (DM, email): personal data is allowed there.
        #[arg(long)]
        private: bool,
        /// Print {"findings":[{"rule","start","end","message","suggestion"}]}.
        #[arg(long)]
        json: bool,
        /// The draft.
        text: String,
    },
    /// The crisis room: crises opened from alerts by the plan.
    Crisis {
        #[command(subcommand)]
        action: CrisisAction,
    },
    /// Replay a crisis into a running server as a drill (drill channels; nothing is posted
    /// to a platform); practise the plan, then score it with `firebreak report`.
    Drill {
        file: PathBuf,
        /// Times faster than the recording (60: one hour per minute).
        #[arg(long, default_value_t = 60.0)]
        speed: f64,
        /// The server [default: http://<server.listen>]
        #[arg(long)]
        server: Option<String>,
    },
    /// Write a crisis's post-mortem: timeline, metrics, charts, plan against reality.
    Report {
        id: i64,
        /// md, html or json.
        #[arg(long, default_value = "md")]
        format: String,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The crisis plan.
    Plan {
        #[command(subcommand)]
        action: PlanAction,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// The inbox's cases.
    Cases {
        #[command(subcommand)]
        action: CasesAction,
    },
    /// Ask the guardrails to delete or hide a mention, or block an author. Negative
    /// comments are never deleted; every request is audited.
    Moderate {
        #[arg(value_enum)]
        action: ModerationArg,
        /// The mention (delete, hide).
        #[arg(long)]
        mention: Option<String>,
        /// The author as platform:author_id (block).
        #[arg(long)]
        author: Option<String>,
        /// hide: spam, illegal or personal_data.
        #[arg(long)]
        hide_reason: Option<String>,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
        /// Who asks: an agent of [inbox.agents].
        #[arg(long = "as", value_name = "AGENT")]
        actor: String,
        /// The second person (hide) or manager (block) who approves.
        #[arg(long)]
        approver: Option<String>,
    },
    /// Push a recorded stream through the pipeline in event time and write the alerts.
    Replay {
        #[arg(value_name = "FILE")]
        file: String,
        /// Replay N times faster than real time.
        #[arg(long, value_name = "N", conflicts_with = "max")]
        speed: Option<f64>,
        /// Replay as fast as possible (the default).
        #[arg(long)]
        max: bool,
        /// Write the alerts here, as Alert JSONL v1.
        #[arg(long, value_name = "ALERTS.jsonl")]
        alerts_out: Option<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Figures about the store.
    Stats {
        /// As JSON: {"mentions":N,"channels":[...]}
        #[arg(long)]
        json: bool,
    },
    /// Start the server on a demo crisis (embedded SQLite) and print the URL.
    Demo {
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Load the demo and exit without serving.
        #[arg(long)]
        load_only: bool,
    },
    /// Analyse mentions (Mention JSONL or plain text, one per line) from stdin.
    Analyze {
        /// One JSON object per line: lang, sentiment, toxicity, intent, category, register.
        #[arg(long)]
        json: bool,
        /// Use the model written by `firebreak train` in this directory instead of the embedded one.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
    },
    /// Train the analysis models from the train splits of the shared data sets.
    Train {
        /// The shared data sets.
        #[arg(long, value_name = "DIR", default_value = "../shared/data")]
        data: PathBuf,
        /// Where to write the model (the embedded one lives in crates/analyze/models).
        #[arg(long, value_name = "DIR", default_value = "crates/analyze/models")]
        out: PathBuf,
    },
    /// Detection on recorded data.
    Detect {
        #[command(subcommand)]
        what: DetectWhat,
    },
    /// Evaluations that print scores on test data.
    Eval {
        #[command(subcommand)]
        what: EvalWhat,
    },
    /// Check the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Accounts of the web app: `user add NAME --role admin` makes the first admin.
    User {
        #[command(subcommand)]
        action: users::UserAction,
    },
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Subcommand, Debug)]
enum CrisisAction {
    /// Open a crisis by hand, from cases: it starts declared.
    Open {
        /// The channel it is on.
        #[arg(long)]
        channel: String,
        /// The plan's severity level.
        #[arg(long)]
        severity: u8,
        /// What is happening, in a sentence.
        #[arg(long)]
        title: String,
        /// A case that belongs to it (repeat for several).
        #[arg(long = "case")]
        cases: Vec<i64>,
        #[arg(long = "as", value_name = "PERSON")]
        actor: String,
    },
    /// Crises, newest first.
    List {
        #[arg(long)]
        json: bool,
        /// Only crises not yet resolved.
        #[arg(long)]
        active: bool,
    },
    /// One crisis: status, escalation, checklist, statements.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge the page (stops re-notification and escalation).
    Ack {
        id: i64,
        /// Your person id in the plan.
        #[arg(long = "as", value_name = "PERSON")]
        actor: String,
    },
    /// Move the lifecycle: declared, responding, contained, recovering, resolved, reviewed.
    Status {
        id: i64,
        status: String,
        #[arg(long = "as", value_name = "PERSON")]
        actor: String,
    },
    /// Mark checklist step N (0-based) done, or skipped with --skip.
    Step {
        id: i64,
        step: usize,
        #[arg(long)]
        skip: bool,
        #[arg(long = "as", value_name = "PERSON")]
        actor: String,
    },
    /// Add a note to the timeline.
    Note {
        id: i64,
        text: String,
        #[arg(long = "as", value_name = "PERSON")]
        actor: String,
    },
    /// Write the post-mortem's lessons and action items.
    Lessons {
        id: i64,
        #[arg(long)]
        text: String,
        /// An action item (repeat for several).
        #[arg(long)]
        action: Vec<String>,
        #[arg(long = "as", value_name = "PERSON")]
        actor: String,
    },
    /// Draft statements (holding, apology, update, resolution) from the plan, in its languages.
    Draft {
        id: i64,
        kind: String,
        #[arg(long = "as", value_name = "PERSON")]
        actor: String,
    },
    /// Rewrite a statement that is not published yet: fill in its gaps (marked ✎) or
    /// correct it. Its approvals start again.
    Revise {
        id: i64,
        statement: u32,
        /// The new text.
        #[arg(long)]
        text: String,
        #[arg(long = "as", value_name = "PERSON")]
        actor: String,
    },
    /// Approve a statement (only the people or roles the plan names).
    Approve {
        id: i64,
        statement: u32,
        #[arg(long = "as", value_name = "PERSON")]
        actor: String,
    },
    /// Publish an approved statement.
    Publish {
        id: i64,
        statement: u32,
        #[arg(long = "as", value_name = "PERSON")]
        actor: String,
    },
    /// Run the escalation and checklist timers once.
    Tick,
}

#[derive(Subcommand, Debug)]
enum PlanAction {
    /// Validate a crisis plan (TOML). Every problem is printed with its file, line and
    /// fix; exits 1 when there is any.
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigAction {
    /// Validate a configuration file (default ./firebreak.toml) and the
    /// FIREBREAK_* variables; print the effective configuration.
    Check {
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum DetectWhat {
    /// Score a NAB-style CSV (timestamp,value: mentions per 5 minutes) with the live
    /// volume detector's defaults; prints timestamp,anomaly_score for every row.
    Series {
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum EvalWhat {
    /// Replay every labelled scenario (NAME.jsonl + NAME.labels.json) in DIR and
    /// report recall, delay, false alarms per day and whether the terms name the crisis.
    Scenarios {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Also write each scenario's alerts to DIR/NAME.alerts.jsonl (for the reference scorer).
        #[arg(long, value_name = "DIR")]
        alerts_out: Option<PathBuf>,
        /// Use the analysis model in this directory instead of the embedded one.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
        /// Print the per-scenario rows as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The live volume detector on NAB realTweets series, scored like NAB.
    Nab {
        #[arg(value_name = "DIR", default_value = "../shared/data/nab-realtweets")]
        dir: PathBuf,
        /// NAB profile: standard, reward_low_FP_rate, reward_low_FN_rate.
        #[arg(long, default_value = "standard")]
        profile: String,
    },
    /// Every analysis benchmark on its test split, with the published baselines.
    Analysis {
        #[arg(long, value_name = "DIR", default_value = "../shared/data")]
        data: PathBuf,
        /// Evaluate the model in this directory instead of the embedded one.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum AuditAction {
    /// Check the audit log's hash chain from its first entry; exits 1 at the first edit.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum CasesAction {
    /// The inbox queue, most urgent first.
    List {
        /// Comma-separated: new, acknowledged, in_progress, resolved, closed [default: open ones]
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Only the cases of this crisis alert id.
        #[arg(long)]
        crisis: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record a reply on a case (sent by hand): public, or private with --private.
    Reply {
        id: i64,
        text: String,
        /// dm, email or phone: a private reply.
        #[arg(long)]
        private: Option<String>,
        /// The brand is at fault: the linter requires an apology.
        #[arg(long)]
        at_fault: bool,
        /// Post it on the platform through the channel's connector (public or DM); without
        /// it, the reply is recorded as posted by hand.
        #[arg(long)]
        send: bool,
        /// Who replies: an agent of [inbox.agents].
        #[arg(long = "as", value_name = "AGENT")]
        actor: String,
    },
    /// Change a case: acknowledge, start, resolve, close, move_private (with --channel).
    Act {
        id: i64,
        action: String,
        #[arg(long)]
        channel: Option<String>,
        #[arg(long = "as", value_name = "AGENT")]
        actor: String,
    },
    /// Run the SLA clocks once and print what they raised.
    Tick {
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ModerationArg {
    Delete,
    Hide,
    Block,
}

#[derive(Subcommand, Debug)]
enum BenchWhat {
    /// A burst of negative mentions through analysis and the inbox: are all of them
    /// prioritised cases, and how fast does the queue list (p50/p95)?
    Inbox {
        /// Negative mentions in the burst.
        #[arg(long, default_value_t = 10_000)]
        count: u64,
        /// Minutes of event time the burst spans.
        #[arg(long, default_value_t = 10)]
        minutes: u64,
        #[arg(long)]
        json: bool,
    },
    /// Parse and persist a generated stream of mentions; report mentions/s and peak RSS.
    Ingest {
        /// Mentions to generate.
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        /// Mentions per store transaction [default: pipeline.batch_size]
        #[arg(long)]
        batch_size: Option<usize>,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
        /// Include analysis (language, sentiment, ...) in the measured path.
        #[arg(long)]
        with_analysis: bool,
    },
    /// Time from a mention entering the pipeline to the crisis alert it triggers
    /// leaving it, under a steady stream (analysis, SQLite, detectors).
    Latency {
        /// Mentions per second of wall clock.
        #[arg(long, default_value_t = 10_000)]
        rate: u64,
        /// Length of the run.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, Command::Serve { .. } | Command::Demo { .. });
    if !serving {
        // Like any Unix filter: `firebreak cases list | head` ends quietly when the reader
        // stops, instead of failing to print. (Sockets are unaffected: they never raise
        // SIGPIPE in Rust.)
        #[cfg(unix)]
        // SAFETY: called first thing in main, before any other thread exists.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let filter = std::env::var("FIREBREAK_LOG")
        .unwrap_or_else(|_| if serving { "info" } else { "warn" }.to_owned());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
