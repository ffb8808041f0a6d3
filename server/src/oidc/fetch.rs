//! The relying party's HTTP client: GET JSON (discovery, JWKS) and POST a form (the token endpoint).
//! Answers are read up to a size limit, a redirect is an error (never followed: a JWKS URL that
//! redirects could hand keydesk somebody else's keys), and every call is bounded in time.

use base64::Engine as _;
use http::{header, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Why a fetch failed. Never carries a body, a token or a secret: only what may be logged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("the address is not a valid URL")]
    BadUrl,
    #[error("the provider answered with a redirect (not followed)")]
    Redirect,
    #[error("the provider answered HTTP {0}")]
    Status(u16),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("no answer within {0} s")]
    Timeout(u64),
    #[error("the provider cannot be reached: {0}")]
    Transport(String),
    #[error("the answer is not the JSON expected: {0}")]
    NotJson(String),
}

#[derive(Clone)]
pub struct Fetcher {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl Fetcher {
    pub fn new(timeout: Duration) -> Result<Self, String> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(std::sync::Arc::new(rustls_provider()))
            .map_err(|e| format!("TLS set-up failed: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(https);
        Ok(Self { client, timeout })
    }

    /// GET `url` and parse the answer as JSON, reading at most `limit` bytes.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &str, limit: usize) -> Result<T, FetchError> {
        self.get(url, None, limit).await
    }

    /// [`Fetcher::get_json`] with a bearer token (the userinfo endpoint).
    pub async fn get_json_bearer<T: DeserializeOwned>(&self, url: &str, token: &str, limit: usize) -> Result<T, FetchError> {
        self.get(url, Some(token), limit).await
    }

    async fn get<T: DeserializeOwned>(&self, url: &str, bearer: Option<&str>, limit: usize) -> Result<T, FetchError> {
        let mut req = Request::builder().method(Method::GET).uri(url).header(header::ACCEPT, "application/json, application/jwk-set+json");
        if let Some(token) = bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let req = req.body(Full::new(Bytes::new())).map_err(|_| FetchError::BadUrl)?;
        let (status, body) = self.send(req, limit).await?;
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        serde_json::from_slice(&body).map_err(|e| FetchError::NotJson(e.to_string()))
    }

    /// POST a form with HTTP Basic client authentication (RFC 6749 §2.3.1: both parts form-encoded) and
    /// parse the answer as JSON, whatever its status: a token endpoint explains a refusal in JSON.
    pub async fn post_form<T: DeserializeOwned>(
        &self,
        url: &str,
        basic: (&str, &str),
        form: &[(&str, &str)],
        limit: usize,
    ) -> Result<(StatusCode, T), FetchError> {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(basic.0), enc(basic.1)));
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let req = Request::builder()
            .method(Method::POST)
            .uri(url)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::AUTHORIZATION, format!("Basic {credentials}"))
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| FetchError::BadUrl)?;
        let (status, body) = self.send(req, limit).await?;
        let parsed = serde_json::from_slice(&body).map_err(|e| FetchError::NotJson(e.to_string()));
        match parsed {
            Ok(v) => Ok((status, v)),
            Err(_) if !status.is_success() => Err(FetchError::Status(status.as_u16())),
            Err(e) => Err(e),
        }
    }

    async fn send(&self, req: Request<Full<Bytes>>, limit: usize) -> Result<(StatusCode, Bytes), FetchError> {
        let secs = self.timeout.as_secs();
        let work = async {
            let res = self.client.request(req).await.map_err(|e| FetchError::Transport(error_chain(&e)))?;
            let status = res.status();
            if status.is_redirection() {
                return Err(FetchError::Redirect);
            }
            let declared = res.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
            if declared.is_some_and(|n| n > limit) {
                return Err(FetchError::TooLarge(limit));
            }
            let body = Limited::new(res.into_body(), limit).collect().await.map_err(|e| {
                if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                    FetchError::TooLarge(limit)
                } else {
                    FetchError::Transport(e.to_string())
                }
            })?;
            Ok((status, body.to_bytes()))
        };
        tokio::time::timeout(self.timeout, work).await.map_err(|_| FetchError::Timeout(secs))?
    }
}

/// The same rustls provider the AWS SDK and the SMTP client use (aws-lc-rs).
fn rustls_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// A transport error with its causes ("connection refused"), which hyper's top-level message hides.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
