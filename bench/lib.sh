# bench/lib.sh — shell functions shared by the benchmarks that run qcell
# against Debian's Postfix on the same machine (bench/smtpd/run,
# bench/end-to-end/run, bench/relay/run). Sourced by them, never run.
# Details of the Postfix set-up and its pitfalls: bench/smtpd/README.md.
#
# The caller runs under `set -euo pipefail`, as root, and sets these before
# it calls the functions that use them:
#   bench_name      the script's name, for messages ("bench/smtpd/run")
#   top, bin        the source tree and its build/bin
#   bench_home      the bench user's home (/var/lib/qcell-bench)
#   work            its work directory (/var/tmp/qcell-bench-KIND-XXXXXX);
#                   qcell's root is $work/qcell, Postfix's maillog_file
#                   $work/postfix.log
#   pf, spool       Postfix's configuration directory and queue directory
#   qport, pport    the loopback ports of qcell and of Postfix
#   broker          the pid of the running qcell broker, or empty
#   policy_dir      qcell's policies (default $top/policy)
#   messages, sessions, load_limit   one load (smtp-source)
#   load_rcpt       its recipient, if not bench@bench.test (bench/relay/run)
# Everything listens on 127.0.0.1 only, and Postfix's default and relay
# transports are error:, so nothing it accepts can leave the machine
# (bench/relay/run routes its one test domain to a sink on loopback).
# shellcheck shell=bash disable=SC2154,SC2034

die() { echo "$bench_name: $*" >&2; exit 1; }

now() { date +%s.%N; }
count_files() { find "$@" -type f 2>/dev/null | wc -l; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# banner PORT SECONDS [ADDRESS]: 0 when something answers on ADDRESS
# (default 127.0.0.1):PORT with an SMTP 220 banner within SECONDS (it then
# says QUIT).
banner() {
  python3 - "$1" "$2" "${3:-127.0.0.1}" <<'PY'
import socket, sys, time
port, limit, address = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + limit
while True:
    try:
        with socket.create_connection((address, port), timeout=5) as s:
            s.settimeout(5)
            data = b''
            while b'\n' not in data:
                chunk = s.recv(512)
                if not chunk:
                    break
                data += chunk
            if data.startswith(b'220'):
                s.sendall(b'QUIT\r\n')
                sys.exit(0)
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.1)
PY
}
# port_in_use PORT [ADDRESS]: 0 when something listens on ADDRESS (default
# 127.0.0.1):PORT.
port_in_use() { timeout 3 bash -c "exec 3<>/dev/tcp/${2:-127.0.0.1}/$1" 2>/dev/null; }

# --- Postfix -----------------------------------------------------------------

# Processes of a Postfix instance: the master exports MAIL_CONFIG to every
# daemon it starts.
postfix_pids() {
  local dir=$1 f pid
  for f in /proc/[0-9]*/environ; do
    pid=${f#/proc/}
    pid=${pid%/environ}
    grep -qzxF "MAIL_CONFIG=$dir" "$f" 2>/dev/null && echo "$pid"
  done
  return 0
}

# Stops the Postfix instance configured in DIR and waits (at most 15 s) for
# all its processes to end, then kills what is left of them, by pid.
stop_postfix_dir() {
  local dir=$1 pids
  if [[ -f $dir/main.cf ]]; then timeout 30 postfix -c "$dir" stop >/dev/null 2>&1 || true; fi
  for _ in $(seq 150); do
    pids=$(postfix_pids "$dir")
    [[ -z $pids ]] && return 0
    sleep 0.1
  done
  echo "$bench_name: Postfix processes of $dir still running after 15 s, killing: $pids" >&2
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  sleep 0.5
}

# stop_stray_postfix KIND: a Postfix master from an earlier run of the
# script whose work directories are /var/tmp/qcell-bench-KIND-*, killed
# before its clean-up; its work directory is removed too.
stop_stray_postfix() {
  local kind=$1 f pid dir
  for f in /proc/[0-9]*/environ; do
    pid=${f#/proc/}
    pid=${pid%/environ}
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == master ]] || continue
    dir=$(sed -zn 's/^MAIL_CONFIG=//p' "$f" 2>/dev/null | tr -d '\0')
    if [[ $dir =~ ^(/var)?/tmp/qcell-bench-$kind-[A-Za-z0-9]+/postfix$ ]]; then
      echo "$bench_name: stopping a Postfix master left by an earlier run (pid $pid, $dir)" >&2
      if [[ -f $dir/main.cf ]]; then
        stop_postfix_dir "$dir"
      else
        kill -TERM "$pid" 2>/dev/null || true
        sleep 2
      fi
      [[ $dir == /var/tmp/qcell-bench-$kind-* || $dir == /tmp/qcell-bench-$kind-* ]] && rm -rf "${dir%/postfix}"
    fi
  done
  return 0
}

# The system user `bench` that both MTAs deliver to, created once and kept;
# sets maildir to its Maildir.
bench_user() {
  id bench >/dev/null 2>&1 ||
    useradd --system --create-home --home-dir "$bench_home" --shell /usr/sbin/nologin bench
  [[ $(getent passwd bench | cut -d: -f6) == "$bench_home" ]] ||
    die "user bench exists with another home than $bench_home; this script delivers to $bench_home/Maildir"
  [[ -d $bench_home ]] || install -d -o bench -g "$(id -gn bench)" -m 755 "$bench_home"
  maildir=$bench_home/Maildir
}

# Writes Postfix's own configuration directory $pf (nothing from
# /etc/postfix): loopback only on $pport, delivering to ~bench/Maildir/,
# its queue in $spool; then `postfix check`.
configure_postfix() {
  mkdir -p "$pf" "$spool"
  cp /usr/share/postfix/master.cf.dist "$pf/master.cf"
  cat >"$pf/main.cf" <<CF
# $bench_name: a loopback-only Postfix delivering to ~bench/Maildir/.
compatibility_level = 3.6
queue_directory = $spool
data_directory = $work/postfix-data
# No syslog needed; maillog_file must lie under one of these prefixes
# (default /var, /dev/stdout), else every postfix command dies at once.
maillog_file_prefixes = $work
maillog_file = $work/postfix.log
myhostname = bench.test
mydomain = bench.test
myorigin = bench.test
mydestination = bench.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
# Nothing leaves the machine, not even a bounce.
default_transport = error:5.7.1 outbound mail is disabled in this benchmark
relay_transport = error:5.7.1 outbound mail is disabled in this benchmark
# Debian's default hash:/etc/aliases does not exist without a configured
# Postfix: every RCPT would get 451 4.3.0 Temporary lookup failure.
alias_maps =
alias_database =
home_mailbox = Maildir/
biff = no
smtpd_tls_security_level = none
smtp_tls_security_level = none
CF
  # Only one inet service, on 127.0.0.1:$pport; nothing chrooted (a chroot
  # would need copies of /etc files inside the queue directory).
  local svc inet
  for svc in $(postconf -c "$pf" -M | awk '$2 == "inet" {print $1}'); do
    postconf -c "$pf" -MX "$svc/inet"
  done
  postconf -c "$pf" -M "127.0.0.1:$pport/inet = 127.0.0.1:$pport inet n - n - - smtpd"
  postconf -c "$pf" -F '*/*/chroot = n'
  inet=$(postconf -c "$pf" -M | awk '$2 == "inet" {print $1}')
  [[ $inet == "127.0.0.1:$pport" ]] || die "Postfix master.cf: unexpected inet services: $inet"
  timeout 60 postfix -c "$pf" check >"$work/postfix-check.out" 2>&1 || postfix_diagnose "postfix check failed"
}

# Postfix commands write their errors to stderr only on a terminal (else to
# syslog, which may not exist): `script` gives them one for the diagnosis.
postfix_diagnose() {
  echo "$bench_name: $1; postfix check says:" >&2
  if command -v script >/dev/null; then
    timeout 30 script -qec "postfix -c '$pf' check" /dev/null | tr -d '\r' >&2 || true
  else
    timeout 30 postfix -c "$pf" check >&2 || true
  fi
  if [[ -f $work/postfix.log ]]; then
    echo "end of postfix.log:" >&2
    tail -n 20 "$work/postfix.log" >&2
  fi
  exit 1
}

start_postfix() {
  timeout 60 postfix -c "$pf" start >"$work/postfix-start.out" 2>&1 || postfix_diagnose "postfix start failed"
  banner "$pport" 10 || postfix_diagnose "no 220 from Postfix on 127.0.0.1:$pport within 10 s"
}
stop_postfix() { stop_postfix_dir "$pf"; }
postfix_queued() {
  count_files "$spool/maildrop" "$spool/incoming" "$spool/active" "$spool/deferred" \
    "$spool/hold" "$spool/corrupt"
}

# --- qcell -------------------------------------------------------------------

fresh_qcell_queue() {
  rm -rf "$work/qcell/queue"
  "$bin/qcell" queue init --root "$work/qcell" >/dev/null
}

# start_qcell LOG: starts the broker on $work/qcell (its log in $work/LOG),
# waits (at most 10 s) for broker-start and then for qmail-smtpd's banner.
start_qcell() {
  local log=$work/$1
  "$bin/qcell" start --root "$work/qcell" --policy-dir "${policy_dir:-$top/policy}" --bin-dir "$bin" \
    --listen "qmail-smtpd@127.0.0.1:$qport" >"$log" 2>&1 &
  broker=$!
  for _ in $(seq 100); do
    grep -q 'event=broker-start ' "$log" && break
    kill -0 "$broker" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q 'event=broker-start ' "$log"; then
    echo "$bench_name: qcell did not start; end of $1:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  if ! banner "$qport" 10; then
    echo "$bench_name: no 220 from qcell on 127.0.0.1:$qport within 10 s; end of $1:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
}

stop_qcell() {
  kill -TERM "$broker"
  for _ in $(seq 150); do kill -0 "$broker" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$broker" 2>/dev/null; then
    echo "$bench_name: qcell broker still running 15 s after SIGTERM, killing it" >&2
    kill -KILL "$broker" 2>/dev/null || true
  fi
  wait "$broker" 2>/dev/null || true
  broker=
}

# For a clean-up trap: stops the broker, if one runs, without a word.
kill_qcell() {
  if [[ -n $broker ]]; then
    kill -TERM "$broker" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$broker" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$broker" 2>/dev/null || true
    wait "$broker" 2>/dev/null || true
  fi
}

# --- the load ----------------------------------------------------------------

# smtp_load PORT NAME [MESSAGES]: Postfix's smtp-source sends MESSAGES
# (default $messages) messages of 5 KiB from sender@bench.test to
# ${load_rcpt:-bench@bench.test} over $sessions sessions, bounded by
# $load_limit seconds, its output in $work/smtp-source-NAME.out; prints
# when it began and ended (seconds since the epoch, after a sync), or fails
# with the end of its output.
smtp_load() {
  local port=$1 name=$2 count=${3:-$messages} begin end rc=0
  sync
  begin=$(now)
  timeout "$load_limit" smtp-source -s "$sessions" -m "$count" -l 5120 -M bench.test \
    -f sender@bench.test -t "${load_rcpt:-bench@bench.test}" "127.0.0.1:$port" >"$work/smtp-source-$name.out" 2>&1 || rc=$?
  end=$(now)
  if [[ $rc -ne 0 ]]; then
    echo "$bench_name: smtp-source against $name failed (exit $rc$([[ $rc -eq 124 ]] && echo ", timed out after $load_limit s")):" >&2
    tail -n 10 "$work/smtp-source-$name.out" >&2
    return 1
  fi
  echo "$begin $end"
}
