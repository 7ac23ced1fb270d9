//! HTTP for the connectors: one client per connector that honours the platform's rate
//! limits and sorts failures into transient (retried with backoff) and permanent (shown
//! on the dashboard until a person fixes the config or the credentials).
//!
//! Rate limits are read from the headers the platforms send:
//! - `Retry-After` (seconds or an HTTP date), on 429 and 503;
//! - `X-RateLimit-Remaining` / `X-RateLimit-Reset` (Mastodon: an ISO 8601 time; Reddit:
//!   seconds until the reset, with a fractional remaining count);
//! - `RateLimit-Remaining` / `RateLimit-Reset` (Bluesky: epoch seconds).
//!
//! When the remaining budget reaches zero, the next request waits for the reset instead
//! of being refused. Every wait ends early on shutdown.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::sources::SourceError;

/// A response that succeeded (2xx or 304).
#[derive(Debug)]
pub struct Fetched {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl Fetched {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Retry policy for one connector's requests.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts after the first for transient failures (network, 5xx).
    pub retries: u32,
    /// The first backoff; it doubles per attempt.
    pub backoff: Duration,
    /// The longest single wait (backoff or rate-limit reset).
    pub max_wait: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 4,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(900),
            timeout: Duration::from_secs(30),
        }
    }
}

/// A rate-limit-aware HTTP client for one connector.
pub struct Http {
    client: reqwest::Client,
    policy: RetryPolicy,
    /// No request before this instant (the platform said the budget is spent).
    not_before: Mutex<Option<Instant>>,
    shutdown: CancellationToken,
}

impl Http {
    pub fn new(policy: RetryPolicy, user_agent: &str, shutdown: CancellationToken) -> Http {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(policy.timeout)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Http {
            client,
            policy,
            not_before: Mutex::new(None),
            shutdown,
        }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sleeps `d`, or less if shutdown comes first; `false` on shutdown.
    pub async fn pause(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.shutdown.cancelled() => false,
        }
    }

    /// Sends the request `build` makes (called again for each attempt), waiting out rate
    /// limits and retrying transient failures. `what` names the request in errors.
    pub async fn send(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Fetched, SourceError> {
        let mut attempt = 0u32;
        loop {
            let wait = {
                let guard = self.not_before.lock().unwrap_or_else(|e| e.into_inner());
                guard.and_then(|t| t.checked_duration_since(Instant::now()))
            };
            if let Some(wait) = wait {
                if !self.pause(wait.min(self.policy.max_wait)).await {
                    return Err(SourceError::Shutdown);
                }
            }
            let result = tokio::select! {
                r = build(&self.client).send() => r,
                _ = self.shutdown.cancelled() => return Err(SourceError::Shutdown),
            };
            let failure = match result {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    self.note_budget(&headers);
                    if status.is_success() || status == StatusCode::NOT_MODIFIED {
                        let body = tokio::select! {
                            b = resp.bytes() => b,
                            _ = self.shutdown.cancelled() => return Err(SourceError::Shutdown),
                        };
                        match body {
                            Ok(body) => {
                                return Ok(Fetched {
                                    status,
                                    headers,
                                    body,
                                })
                            }
                            Err(e) => format!("{what}: the body was cut off: {e}"),
                        }
                    } else if status == StatusCode::TOO_MANY_REQUESTS {
                        let wait = retry_after(&headers, Utc::now())
                            .unwrap_or_else(|| self.backoff(attempt));
                        tracing::warn!(what, wait_s = wait.as_secs_f64(), "rate limited");
                        attempt += 1;
                        if attempt > self.policy.retries + 4 {
                            return Err(SourceError::Transient(format!(
                                "{what}: still rate limited (HTTP 429) after {attempt} attempts"
                            )));
                        }
                        if !self.pause(wait.min(self.policy.max_wait)).await {
                            return Err(SourceError::Shutdown);
                        }
                        continue;
                    } else if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
                        let snippet = snippet(resp).await;
                        format!("{what}: HTTP {status}{snippet}")
                    } else {
                        let snippet = snippet(resp).await;
                        return Err(SourceError::Permanent(permanent_message(
                            what, status, &snippet,
                        )));
                    }
                }
                Err(e) if e.is_builder() => {
                    return Err(SourceError::Permanent(format!(
                        "{what}: the request could not be built ({e}); check the configured URL"
                    )))
                }
                Err(e) => format!("{what}: {}", without_url(&e)),
            };
            if attempt >= self.policy.retries {
                return Err(SourceError::Transient(failure));
            }
            let wait = self.backoff(attempt);
            tracing::debug!(what, attempt, error = %failure, "retrying");
            attempt += 1;
            if !self.pause(wait).await {
                return Err(SourceError::Shutdown);
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.policy
            .backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.policy.max_wait)
    }

    /// Records when the budget is spent, so the next request waits for the reset.
    fn note_budget(&self, headers: &HeaderMap) {
        if let Some(wait) = budget_wait(headers, Utc::now()) {
            let mut guard = self.not_before.lock().unwrap_or_else(|e| e.into_inner());
            *guard = Some(Instant::now() + wait);
        }
    }
}

async fn snippet(resp: reqwest::Response) -> String {
    match resp.text().await {
        Ok(t) if !t.trim().is_empty() => {
            let t: String = t.trim().chars().take(200).collect();
            format!(": {t}")
        }
        _ => String::new(),
    }
}

fn permanent_message(what: &str, status: StatusCode, snippet: &str) -> String {
    let fix = match status.as_u16() {
        401 => "the credentials were refused; check the token or secret in the connector's config",
        403 => "access is forbidden; check the token's scopes and the account's permissions",
        404 => "not found; check the configured URL, account id or query",
        _ => "the platform refused the request; check the connector's config",
    };
    format!("{what}: HTTP {status}{snippet} ({fix})")
}

/// reqwest errors print the URL, which may hold a token in its query: keep the kind only.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the body was cut off"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind} ({detail})")
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// How long `Retry-After` (or, failing that, the rate-limit reset) says to wait.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    if let Some(v) = header(headers, "retry-after") {
        if let Ok(secs) = v.parse::<f64>() {
            if secs.is_finite() && secs >= 0.0 {
                return Some(Duration::from_secs_f64(secs.min(86_400.0)));
            }
        }
        if let Ok(at) = DateTime::parse_from_rfc2822(v) {
            return Some(until(at.with_timezone(&Utc), now));
        }
    }
    reset_in(headers, now)
}

/// When the remaining budget is zero: how long until it resets.
pub fn budget_wait(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let remaining = header(headers, "x-ratelimit-remaining")
        .or_else(|| header(headers, "ratelimit-remaining"))?
        .parse::<f64>()
        .ok()?;
    if remaining >= 1.0 {
        return None;
    }
    reset_in(headers, now)
}

/// The reset header as a wait: an RFC 3339 time (Mastodon), epoch seconds (Bluesky), or
/// seconds from now (Reddit, the IETF draft).
fn reset_in(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let v = header(headers, "x-ratelimit-reset").or_else(|| header(headers, "ratelimit-reset"))?;
    if let Ok(at) = DateTime::parse_from_rfc3339(v) {
        return Some(until(at.with_timezone(&Utc), now));
    }
    let n = v
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)?;
    if n > 1e9 {
        let at = DateTime::from_timestamp(n as i64, 0)?;
        Some(until(at, now))
    } else {
        Some(Duration::from_secs_f64(n.min(86_400.0)))
    }
}

fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (at - now).to_std().unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).expect("test header"),
            );
        }
        h
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn mastodon_spent_budget_waits_until_the_iso_reset() {
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "2026-11-22T10:05:00.000Z"),
        ]);
        assert_eq!(budget_wait(&h, now()), Some(Duration::from_secs(300)));
    }

    #[test]
    fn reddit_fractional_budget_and_relative_reset() {
        let spent = headers(&[
            ("x-ratelimit-remaining", "0.0"),
            ("x-ratelimit-reset", "42"),
        ]);
        assert_eq!(budget_wait(&spent, now()), Some(Duration::from_secs(42)));
        let left = headers(&[
            ("x-ratelimit-remaining", "12.0"),
            ("x-ratelimit-reset", "42"),
        ]);
        assert_eq!(budget_wait(&left, now()), None);
    }

    #[test]
    fn bluesky_epoch_reset() {
        let at = now().timestamp() + 90;
        let h = headers(&[
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", &at.to_string()),
        ]);
        assert_eq!(budget_wait(&h, now()), Some(Duration::from_secs(90)));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")]), now()),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Sun, 22 Nov 2026 10:00:30 GMT")]),
                now()
            ),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_after(&headers(&[]), now()), None);
    }
}
