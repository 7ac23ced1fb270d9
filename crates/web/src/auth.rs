//! Accounts: argon2 password hashes, sessions in secure cookies, CSRF tokens, rate-limited
//! login, and the role checks of every state-changing action (refusals are audited).

use std::net::SocketAddr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use firebreak_respond::audit::{AuditDraft, Outcome};
use firebreak_respond::guard::{Actor, Role};
use firebreak_store::SessionRecord;
use rand_core::{OsRng, RngCore};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::i18n::Tr;
use crate::{WebError, WebState};

pub const SESSION_COOKIE: &str = "fb_session";
pub const LOGIN_CSRF_COOKIE: &str = "fb_login";

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password needs at least 10 characters")]
    TooShort,
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < 10 {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Checks a password against a PHC string; a malformed hash never verifies.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that both cases take as long.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password at all").unwrap_or_default())
}

/// 32 random bytes, hex.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Compares two tokens in time independent of where they differ.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn secure(state: &WebState, headers: &HeaderMap) -> bool {
    state.settings.secure_cookies.unwrap_or_else(|| {
        headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
    })
}

fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let s = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub name: String,
    pub role: Role,
    pub ui_lang: String,
    pub languages: Vec<String>,
    pub csrf: String,
    pub(crate) token_hash: String,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::new(&self.name, self.role)
    }

    pub fn tr(&self) -> Tr {
        Tr::new(&self.ui_lang)
    }

    /// The form's CSRF token must be the session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if same_token(&self.csrf, token) {
            Ok(())
        } else {
            Err(WebError::Forbidden(
                "the form is stale or forged (CSRF token mismatch): reload the page and try again"
                    .into(),
            ))
        }
    }

    /// Allows the action to `min` and above; a refusal is written to the audit log.
    pub async fn require(
        &self,
        state: &WebState,
        min: Role,
        action: &str,
        target: &str,
    ) -> Result<(), WebError> {
        if self.role >= min {
            return Ok(());
        }
        let why = format!(
            "{} is {} {}; {action} needs {} or above",
            self.name,
            if self.role == Role::Admin { "an" } else { "a" },
            self.role.as_str(),
            min.as_str()
        );
        audit(state, &self.name, action, target, Outcome::Refused, &why).await;
        Err(WebError::Forbidden(why))
    }
}

/// Writes one audit entry; a failure to audit is logged (the action has happened or been
/// refused already).
pub(crate) async fn audit(
    state: &WebState,
    actor: &str,
    action: &str,
    target: &str,
    outcome: Outcome,
    detail: &str,
) {
    let draft = AuditDraft::new(Utc::now(), actor, action, target, outcome, detail);
    let cases = state.cases.clone();
    match tokio::task::spawn_blocking(move || cases.append_audit(&[draft])).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, action, "cannot write the audit log"),
        Err(e) => tracing::error!(error = %e, action, "audit task failed"),
    }
}

impl FromRequestParts<WebState> for CurrentUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, WebError> {
        let not_signed_in = || {
            if parts.method == Method::GET {
                WebError::SignIn {
                    next: parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_else(|| "/".into()),
                }
            } else {
                WebError::Unauthorized("sign in first".into())
            }
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(not_signed_in());
        };
        let hash = sha256_hex(&token);
        let users = state.users.clone();
        let found = tokio::task::spawn_blocking(move || users.session(&hash, Utc::now())).await??;
        let Some((session, user)) = found else {
            return Err(not_signed_in());
        };
        Ok(CurrentUser {
            name: user.name,
            role: user.role,
            ui_lang: user.ui_lang,
            languages: user.languages,
            csrf: session.csrf,
            token_hash: session.token_hash,
        })
    }
}

/// The client's address, when the server was started with connect info.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    csrf: String,
    next: String,
    error: Option<String>,
    name: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

fn browser_lang(headers: &HeaderMap, explicit: Option<&str>) -> String {
    if let Some(l) = explicit.filter(|l| crate::UI_LANGS.contains(l)) {
        return l.to_owned();
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .map(|t| t.split(';').next().unwrap_or("").trim())
                .map(|t| t.split('-').next().unwrap_or("").to_ascii_lowercase())
                .find(|t| crate::UI_LANGS.contains(&t.as_str()))
        })
        .unwrap_or_else(|| "en".into())
}

fn login_form(
    state: &WebState,
    headers: &HeaderMap,
    lang: &str,
    next: String,
    error: Option<String>,
    name: String,
    status: axum::http::StatusCode,
) -> Result<Response, WebError> {
    let csrf = random_token();
    let page = LoginPage {
        tr: Tr::new(lang),
        csrf: csrf.clone(),
        next,
        error,
        name,
    };
    let mut res = (status, Html(page.render()?)).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, secure(state, headers)),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `GET /login`.
pub(crate) async fn login_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, WebError> {
    let lang = browser_lang(&headers, q.lang.as_deref());
    login_form(
        &state,
        &headers,
        &lang,
        local_path(q.next.as_deref()),
        None,
        String::new(),
        axum::http::StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    name: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login`.
pub(crate) async fn login(
    State(state): State<WebState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let lang = browser_lang(&headers, None);
    let tr = Tr::new(&lang);
    let next = local_path(f.next.as_deref());
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !same_token(&expected, &f.csrf) {
        return login_form(
            &state,
            &headers,
            &lang,
            next,
            Some(tr.t("login_stale").into()),
            f.name,
            axum::http::StatusCode::FORBIDDEN,
        );
    }
    let name = f.name.trim().to_owned();
    let keys = vec![format!("ip:{ip}"), format!("user:{name}")];
    let settings = state.settings.clone();
    let users = state.users.clone();
    let check_keys = keys.clone();
    let limited = tokio::task::spawn_blocking(move || -> Result<bool, WebError> {
        let since = Utc::now()
            - chrono::Duration::from_std(settings.login_window)
                .unwrap_or_else(|_| chrono::Duration::minutes(15));
        Ok(
            users.failed_logins_since(&check_keys[0], since)? >= settings.max_failures_per_ip
                || users.failed_logins_since(&check_keys[1], since)?
                    >= settings.max_failures_per_user,
        )
    })
    .await??;
    if limited {
        audit(
            &state,
            &name,
            "session.login",
            &format!("user:{name}"),
            Outcome::Refused,
            &format!("too many failed logins (from {ip})"),
        )
        .await;
        return login_form(
            &state,
            &headers,
            &lang,
            next,
            Some(tr.t("login_limited").into()),
            name,
            axum::http::StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let users = state.users.clone();
    let lookup = name.clone();
    let password = f.password;
    let user = tokio::task::spawn_blocking(move || -> Result<_, WebError> {
        let user = users.get_user(&lookup)?;
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| dummy_hash().to_owned());
        let ok = verify_password(&password, &hash);
        Ok(user.filter(|u| ok && !u.disabled))
    })
    .await??;
    let users = state.users.clone();
    let ok = user.is_some();
    let record_keys = keys.clone();
    tokio::task::spawn_blocking(move || users.record_login_attempt(&record_keys, Utc::now(), ok))
        .await??;
    let Some(user) = user else {
        audit(
            &state,
            &name,
            "session.login",
            &format!("user:{name}"),
            Outcome::Refused,
            &format!("wrong name or password (from {ip})"),
        )
        .await;
        return login_form(
            &state,
            &headers,
            &lang,
            next,
            Some(tr.t("login_failed").into()),
            name,
            axum::http::StatusCode::UNAUTHORIZED,
        );
    };
    let token = random_token();
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(state.settings.session_ttl)
        .unwrap_or_else(|_| chrono::Duration::hours(12));
    let session = SessionRecord {
        token_hash: sha256_hex(&token),
        user: user.name.clone(),
        csrf: random_token(),
        created_at: now,
        expires_at: now + ttl,
    };
    let users = state.users.clone();
    tokio::task::spawn_blocking(move || {
        users.prune_accounts(now, now - chrono::Duration::days(1))?;
        users.create_session(&session)
    })
    .await??;
    audit(
        &state,
        &user.name,
        "session.login",
        &format!("user:{}", user.name),
        Outcome::Done,
        &format!("from {ip}"),
    )
    .await;
    let secure = secure(&state, &headers);
    let mut res = Redirect::to(&next).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &token,
            state.settings.session_ttl.as_secs(),
            secure,
        ),
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, "", 0, secure),
    );
    Ok(res)
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

/// `POST /logout`.
pub(crate) async fn logout(
    State(state): State<WebState>,
    user: CurrentUser,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    user.check_csrf(&f.csrf)?;
    let users = state.users.clone();
    let hash = user.token_hash.clone();
    tokio::task::spawn_blocking(move || users.delete_session(&hash)).await??;
    audit(
        &state,
        &user.name,
        "session.logout",
        &format!("user:{}", user.name),
        Outcome::Done,
        "",
    )
    .await;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, secure(&state, &headers)),
    );
    Ok(res)
}
