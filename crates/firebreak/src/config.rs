//! `firebreak.toml`: typed, validated at load, every setting overridable by an
//! environment variable `FIREBREAK_<SECTION>_<KEY>` (e.g.
//! `FIREBREAK_SERVER_LISTEN=0.0.0.0:8080`). Unknown keys, in the file or in
//! the environment, are errors that name the file and line (or the variable)
//! and the fix.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The file read when `--config` is not given (if it exists).
pub const DEFAULT_CONFIG: &str = "firebreak.toml";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub store: StoreSection,
    pub server: ServerSection,
    pub ingest: IngestSection,
    pub pipeline: PipelineSection,
    pub analysis: AnalysisSection,
    pub inbox: InboxSection,
    pub notify: NotifySection,
    pub crisis: CrisisSection,
    /// `[[sources]]`: platform connectors (mastodon, bluesky, reddit, feed).
    #[serde(skip_serializing)]
    pub sources: Vec<firebreak_connectors::sources::SourceConfig>,
    /// `[[hooks]]`: inbound webhooks, `/api/v1/hooks/{name}`.
    #[serde(skip_serializing)]
    pub hooks: Vec<firebreak_connectors::hooks::HookConfig>,
    pub outbound: OutboundSection,
    /// `[cluster]`: NATS JetStream and node settings for `serve --role ingest|worker|web`.
    pub cluster: firebreak_cluster::ClusterConfig,
}

/// `[outbound]`: how replies sent with `send` reach the platforms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundSection {
    /// Check replies and record them as dry runs; post nothing.
    pub dry_run: bool,
}

/// `[crisis]`: the crisis plan that turns alerts into crises (see examples/plan.toml).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrisisSection {
    /// The plan file; no crisis room without one.
    pub plan: Option<PathBuf>,
}

/// `[notify]`: where alerts are sent (`[[notify.targets]]` with kind webhook, slack, matrix or
/// email). Secrets are read from `{ env = "VAR" }` or `{ file = "PATH" }`, never written here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySection {
    pub targets: Vec<firebreak_connectors::notify::TargetConfig>,
}

/// `[inbox]`: cases, response targets and the team that answers them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboxSection {
    /// Turn mentions that need a response into cases (needs `[analysis] enabled`).
    pub enabled: bool,
    /// Assign new cases by language, skill and load.
    pub auto_assign: bool,
    /// Seconds between two runs of the SLA clocks.
    pub tick_secs: u64,
    /// Response targets per priority, in minutes (`[inbox.targets.p1]` ...).
    pub targets: firebreak_respond::sla::SlaTargets,
    /// The team (`[[inbox.agents]]` with name, role, languages, skills, capacity).
    pub agents: Vec<firebreak_respond::inbox::Agent>,
}

impl Default for InboxSection {
    fn default() -> Self {
        InboxSection {
            enabled: true,
            auto_assign: true,
            tick_secs: 30,
            targets: Default::default(),
            agents: Vec::new(),
        }
    }
}

impl InboxSection {
    pub fn inbox_config(&self) -> firebreak_respond::InboxConfig {
        firebreak_respond::InboxConfig {
            targets: self.targets.clone(),
            agents: self.agents.clone(),
            auto_assign: self.auto_assign,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalysisSection {
    /// Enrich every mention (language, sentiment, toxicity, intent, category, register)
    /// before it is stored and seen by the detectors.
    pub enabled: bool,
    /// A model written by `firebreak train`; the embedded one when unset.
    pub models_dir: Option<PathBuf>,
    /// An XLM-RoBERTa sentiment model (config.json, model.safetensors,
    /// tokenizer.json) used instead of the n-gram sentiment head. Needs a build
    /// with `--features transformer`. Slow: tens to hundreds of mentions/s.
    pub transformer_dir: Option<PathBuf>,
}

impl Default for AnalysisSection {
    fn default() -> Self {
        AnalysisSection {
            enabled: true,
            models_dir: None,
            transformer_dir: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    pub listen: SocketAddr,
    /// Accept `X-Firebreak-User` on the JSON API as the acting agent of `[inbox.agents]`
    /// (or person of the crisis plan) without a token. Only behind a proxy that
    /// authenticates people and sets the header itself; otherwise anyone could claim any
    /// name. Without it, the API acts only for `Authorization: Bearer` tokens
    /// (`firebreak user token NAME`).
    pub trust_user_header: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSection {
    /// HMAC-SHA256 secret for `POST /api/v1/mentions`. Prefer `secret_file`
    /// or the `FIREBREAK_INGEST_SECRET` variable to writing it here.
    pub secret: Option<String>,
    /// A file whose content (trimmed) is the secret.
    pub secret_file: Option<PathBuf>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Seconds an ingest request waits for its mentions to be committed.
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineSection {
    /// Most mentions committed in one store transaction.
    pub batch_size: usize,
    /// Batches each internal queue holds before backpressure applies.
    pub channel_capacity: usize,
    /// Retries of a failed store write before the batch is reported as not stored.
    pub store_retries: u32,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            url: firebreak_store::DEFAULT_DB.to_owned(),
        }
    }
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            trust_user_header: false,
        }
    }
}

impl Default for IngestSection {
    fn default() -> Self {
        IngestSection {
            secret: None,
            secret_file: None,
            max_body_bytes: 10 << 20,
            timeout_secs: 30,
        }
    }
}

impl Default for PipelineSection {
    fn default() -> Self {
        let p = firebreak_pipeline::PipelineConfig::default();
        PipelineSection {
            batch_size: p.batch_size,
            channel_capacity: p.channel_capacity,
            store_retries: p.store_retries,
        }
    }
}

/// A configuration problem, located and with a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// `path:line:column`, or the environment variable, or the key.
    pub location: String,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}\n  fix: {}",
            self.location, self.problem, self.fix
        )
    }
}

impl std::error::Error for ConfigError {}

const SECTIONS: [&str; 7] = [
    "store", "server", "ingest", "pipeline", "analysis", "inbox", "cluster",
];

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

fn fix_for(message: &str) -> String {
    if message.contains("unknown field") {
        if let Some(expected) = message.split("expected ").nth(1) {
            return format!(
                "remove the key or correct its spelling; expected {}",
                expected.trim()
            );
        }
        return "remove the key or correct its spelling".into();
    }
    if message.contains("unknown variant") {
        return "use one of the values listed".into();
    }
    if message.contains("missing field") {
        return "add the field named; see firebreak.example.toml".into();
    }
    if message.contains("invalid type") {
        return "give the value the type shown (strings in quotes, numbers without)".into();
    }
    if message.contains("invalid socket address") {
        return "write an address and port, e.g. \"127.0.0.1:8080\"".into();
    }
    "correct the TOML syntax at that position (see https://toml.io)".into()
}

impl Config {
    /// Loads `path` (or the defaults when `path` is `None`), then applies the
    /// `FIREBREAK_*` variables of `env`, then validates.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let (text, name) = match path {
            Some(p) => (
                std::fs::read_to_string(p).map_err(|e| ConfigError {
                    location: p.display().to_string(),
                    problem: format!("cannot read the file: {e}"),
                    fix: "check the path given with --config (or FIREBREAK_CONFIG)".into(),
                })?,
                p.display().to_string(),
            ),
            None => (String::new(), "(defaults)".to_owned()),
        };
        Self::parse(&text, &name, env)
    }

    /// Parses config text named `name` (for messages) and applies `env`.
    pub fn parse(
        text: &str,
        name: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let located = |e: toml::de::Error| {
            let location = match e.span() {
                Some(span) => {
                    let (line, col) = line_col(text, span.start);
                    format!("{name}:{line}:{col}")
                }
                None => name.to_owned(),
            };
            ConfigError {
                location,
                problem: e.message().to_owned(),
                fix: fix_for(e.message()),
            }
        };
        // First pass: the file alone, so that errors point into it.
        let from_file: Config = toml::from_str(text).map_err(located)?;
        let mut table: toml::Table = toml::from_str(text).map_err(located)?;

        let mut applied = Vec::new();
        let mut vars: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("FIREBREAK_"))
            .collect();
        vars.sort();
        for (var, value) in vars {
            let rest = var["FIREBREAK_".len()..].to_ascii_lowercase();
            let Some(section) = SECTIONS.iter().find(|s| rest.starts_with(&format!("{s}_"))) else {
                continue; // not a config variable (e.g. FIREBREAK_CONFIG, FIREBREAK_LOG)
            };
            let key = rest[section.len() + 1..].to_owned();
            let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(value.clone()));
            let entry = table
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(t) = entry {
                t.insert(key, parsed);
            }
            applied.push(var);
        }
        let config = if applied.is_empty() {
            from_file
        } else {
            Config::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError {
                location: format!("environment ({})", applied.join(", ")),
                problem: e.message().to_owned(),
                fix: format!(
                    "correct or unset the variable; names are FIREBREAK_<SECTION>_<KEY> for the keys of {name}; {}",
                    fix_for(e.message())
                ),
            })?
        };
        config.validate(name)?;
        Ok(config)
    }

    fn validate(&self, name: &str) -> Result<(), ConfigError> {
        let err = |key: &str, problem: String, fix: &str| ConfigError {
            location: format!("{name}: {key}"),
            problem,
            fix: fix.to_owned(),
        };
        firebreak_store::DbUrl::parse(&self.store.url).map_err(|e| {
            err(
                "store.url",
                e.to_string(),
                "use sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB",
            )
        })?;
        let p = &self.pipeline;
        if !(1..=100_000).contains(&p.batch_size) {
            return Err(err(
                "pipeline.batch_size",
                format!("{} is out of range", p.batch_size),
                "choose between 1 and 100000 (default 8192)",
            ));
        }
        if !(1..=4096).contains(&p.channel_capacity) {
            return Err(err(
                "pipeline.channel_capacity",
                format!("{} is out of range", p.channel_capacity),
                "choose between 1 and 4096 (default 8)",
            ));
        }
        if let Some(dir) = &self.analysis.models_dir {
            if !dir.join("firebreak-analyze.bin").is_file() {
                return Err(err(
                    "analysis.models_dir",
                    format!("{} holds no firebreak-analyze.bin", dir.display()),
                    "point it at the --out directory of `firebreak train`, or remove it to use the embedded model",
                ));
            }
        }
        firebreak_connectors::notify::build_targets(&self.notify.targets).map_err(|e| {
            err(
                "notify.targets",
                e.to_string(),
                "correct the [[notify.targets]] entry; secrets come from { env = \"VAR\" } or { file = \"PATH\" }",
            )
        })?;
        if let Some(plan) = &self.crisis.plan {
            firebreak_plan::load(plan).map_err(|e| {
                err(
                    "crisis.plan",
                    e.to_string(),
                    "fix the plan (firebreak plan check FILE lists every problem)",
                )
            })?;
        }
        let mut source_names = std::collections::HashSet::new();
        for (i, s) in self.sources.iter().enumerate() {
            let key = format!("sources[{i}] ({})", s.name());
            if s.name().trim().is_empty() || !source_names.insert(s.name().to_owned()) {
                return Err(err(
                    &key,
                    format!("source name {:?} is empty or repeated", s.name()),
                    "give every [[sources]] a distinct name (it keys the saved cursor)",
                ));
            }
            s.validate()
                .map_err(|problem| err(&key, problem, "correct the [[sources]] entry"))?;
        }
        let mut hook_names = std::collections::HashSet::new();
        for (i, h) in self.hooks.iter().enumerate() {
            let key = format!("hooks[{i}] ({})", h.name);
            if !hook_names.insert(h.name.as_str()) {
                return Err(err(
                    &key,
                    format!("hook name {:?} is repeated", h.name),
                    "give every [[hooks]] a distinct name (it is the URL's last segment)",
                ));
            }
            h.validate()
                .map_err(|problem| err(&key, problem, "correct the [[hooks]] entry"))?;
        }
        self.cluster
            .validate()
            .map_err(|(key, problem, fix)| err(key, problem, fix))?;
        let inbox = &self.inbox;
        inbox.targets.validate().map_err(|problem| {
            err(
                "inbox.targets",
                problem,
                "give each priority positive minutes, first_response_min <= private_follow_up_min <= resolution_min",
            )
        })?;
        if inbox.tick_secs == 0 {
            return Err(err(
                "inbox.tick_secs",
                "0 seconds".into(),
                "give at least 1 (default 30)",
            ));
        }
        let mut names = std::collections::HashSet::new();
        for a in &inbox.agents {
            if a.name.trim().is_empty() || !names.insert(a.name.as_str()) {
                return Err(err(
                    "inbox.agents",
                    format!("agent name {:?} is empty or repeated", a.name),
                    "give every [[inbox.agents]] a distinct name",
                ));
            }
            if a.capacity == 0 {
                return Err(err(
                    "inbox.agents",
                    format!("agent {:?} has capacity 0", a.name),
                    "give a capacity of at least 1 open case (default 25)",
                ));
            }
        }
        let i = &self.ingest;
        if !(1024..=1 << 30).contains(&i.max_body_bytes) {
            return Err(err(
                "ingest.max_body_bytes",
                format!("{} is out of range", i.max_body_bytes),
                "choose between 1024 and 1073741824 (default 10485760)",
            ));
        }
        if i.timeout_secs == 0 {
            return Err(err(
                "ingest.timeout_secs",
                "0 seconds".into(),
                "give at least 1 (default 30)",
            ));
        }
        if i.secret.is_some() && i.secret_file.is_some() {
            return Err(err(
                "ingest.secret",
                "both secret and secret_file are set".into(),
                "keep only one of them",
            ));
        }
        if i.secret.as_deref().is_some_and(|s| s.len() < 16) {
            return Err(err(
                "ingest.secret",
                "the secret is shorter than 16 characters".into(),
                "use a long random secret, e.g. `openssl rand -hex 32`",
            ));
        }
        if let Some(file) = &i.secret_file {
            let secret = std::fs::read_to_string(file).map_err(|e| {
                err(
                    "ingest.secret_file",
                    format!("cannot read {}: {e}", file.display()),
                    "point it at a readable file holding the secret",
                )
            })?;
            if secret.trim().len() < 16 {
                return Err(err(
                    "ingest.secret_file",
                    "the secret is shorter than 16 characters".into(),
                    "use a long random secret, e.g. `openssl rand -hex 32`",
                ));
            }
        }
        Ok(())
    }

    /// The ingest secret, from `secret` or `secret_file`.
    pub fn ingest_secret(&self) -> Option<String> {
        if let Some(s) = &self.ingest.secret {
            return Some(s.clone());
        }
        self.ingest
            .secret_file
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .map(|s| s.trim().to_owned())
    }

    pub fn pipeline(&self) -> firebreak_pipeline::PipelineConfig {
        firebreak_pipeline::PipelineConfig {
            batch_size: self.pipeline.batch_size,
            channel_capacity: self.pipeline.channel_capacity,
            store_retries: self.pipeline.store_retries,
        }
    }

    pub fn server_settings(&self) -> firebreak_server::ServerSettings {
        firebreak_server::ServerSettings {
            ingest_secret: self.ingest_secret(),
            max_body_bytes: self.ingest.max_body_bytes,
            ingest_timeout: Duration::from_secs(self.ingest.timeout_secs),
            trust_user_header: self.server.trust_user_header,
        }
    }

    /// The web app's settings: the defaults, with the notification targets to show.
    pub fn web_settings(&self) -> firebreak_web::WebSettings {
        firebreak_web::WebSettings {
            notify_targets: self
                .notify
                .targets
                .iter()
                .map(|t| {
                    let (kind, destination, receives) = t.describe();
                    firebreak_web::NotifyTarget {
                        kind: kind.into(),
                        name: t.name().into(),
                        destination,
                        receives,
                    }
                })
                .collect(),
            ..firebreak_web::WebSettings::default()
        }
    }

    /// The effective configuration as TOML, secrets hidden.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        if shown.ingest.secret.is_some() {
            shown.ingest.secret = Some("***".into());
        }
        shown.store.url = firebreak_store::redact(&shown.store.url);
        shown.cluster.nats_url = firebreak_store::redact(&shown.cluster.nats_url);
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env() -> Vec<(String, String)> {
        Vec::new()
    }

    #[test]
    fn empty_text_gives_the_defaults() {
        assert_eq!(Config::parse("", "x.toml", no_env()), Ok(Config::default()));
    }

    #[test]
    fn an_unknown_key_names_file_line_and_fix() {
        let text = "[server]\nlisten = \"127.0.0.1:9000\"\nlisten_port = 9000\n";
        let e = Config::parse(text, "firebreak.toml", no_env()).expect_err("must fail");
        assert_eq!(e.location, "firebreak.toml:3:1");
        assert!(e.problem.contains("unknown field `listen_port`"), "{e}");
        assert!(e.fix.contains("listen"), "{e}");
    }

    #[test]
    fn a_wrong_type_points_at_the_value() {
        let text = "[pipeline]\nbatch_size = \"big\"\n";
        let e = Config::parse(text, "f.toml", no_env()).expect_err("must fail");
        assert!(e.location.starts_with("f.toml:2:"), "{e}");
    }

    #[test]
    fn environment_variables_override_the_file() {
        let text = "[server]\nlisten = \"127.0.0.1:9000\"\n";
        let env = vec![
            (
                "FIREBREAK_SERVER_LISTEN".to_owned(),
                "0.0.0.0:7000".to_owned(),
            ),
            (
                "FIREBREAK_PIPELINE_BATCH_SIZE".to_owned(),
                "1000".to_owned(),
            ),
            ("FIREBREAK_CONFIG".to_owned(), "ignored".to_owned()),
        ];
        let c = Config::parse(text, "f.toml", env).expect("valid");
        assert_eq!(c.server.listen.to_string(), "0.0.0.0:7000");
        assert_eq!(c.pipeline.batch_size, 1000);
    }

    #[test]
    fn an_unknown_variable_in_a_section_is_an_error_naming_it() {
        let env = vec![("FIREBREAK_SERVER_LISTN".to_owned(), "x".to_owned())];
        let e = Config::parse("", "f.toml", env).expect_err("must fail");
        assert!(e.location.contains("FIREBREAK_SERVER_LISTN"), "{e}");
    }

    #[test]
    fn out_of_range_values_are_refused_with_the_range() {
        let e =
            Config::parse("[pipeline]\nbatch_size = 0\n", "f.toml", no_env()).expect_err("fail");
        assert!(e.fix.contains("between 1 and 100000"), "{e}");
        let e =
            Config::parse("[store]\nurl = \"mysql://x\"\n", "f.toml", no_env()).expect_err("fail");
        assert!(e.location.contains("store.url"), "{e}");
    }

    #[test]
    fn the_cluster_section_is_read_validated_and_overridable() {
        let text = "[cluster]\nnats_url = \"nats://10.0.0.5:4222\"\nfetch_batch = 256\n";
        let env = vec![("FIREBREAK_CLUSTER_NODE".to_owned(), "worker-7".to_owned())];
        let c = Config::parse(text, "f.toml", env).expect("valid");
        assert_eq!(c.cluster.nats_url, "nats://10.0.0.5:4222");
        assert_eq!(c.cluster.fetch_batch, 256);
        assert_eq!(c.cluster.node, "worker-7");
        let e = Config::parse("[cluster]\nnats_url = \"http://x\"\n", "f.toml", no_env())
            .expect_err("fail");
        assert!(e.location.contains("cluster.nats_url"), "{e}");
        assert!(e.fix.contains("nats://"), "{e}");
        let e = Config::parse("[cluster]\nnats = \"x\"\n", "f.toml", no_env()).expect_err("fail");
        assert_eq!(e.location, "f.toml:2:1", "{e}");
        let c = Config::parse(
            "[cluster]\nnats_url = \"nats://fb:hunter2@nats:4222\"\n",
            "f.toml",
            no_env(),
        )
        .expect("valid");
        assert!(!c.to_redacted_toml().contains("hunter2"));
    }

    #[test]
    fn secrets_are_not_shown() {
        let c = Config::parse(
            "[ingest]\nsecret = \"0123456789abcdef0123\"\n[store]\nurl = \"postgres://u:pw@h/db\"\n",
            "f.toml",
            no_env(),
        )
        .expect("valid");
        let shown = c.to_redacted_toml();
        assert!(!shown.contains("0123456789abcdef0123"));
        assert!(!shown.contains(":pw@"));
    }

    #[test]
    fn a_source_is_checked_at_load_and_the_error_names_it() {
        let text = "[[sources]]\nplatform = \"reddit\"\nname = \"r\"\nchannel = \"r/x\"\nclient_id = \"a\"\nclient_secret = { env = \"X\" }\nuser_agent = \"short\"\nsubreddits = [\"x\"]\n";
        let e = Config::parse(text, "f.toml", no_env()).expect_err("short user agent");
        assert_eq!(e.location, "f.toml: sources[0] (r)");
        assert!(e.problem.contains("descriptive"), "{}", e.problem);
        let text = "[[sources]]\nplatform = \"myspace\"\nname = \"m\"\n";
        let e = Config::parse(text, "f.toml", no_env()).expect_err("unknown platform");
        assert!(e.location.starts_with("f.toml:2:"), "{}", e.location);
        assert!(e.problem.contains("bluesky"), "{}", e.problem);
        assert_eq!(e.fix, "use one of the values listed");
    }

    #[test]
    fn two_sources_with_one_name_would_share_a_cursor_and_are_refused() {
        let one = "[[sources]]\nplatform = \"feed\"\nname = \"reviews\"\nchannel = \"c\"\nurl = \"https://x.example/feed\"\n";
        let text = format!("{one}{one}");
        let e = Config::parse(&text, "f.toml", no_env()).expect_err("repeated");
        assert!(e.problem.contains("repeated"), "{}", e.problem);
        assert!(e.fix.contains("distinct name"), "{}", e.fix);
    }
}
