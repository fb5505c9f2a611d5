#!/usr/bin/env bash
# The domestic-mirror end-to-end benchmark (issue 8): direct-to-origin over an emulated cross-border
# link vs the DNS-chosen edge and its tiers, in one run. Method and limits: deploy/bench/README.md.
#
#   deploy/bench/e2e-bench.sh --quick   # < 3 min; writes docs/benchmarks/e2e.{md,json} and e2e-*.png
#   deploy/bench/e2e-bench.sh           # the full run; writes docs/benchmarks/e2e-full/
#
# Needs only a JDK >= 21 and Maven (deploy/bin/yunjing builds on first use); no root, no tc.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
exec deploy/bin/yunjing bench e2e "$@"
