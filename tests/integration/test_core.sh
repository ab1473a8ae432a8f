# shellcheck shell=bash
# Core: per-port TCP counts on loopback, with and without a port filter.

N=5 # connections to the listening port P
M=3 # connects to the closed port Q
K=4 # noise connections to port R

# The workload every test here generates: N HTTP GETs to P, M refused on Q, K touches on R.
core_workload() {
	start_nginx "$P" && start_socat "$R" && http_get "$P" $N && refused "$Q" $M &&
		tcp_touch "$R" $K
}

test_port_filter_counts_exactly() {
	local resets
	read -r P Q R < <(free_ports 3)
	start_socktrace --accept-wait --port "$P,$Q" --csv "$TMP/out.csv" -i 0.5 || return 1
	core_workload || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "in opened on P" $N "$(csv_sum "$TMP/out.csv" "$P" in opened)"
	check "out opened on P" $N "$(csv_sum "$TMP/out.csv" "$P" out opened)"
	check "out failed on P" 0 "$(csv_sum "$TMP/out.csv" "$P" out failed)"
	check "out failed on Q" $M "$(csv_sum "$TMP/out.csv" "$Q" out failed)"
	check "out refused on Q" $M "$(csv_sum "$TMP/out.csv" "$Q" out failed_refused)"
	check "out opened on Q" 0 "$(csv_sum "$TMP/out.csv" "$Q" out opened)"
	check "ports with rows (none for R)" "$(printf '%s\n' "$P" "$Q" | sort)" \
		"$(csv_ports "$TMP/out.csv")"
	check_true "in latency on P not above 0" \
		awk "BEGIN { exit !($(csv_min "$TMP/out.csv" "$P" in lat_p50_us) > 0) }"
	check_true "out latency on P not above 0" \
		awk "BEGIN { exit !($(csv_min "$TMP/out.csv" "$P" out lat_p50_us) > 0) }"
	# Filtering happens in the kernel: user space received only P's and Q's events:
	# per GET an accept, its accept(), a connect and two closes; per refused connect a
	# failure; a reset that a socket sends after its close is an event of its own; and
	# nginx, started after socktrace, opened one listening socket on P.
	resets=$(($(csv_sum "$TMP/out.csv" "$P" in resets_sent) + $(csv_sum "$TMP/out.csv" "$P" out resets_sent)))
	check "events delivered" $((5 * N + M + resets + 1)) "$(summary_events "$TMP/st.out")"
	check "accept-queue wait samples" $N "$(csv_sum "$TMP/out.csv" "$P" in accept_wait_samples)"
	# Owners: the process that accept()ed for "in", an nginx worker (not the client,
	# current in softirq: bcc #2304); the connecting one for "out".
	local owner
	owner=$(summary_col "$TMP/st.out" "$P" in PROCESS)
	check "in owner is nginx" nginx "${owner%%[*}"
	check_true "in owner $owner is not nginx $(nginx_pids | tr '\n' ' ')" \
		grep -qx "$(echo "$owner" | tr -dc 0-9)" <(nginx_pids)
	check "out owner is curl" curl "$(summary_col "$TMP/st.out" "$P" out PROCESS | cut -d'[' -f1)"
}

# Owners counted in the kernel in two places (README "Counting in the kernel"): a row's
# first name on a CPU in the row's own counters, the others in a hash. On one CPU, 2
# connects as "aaa" then 3 as "bbb": aaa's count is in the row, bbb's in the hash, and
# the summary must rank them by their sum (bbb first, one more name): lost, doubled or
# mixed-up counts from either place rank them otherwise.
test_owners_ranked_by_their_events() {
	local p
	read -r p < <(free_ports 1)
	start_socktrace -p "$p" || return 1
	taskset -c 0 "$peer" renamed "$p" 5 aaa aaa bbb bbb bbb
	check "peer exit status" 0 $?
	stop_socktrace
	check "exit status" 0 $?
	check "out opened" 5 "$(summary_col "$TMP/st.out" "$p" out OPENED)"
	check "out owners" "bbb+1" "$(summary_col "$TMP/st.out" "$p" out PROCESS | sed 's/\[[0-9]*\]//')"
}

# More TCP rows than the kernel's per-CPU array of rows has slots (map kind_hot,
# KIND_HOT_SLOTS): 48 service ports with 4 rows each (connected, accepted, two closes),
# port i given 1 + i % 3 connections, on the first CPU in one order and then on the
# last in the other. Some rows get a slot on a CPU, the others a value in the kind_rows
# hash there, and (with two CPUs or more) some a slot on one CPU and a hash value on the
# other: user space adds them up by key (user/kindhot.c). Every row must hold its own
# port's count, none another's, none twice.
test_tcp_rows_past_the_slots_exact() {
	local ports pass cpus=(0 $(($(nproc) - 1)))
	read -r -a ports < <(free_ports 48)
	start_socktrace --csv "$TMP/out.csv" -i 0.5 -p "$(IFS=,; echo "${ports[*]}")" || return 1
	for pass in 0 1; do
		taskset -c "${cpus[$pass]}" python3 - $pass "${ports[@]}" <<'PY' || return 1
import socket, sys
ports = list(enumerate(map(int, sys.argv[2:])))
for i, port in (ports if sys.argv[1] == "0" else reversed(ports)):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8)
    for _ in range(1 + i % 3):
        cli = socket.create_connection(("127.0.0.1", port))
        srv.accept()[0].close()
        if cli.recv(1) != b"":
            sys.exit("the server sent data")
        cli.close()
    srv.close()
PY
	done
	stop_socktrace
	check "exit status" 0 $?
	check "rows whose count is not their own" "" "$(python3 - "$TMP/out.csv" "${ports[@]}" <<'PY'
import csv, sys
got = {}
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["proto"] == "tcp":
        for col in ("opened", "closed"):
            key = (r["port"], r["direction"], col)
            got[key] = got.get(key, 0) + int(r[col] or 0)
bad = []
for i, port in enumerate(sys.argv[2:]):
    for key in ((port, d, col) for d in ("in", "out") for col in ("opened", "closed")):
        if got.get(key, 0) != 2 * (1 + i % 3):
            bad.append(f"{'/'.join(key)}={got.get(key, 0)}")
print(" ".join(bad))
PY
)"
}

test_all_ports_counts_exactly() {
	local lo hi port
	read -r P Q R < <(free_ports 3)
	start_socktrace --csv "$TMP/out.csv" || return 1
	core_workload || return 1
	stop_socktrace TERM # as systemd or kill would stop it
	check "exit status after SIGTERM" 0 $?
	check_true "no summary after SIGTERM" grep -q '^socktrace summary:' "$TMP/st.out"
	check "in opened on P" $N "$(csv_sum "$TMP/out.csv" "$P" in opened)"
	check "out opened on P" $N "$(csv_sum "$TMP/out.csv" "$P" out opened)"
	check "out failed on Q" $M "$(csv_sum "$TMP/out.csv" "$Q" out failed)"
	check "in opened on R" $K "$(csv_sum "$TMP/out.csv" "$R" in opened)"
	check "out opened on R" $K "$(csv_sum "$TMP/out.csv" "$R" out opened)"
	# Client ports are ephemeral: none of them may become a row.
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	for port in $(csv_ports "$TMP/out.csv"); do
		check_true "ephemeral port $port has a row" test "$port" -lt "$lo" -o "$port" -gt "$hi"
	done
}

# The issue's acceptance test: a real web server on 127.0.0.1:443 and K curl connections.
test_https_443_table_and_csv() {
	local conns=7
	if is_listening 443; then
		echo "    port 443 is already in use on this machine" >&2
		return 1
	fi
	start_socktrace --port 443 --csv "$TMP/out.csv" || return 1
	start_nginx 443 && http_get 443 $conns || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "csv in" $conns "$(csv_sum "$TMP/out.csv" 443 in opened)"
	check "csv out" $conns "$(csv_sum "$TMP/out.csv" 443 out opened)"
	check "csv ports" 443 "$(csv_ports "$TMP/out.csv")"
	check "csv service" https "$(python3 -c 'import csv,sys; print({r["service"] for r in csv.DictReader(open(sys.argv[1], newline=""))}.pop())' "$TMP/out.csv")"
	check "table lines in" $conns "$(table_sum "$TMP/st.out" 443 in)"
	check "table lines out" $conns "$(table_sum "$TMP/st.out" 443 out)"
	check "summary in" $conns "$(summary_col "$TMP/st.out" 443 in OPENED)"
	check "summary out" $conns "$(summary_col "$TMP/st.out" 443 out OPENED)"
	check "summary service" https "$(summary_col "$TMP/st.out" 443 in SERVICE)"
	check "summary rows" 2 "$(summary_block "$TMP/st.out" | grep -c '/tcp ')"
	check_true "escape codes in non-terminal output" not_grep_escape "$TMP/st.out"
}

not_grep_escape() { ! grep -q $'\033' "$1"; }

test_duration_ends_run_and_unloads() {
	read -r P < <(free_ports 1)
	timeout 20 "$SOCKTRACE" ${BACKEND:+--backend "$BACKEND"} -p "$P" -d 0.5 --csv "$TMP/out.csv" >"$TMP/st.out" 2>"$TMP/st.err"
	check "exit status" 0 $?
	check_true "no summary after --duration" grep -q '^socktrace summary:' "$TMP/st.out"
	check "csv header" "timestamp,port,service,proto,direction,opened,failed,lat_p50_us,lat_p90_us,lat_p99_us,lat_max_us" \
		"$(head -1 "$TMP/out.csv" | cut -d, -f1-11)"
	# The kernel frees a program shortly after its last reference (deferred work).
	check_true "a socktrace BPF program is still loaded 5s after exit" \
		wait_until 5 no_socktrace_progs
}

# Failures by reason: a listener whose accept queue is full drops SYNs, so the
# kernel times the connects out (TCP_SYNCNT=1: ~3 s); non-blocking connects
# closed early are aborted by the application.
test_failure_reasons() {
	local peer timeouts=3 aborts=2
	peer=$(dirname "${BASH_SOURCE[0]}")/tcp_peer.py
	read -r P < <(free_ports 1)
	start_socktrace --port "$P" --csv "$TMP/out.csv" || return 1
	"$peer" stuck-listener "$P" &
	PIDS+=($!)
	wait_until 10 is_listening "$P" || return 1
	"$peer" connect "$P" || return 1 # fills the accept queue
	"$peer" timeout "$P" $timeouts || return 1
	"$peer" abort "$P" $aborts || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "out opened" 1 "$(csv_sum "$TMP/out.csv" "$P" out opened)"
	check "in opened" 1 "$(csv_sum "$TMP/out.csv" "$P" in opened)"
	check "out failed" $((timeouts + aborts)) "$(csv_sum "$TMP/out.csv" "$P" out failed)"
	check "out failed_timeout" $timeouts "$(csv_sum "$TMP/out.csv" "$P" out failed_timeout)"
	check "out failed_aborted" $aborts "$(csv_sum "$TMP/out.csv" "$P" out failed_aborted)"
	check "summary reasons" "failed $P/tcp out: timeout $timeouts, aborted $aborts" \
		"$(grep "^failed $P/tcp out:" "$TMP/st.out")"
}

# On a terminal: the table is redrawn in place, and its counts are the same.
test_terminal_table() {
	local st_pid cmd
	read -r P < <(free_ports 1)
	# script(1) gives socktrace a pseudo-terminal and records what it draws.
	cmd="$SOCKTRACE ${BACKEND:+--backend $BACKEND }-w -p $P -i 0.2"
	script -qfec "stty cols 160 rows 40; $cmd" "$TMP/tty.out" >/dev/null </dev/null &
	PIDS+=($!)
	wait_until 20 grep -sq "tracing TCP connections" "$TMP/tty.out" || return 1
	start_nginx "$P" && http_get "$P" $N || return 1
	# TOTAL (-w) counts the run; the connections may span intervals.
	wait_until 10 live_total_reached "$TMP/tty.out" "$P" $N
	check "live table's in row reached $N in total" 0 $?
	st_pid=$(pgrep -f -- "^$cmd")
	kill -INT "$st_pid"
	wait_until 10 grep -sq '^socktrace summary:' "$TMP/tty.out" || return 1
	wait_until 10 grep -Eq "^$P/tcp +- +out +$N +0 " "$TMP/tty.out"
	check "summary out row on the terminal" 0 $?
	check_true "no screen redraw on a terminal" grep -q $'\033\\[H\033\\[2J' "$TMP/tty.out"
	check_true "no lost-events footer" grep -q '^events [0-9]* ([0-9]*/s)  lost 0' "$TMP/tty.out"
}

# A connect already in SYN_SENT when socktrace attaches is counted when it
# completes, without latency or owner (socktrace never saw it start).
test_connect_started_before_attach() {
	local peer listener client
	peer=$(dirname "${BASH_SOURCE[0]}")/tcp_peer.py
	read -r P < <(free_ports 1)
	"$peer" stuck-listener "$P" &
	listener=$!
	PIDS+=("$listener")
	wait_until 10 is_listening "$P" || return 1
	"$peer" connect "$P" || return 1 # fills the accept queue: the next SYN is dropped
	"$peer" connect "$P" &
	client=$!
	PIDS+=("$client")
	wait_until 10 in_syn_sent "$P" || return 1
	start_socktrace --port "$P" --csv "$TMP/out.csv" || return 1
	kill -USR1 "$listener" # accept one: the client's next SYN retry gets in
	wait "$client"
	check "client connect" 0 $?
	stop_socktrace
	check "exit status" 0 $?
	check "out opened" 1 "$(csv_sum "$TMP/out.csv" "$P" out opened)"
	check "out latency samples" 0 "$(csv_sum "$TMP/out.csv" "$P" out lat_samples)"
	check "out owner" - "$(summary_col "$TMP/st.out" "$P" out PROCESS)"
	check_true "no note about the unseen start: $(cat "$TMP/st.err")" \
		grep -q "1 connects began before tracing" "$TMP/st.err"
}

in_syn_sent() { [ -n "$(ss -Htn state syn-sent "dport = :$1")" ]; }

# live_total_reached FILE PORT N: the live table's "in" row for PORT shows TOTAL N, owned by nginx.
live_total_reached() {
	awk -v p="$2/tcp" -v n="$3" '
		$1 == "PORT" { for (i = 1; i <= NF; i++) if ($i == "TOTAL") col = i }
		col && $1 == p && $3 == "in" && $col == n && $NF ~ /^nginx\[/ { found = 1 }
		END { exit !found }' "$1"
}
