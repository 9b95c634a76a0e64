#!/usr/bin/env bash
# Install coverage-map and its test dependencies in a fresh .venv, seed the data cache from
# the reference data folder (no internet needed), and run the whole test suite.
#   COVERAGE_MAP_SHARED_DATA  folder with the registered files (default: ../shared/data)
#   extra arguments go to pytest, e.g. scripts/test.sh -k boundaries
set -euo pipefail
cd "$(dirname "$0")/.."
shared_data=${COVERAGE_MAP_SHARED_DATA:-$PWD/../shared/data}

if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "Browser tests need Chromium: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi

rm -rf .venv
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q ".[test]"

export COVERAGE_MAP_CACHE=$PWD/.venv/cache
export COVERAGE_MAP_SHARED_DATA=$shared_data
.venv/bin/coverage-map sources fetch --from "$shared_data"
.venv/bin/python -m pytest "$@"
