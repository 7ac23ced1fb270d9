//! Notifications: alerts (and, later, escalations) sent to people where they are.
//!
//! Four channels, each a small type with its own typed config:
//! - a **generic webhook**: the JSON event, signed with `X-Firebreak-Signature: sha256=<hmac>`;
//! - a **Slack-compatible** incoming webhook (`{"text": ...}`; Mattermost and Rocket.Chat take it too);
//! - a **Matrix** room, through the client-server API (`PUT .../send/m.room.message/{txn}`);
//! - **email** over SMTP (none, STARTTLS or TLS), with `lettre`.
//!
//! Sends run on their own tasks, never in the pipeline's path. A failed send is retried with
//! exponential backoff while the failure is transient (network, 429, 5xx, SMTP 4xx); a
//! permanent one (other 4xx, SMTP 5xx) is logged and counted. Every notification carries an
//! idempotency key (`Alert::emission_key`: alert id, severity, raising time): the webhook sends it as `Idempotency-Key`, Matrix
//! uses it as the transaction id, so a retried send is not shown twice. Secrets come from the
//! environment or a file and are never logged.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use firebreak_core::Alert;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::sync::{mpsc, Semaphore};

/// One message to send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// The same key means the same notification: retries reuse it.
    pub key: String,
    pub subject: String,
    pub text: String,
    pub severity: u8,
    pub crisis: bool,
    /// What a machine reads: `{"event": "alert", "alert": {...}}`.
    pub payload: serde_json::Value,
    /// Email addresses of the people paged (an escalation); empty: the target's own `to`.
    pub to: Vec<String>,
}

impl Notification {
    pub fn from_alert(a: &Alert) -> Notification {
        let kind = if a.crisis { "CRISIS" } else { "info" };
        let subject = format!(
            "[Firebreak {kind} sev {}] {}: {}",
            a.severity,
            a.channel,
            a.kind.as_str()
        );
        let mut text = format!("{}\n", a.summary);
        if !a.terms.is_empty() {
            text.push_str(&format!("Terms: {}\n", a.terms.join(", ")));
        }
        if !a.amplifiers.is_empty() {
            let names: Vec<&str> = a.amplifiers.iter().map(|x| x.as_str()).collect();
            text.push_str(&format!("Amplified by: {}\n", names.join(", ")));
        }
        text.push_str(&format!(
            "Alert {} raised {} ({} evidence mentions).",
            a.id,
            a.raised_at.to_rfc3339(),
            a.evidence.len()
        ));
        Notification {
            key: a.emission_key(),
            subject,
            text,
            severity: a.severity,
            crisis: a.crisis,
            payload: serde_json::json!({"event": "alert", "alert": a}),
            to: Vec::new(),
        }
    }
}

/// Which notifications a target receives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Filter {
    /// Only alerts of at least this severity (1-4).
    pub min_severity: u8,
    /// Only crisis alerts (not informational spikes).
    pub crisis_only: bool,
}

impl Filter {
    pub fn accepts(&self, n: &Notification) -> bool {
        n.severity >= self.min_severity && (!self.crisis_only || n.crisis)
    }
}

/// Where a secret comes from. Never written in the config itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// An environment variable holding it.
    pub env: Option<String>,
    /// A file holding it (trimmed).
    pub file: Option<PathBuf>,
}

impl Secret {
    /// Checks the shape (exactly one of env or file) without reading it.
    pub fn validate(&self, what: &str) -> Result<(), String> {
        match (&self.env, &self.file) {
            (Some(_), None) | (None, Some(_)) => Ok(()),
            _ => Err(format!(
                "{what}: give exactly one of env = \"VAR\" or file = \"PATH\""
            )),
        }
    }

    pub fn read(&self, what: &str) -> Result<String, NotifyError> {
        match (&self.env, &self.file) {
            (Some(var), None) => std::env::var(var).map_err(|_| {
                NotifyError::Config(format!(
                    "{what}: the environment variable {var} is not set; export it or use a secret file"
                ))
            }),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map(|s| s.trim().to_owned())
                .map_err(|e| {
                    NotifyError::Config(format!("{what}: cannot read {}: {e}", path.display()))
                }),
            _ => Err(NotifyError::Config(format!(
                "{what}: give exactly one of env = \"VAR\" or file = \"PATH\""
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP (a local relay).
    None,
    /// STARTTLS on the submission port (587).
    Starttls,
    /// Implicit TLS (465).
    Tls,
}

/// One notification target, as written in `[[notify.targets]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TargetConfig {
    Webhook {
        name: String,
        url: String,
        /// HMAC-SHA256 key for `X-Firebreak-Signature`.
        secret: Option<Secret>,
        #[serde(default)]
        min_severity: u8,
        #[serde(default)]
        crisis_only: bool,
    },
    Slack {
        name: String,
        url: String,
        #[serde(default)]
        min_severity: u8,
        #[serde(default)]
        crisis_only: bool,
    },
    Matrix {
        name: String,
        /// e.g. `https://matrix.example.org`
        homeserver: String,
        /// e.g. `!abc:example.org`
        room_id: String,
        access_token: Secret,
        #[serde(default)]
        min_severity: u8,
        #[serde(default)]
        crisis_only: bool,
    },
    Email {
        name: String,
        smtp_host: String,
        smtp_port: u16,
        tls: SmtpTls,
        username: Option<String>,
        password: Option<Secret>,
        from: String,
        to: Vec<String>,
        #[serde(default)]
        min_severity: u8,
        #[serde(default)]
        crisis_only: bool,
    },
}

impl TargetConfig {
    pub fn name(&self) -> &str {
        match self {
            TargetConfig::Webhook { name, .. }
            | TargetConfig::Slack { name, .. }
            | TargetConfig::Matrix { name, .. }
            | TargetConfig::Email { name, .. } => name,
        }
    }

    /// What a person may see of the target: its kind, where it sends (a URL's host only:
    /// Slack-style URLs carry their secret in the path) and what it receives. No secrets.
    pub fn describe(&self) -> (&'static str, String, String) {
        fn host(url: &str) -> String {
            url.split("://")
                .nth(1)
                .and_then(|rest| rest.split(['/', '?', '#']).next())
                .and_then(|authority| authority.rsplit('@').next())
                .unwrap_or("?")
                .to_owned()
        }
        let (kind, destination) = match self {
            TargetConfig::Webhook { url, .. } => ("webhook", host(url)),
            TargetConfig::Slack { url, .. } => ("slack", host(url)),
            TargetConfig::Matrix {
                homeserver,
                room_id,
                ..
            } => ("matrix", format!("{room_id} on {}", host(homeserver))),
            TargetConfig::Email { smtp_host, to, .. } => {
                ("email", format!("{} via {smtp_host}", to.join(", ")))
            }
        };
        let f = self.filter();
        let what = format!(
            "severity ≥ {}{}",
            f.min_severity,
            if f.crisis_only { ", crises only" } else { "" }
        );
        (kind, destination, what)
    }

    fn filter(&self) -> Filter {
        let (min_severity, crisis_only) = match self {
            TargetConfig::Webhook {
                min_severity,
                crisis_only,
                ..
            }
            | TargetConfig::Slack {
                min_severity,
                crisis_only,
                ..
            }
            | TargetConfig::Matrix {
                min_severity,
                crisis_only,
                ..
            }
            | TargetConfig::Email {
                min_severity,
                crisis_only,
                ..
            } => (*min_severity, *crisis_only),
        };
        Filter {
            min_severity,
            crisis_only,
        }
    }

    /// Builds the target: reads its secrets, checks its addresses.
    pub fn build(&self, http: &reqwest::Client) -> Result<Target, NotifyError> {
        let name = self.name().to_owned();
        let check_url = |u: &str| {
            if u.starts_with("http://") || u.starts_with("https://") {
                Ok(())
            } else {
                Err(NotifyError::Config(format!(
                    "target {name}: {u:?} is not an http(s) URL"
                )))
            }
        };
        let channel = match self {
            TargetConfig::Webhook { url, secret, .. } => {
                check_url(url)?;
                Channel::Webhook {
                    url: url.clone(),
                    key: secret
                        .as_ref()
                        .map(|s| s.read(&format!("target {name} secret")))
                        .transpose()?,
                }
            }
            TargetConfig::Slack { url, .. } => {
                check_url(url)?;
                Channel::Slack { url: url.clone() }
            }
            TargetConfig::Matrix {
                homeserver,
                room_id,
                access_token,
                ..
            } => {
                check_url(homeserver)?;
                Channel::Matrix {
                    homeserver: homeserver.trim_end_matches('/').to_owned(),
                    room_id: room_id.clone(),
                    token: access_token.read(&format!("target {name} access_token"))?,
                }
            }
            TargetConfig::Email {
                smtp_host,
                smtp_port,
                tls,
                username,
                password,
                from,
                to,
                ..
            } => {
                let mailbox = |a: &str| {
                    a.parse::<lettre::message::Mailbox>().map_err(|e| {
                        NotifyError::Config(format!("target {name}: address {a:?}: {e}"))
                    })
                };
                let from = mailbox(from)?;
                if to.is_empty() {
                    return Err(NotifyError::Config(format!(
                        "target {name}: `to` lists no recipient"
                    )));
                }
                let to = to
                    .iter()
                    .map(|a| mailbox(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let builder = match tls {
                    SmtpTls::None => {
                        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(
                            smtp_host,
                        )
                    }
                    SmtpTls::Starttls => {
                        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::starttls_relay(
                            smtp_host,
                        )
                        .map_err(|e| NotifyError::Config(format!("target {name}: {e}")))?
                    }
                    SmtpTls::Tls => {
                        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::relay(smtp_host)
                            .map_err(|e| NotifyError::Config(format!("target {name}: {e}")))?
                    }
                };
                let mut builder = builder
                    .port(*smtp_port)
                    .timeout(Some(Duration::from_secs(20)));
                if let Some(user) = username {
                    let password = password
                        .as_ref()
                        .ok_or_else(|| {
                            NotifyError::Config(format!(
                                "target {name}: username is set but password is not"
                            ))
                        })?
                        .read(&format!("target {name} password"))?;
                    builder = builder.credentials(
                        lettre::transport::smtp::authentication::Credentials::new(
                            user.clone(),
                            password,
                        ),
                    );
                }
                Channel::Email {
                    transport: builder.build(),
                    from,
                    to,
                }
            }
        };
        Ok(Target {
            name,
            filter: self.filter(),
            channel,
            http: http.clone(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("{0}")]
    Config(String),
}

/// Why a send failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

enum Channel {
    Webhook {
        url: String,
        key: Option<String>,
    },
    Slack {
        url: String,
    },
    Matrix {
        homeserver: String,
        room_id: String,
        token: String,
    },
    Email {
        transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
        from: lettre::message::Mailbox,
        to: Vec<lettre::message::Mailbox>,
    },
}

/// A built target: where and what to send.
pub struct Target {
    name: String,
    filter: Filter,
    channel: Channel,
    http: reqwest::Client,
}

/// `sha256=<hex hmac>` of `body` under `key`.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn http_error(status: reqwest::StatusCode, body: String) -> SendError {
    let transient = status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
    SendError {
        permanent: !transient,
        message: format!(
            "HTTP {status}: {}",
            body.chars().take(200).collect::<String>()
        ),
    }
}

fn net_error(e: reqwest::Error) -> SendError {
    SendError {
        permanent: e.is_builder(),
        message: e.to_string(),
    }
}

/// Matrix transaction ids: the idempotency key, made URL-safe.
fn txn_id(key: &str) -> String {
    key.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

impl Target {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn accepts(&self, n: &Notification) -> bool {
        self.filter.accepts(n)
    }

    /// One attempt.
    pub async fn send(&self, n: &Notification) -> Result<(), SendError> {
        let response = match &self.channel {
            Channel::Webhook { url, key } => {
                let body = serde_json::to_vec(&n.payload).map_err(|e| SendError {
                    permanent: true,
                    message: e.to_string(),
                })?;
                let mut req = self
                    .http
                    .post(url)
                    .header("content-type", "application/json")
                    .header("idempotency-key", &n.key);
                if let Some(k) = key {
                    req = req.header("x-firebreak-signature", signature(k.as_bytes(), &body));
                }
                req.body(body).send().await
            }
            Channel::Slack { url } => {
                let text = format!("*{}*\n{}", n.subject, n.text);
                self.http
                    .post(url)
                    .json(&serde_json::json!({ "text": text }))
                    .send()
                    .await
            }
            Channel::Matrix {
                homeserver,
                room_id,
                token,
            } => {
                let url = format!(
                    "{homeserver}/_matrix/client/v3/rooms/{}/send/m.room.message/{}",
                    encode_path(room_id),
                    txn_id(&n.key)
                );
                self.http
                    .put(url)
                    .bearer_auth(token)
                    .json(&serde_json::json!({
                        "msgtype": "m.text",
                        "body": format!("{}\n{}", n.subject, n.text),
                    }))
                    .send()
                    .await
            }
            Channel::Email {
                transport,
                from,
                to,
            } => {
                use lettre::AsyncTransport;
                let mut builder = lettre::Message::builder()
                    .from(from.clone())
                    .subject(n.subject.clone())
                    .message_id(Some(format!("<{}@firebreak>", txn_id(&n.key))));
                let paged: Vec<lettre::message::Mailbox> =
                    n.to.iter().filter_map(|a| a.parse().ok()).collect();
                for t in if paged.is_empty() { to } else { &paged } {
                    builder = builder.to(t.clone());
                }
                let message = builder
                    .header(lettre::message::header::ContentType::TEXT_PLAIN)
                    .body(n.text.clone())
                    .map_err(|e| SendError {
                        permanent: true,
                        message: e.to_string(),
                    })?;
                return transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError {
                        permanent: e.is_permanent(),
                        message: e.to_string(),
                    });
            }
        };
        let response = response.map_err(net_error)?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(http_error(
                status,
                response.text().await.unwrap_or_default(),
            ))
        }
    }
}

fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How failed sends are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts over about 4 minutes: 1 s, 2 s, 4 s, ... capped at 2 minutes.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(120),
        }
    }
}

/// Counters, readable while notifications are sent.
#[derive(Debug, Default)]
pub struct NotifyStats {
    pub queued: AtomicU64,
    pub sent: AtomicU64,
    pub retries: AtomicU64,
    pub failed: AtomicU64,
}

/// Sends with retries, each in its own task.
pub async fn send_with_retry(
    target: Arc<Target>,
    n: Arc<Notification>,
    policy: RetryPolicy,
    stats: Arc<NotifyStats>,
) -> Result<u32, SendError> {
    let mut delay = policy.first_delay;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match target.send(&n).await {
            Ok(()) => {
                stats.sent.fetch_add(1, Ordering::Relaxed);
                tracing::info!(target = %target.name, key = %n.key, attempt, "notification sent");
                return Ok(attempt);
            }
            Err(e) if !e.permanent && attempt < policy.max_attempts => {
                stats.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(target = %target.name, key = %n.key, attempt, error = %e.message, ?delay, "notification failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(policy.max_delay);
            }
            Err(e) => {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(target = %target.name, key = %n.key, attempt, error = %e.message, permanent = e.permanent, "notification NOT sent");
                return Err(e);
            }
        }
    }
}

/// The notifier: a queue and the task that serves it.
pub struct Notifier {
    tx: mpsc::Sender<Notification>,
    task: tokio::task::JoinHandle<()>,
    stats: Arc<NotifyStats>,
}

/// At most this many sends in flight at once.
const IN_FLIGHT: usize = 16;

/// Told when the notifier has finished with a notification: every target that accepts
/// it has sent it or given up. Arguments: the notification's key, and the outcome
/// (`sent`, `no target`, or `failed: <targets>`).
pub type OnDone = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// Counts a notification's targets down and reports its outcome when the last finishes.
struct Tally {
    key: String,
    remaining: usize,
    failed: Vec<String>,
    on_done: OnDone,
}

impl Tally {
    fn finish(&mut self, target: &str, ok: bool) {
        if !ok {
            self.failed.push(target.to_owned());
        }
        self.remaining = self.remaining.saturating_sub(1);
        if self.remaining == 0 {
            let outcome = if self.failed.is_empty() {
                "sent".to_owned()
            } else {
                format!("failed: {}", self.failed.join(", "))
            };
            (self.on_done)(&self.key, &outcome);
        }
    }
}

impl Notifier {
    /// Starts serving `targets` on the current Tokio runtime.
    pub fn start(targets: Vec<Target>, policy: RetryPolicy) -> Notifier {
        Notifier::start_inner(targets, policy, None)
    }

    /// Like [`Notifier::start`], and calls `on_done` once per notification when every
    /// target that accepts it has sent it or given up (a cluster marks the alert
    /// delivered in its outbox then).
    pub fn start_with_receipts(
        targets: Vec<Target>,
        policy: RetryPolicy,
        on_done: OnDone,
    ) -> Notifier {
        Notifier::start_inner(targets, policy, Some(on_done))
    }

    fn start_inner(targets: Vec<Target>, policy: RetryPolicy, on_done: Option<OnDone>) -> Notifier {
        let (tx, mut rx) = mpsc::channel::<Notification>(1024);
        let stats = Arc::new(NotifyStats::default());
        let targets: Vec<Arc<Target>> = targets.into_iter().map(Arc::new).collect();
        let task_stats = stats.clone();
        let task = tokio::spawn(async move {
            let permits = Arc::new(Semaphore::new(IN_FLIGHT));
            let mut sends = tokio::task::JoinSet::new();
            while let Some(n) = rx.recv().await {
                let n = Arc::new(n);
                let accepting: Vec<&Arc<Target>> =
                    targets.iter().filter(|t| t.accepts(&n)).collect();
                let tally = on_done.as_ref().map(|f| {
                    Arc::new(std::sync::Mutex::new(Tally {
                        key: n.key.clone(),
                        remaining: accepting.len(),
                        failed: Vec::new(),
                        on_done: f.clone(),
                    }))
                });
                if accepting.is_empty() {
                    if let Some(f) = &on_done {
                        f(&n.key, "no target");
                    }
                }
                for t in accepting {
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        break;
                    };
                    let (t, n, s) = (t.clone(), n.clone(), task_stats.clone());
                    let tally = tally.clone();
                    sends.spawn(async move {
                        let ok = send_with_retry(t.clone(), n, policy, s).await.is_ok();
                        if let Some(tally) = tally {
                            tally
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .finish(&t.name, ok);
                        }
                        drop(permit);
                    });
                }
                while sends.try_join_next().is_some() {}
            }
            // The queue closed: finish what is in flight.
            while sends.join_next().await.is_some() {}
        });
        Notifier { tx, task, stats }
    }

    pub fn stats(&self) -> Arc<NotifyStats> {
        self.stats.clone()
    }

    /// A pipeline output that queues every alert for notification.
    pub fn sink(&self) -> NotifySink {
        NotifySink {
            tx: self.tx.clone(),
            stats: self.stats.clone(),
            overflow: std::collections::VecDeque::new(),
        }
    }

    /// Queues one notification (escalations and SLA events use this).
    pub async fn send(&self, n: Notification) -> Result<(), NotifyError> {
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        self.tx
            .send(n)
            .await
            .map_err(|_| NotifyError::Config("the notifier has stopped".into()))
    }

    /// Queues one notification without waiting (for callers outside async code); fails
    /// only when the queue is full or the notifier stopped.
    pub fn queue(&self, n: Notification) -> Result<(), NotifyError> {
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        self.tx
            .try_send(n)
            .map_err(|e| NotifyError::Config(format!("the notification queue refused it: {e}")))
    }

    /// A cheap handle for queueing from elsewhere.
    pub fn handle(&self) -> NotifyHandle {
        NotifyHandle {
            tx: self.tx.clone(),
            stats: self.stats.clone(),
        }
    }

    /// Stops taking notifications and waits (at most `grace`) for the sends in flight.
    pub async fn shutdown(self, grace: Duration) {
        drop(self.tx);
        let _ = tokio::time::timeout(grace, self.task).await;
    }
}

/// Queues notifications to a running [`Notifier`] from anywhere.
#[derive(Clone)]
pub struct NotifyHandle {
    tx: mpsc::Sender<Notification>,
    stats: Arc<NotifyStats>,
}

impl NotifyHandle {
    pub fn queue(&self, n: Notification) -> Result<(), NotifyError> {
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        self.tx
            .try_send(n)
            .map_err(|e| NotifyError::Config(format!("the notification queue refused it: {e}")))
    }
}

/// The pipeline output of a [`Notifier`]. Never blocks the pipeline: when the queue is
/// full, alerts wait in an overflow list and go on the next emit or flush.
pub struct NotifySink {
    tx: mpsc::Sender<Notification>,
    stats: Arc<NotifyStats>,
    overflow: std::collections::VecDeque<Notification>,
}

impl NotifySink {
    fn drain(&mut self) -> std::io::Result<()> {
        while let Some(n) = self.overflow.pop_front() {
            match self.tx.try_send(n) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(n)) => {
                    self.overflow.push_front(n);
                    break;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    return Err(std::io::Error::other("the notifier has stopped"))
                }
            }
        }
        Ok(())
    }
}

impl firebreak_pipeline::AlertSink for NotifySink {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        self.overflow.push_back(Notification::from_alert(alert));
        self.drain()
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.drain()
    }
}

/// Builds every configured target (reading secrets once, at start).
pub fn build_targets(configs: &[TargetConfig]) -> Result<Vec<Target>, NotifyError> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("firebreak/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| NotifyError::Config(format!("HTTP client: {e}")))?;
    let mut names = std::collections::HashSet::new();
    configs
        .iter()
        .map(|c| {
            if !names.insert(c.name().to_owned()) {
                return Err(NotifyError::Config(format!(
                    "two notification targets are named {:?}; give each a distinct name",
                    c.name()
                )));
            }
            c.build(&http)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_described_without_its_secrets() {
        let slack: TargetConfig = serde_json::from_value(serde_json::json!({
            "kind": "slack", "name": "team",
            "url": "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
            "crisis_only": true
        }))
        .expect("slack");
        let (kind, dest, what) = slack.describe();
        assert_eq!((kind, dest.as_str()), ("slack", "hooks.slack.com"));
        assert!(what.contains("crises only"), "{what}");
        let hook: TargetConfig = serde_json::from_value(serde_json::json!({
            "kind": "webhook", "name": "ops",
            "url": "https://user:pw@ops.example.com:8443/x?token=1"
        }))
        .expect("webhook");
        assert_eq!(hook.describe().1, "ops.example.com:8443");
    }
}
