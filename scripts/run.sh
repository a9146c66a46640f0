#!/usr/bin/env bash
# Builds and serves the app on the embedded default (SQLite file under data/, no other service)
# at http://127.0.0.1:3000. Installs the build tools that are missing first.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_build_tools
log "building and serving the release build (first build takes a while)"
clean_client_files
exec cargo leptos serve --release --split --precompress
