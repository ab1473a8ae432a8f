# shellcheck shell=bash
# Helpers for the integration tests: real servers and clients on loopback,
# the real socktrace binary, and waits on conditions instead of blind sleeps.

# Scratch space for one test; removed by cleanup_test.
new_tmp() {
	TMP=$(mktemp -d /tmp/socktrace-test.XXXXXX)
	PIDS=()
	CLEANUP=() # commands run after the processes are gone (e.g. "ip netns del NAME")
}

# Stop what the test left running, and wait for it.
stop_test_processes() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
}

cleanup_test() {
	local p
	stop_test_processes
	for p in "${CLEANUP[@]}"; do $p 2>/dev/null; done
	CLEANUP=()
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	TMP=
}

# wait_until SECONDS CMD...: run CMD until it succeeds, at most SECONDS.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# free_ports N: N distinct free TCP ports on 127.0.0.1 outside the ephemeral range (each
# bound and released), space-separated.
free_ports() {
	python3 - "$1" <<'PY'
import random, socket, subprocess, sys
lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
# Not only ports nothing is bound to: ports no socket in any state names at either end
# (a TIME_WAIT from an earlier test, with the port as its peer's, would be a row too).
used = set()
for line in subprocess.run(["ss", "-Htuan"], capture_output=True, text=True).stdout.splitlines():
    for endpoint in line.split()[4:6]:
        used.add(endpoint.rpartition(":")[2])
ports = []
while len(ports) < int(sys.argv[1]):
    p = random.randrange(20000, 30000)
    if lo <= p <= hi or str(p) in used or p in ports:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    ports.append(p)
print(*ports)
PY
}

free_port() { free_ports 1; }

# settled PORT [NETNS]: no socket of PORT left but in TIME_WAIT: every close has happened.
# A peer that has exited may still have FINs in the kernel's backlog (handed to ksoftirqd
# past 64 packets a poll): the closes they make come after it, and a test counts them.
no_socket() {
	[ -z "$(${2:+ip netns exec "$2"} ss -Htan exclude time-wait "( sport = :$1 or dport = :$1 )")" ]
}
settled() { wait_until 10 no_socket "$@"; }

is_listening() { [ -n "$(ss -Htln "sport = :$1")" ]; }

# start_nginx PORT: nginx (master + 1 worker) answering "ok" on 127.0.0.1:PORT.
start_nginx() {
	local port=$1 dir=$TMP/nginx-$1
	mkdir -p "$dir"
	cat >"$dir/nginx.conf" <<-CONF
	daemon off;
	worker_processes 1;
	pid $dir/nginx.pid;
	error_log $dir/error.log;
	events { worker_connections 256; }
	http {
		access_log off;
		client_body_temp_path $dir/body;
		server {
			listen 127.0.0.1:$port;
			location / { return 200 "ok\n"; }
		}
	}
	CONF
	nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" &
	PIDS+=($!)
	NGINX_PID=$!
	wait_until 10 is_listening "$port" || { echo "nginx did not listen on $port" >&2; return 1; }
}

# start_socat PORT: a plain TCP listener that accepts and closes.
start_socat() {
	socat "TCP-LISTEN:$1,bind=127.0.0.1,reuseaddr,fork" SYSTEM:true &
	PIDS+=($!)
	wait_until 10 is_listening "$1" || { echo "socat did not listen on $1" >&2; return 1; }
}

# http_get PORT N: N sequential curl runs, one new connection each; all must succeed.
http_get() {
	local i
	for ((i = 0; i < $2; i++)); do
		curl -sS --noproxy '*' --max-time 5 -o /dev/null "http://127.0.0.1:$1/" || return 1
	done
}

# refused PORT N: N connects to a closed port; each must be refused (curl exit 7).
refused() {
	local i rc
	for ((i = 0; i < $2; i++)); do
		curl -s --noproxy '*' --max-time 5 -o /dev/null "http://127.0.0.1:$1/"
		rc=$?
		[ "$rc" -eq 7 ] || { echo "connect to closed port $1: curl exit $rc, not 7" >&2; return 1; }
	done
}

# tcp_touch PORT N: N plain connects with socat (no HTTP).
tcp_touch() {
	local i
	for ((i = 0; i < $2; i++)); do
		socat -u /dev/null "TCP:127.0.0.1:$1" || return 1
	done
}

# start_socktrace ARGS...: run socktrace in the background (on BACKEND if the run is
# forced onto one), wait until attached. Not via a function: $! must be socktrace.
start_socktrace() {
	# The job's shell truncates them after the fork: an earlier run's "tracing" line must
	# not be taken for this one's.
	rm -f "$TMP/st.out" "$TMP/st.err"
	"$SOCKTRACE" ${BACKEND:+--backend "$BACKEND"} "$@" >"$TMP/st.out" 2>"$TMP/st.err" &
	ST_PID=$!
	PIDS+=("$ST_PID")
	if ! wait_until 20 grep -Eqs "tracing (TCP connections|UDP datagrams)" "$TMP/st.err"; then
		echo "socktrace did not attach:" >&2
		cat "$TMP/st.err" >&2
		return 1
	fi
	if [ -n "$BACKEND" ] && ! grep -q "(backend $BACKEND)" "$TMP/st.err"; then
		echo "socktrace is not on backend $BACKEND: $(cat "$TMP/st.err")" >&2
		return 1
	fi
}

# stop_socktrace [SIGNAL]: send SIGNAL (default INT), wait; returns socktrace's exit status.
stop_socktrace() {
	kill -"${1:-INT}" "$ST_PID"
	wait "$ST_PID"
}

# check_transfer CSV PORT N X Y: N connections on PORT, each X bytes from the client and Y
# back, counted opened and closed in both directions, none left open, every byte counted.
check_transfer() {
	local csv=$1 port=$2 n=$3 x=$4 y=$5 dir
	for dir in in out; do
		check "$dir opened" "$n" "$(csv_sum "$csv" "$port" $dir opened)"
		check "$dir closed" "$n" "$(csv_sum "$csv" "$port" $dir closed)"
		check "$dir active at the end" 0 "$(csv_last "$csv" "$port" $dir active)"
	done
	# The server sends Y and receives X per connection; the client the other way round.
	check "in bytes_sent" $((n * y)) "$(csv_sum "$csv" "$port" in bytes_sent)"
	check "in bytes_received" $((n * x)) "$(csv_sum "$csv" "$port" in bytes_received)"
	check "out bytes_sent" $((n * x)) "$(csv_sum "$csv" "$port" out bytes_sent)"
	check "out bytes_received" $((n * y)) "$(csv_sum "$csv" "$port" out bytes_received)"
}

# csv_last FILE PORT DIRECTION COLUMN [PROTO]: COLUMN in the last row of PORT/PROTO
# (tcp unless given)/DIRECTION, for levels (active, peers); "no row" when there is none.
csv_last() {
	python3 - "$@" <<'PY'
import csv, sys
path, port, direction, col = sys.argv[1:5]
proto = sys.argv[5] if len(sys.argv) > 5 else "tcp"
rows = [r for r in csv.DictReader(open(path, newline="")) if r["port"] == port
        and r["proto"] == proto and r["direction"] == direction]
print(rows[-1][col] if rows else "no row")
PY
}

# csv_sum FILE PORT DIRECTION COLUMN: sum of COLUMN over the rows of PORT/tcp/DIRECTION.
csv_sum() {
	python3 - "$@" <<'PY'
import csv, sys
path, port, direction, col = sys.argv[1:5]
with open(path, newline="") as f:
    rows = [r for r in csv.DictReader(f) if r["port"] == port and r["proto"] == "tcp"
            and r["direction"] == direction]
print(sum(int(r[col]) for r in rows))
PY
}

# csv_ports FILE: the distinct ports that have rows, one per line.
csv_ports() {
	python3 -c 'import csv,sys; print("\n".join(sorted({r["port"] for r in csv.DictReader(open(sys.argv[1], newline=""))})))' "$1"
}

# csv_min FILE PORT DIRECTION COLUMN: the smallest non-empty value of COLUMN ("none" if all empty).
csv_min() {
	python3 - "$@" <<'PY'
import csv, sys
path, port, direction, col = sys.argv[1:5]
vals = [float(r[col]) for r in csv.DictReader(open(path, newline=""))
        if r["port"] == port and r["direction"] == direction and r[col] != ""]
print(min(vals) if vals else "none")
PY
}

# summary_block FILE: the summary's first table, from its title to the first empty line.
summary_block() {
	sed -n '/^socktrace summary:/,/^$/p' "$1"
}

# summary_row FILE PORT DIRECTION: the summary table's line for PORT/tcp DIRECTION.
summary_row() {
	summary_block "$1" | awk -v p="$2/tcp" -v d="$3" '$1 == p && $3 == d'
}

# summary_col FILE PORT DIRECTION NAME: that line's value in the column headed NAME (OPENED...).
summary_col() {
	summary_block "$1" |
		awk -v p="$2/tcp" -v d="$3" -v name="$4" '
			$1 == "PORT" && !col { for (i = 1; i <= NF; i++) if ($i == name) col = i }
			col && $1 == p && $3 == d { print $col }'
}

# check DESCRIPTION EXPECTED ACTUAL: record a failed expectation.
check() {
	if [ "$2" != "$3" ]; then
		echo "    $1: expected '$2', got '$3'" >&2
		FAILED_CHECKS=$((FAILED_CHECKS + 1))
	fi
}

# check_true DESCRIPTION CMD...: record a failed condition.
check_true() {
	local what=$1
	shift
	if ! "$@"; then
		echo "    $what" >&2
		FAILED_CHECKS=$((FAILED_CHECKS + 1))
	fi
}

# summary_events FILE: the event count on the summary's first line.
summary_events() {
	sed -n 's/^socktrace summary:.* \([0-9]*\) events, .*/\1/p' "$1"
}

# table_sum FILE PORT DIRECTION: OPEN summed over the plain interval lines.
table_sum() {
	sed '/^socktrace summary:/,$d' "$1" |
		awk -v p="$2/tcp" -v d="$3" '
			$1 == "TIME" { for (i = 1; i <= NF; i++) if ($i == "OPEN") col = i }
			col && $2 == p && $4 == d { s += $col }
			END { print s + 0 }'
}

# The loopback TCP peer for cases the common tools cannot make on purpose.
peer=$(dirname "${BASH_SOURCE[0]}")/tcp_peer.py

# Our programs' names as bpftool shows them (the kernel keeps 15 characters).
PROG_NAMES=$(sed -En 's/^int (BPF_[A-Z]+\()?([a-z0-9_]+)[(,)].*/\2/p' \
	"$(dirname "${BASH_SOURCE[0]}")/../../bpf/socktrace.bpf.c" | cut -c1-15)
# The BPF objects of a process, and those no process holds (scripts/bpfobjs).
bpfobjs=$(dirname "${BASH_SOURCE[0]}")/../../scripts/bpfobjs
# No program of ours is left that no process holds. Other socktrace runs on the host
# hold theirs, so they do not count; one that is exiting is gone a moment later.
# bpftool names a program in full (from its BTF): compare the kernel's 15 characters.
no_socktrace_progs() {
	! "$bpfobjs" orphans /dev/null |
		awk '$1 == "prog" { print substr($3, 1, 15) }' | grep -qxF "$PROG_NAMES"
}

# nginx_pids: the master's pid and its workers', one per line.
nginx_pids() {
	echo "$NGINX_PID"
	pgrep -P "$NGINX_PID"
}
