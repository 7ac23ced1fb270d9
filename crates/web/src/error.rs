use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use firebreak_respond::store::StoreFailure;
use firebreak_respond::InboxError;
use firebreak_store::StoreError;

/// Every way a page or form can fail. Shown as a small page with the reason.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in: pages redirect to the login form.
    #[error("sign in first")]
    SignIn { next: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::SignIn { .. } => StatusCode::SEE_OTHER,
            WebError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl From<InboxError> for WebError {
    fn from(e: InboxError) -> Self {
        match e {
            InboxError::NotFound(_) => WebError::NotFound(e.to_string()),
            InboxError::Forbidden(_) | InboxError::Refused(_) => WebError::Forbidden(e.to_string()),
            InboxError::Case(_) | InboxError::Store(StoreFailure::Conflict(_)) => {
                WebError::Conflict(e.to_string())
            }
            InboxError::Invalid(_) => WebError::BadRequest(e.to_string()),
            InboxError::Delivery(_) => WebError::Unavailable(e.to_string()),
            InboxError::Store(StoreFailure::Other(_)) => WebError::Internal(e.to_string()),
        }
    }
}

impl From<StoreFailure> for WebError {
    fn from(e: StoreFailure) -> Self {
        WebError::from(InboxError::from(e))
    }
}

impl From<firebreak_server::ApiError> for WebError {
    fn from(e: firebreak_server::ApiError) -> Self {
        use firebreak_server::ApiError as A;
        match e {
            A::BadRequest(m) => WebError::BadRequest(m),
            A::Unauthorized(m) => WebError::Unauthorized(m),
            A::Forbidden(m) => WebError::Forbidden(m),
            A::Conflict(m) => WebError::Conflict(m),
            A::NotFound(m) => WebError::NotFound(m),
            A::Unavailable(m) => WebError::Unavailable(m),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("template: {e}"))
    }
}

impl From<tokio::task::JoinError> for WebError {
    fn from(e: tokio::task::JoinError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::SignIn { next } = &self {
            let next = if next.starts_with('/') && !next.starts_with("//") {
                next.as_str()
            } else {
                "/"
            };
            return Redirect::to(&format!("/login?next={}", crate::pages::url_encode(next)))
                .into_response();
        }
        let status = self.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "web request failed");
        }
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code}</title>\
             <link rel=\"stylesheet\" href=\"/static/app.css\"></head><body class=\"error-page\">\
             <main><h1>{code}</h1><p class=\"error\" id=\"error\">{msg}</p><p><a href=\"/\">Firebreak</a></p></main></body></html>",
            code = status.as_u16(),
            msg = crate::pages::escape(&self.to_string()),
        );
        (status, Html(body)).into_response()
    }
}
