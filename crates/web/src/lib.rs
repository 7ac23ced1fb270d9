//! Firebreak's web app, served by `firebreak serve` next to the API.
//!
//! Server-rendered pages (askama templates, compiled into the binary), one small
//! JavaScript file and one CSS file served from the binary (no Node, no CDN), charts drawn
//! as SVG on the server, live updates over server-sent events.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /login`, `POST /login` | anyone | sign in (argon2, rate limited per IP and per user) |
//! | `POST /logout` | signed in | end the session |
//! | `GET /` | signed in | overview: per channel volume and negative share, sentiment by language, response times, alerts, crises, unanswered negatives, SLA breaches |
//! | `GET /overview/live` | signed in | the overview's live part (HTML fragment, refreshed over SSE) |
//! | `GET /explorer` | signed in | mention search and filters; `?author=platform:id` opens the author panel |
//! | `GET /inbox`, `GET /inbox/live` | signed in | the queue by priority with SLA countdowns |
//! | `GET /cases/{id}` | signed in | a case with its thread, timeline, replies and the reply composer |
//! | `POST /cases/{id}/reply` | agent+ | send (record) a reply through the inbox |
//! | `POST /cases/{id}/action` | agent+ | acknowledge, start, resolve, close, move to private, follow-up contact, note |
//! | `POST /ui/lint` | signed in | the live linter of the composer (JSON) |
//! | `GET /settings`, `POST /settings/me` | signed in | own UI language |
//! | `POST /settings/tokens`, `POST /settings/tokens/revoke` | signed in (another user's token: admin) | create one's API tokens (shown once), revoke one |
//! | `POST /settings/users`, `POST /settings/users/{name}` | admin | add users, change roles, reset passwords, disable |
//! | `GET /events` | signed in | server-sent events: `alert`, `mentions`, `cases` |
//! | `GET /static/app.js`, `GET /static/app.css` | anyone | the assets |
//!
//! Security: every page carries a Content-Security-Policy without inline script
//! (`script-src 'self'`); every value is escaped by the templates; the session cookie is
//! HttpOnly, SameSite=Strict and Secure behind HTTPS; every form post carries the session's
//! CSRF token and cross-origin posts are refused; every state-changing action is
//! authorised here and again by the inbox, and audited (refusals too).

mod auth;
mod charts;
mod crises;
mod error;
mod i18n;
mod live;
mod pages;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use firebreak_respond::store::CaseStore;
use firebreak_store::{Insights, UserStore};

pub use crate::auth::{hash_password, verify_password, CurrentUser, PasswordError};
pub use crate::error::WebError;
pub use crate::i18n::{UI_LANGS, UI_LANG_NAMES};
pub use crate::live::LiveFeed;
pub use crate::pages::valid_user_name;

/// A random password for a new account (20 hex characters, 80 bits), shown once.
pub fn generate_password() -> String {
    auth::random_token()[..20].to_owned()
}

/// A fresh API token (`fbk_` and 256 random bits); only its SHA-256 is stored.
pub fn generate_api_token() -> String {
    format!("fbk_{}", auth::random_token())
}

/// The Content-Security-Policy of every page: no inline script, no inline style, nothing
/// from elsewhere.
pub const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Settings of the web app.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Secure cookies: `Some(true)` always, `Some(false)` never, `None` when the request
    /// came over HTTPS (`X-Forwarded-Proto: https` from the proxy in front).
    pub secure_cookies: Option<bool>,
    /// How long a session lasts.
    pub session_ttl: Duration,
    /// Failed logins per IP address within `login_window` before logins are refused.
    pub max_failures_per_ip: u64,
    /// Failed logins per user name within `login_window` before logins are refused.
    pub max_failures_per_user: u64,
    pub login_window: Duration,
    /// The notification targets, as the settings page shows them (no secrets).
    pub notify_targets: Vec<NotifyTarget>,
}

/// One notification target on the settings page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyTarget {
    pub kind: String,
    pub name: String,
    /// Where it sends: a host, a room, recipients.
    pub destination: String,
    /// What it receives.
    pub receives: String,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            secure_cookies: None,
            session_ttl: Duration::from_secs(12 * 3600),
            max_failures_per_ip: 20,
            max_failures_per_user: 5,
            login_window: Duration::from_secs(15 * 60),
            notify_targets: Vec::new(),
        }
    }
}

/// What every web handler gets.
#[derive(Clone)]
pub struct WebState {
    /// The API's state: mentions, ingest, the inbox, the linter.
    pub app: firebreak_server::AppState,
    /// Where the audit log and cases live (also when the inbox is off).
    pub cases: Arc<dyn CaseStore>,
    pub users: Arc<dyn UserStore>,
    pub insights: Arc<dyn Insights>,
    /// The alert log: the alerts the overview lists (they outlive a restart).
    pub alerts: Arc<dyn firebreak_store::AlertLog>,
    pub live: LiveFeed,
    pub settings: Arc<WebSettings>,
}

/// The web app's routes. Merge the API behind it, e.g.
/// `firebreak_web::router(web).fallback_service(firebreak_server::router(api))`.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/overview/live", get(pages::overview_live))
        .route("/explorer", get(pages::explorer))
        .route("/inbox", get(pages::inbox_page))
        .route("/inbox/live", get(pages::inbox_live))
        .route("/cases/{id}", get(pages::case_view))
        .route("/cases/{id}/reply", post(pages::case_reply))
        .route("/cases/{id}/action", post(pages::case_action))
        .route("/ui/lint", post(pages::lint))
        .route("/crises", get(crises::list))
        .route("/crises/{id}", get(crises::room_page))
        .route("/crises/{id}/action", post(crises::act))
        .route("/crises/{id}/report", get(crises::report))
        .route("/plan", get(crises::plan_page))
        .route(
            "/plan/edit",
            get(crises::plan_edit_page).post(crises::plan_save),
        )
        .route("/settings", get(pages::settings))
        .route("/settings/me", post(pages::settings_me))
        .route("/settings/password", post(pages::change_password))
        .route("/settings/tokens", post(pages::create_token))
        .route("/settings/tokens/revoke", post(pages::revoke_token))
        .route("/settings/users", post(pages::add_user))
        .route("/settings/users/{name}", post(pages::change_user))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/events", get(live::events))
        .route("/static/app.js", get(asset_js))
        .route("/static/app.css", get(asset_css))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(same_origin_posts))
        .with_state(state)
}

const APP_JS: &str = include_str!("../static/app.js");
const APP_CSS: &str = include_str!("../static/app.css");

async fn asset_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        APP_JS,
    )
        .into_response()
}

async fn asset_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        APP_CSS,
    )
        .into_response()
}

/// CSP and the other protective headers on every response of the web app.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// Refuses a POST whose `Origin` names another site (a second line behind the CSRF token
/// and SameSite=Strict).
async fn same_origin_posts(req: Request, next: Next) -> Response {
    if req.method() == axum::http::Method::POST {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok());
        if let (Some(origin), Some(host)) = (origin, host) {
            let origin_host = origin.split("://").nth(1).unwrap_or(origin);
            if origin == "null" || origin_host != host {
                return WebError::Forbidden("cross-site form posts are refused".into())
                    .into_response();
            }
        }
    }
    next.run(req).await
}
