#!/usr/bin/env bash
# The front door: what a newcomer does first, proved on every CI run.
#
# Clones HEAD of this checkout into a temporary directory and there runs `make run`
# exactly as the README says — runtime dependencies only (no [dev] extras), embedded
# defaults (SQLite, the filesystem broker: DATABASE_URL and CELERY_BROKER_URL unset) —
# on a free port. It waits until the admin login page answers 200 and the API answers
# 401 with JSON, presses Ctrl-C (SIGINT to the process group of `make run`, as a
# terminal does), then checks that no process of the clone is left and the port is free.
#
#   bash .ci/front_door.sh          (FRONT_DOOR_TIMEOUT=300: seconds for install + start)
#
# Exits non-zero with the tail of the log when a step fails; removes the clone always.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="$(command -v python3.11 || command -v python3)"
TIMEOUT="${FRONT_DOOR_TIMEOUT:-300}" # install, migrations, plan, first answers
STOP_TIMEOUT="${FRONT_DOOR_STOP_TIMEOUT:-60}" # Ctrl-C until `make run` has returned

START=$SECONDS
WORK="$(mktemp -d "${TMPDIR:-/tmp}/front-door.XXXXXX")"
CLONE="$WORK/clone"
LOG="$WORK/make-run.log"
PGID=""

say() { printf 'front door: %s\n' "$*"; }
ok() { printf 'front door: ok   %s\n' "$*"; }

# Processes that belong to the clone: command line or working directory inside it.
clone_pids() {
  {
    pgrep -f -- "$CLONE" || true
    local d pid
    for d in /proc/[0-9]*; do
      pid="${d#/proc/}"
      case "$(readlink "$d/cwd" 2>/dev/null || true)" in
        "$CLONE" | "$CLONE"/*) echo "$pid" ;;
      esac
    done
  } | { grep -vx -e "$$" -e "${BASHPID:-$$}" || true; } | sort -un
}

group_alive() { [ -n "$PGID" ] && pgrep -g "$PGID" >/dev/null 2>&1; }

cleanup() {
  local rc=$?
  set +e
  if group_alive; then
    kill -KILL -- "-$PGID" 2>/dev/null
  fi
  local left
  left="$(clone_pids)"
  if [ -n "$left" ]; then
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null
  fi
  sleep 0.2
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  printf 'front door: FAIL %s\n' "$*" >&2
  if [ -s "$LOG" ]; then
    printf 'front door: last 60 lines of `make run` (%s):\n' "$LOG" >&2
    tail -n 60 "$LOG" | sed 's/^/    | /' >&2
  fi
  printf 'front door: FAILED after %ss\n' "$((SECONDS - START))" >&2
  exit 1
}

# --- a fresh clone of HEAD ------------------------------------------------------
REV="$(git -C "$ROOT" rev-parse HEAD)"
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; then
  say "note: uncommitted changes in $ROOT are not part of the check (it tests HEAD)"
fi
git clone --quiet --no-checkout "$ROOT" "$CLONE"
if ! git -C "$CLONE" cat-file -e "$REV^{commit}" 2>/dev/null; then
  git -C "$CLONE" fetch --quiet "$ROOT" "$REV"
fi
git -C "$CLONE" checkout --quiet --detach "$REV"
ok "fresh clone of HEAD $(git -C "$CLONE" log -1 --format='%h %s') in $CLONE"

# --- a free port ----------------------------------------------------------------
PORT="$("$PYTHON" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
ADDR="127.0.0.1:$PORT"
BASE="http://$ADDR"

# --- make run, in its own session and process group, like a terminal's job ------
# Nothing of this environment leaks in: no database, broker, settings module or make
# flags of the caller; SIGINT is not ignored (bash ignores it for background jobs).
say "make run ADDR=$ADDR (runtime dependencies only; SQLite and the filesystem broker)"
(
  cd "$CLONE"
  exec env -u DATABASE_URL -u CELERY_BROKER_URL -u EMAIL_URL -u DJANGO_SETTINGS_MODULE \
    -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u ADDR -u VIRTUAL_ENV PYTHONUNBUFFERED=1 \
    setsid env --default-signal=INT make run "ADDR=$ADDR"
) </dev/null >"$LOG" 2>&1 &
MAKE_PID=$!
sleep 0.5
PGID="$(ps -o pgid= -p "$MAKE_PID" 2>/dev/null | tr -d ' ' || true)"
[ "$PGID" = "$MAKE_PID" ] || fail "make run is not the leader of its own process group (pgid '$PGID', pid $MAKE_PID)"

# --- wait for the admin and the API ---------------------------------------------
# probe URL → "<status> <content-type>" and the body in $WORK/body (never raises).
probe() {
  "$PYTHON" - "$1" "$WORK/body" <<'PY'
import sys, urllib.error, urllib.request
url, out = sys.argv[1], sys.argv[2]
try:
    r = urllib.request.urlopen(url, timeout=10)
except urllib.error.HTTPError as e:
    r = e
except Exception as e:  # not listening yet, reset, timeout
    print("000 -", type(e).__name__)
    sys.exit(0)
body = r.read()
open(out, "wb").write(body)
print(r.status, r.headers.get("Content-Type", "-"))
PY
}

deadline=$((SECONDS + TIMEOUT))
answer=""
while :; do
  if ! kill -0 "$MAKE_PID" 2>/dev/null; then
    wait "$MAKE_PID" && rc=0 || rc=$?
    fail "make run exited (status $rc) before $BASE/admin/login/ answered"
  fi
  answer="$(probe "$BASE/admin/login/")"
  [ "${answer%% *}" = 200 ] && break
  [ "$SECONDS" -lt "$deadline" ] || fail "GET /admin/login/ did not answer 200 within ${TIMEOUT}s (last: $answer)"
  sleep 2
done
ok "GET /admin/login/ → 200 (${answer#* }) after $((SECONDS - START))s"

answer="$(probe "$BASE/api/v1/projects/")"
status="${answer%% *}"
ctype="${answer#* }"
[ "$status" = 401 ] || fail "GET /api/v1/projects/ without credentials answered '$answer', expected 401"
case "$ctype" in
  application/json*) ;;
  *) fail "GET /api/v1/projects/ answered 401 with Content-Type '$ctype', expected application/json" ;;
esac
body="$("$PYTHON" -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1], "rb")), ensure_ascii=False))' "$WORK/body" 2>/dev/null)" ||
  fail "GET /api/v1/projects/ answered 401 but its body is not JSON: $(head -c 300 "$WORK/body")"
ok "GET /api/v1/projects/ → 401 $ctype $body"

# The web server, the worker and beat run together, all in the job Ctrl-C stops.
for what in "manage.py runserver $ADDR" "celery -A config.celery_app worker" "celery -A config.celery_app beat"; do
  pgrep -g "$PGID" -f -- "$what" >/dev/null || fail "no '$what' in the process group of make run"
done
ok "web server, Celery worker and beat running in make run's process group $PGID"

# Runtime dependencies only: the [dev] extras are not installed.
for dev in pytest ruff; do
  if "$CLONE/.venv/bin/python" -m pip show --quiet "$dev" >/dev/null 2>&1; then
    fail "$dev is installed in the clone's .venv: make run must install without the [dev] extras"
  fi
done
ok "the clone's .venv has the runtime dependencies only (no pytest, no ruff)"

# --- Ctrl-C ---------------------------------------------------------------------
say "Ctrl-C: SIGINT to process group $PGID"
stop_start=$SECONDS
kill -INT -- "-$PGID"
stop_deadline=$((SECONDS + STOP_TIMEOUT))
while kill -0 "$MAKE_PID" 2>/dev/null; do
  [ "$SECONDS" -lt "$stop_deadline" ] || fail "make run still running ${STOP_TIMEOUT}s after Ctrl-C"
  sleep 0.5
done
wait "$MAKE_PID" && rc=0 || rc=$?
ok "make run returned $((SECONDS - stop_start))s after Ctrl-C (status $rc)"

# --- nothing left behind ----------------------------------------------------------
left=""
for _ in 1 2 3 4 5 6; do # a short grace for processes already on their way out
  left="$(clone_pids)"
  group_alive || [ -n "$left" ] || break
  sleep 0.5
done
if group_alive || [ -n "$left" ]; then
  procs="$( (pgrep -g "$PGID" || true; echo "$left") | sort -un | grep . | paste -sd, -)"
  fail "processes left behind after Ctrl-C:
$(ps -o pid,pgid,etimes,args -p "$procs" 2>/dev/null || true)"
fi
ok "no process left in the process group or in $CLONE"

if command -v ss >/dev/null 2>&1 && ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; then
  fail "port $PORT is still listened on: $(ss -Hltnp "sport = :$PORT")"
fi
"$PYTHON" -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.close()' "$PORT" 2>/dev/null ||
  fail "port $PORT cannot be bound again after Ctrl-C"
ok "port $PORT is free again"

say "passed in $((SECONDS - START))s"
