//! Fake Mastodon, Reddit and feed servers. Their items are the fixtures (the platforms'
//! documented payloads) with fresh ids and times; pagination, Link headers and
//! rate-limit headers follow the platforms' documentation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn fixture(path: &str) -> String {
    let p = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// What a fake should do to the n-th request (1-based) of its main listing.
#[derive(Clone, Default)]
pub struct Faults {
    /// Requests answered 429 with `Retry-After: 1`.
    pub rate_limited: Vec<usize>,
    /// Requests answered 503.
    pub unavailable: Vec<usize>,
}

// ---------------------------------------------------------------- Mastodon

pub struct FakeMastodon {
    pub url: String,
    state: Arc<MastodonState>,
}

struct MastodonState {
    base: String,
    notifications: Mutex<Vec<Value>>,
    template: Value,
    requests: AtomicUsize,
    faults: Faults,
    posted: Mutex<Vec<HashMap<String, String>>>,
    idempotency: Mutex<Vec<String>>,
    streams: AtomicUsize,
}

impl FakeMastodon {
    pub async fn start(faults: Faults) -> FakeMastodon {
        let template: Vec<Value> =
            serde_json::from_str(&fixture("mastodon/notifications.json")).expect("fixture");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(MastodonState {
            base: base.clone(),
            notifications: Mutex::new(Vec::new()),
            template: template[0].clone(),
            requests: AtomicUsize::new(0),
            faults,
            posted: Mutex::new(Vec::new()),
            idempotency: Mutex::new(Vec::new()),
            streams: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/api/v1/accounts/verify_credentials", get(verify))
            .route("/api/v1/notifications", get(notifications))
            .route("/api/v1/statuses", post(post_status))
            .route("/api/v1/streaming/user", get(streaming))
            .with_state(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeMastodon { url: base, state }
    }

    /// Adds `n` mention notifications; returns the mention ids they will be stored as.
    pub fn add(&self, n: usize) -> Vec<String> {
        let mut list = self.state.notifications.lock().expect("lock");
        let mut ids = Vec::new();
        for _ in 0..n {
            let k = list.len() as u64 + 1;
            let mut v = self.state.template.clone();
            let status_id = (113_600_000_000_000_000u64 + k).to_string();
            v["id"] = json!((90_000 + k).to_string());
            v["status"]["id"] = json!(status_id);
            v["status"]["content"] = json!(format!(
                "<p><span class=\"h-card\"><a href=\"https://mastodon.social/@velora\" class=\"u-url mention\">@<span>velora</span></a></span> Bestellung {k} ist kaputt angekommen</p>"
            ));
            ids.push(format!("mastodon:{status_id}"));
            list.push(v);
        }
        ids
    }

    /// Adds a mention notification whose status has lost its `account` (malformed).
    pub fn add_malformed(&self) {
        let mut list = self.state.notifications.lock().expect("lock");
        let k = list.len() as u64 + 1;
        let mut v = self.state.template.clone();
        v["id"] = json!((90_000 + k).to_string());
        v["status"]["id"] = json!((113_600_000_000_000_000u64 + k).to_string());
        if let Some(status) = v["status"].as_object_mut() {
            status.remove("account");
        }
        list.push(v);
    }

    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Streaming connections opened.
    pub fn streams(&self) -> usize {
        self.state.streams.load(Ordering::SeqCst)
    }

    pub fn posted(&self) -> Vec<HashMap<String, String>> {
        self.state.posted.lock().expect("lock").clone()
    }

    pub fn idempotency_keys(&self) -> Vec<String> {
        self.state.idempotency.lock().expect("lock").clone()
    }
}

async fn verify() -> impl IntoResponse {
    axum::Json(json!({"id": "109871234567890123", "username": "velora", "acct": "velora"}))
}

fn id_num(v: &Value) -> u64 {
    v["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

async fn notifications(
    State(s): State<Arc<MastodonState>>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let n = s.requests.fetch_add(1, Ordering::SeqCst) + 1;
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer test-token") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "The access token is invalid"})),
        )
            .into_response();
    }
    if s.faults.rate_limited.contains(&n) {
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"error": "Too many requests"})),
        )
            .into_response();
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
        return r;
    }
    if s.faults.unavailable.contains(&n) {
        return (StatusCode::SERVICE_UNAVAILABLE, "upstream down").into_response();
    }
    let param = |k: &str| q.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    let limit: usize = param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(15)
        .min(80);
    let min_id: Option<u64> = param("min_id").and_then(|v| v.parse().ok());
    let list = s.notifications.lock().expect("lock").clone();
    // Mastodon: with min_id, the page immediately newer than it; otherwise the newest.
    let mut page: Vec<Value> = match min_id {
        Some(min) => list
            .iter()
            .filter(|v| id_num(v) > min)
            .take(limit)
            .cloned()
            .collect(),
        None => list.iter().rev().take(limit).cloned().collect(),
    };
    page.sort_by_key(|v| std::cmp::Reverse(id_num(v)));
    let mut r = axum::Json(Value::Array(page.clone())).into_response();
    let h = r.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from_static("300"));
    h.insert("x-ratelimit-remaining", HeaderValue::from_static("299"));
    h.insert(
        "x-ratelimit-reset",
        HeaderValue::from_static("2026-11-22T10:05:00.000Z"),
    );
    if let (Some(newest), Some(oldest)) = (page.first(), page.last()) {
        let link = format!(
            "<{b}/api/v1/notifications?max_id={o}>; rel=\"next\", <{b}/api/v1/notifications?min_id={n}>; rel=\"prev\"",
            b = s.base,
            o = id_num(oldest),
            n = id_num(newest)
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            h.insert("link", v);
        }
    }
    r
}

/// The user stream: the fixture, in 97-byte chunks. The first connection is cut in the
/// middle (mid-event); later ones send it all and stay open a while.
async fn streaming(State(s): State<Arc<MastodonState>>) -> Response {
    let n = s.streams.fetch_add(1, Ordering::SeqCst) + 1;
    let body = fixture("mastodon/stream.txt").into_bytes();
    let end = if n == 1 { body.len() / 2 } else { body.len() };
    let chunks: Vec<Vec<u8>> = body[..end].chunks(97).map(<[u8]>::to_vec).collect();
    let stream = futures_util::stream::unfold((chunks.into_iter(), n), |(mut it, n)| async move {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        match it.next() {
            Some(c) => Some((Ok::<_, std::io::Error>(c), (it, n))),
            None if n > 1 => {
                tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                None
            }
            None => None,
        }
    });
    let mut r = axum::body::Body::from_stream(stream).into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/event-stream"),
    );
    r
}

async fn post_status(
    State(s): State<Arc<MastodonState>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    if let Some(k) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        s.idempotency.lock().expect("lock").push(k.to_owned());
    }
    let mut posted = s.posted.lock().expect("lock");
    posted.push(form.clone());
    let mut v: Value =
        serde_json::from_str(&fixture("mastodon/posted_status.json")).expect("fixture");
    v["id"] = json!(format!("1137000000000000{:02}", posted.len()));
    v["visibility"] = json!(form.get("visibility").cloned().unwrap_or_default());
    axum::Json(v).into_response()
}

// ---------------------------------------------------------------- Reddit

pub struct FakeReddit {
    pub url: String,
    state: Arc<RedditState>,
}

struct RedditState {
    comments: Mutex<Vec<Value>>,
    template: Value,
    tokens: AtomicUsize,
    requests: AtomicUsize,
    faults: Faults,
    posted: Mutex<Vec<HashMap<String, String>>>,
}

impl FakeReddit {
    pub async fn start(faults: Faults) -> FakeReddit {
        let listing: Vec<Value> =
            serde_json::from_str(&fixture("reddit/comments.json")).expect("fixture");
        let mut template = listing[1]["data"]["children"][0].clone();
        template["data"]["replies"] = json!("");
        let state = Arc::new(RedditState {
            comments: Mutex::new(Vec::new()),
            template,
            tokens: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            faults,
            posted: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/api/v1/access_token", post(reddit_token))
            .route("/r/ebikes/comments", get(reddit_comments))
            .route("/r/ebikes/search", get(reddit_empty_search))
            .route("/api/comment", post(reddit_comment))
            .with_state(state.clone());
        let url = serve(app).await;
        FakeReddit { url, state }
    }

    /// Adds `n` comments, one second apart after `t0`; returns their mention ids.
    pub fn add(&self, n: usize, t0: i64) -> Vec<String> {
        let mut list = self.state.comments.lock().expect("lock");
        let mut ids = Vec::new();
        for _ in 0..n {
            let k = list.len() as i64 + 1;
            let mut v = self.state.template.clone();
            let id = format!("c{k:06}");
            v["data"]["id"] = json!(id);
            v["data"]["name"] = json!(format!("t1_{id}"));
            v["data"]["created_utc"] = json!((t0 + k) as f64);
            v["data"]["body"] = json!(format!("La mia Velora numero {k} si spegne in salita"));
            ids.push(format!("reddit:t1_{id}"));
            list.push(v);
        }
        ids
    }

    pub fn tokens_issued(&self) -> usize {
        self.state.tokens.load(Ordering::SeqCst)
    }

    pub fn posted(&self) -> Vec<HashMap<String, String>> {
        self.state.posted.lock().expect("lock").clone()
    }
}

async fn reddit_token(State(s): State<Arc<RedditState>>, headers: HeaderMap) -> Response {
    // client_id "app", secret "s3cret-s3cret-s3cret": Basic YXBwOnMzY3JldC1zM2NyZXQtczNjcmV0
    let ok = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some("Basic YXBwOnMzY3JldC1zM2NyZXQtczNjcmV0");
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "Unauthorized", "error": 401})),
        )
            .into_response();
    }
    let n = s.tokens.fetch_add(1, Ordering::SeqCst) + 1;
    axum::Json(json!({"access_token": format!("tok-{n}"), "token_type": "bearer", "expires_in": 86400, "scope": "*"})).into_response()
}

async fn reddit_comments(
    State(s): State<Arc<RedditState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let n = s.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !auth.starts_with("Bearer tok-") {
        return (StatusCode::UNAUTHORIZED, "no token").into_response();
    }
    if s.faults.rate_limited.contains(&n) {
        let mut r = (StatusCode::TOO_MANY_REQUESTS, "slow down").into_response();
        r.headers_mut()
            .insert("x-ratelimit-remaining", HeaderValue::from_static("0.0"));
        r.headers_mut()
            .insert("x-ratelimit-reset", HeaderValue::from_static("1"));
        return r;
    }
    if s.faults.unavailable.contains(&n) {
        return (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>").into_response();
    }
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(25)
        .min(100);
    let list = s.comments.lock().expect("lock").clone();
    // Newest first; `after` continues below the given fullname.
    let mut newest_first: Vec<Value> = list.into_iter().rev().collect();
    if let Some(after) = q.get("after") {
        if let Some(i) = newest_first
            .iter()
            .position(|v| v["data"]["name"] == json!(after))
        {
            newest_first.drain(..=i);
        }
    }
    let page: Vec<Value> = newest_first.iter().take(limit).cloned().collect();
    let after = (newest_first.len() > limit)
        .then(|| page.last().map(|v| v["data"]["name"].clone()))
        .flatten()
        .unwrap_or(Value::Null);
    let body = json!({"kind": "Listing", "data": {"after": after, "dist": page.len(), "modhash": "", "geo_filter": "", "children": page, "before": null}});
    let mut r = axum::Json(body).into_response();
    r.headers_mut()
        .insert("x-ratelimit-used", HeaderValue::from_static("1"));
    r.headers_mut()
        .insert("x-ratelimit-remaining", HeaderValue::from_static("99.0"));
    r.headers_mut()
        .insert("x-ratelimit-reset", HeaderValue::from_static("300"));
    r
}

/// A search that finds no posts (the test watches comments).
async fn reddit_empty_search() -> Response {
    axum::Json(json!({"kind": "Listing", "data": {"after": null, "dist": 0, "modhash": "", "geo_filter": "", "children": [], "before": null}})).into_response()
}

async fn reddit_comment(
    State(s): State<Arc<RedditState>>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    s.posted.lock().expect("lock").push(form);
    axum::Json(
        serde_json::from_str::<Value>(&fixture("reddit/comment_posted.json")).expect("fixture"),
    )
    .into_response()
}

// ---------------------------------------------------------------- feeds

pub struct FakeFeed {
    pub url: String,
    state: Arc<FeedState>,
}

struct FeedState {
    body: Mutex<String>,
    etag: Mutex<String>,
    requests: AtomicUsize,
    not_modified: AtomicUsize,
}

impl FakeFeed {
    pub async fn start(body: String) -> FakeFeed {
        let state = Arc::new(FeedState {
            body: Mutex::new(body),
            etag: Mutex::new("\"v1\"".into()),
            requests: AtomicUsize::new(0),
            not_modified: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/feed", get(feed))
            .with_state(state.clone());
        let url = serve(app).await;
        FakeFeed {
            url: format!("{url}/feed"),
            state,
        }
    }

    pub fn replace(&self, body: String, etag: &str) {
        *self.state.body.lock().expect("lock") = body;
        *self.state.etag.lock().expect("lock") = etag.into();
    }

    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    pub fn not_modified(&self) -> usize {
        self.state.not_modified.load(Ordering::SeqCst)
    }
}

async fn feed(State(s): State<Arc<FeedState>>, headers: HeaderMap) -> Response {
    s.requests.fetch_add(1, Ordering::SeqCst);
    let etag = s.etag.lock().expect("lock").clone();
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        s.not_modified.fetch_add(1, Ordering::SeqCst);
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let body = s.body.lock().expect("lock").clone();
    let mut r = body.into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/rss+xml; charset=UTF-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        r.headers_mut().insert("etag", v);
    }
    r
}

// ---------------------------------------------------------------- Bluesky AppView

pub struct FakeAppView {
    pub url: String,
    pub threads: Arc<AtomicUsize>,
    /// The `actors` of each `getProfiles` call.
    pub profile_calls: Arc<Mutex<Vec<Vec<String>>>>,
    pub searches: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

impl FakeAppView {
    pub async fn start() -> FakeAppView {
        let threads = Arc::new(AtomicUsize::new(0));
        let searches = Arc::new(Mutex::new(Vec::new()));
        let (t, s) = (threads.clone(), searches.clone());
        let profile_calls = Arc::new(Mutex::new(Vec::new()));
        let p = profile_calls.clone();
        let app = Router::new()
            .route(
                "/xrpc/app.bsky.actor.getProfiles",
                // A DID with "star" in it has 750,000 followers and is verified; others 12.
                get(move |axum::extract::RawQuery(q): axum::extract::RawQuery| {
                    let p = p.clone();
                    async move {
                        let actors: Vec<String> = q
                            .unwrap_or_default()
                            .split('&')
                            .filter_map(|kv| kv.strip_prefix("actors="))
                            .map(|d| d.replace("%3A", ":"))
                            .collect();
                        let profiles: Vec<Value> = actors
                            .iter()
                            .map(|d| {
                                let star = d.contains("star");
                                json!({
                                    "did": d,
                                    "handle": "someone.bsky.social",
                                    "followersCount": if star { 750_000 } else { 12 },
                                    "verification": {"verifiedStatus": if star { "valid" } else { "none" }},
                                })
                            })
                            .collect();
                        p.lock().expect("lock").push(actors);
                        Json(json!({ "profiles": profiles }))
                    }
                }),
            )
            .route(
                "/xrpc/app.bsky.feed.getPostThread",
                get(move || {
                    let t = t.clone();
                    async move {
                        t.fetch_add(1, Ordering::SeqCst);
                        (
                            [("content-type", "application/json")],
                            fixture("bluesky/thread.json"),
                        )
                    }
                }),
            )
            .route(
                "/xrpc/app.bsky.feed.searchPosts",
                get(move |Query(q): Query<HashMap<String, String>>| {
                    let s = s.clone();
                    async move {
                        let first = {
                            let mut seen = s.lock().expect("lock");
                            seen.push(q);
                            seen.len() == 1
                        };
                        let body = if first {
                            fixture("bluesky/search_posts.json")
                        } else {
                            fixture("bluesky/search_posts_last.json")
                        };
                        let mut r = ([("content-type", "application/json")], body).into_response();
                        r.headers_mut()
                            .insert("ratelimit-remaining", HeaderValue::from_static("2999"));
                        r
                    }
                }),
            );
        let url = serve(app).await;
        FakeAppView {
            url,
            threads,
            profile_calls,
            searches,
        }
    }
}
