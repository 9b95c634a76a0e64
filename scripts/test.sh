#!/usr/bin/env bash
# Install coverage-map and its test dependencies in .venv (the versions of constraints.txt),
# seed the data cache from the reference data folder (no internet needed), and run the tests.
#   scripts/test.sh [--fresh] [PYTEST ARGS...]
#   --fresh   delete .venv and install everything again (CI does this)
#   without it, a working .venv is reused: its dependencies are installed again only when
#   pyproject.toml or constraints.txt changed, and the package itself is reinstalled from
#   this checkout (as a wheel, so that packaging mistakes show in the tests)
#   COVERAGE_MAP_SHARED_DATA  folder with the registered files (default: ../shared/data)
#   HYPOTHESIS_PROFILE        ci (default: the property tests draw the same examples every run)
#                             or explore (ten times more examples, at random), to look for new failures:
#     HYPOTHESIS_PROFILE=explore scripts/test.sh tests/test_robustness.py -k ends_in_0_or_2
#   other arguments go to pytest, e.g. scripts/test.sh -k boundaries
set -euo pipefail
cd "$(dirname "$0")/.."
shared_data=${COVERAGE_MAP_SHARED_DATA:-$PWD/../shared/data}
fresh=0
if [ "${1:-}" = "--fresh" ]; then
  fresh=1
  shift
fi

if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "Browser tests need Chromium: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi

stamp=.venv/.installed-from
wanted=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$fresh" = 1 ] || ! .venv/bin/python -c 'import sys' 2>/dev/null; then
  rm -rf .venv
  python3 -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt ".[test]"
  echo "$wanted" >"$stamp"
else
  .venv/bin/python -m pip install -q --no-deps --force-reinstall .
fi

# axe-core (accessibility checks of the browser tests) from npm, into the ignored .venv
if [ ! -f .venv/axe/node_modules/axe-core/axe.min.js ]; then
  npm install --prefix .venv/axe --no-save --no-audit --no-fund --silent axe-core
fi

export COVERAGE_MAP_CACHE=$PWD/.venv/cache
export COVERAGE_MAP_SHARED_DATA=$shared_data
.venv/bin/coverage-map sources fetch --from "$shared_data" --quiet
.venv/bin/python -m pytest "$@"
