#!/usr/bin/env bash
# Runs every test: unit tests of each module and the integration tests, which run the built
# `respaldo` binary against a real PostgreSQL (started by the tests), age and gunzip.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "==> [1/3] checking system packages"
bash scripts/install-deps.sh

echo "==> [2/3] building respaldo and the tests (swift build --build-tests)"
swift build --build-tests

echo "==> [3/3] running the tests (swift test --skip-build)"
swift test --skip-build
