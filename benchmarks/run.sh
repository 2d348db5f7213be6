#!/usr/bin/env bash
# Run the validation benchmark (1M and 5M rows by default; pass other sizes as arguments).
# Needs the test set-up (scripts/test installs it) and PostgreSQL for the gongkai-pg column.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1000000 5000000}")
.venv/bin/python benchmarks/bench_validate.py --rows ${sizes[*]}
