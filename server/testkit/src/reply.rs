//! One HTTP reply, whether it came from the router in process or from a keydesk process over TCP, and
//! the form request a browser sends.

use axum::body::Body;
use http::{header, HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::BodyExt;

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// Read a response from the router to the end.
    pub async fn read(res: Response<Body>) -> Self {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// Parse a whole HTTP/1.1 response as read from a socket (`Connection: close`, no chunking).
    pub fn parse(raw: &[u8]) -> Self {
        let text = String::from_utf8_lossy(raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse::<u16>().ok());
        let status = status.and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::BAD_GATEWAY);
        let mut headers = HeaderMap::new();
        for (k, v) in lines.filter_map(|l| l.split_once(':')) {
            if let (Ok(k), Ok(v)) = (header::HeaderName::from_bytes(k.trim().as_bytes()), HeaderValue::from_str(v.trim())) {
                headers.append(k, v);
            }
        }
        Reply { status, headers, body: body.to_owned() }
    }

    /// The first value of header `name`, if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The session cookie this response sets (`name=value`), if any and not a removal.
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookie_headers().into_iter().find_map(|c| {
            let pair = c.split(';').next()?.trim();
            let (name, value) = pair.split_once('=')?;
            (name.ends_with("keydesk") && !value.is_empty() && !c.contains("Max-Age=0")).then(|| pair.to_owned())
        })
    }

    /// The proof this redirect sets for the refusal in its address (`name=value`): a page shows a
    /// refusal from its address only to the browser that was sent it (`server/src/url_errors.rs`).
    pub fn error_proof(&self) -> Option<String> {
        self.set_cookie_headers().into_iter().find_map(|c| {
            let pair = c.split(';').next()?.trim();
            (pair.starts_with("keydesk-err=") || pair.starts_with("__Host-keydesk-err=")).then(|| pair.to_owned())
        })
    }

    /// The page a form's answer redirects to, as a path (no origin, no fragment).
    pub fn answer_path(&self) -> Option<&str> {
        let location = self.location()?;
        let path = location.find("://").map_or(location, |i| location[i + 3..].find('/').map_or("/", |j| &location[i + 3 + j..]));
        Some(path.split('#').next().unwrap_or(path))
    }

    pub fn set_cookie_headers(&self) -> Vec<String> {
        self.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok().map(str::to_owned)).collect()
    }

    pub fn location(&self) -> Option<&str> {
        self.header(header::LOCATION.as_str())
    }

    pub fn app_error(&self) -> app::error::AppError {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not an AppError ({e}): {}", self.body))
    }
}

/// A same-origin form POST as the browser sends it (`accept` picks the WASM client or a plain form).
pub fn form_request(cookie: Option<&str>, path: &str, accept: &str, form: &[(&str, &str)]) -> Request<Body> {
    let body = form.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&");
    let mut req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, accept)
        .header("sec-fetch-site", "same-origin")
        .header(header::ORIGIN, "http://127.0.0.1:3000");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::from(body)).unwrap()
}

/// The post a browser without JavaScript sends from a form on `page` (its Referer): the server
/// function's answer is a redirect back to that page.
pub fn page_form_request(cookie: Option<&str>, path: &str, page: &'static str, form: &[(&str, &str)]) -> Request<Body> {
    let mut req = form_request(cookie, path, "text/html", form);
    req.headers_mut().insert(header::REFERER, HeaderValue::from_static(page));
    req
}

/// Percent-encode everything but RFC 3986's unreserved characters.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
