#!/usr/bin/env bash
# Set up (Debian packages, .venv) and run every check: ruff, then the whole test suite.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/unit -k trace.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./scripts/bootstrap.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
