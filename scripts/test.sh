#!/usr/bin/env bash
# `npm test`: build, then every workspace's tests, then the totals line CI reads.
#
# Each workspace's jest runs in one worker (jest takes cores - 1 on this 2-core class of
# machine), so the workspaces' own tests run two at a time (new-service's spec, which
# generates, builds and boots a whole service, among them). The system-level suites (the
# attacker e2e suite and the bench's smoke run) then run one after the other with the
# machine to themselves: they boot whole systems, some several at once, and their figures
# (the bench's) mean something only on a machine nothing else is using.
set -uo pipefail
cd "$(dirname "$0")/.."

npx turbo run build --output-logs=errors-only || exit $?

SYSTEM=(--filter=@citadel/e2e --filter=@citadel/bench)
UNIT=(--filter='!@citadel/e2e' --filter='!@citadel/bench')

npx turbo run test --concurrency=2 --continue --output-logs=new-only "${UNIT[@]}"
unit=$?
npx turbo run test --concurrency=1 --continue --output-logs=new-only "${SYSTEM[@]}"
system=$?

node scripts/test-totals.mjs || exit $?
[ "$unit" -eq 0 ] && [ "$system" -eq 0 ]
