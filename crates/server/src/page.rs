//! `GET /`: a plain server-rendered overview (the full web app arrives with
//! its own issue). Every value from a mention is HTML-escaped.

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use firebreak_store::MentionQuery;

use crate::{blocking, ApiError, AppState};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) async fn overview(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let store = state.store.clone();
    let (count, channels, latest) = blocking(move || {
        Ok((
            store.count_mentions()?,
            store.channel_stats()?,
            store.search_mentions(&MentionQuery {
                limit: 25,
                ..Default::default()
            })?,
        ))
    })
    .await?;
    let mut html = String::with_capacity(16 * 1024);
    html.push_str(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Firebreak</title>\
         <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}\
         td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}\
         code{background:#f4f4f4;padding:0 .2rem}</style></head><body>",
    );
    html.push_str(&format!(
        "<h1>Firebreak</h1><p>{count} mentions stored in {} channel(s), store: <code>{}</code>.</p>",
        channels.len(),
        state.store.backend()
    ));
    html.push_str("<h2>Channels</h2><table><tr><th>channel</th><th>platforms</th><th>mentions</th><th>first</th><th>last</th></tr>");
    for c in &channels {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&c.channel),
            escape(&c.platforms.join(", ")),
            c.mentions,
            c.first_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            c.last_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ));
    }
    html.push_str("</table><h2>Latest mentions</h2><table><tr><th>time</th><th>channel</th><th>author</th><th>followers</th><th>text</th></tr>");
    for m in &latest.mentions {
        let m = &m.mention;
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            m.created_at.to_rfc3339(),
            escape(m.channel.as_str()),
            escape(m.author.handle.as_deref().unwrap_or(m.author.id.as_str())),
            m.author.followers,
            escape(&m.text),
        ));
    }
    html.push_str(
        "</table><h2>API</h2><ul><li><a href=\"/api/v1/stats\">/api/v1/stats</a></li>\
         <li><a href=\"/api/v1/mentions?limit=20\">/api/v1/mentions?limit=20</a> (filters: channel, platform, kind, lang, author, q, since, until, limit, after)</li>\
         <li><a href=\"/health\">/health</a></li></ul></body></html>",
    );
    Ok((
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
        )],
        Html(html),
    ))
}
