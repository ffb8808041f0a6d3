//! The built site: its content-hashed asset names, what may be cached for a year, and the Leptos
//! options that point at it.

use app::pages::Bundle;
use leptos::prelude::*;

/// The file naming the current build's content-hashed assets (written by `.ci/build-site`).
pub const ASSETS_FILE: &str = "assets.txt";

/// The built site's asset name under `site_root/pkg`: `keydesk-<hash>` from `assets.txt` (its
/// stylesheet `.css`, and each family's script and WASM, `-<family>.js` and `-<family>_bg.wasm`
/// ([`Bundle::files`]), are then immutable), or plain `keydesk` for a site built without hashes.
/// Errors name what is missing and how to build it.
pub fn site_assets(site_root: &std::path::Path) -> Result<String, String> {
    let name = match std::fs::read_to_string(site_root.join(ASSETS_FILE)) {
        Ok(text) => text.trim().to_owned(),
        Err(_) => "keydesk".to_owned(),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(format!("{}: {name:?} is not an asset name; rebuild the site (.ci/build-site)", site_root.join(ASSETS_FILE).display()));
    }
    for bundle in Bundle::ALL {
        let [script, _] = bundle.files(&name);
        let js = site_root.join("pkg").join(script);
        if !js.is_file() {
            return Err(format!("{} is missing or unreadable: build the site (.ci/build-site) or set --site-root", js.display()));
        }
    }
    Ok(name)
}

/// The site's icon (`style/public/favicon.svg`, copied into the site by `.ci/build-site`).
pub(super) const FAVICON: &str = "/favicon.svg";

/// An immutable asset: `keydesk-<16 hex>` followed by `.css`, or by a family's `-<family>.js` or
/// `-<family>_bg.wasm`.
pub(super) fn is_hashed_asset(path: &str) -> bool {
    let Some((hash, rest)) = path.strip_prefix("/pkg/keydesk-").and_then(|rest| rest.get(..16).zip(rest.get(16..))) else {
        return false;
    };
    let family_file =
        |b: &Bundle| rest.strip_prefix('-').and_then(|r| r.strip_prefix(b.name())).is_some_and(|ext| matches!(ext, ".js" | "_bg.wasm"));
    hash.chars().all(|c| c.is_ascii_hexdigit()) && (rest == ".css" || Bundle::ALL.iter().any(family_file))
}

/// Leptos options for the built site under `site_root` (`output_name` = the asset name).
pub fn leptos_options(site_root: &str, addr: std::net::SocketAddr) -> LeptosOptions {
    let name = site_assets(std::path::Path::new(site_root)).unwrap_or_else(|_| "keydesk".to_owned());
    LeptosOptions::builder()
        .output_name(name)
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(leptos::config::Env::PROD)
        .build()
}

/// The built site's `pkg` directory (script, WASM, stylesheet), each file sent as `.ci/build-site`
/// compressed it (`.br` at quality 11, `.gz` at level 9) when the browser takes that encoding, else
/// as is (the compression layer then compresses it for the wire). The 3.4 MB WASM compressed per
/// request cost 65–69 ms of the server's CPU on every cold load, and compressed less well than the build.
pub(super) fn built_assets(options: &LeptosOptions) -> tower_http::services::ServeDir {
    let dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    tower_http::services::ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

/// The common-password list for the browser's strength estimate (`app::domain::strength`): public
/// data, named by its content, so kept for a year.
pub(super) async fn common_passwords() -> impl axum::response::IntoResponse {
    use axum::http::header;
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")],
        app::domain::strength::COMMON_LIST,
    )
}
