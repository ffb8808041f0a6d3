#!/usr/bin/env bash
# Build the browser side of keydesk into $SITE (default target/site):
#   WASM (wasm-release profile) -> wasm-bindgen -> wasm-opt -Oz (npm binaryen) ; CSS with npm tailwindcss.
# Prints the bundle sizes. Needs scripts/setup.sh to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
SITE="${SITE:-$TARGET_DIR/site}"
mkdir -p "$SITE/pkg"

cargo build -p frontend --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir "$SITE/pkg" --out-name keydesk \
  "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm"
# Debian's wasm-opt 108 breaks hydration (see README); the npm binaryen build is used instead.
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --strip-debug --strip-producers "$SITE/pkg/keydesk_bg.wasm" -o "$SITE/pkg/keydesk_bg.wasm"
node_modules/.bin/tailwindcss -i style/tailwind.css -o "$SITE/pkg/keydesk.css" --minify 2>/dev/null
cp style/public/* "$SITE/"

raw=$(stat -c %s "$SITE/pkg/keydesk_bg.wasm")
gz=$(gzip -9 -c "$SITE/pkg/keydesk_bg.wasm" | wc -c)
echo "site built in $SITE: keydesk_bg.wasm ${raw} bytes raw, ${gz} bytes gzip -9"
