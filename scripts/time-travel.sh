#!/usr/bin/env bash
# npm run test:time-travel [-- DATE ...]
#
# Runs the suites that read clocks again with the whole process tree living at other dates (libfaketime), so a test
# or a piece of code that reads the wall clock where it should read the injected one (src/shared/clock.ts) fails
# here even when it passes today. The dates stress calendars: the days around the 2027 daylight-saving changes in
# the EU (28 Mar, 31 Oct) and the US (14 Mar, 7 Nov), a leap day, the last minute of a year, five years ahead.
#
# What runs at each date (CI's time budget decides; see docs/ARCHITECTURE.md "Time"):
# - every date: the engine (test/sync, its property suites at a fifth of their scenarios: a harness whose engine
#   and world disagree about "now" fails on the first scenario), and the server's scheduler, API and CLI tests
#   (they compute due times, leases, token expiries and history stamps from the runtime's clock);
# - the leap day and five years ahead: also every provider suite (CalDAV on a real Radicale, the Graph, Google and
#   CRM doubles) and the rest of the server suite (about 3 minutes a date on CI's machine; the light set about one).
# Servers the suites start keep their own clocks (test/support/radicale.ts): only the connector travels.
# The pane's browser tests are not run here: Chromium is not meant to run under an LD_PRELOAD clock.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v faketime >/dev/null 2>&1 || bash scripts/ensure-system-packages.sh
command -v faketime >/dev/null 2>&1 || { echo "faketime is missing and could not be installed" >&2; exit 1; }

every_date=(test/sync test/server/scheduler.test.ts test/server/api.test.ts test/server/cli.test.ts test/shared)
full=(test/sync test/shared test/providers test/server)

declare -a dates
if [ $# -gt 0 ]; then
  dates=("$@")
else
  dates=(
    "2027-03-13 12:00:00" # the day before US daylight saving time starts (Sun 14 Mar 2027)
    "2027-03-15 12:00:00" # the day after
    "2027-03-27 12:00:00" # the day before EU summer time starts (Sun 28 Mar 2027)
    "2027-03-29 12:00:00" # the day after
    "2027-10-30 12:00:00" # the day before EU summer time ends (Sun 31 Oct 2027)
    "2027-11-01 12:00:00" # the day after
    "2027-11-06 12:00:00" # the day before US daylight saving time ends (Sun 7 Nov 2027)
    "2027-11-08 12:00:00" # the day after
    "2027-12-31 23:59:00" # the last minute of a year
    "2028-02-29 12:00:00" # a leap day
    "2031-12-02 12:00:00" # five years ahead
  )
fi

failed=()
for d in "${dates[@]}"; do
  case "$d" in
    "2028-02-29 12:00:00" | "2031-12-02 12:00:00") suites=("${full[@]}") ;;
    *) suites=("${every_date[@]}") ;;
  esac
  echo
  echo "==> time travel to $d UTC: ${suites[*]}"
  # FAKETIME "@…" starts the clock at that instant and lets it run; every child (Jest workers, Radicale,
  # PostgreSQL) inherits it. CI pins the property seed, so a failure here replays today with the same seed.
  if ! TZ=UTC FAKETIME_NO_CACHE=1 ENGINE_PROPERTY_RUNS="${ENGINE_PROPERTY_RUNS:-0.2}" \
    faketime -f "@$d" npx jest --ci --forceExit "${suites[@]}" --selectProjects node; then
    failed+=("$d")
  fi
done

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "time travel: the suites failed at: ${failed[*]}"
  exit 1
fi
echo "time travel: the suites passed at all ${#dates[@]} dates"
