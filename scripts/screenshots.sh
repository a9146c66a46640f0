#!/usr/bin/env bash
# Retakes the README's screenshots (docs/screenshots/*.png) from the release build on a fresh
# SQLite database, in both themes. Needs a release build (scripts/test.sh makes one).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
UPDATE_SCREENSHOTS=1 exec scripts/e2e.sh sqlite screenshots.spec.ts
