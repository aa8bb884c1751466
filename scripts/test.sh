#!/usr/bin/env bash
# `npm test`: build, then every workspace's tests, then the totals line CI reads.
#
# Each workspace's jest runs in one worker (jest takes cores - 1 on this 2-core class of
# machine), so the unit tests run two workspaces at a time. The system-level suites (the
# attacker e2e suite, the bench's smoke run, and new-service, whose spec generates, builds
# and boots a whole service) then run one at a time with the machine to themselves: they
# boot real process trees, and sharing the cores with other suites only slows them.
set -uo pipefail
cd "$(dirname "$0")/.."

npx turbo run build --output-logs=errors-only || exit $?

SYSTEM=(--filter=@citadel/e2e --filter=@citadel/bench --filter=@citadel/new-service)
UNIT=(--filter='!@citadel/e2e' --filter='!@citadel/bench' --filter='!@citadel/new-service')

npx turbo run test --concurrency=2 --continue --output-logs=new-only "${UNIT[@]}"
unit=$?
npx turbo run test --concurrency=1 --continue --output-logs=new-only "${SYSTEM[@]}"
system=$?

node scripts/test-totals.mjs || exit $?
[ "$unit" -eq 0 ] && [ "$system" -eq 0 ]
