#!/usr/bin/env bash
# Writes .ci/test-floors.json: for each jest suite .ci/run counts (unit, program, integration), the number of tests
# each test file defines today. .ci/run fails when a file is missing or runs fewer tests than that, so
# deleting, renaming or skipping tests is a deliberate change of this file, seen in review.
# Lists tests only (a test name pattern matching nothing): no server starts, ~15 s.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
list='list only: matches no test name'
npx jest -t "$list" --json --outputFile="$tmp/unit.json" >/dev/null 2>&1 || true
npx tsx scripts/ci/count-jest.ts floors unit "$tmp/unit.json"
npx jest -c jest.program.config.js -t "$list" --json --outputFile="$tmp/program.json" >/dev/null 2>&1 || true
npx tsx scripts/ci/count-jest.ts floors program "$tmp/program.json"
npx jest -c jest.integration.config.js -t "$list" --json --outputFile="$tmp/integration.json" >/dev/null 2>&1 || true
npx tsx scripts/ci/count-jest.ts floors integration "$tmp/integration.json"
