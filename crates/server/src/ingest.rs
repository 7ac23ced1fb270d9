//! `POST /api/v1/mentions`: signed ingest of JSON or JSONL.
//!
//! - `Content-Type: application/json`: one Mention object, or an array of them;
//! - `Content-Type: application/x-ndjson`, `application/jsonl` or `text/plain`:
//!   Mention JSONL v1, one per line.
//!
//! When a secret is configured, the `X-Firebreak-Signature` header must be
//! `sha256=` followed by the hex HMAC-SHA256 of the raw body under that secret.
//! Valid mentions are committed before the answer; bad ones are listed with
//! their line (or array index) and reason. The answer is 200 when anything was
//! accepted, 422 when everything was rejected.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use firebreak_core::wire::{decode_json_str, decode_jsonl};
use firebreak_core::Mention;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::value::RawValue;
use sha2::Sha256;

use crate::{ApiError, AppState};

pub const SIGNATURE_HEADER: &str = "x-firebreak-signature";

/// The header value a sender puts on `body` for `secret`.
pub fn signature_for(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let header = headers
        .get(SIGNATURE_HEADER)
        .ok_or_else(|| {
            ApiError::Unauthorized(format!(
                "missing {SIGNATURE_HEADER} header: sign the body with HMAC-SHA256 and send sha256=<hex>"
            ))
        })?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the signature header is not ASCII".into()))?;
    let hex_sig = header.trim().strip_prefix("sha256=").ok_or_else(|| {
        ApiError::Unauthorized("the signature must look like sha256=<hex>".into())
    })?;
    let given = hex::decode(hex_sig)
        .map_err(|_| ApiError::Unauthorized("the signature is not valid hex".into()))?;
    let Ok(mut mac) = <Hmac<Sha256>>::new_from_slice(secret.as_bytes()) else {
        return Err(ApiError::Internal("HMAC key".into()));
    };
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&given)
        .map_err(|_| ApiError::Unauthorized("the signature does not match the body".into()))
}

#[derive(Debug, Serialize)]
pub(crate) struct LineError {
    /// 1-based line (JSONL) or 0-based array index (JSON array).
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<u64>,
    error: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct IngestReply {
    accepted: u64,
    imported: u64,
    duplicates: u64,
    rejected: u64,
    errors: Vec<LineError>,
}

enum BodyKind {
    Json,
    Lines,
}

fn body_kind(headers: &HeaderMap) -> Result<BodyKind, ApiError> {
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "application/json" => Ok(BodyKind::Json),
        "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" | "text/plain" | "" => {
            Ok(BodyKind::Lines)
        }
        other => Err(ApiError::UnsupportedMediaType(format!(
            "content type {other:?} is not accepted; send application/json (an object or an array) or application/x-ndjson (one mention per line)"
        ))),
    }
}

/// The request body, or the error that says why there is none (too large, cut off).
pub(crate) fn read_body(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge {
                limit: state.settings.max_body_bytes,
            }
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })
}

/// Sends `mentions` into the pipeline and waits for their commit (nothing to do for none).
pub(crate) async fn commit(
    state: &AppState,
    mentions: Vec<Mention>,
) -> Result<firebreak_pipeline::BatchOutcome, ApiError> {
    if mentions.is_empty() {
        return Ok(Default::default());
    }
    let submit = firebreak_pipeline::submit(&state.ingest, mentions);
    match tokio::time::timeout(state.settings.ingest_timeout, submit).await {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(e)) => Err(ApiError::Unavailable(format!(
            "{e}; nothing from this request was stored, send it again"
        ))),
        Err(_) => Err(ApiError::Unavailable(
            "the pipeline is saturated; the request may be stored later: send it again (re-sending is safe, ingest is idempotent)".into(),
        )),
    }
}

pub(crate) async fn post_mentions(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<IngestReply>), ApiError> {
    let body = read_body(&state, body)?;
    if let Some(secret) = &state.settings.ingest_secret {
        verify(secret, &headers, &body)?;
    }
    let mut mentions: Vec<Mention> = Vec::new();
    let mut errors = Vec::new();
    match body_kind(&headers)? {
        BodyKind::Lines => {
            for (i, line) in body.split(|b| *b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match decode_jsonl(line) {
                    Ok(m) => mentions.push(m),
                    Err(e) => errors.push(LineError {
                        line: Some(i as u64 + 1),
                        index: None,
                        error: e.to_string(),
                    }),
                }
            }
        }
        BodyKind::Json => {
            let text = std::str::from_utf8(&body).map_err(|e| {
                ApiError::BadRequest(format!("the body is not UTF-8 (byte {})", e.valid_up_to()))
            })?;
            if text.trim_start().starts_with('[') {
                let items: Vec<&RawValue> = serde_json::from_str(text)
                    .map_err(|e| ApiError::BadRequest(format!("invalid JSON array: {e}")))?;
                for (i, item) in items.iter().enumerate() {
                    match decode_json_str(item.get()) {
                        Ok(m) => mentions.push(m),
                        Err(e) => errors.push(LineError {
                            line: None,
                            index: Some(i as u64),
                            error: e.to_string(),
                        }),
                    }
                }
            } else {
                match decode_json_str(text) {
                    Ok(m) => mentions.push(m),
                    Err(e) => errors.push(LineError {
                        line: Some(1),
                        index: None,
                        error: e.to_string(),
                    }),
                }
            }
        }
    }
    let accepted = mentions.len() as u64;
    let outcome = commit(&state, mentions).await?;
    let status = if accepted == 0 && !errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(IngestReply {
            accepted,
            imported: outcome.inserted,
            duplicates: outcome.duplicates,
            rejected: errors.len() as u64,
            errors,
        }),
    ))
}
