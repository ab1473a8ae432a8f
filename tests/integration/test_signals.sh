# shellcheck shell=bash
# Stopping: SIGINT, SIGTERM and SIGHUP give the final interval and summary and exit 0; a
# second signal exits at once (130); a stdout whose reader goes away (`| head`) ends the run
# quietly, with status 0 and a complete CSV file.

# csv_whole FILE: "whole" when every line ends with CRLF and has the header's width.
csv_whole() {
	python3 - "$1" <<'PY'
import csv, sys
data = open(sys.argv[1], newline="").read()
rows = list(csv.reader(data.split("\r\n")[:-1]))
if not data.endswith("\r\n"):
    print("the last line is cut: " + repr(data[-60:]))
elif [r for r in rows if len(r) != len(rows[0])]:
    print("lines of another width than the header")
else:
    print("whole")
PY
}

# csv_is FILE PORT DIRECTION N: the opened column of PORT/tcp/DIRECTION adds up to N.
csv_is() { [ "$(csv_sum "$1" "$2" "$3" opened 2>/dev/null)" = "$4" ]; }

# signal_stop SIG: N GETs, seen in the CSV; M more, then SIG at once. Exit 0, and the summary
# and the CSV both count N + M (the last M in the final interval, or one before it).
signal_stop() {
	local n=3 m=2 dir
	read -r P < <(free_ports 1)
	start_nginx "$P" || return 1
	start_socktrace -p "$P" --csv "$TMP/out.csv" -i 0.2 || return 1
	http_get "$P" $n || return 1
	wait_until 10 csv_is "$TMP/out.csv" "$P" in $n || { echo "no $n in the CSV" >&2; return 1; }
	http_get "$P" $m || return 1
	stop_socktrace "$1"
	check "exit status after SIG$1" 0 $?
	for dir in in out; do
		check "summary $dir" $((n + m)) "$(summary_col "$TMP/st.out" "$P" $dir OPENED)"
		check "csv $dir" $((n + m)) "$(csv_sum "$TMP/out.csv" "$P" $dir opened)"
	done
	check "csv after SIG$1" whole "$(csv_whole "$TMP/out.csv")"
	check "stderr after SIG$1" "" "$(grep -v '^socktrace: tracing ' "$TMP/st.err")"
}

test_signal_int_summary_and_csv() { signal_stop INT; }
test_signal_term_summary_and_csv() { signal_stop TERM; }
test_signal_hup_summary_and_csv() { signal_stop HUP; }

# ended SECS MESSAGE: socktrace ($ST_PID) exits within SECS; else MESSAGE, a failed check.
ended() {
	wait_until "$1" eval "! kill -0 $ST_PID 2>/dev/null" && return 0
	check_true "$2" false
	return 1
}

# pending PID SIG: SIG is still pending for PID (not yet handled).
pending() {
	local bit mask
	bit=$(kill -l "$2")
	mask=$(awk '/^ShdPnd:/ { print $2 }' "/proc/$1/status")
	[ $((0x$mask >> (bit - 1) & 1)) -eq 1 ]
}

# blocked_in_write PID: PID sleeps in the kernel's pipe write (anon_pipe_write on 6.18).
blocked_in_write() { [[ "$(cat "/proc/$1/wchan")" == *pipe_write ]]; }

# A stop that cannot finish: stdout is a full pipe that nobody reads. The first signal is
# handled (the run would end after the write it is blocked in); the second exits at once.
test_signal_second_exits_at_once() {
	local i
	read -r P < <(free_ports 1)
	mkfifo "$TMP/pipe"
	# The reader holds the pipe open, made one page small, and never reads.
	python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ
print("ready", flush=True)
time.sleep(300)' "$TMP/pipe" >"$TMP/reader.out" &
	PIDS+=($!)
	wait_until 10 grep -sqx ready "$TMP/reader.out" || return 1
	start_nginx "$P" || return 1
	"$SOCKTRACE" ${BACKEND:+--backend "$BACKEND"} --events -p "$P" >"$TMP/pipe" 2>"$TMP/st.err" &
	ST_PID=$!
	PIDS+=("$ST_PID")
	wait_until 20 grep -sq "tracing TCP" "$TMP/st.err" || return 1
	for ((i = 0; i < 100; i++)); do
		blocked_in_write "$ST_PID" && break
		http_get "$P" 1 || return 1
	done
	check_true "socktrace not blocked writing to the full pipe: $(cat "/proc/$ST_PID/wchan")" \
		blocked_in_write "$ST_PID"
	kill -TERM "$ST_PID"
	wait_until 5 eval "! pending $ST_PID TERM" || return 1
	check_true "the first signal ended socktrace" kill -0 "$ST_PID"
	kill -INT "$ST_PID"
	ended 5 "socktrace still runs 5 s after the second signal" || return 1
	wait "$ST_PID"
	check "exit status after a second signal" 130 $?
	# The first signal did not turn the blocked write into an error (SA_RESTART).
	check "stderr" "" "$(grep -v '^socktrace: tracing ' "$TMP/st.err")"
}

# pipe_to_head ARGS...: socktrace -p P ARGS with stdout on a pipe to `head -n 2`, which
# starts reading once N GETs are done (the lines wait in the pipe). When head exits,
# socktrace must end by itself, promptly, quietly, with status 0; its CSV file, if ARGS
# name one, complete and exact.
pipe_to_head() {
	local n=4 head_pid dir csv=
	[[ " $* " == *" --csv $TMP/out.csv "* ]] && csv=$TMP/out.csv
	read -r P < <(free_ports 1)
	start_nginx "$P" || return 1
	mkfifo "$TMP/pipe"
	sh -c 'until [ -e "$0" ]; do sleep 0.05; done; exec head -n 2' "$TMP/go" \
		<"$TMP/pipe" >"$TMP/head.out" &
	head_pid=$!
	PIDS+=("$head_pid")
	"$SOCKTRACE" ${BACKEND:+--backend "$BACKEND"} -p "$P" "$@" >"$TMP/pipe" 2>"$TMP/st.err" &
	ST_PID=$!
	PIDS+=("$ST_PID")
	wait_until 20 grep -sq "tracing TCP" "$TMP/st.err" || return 1
	http_get "$P" $n || return 1
	touch "$TMP/go"
	wait_until 10 eval "! kill -0 $head_pid 2>/dev/null" || { echo "head still reads" >&2; return 1; }
	check "lines head read" 2 "$(wc -l <"$TMP/head.out")"
	ended 3 "socktrace still runs 3 s after head exited" || return 1
	wait "$ST_PID"
	check "exit status when stdout's reader is gone" 0 $?
	check "stderr" "" "$(grep -v '^socktrace: tracing ' "$TMP/st.err")"
	[ -n "$csv" ] || return 0
	for dir in in out; do
		check "csv $dir" $n "$(csv_sum "$csv" "$P" $dir opened)"
	done
	check "csv" whole "$(csv_whole "$csv")"
}

test_pipe_head_table() { pipe_to_head -i 0.2 --csv "$TMP/out.csv"; }
# A long interval: the CSV's only rows are those of the final interval.
test_pipe_head_events() { pipe_to_head --events -i 3600 --csv "$TMP/out.csv"; }
test_pipe_head_events_json() { pipe_to_head --events --json -i 3600 --csv "$TMP/out.csv"; }
test_pipe_head_json() { pipe_to_head --json -i 0.2 --csv "$TMP/out.csv"; }
test_pipe_head_hist() { pipe_to_head --hist -i 0.2 --csv "$TMP/out.csv"; }
test_pipe_head_csv_stdout() {
	pipe_to_head --csv - -i 0.2 || return 1
	check "first line" "timestamp,port,service" "$(head -n1 "$TMP/head.out" | cut -d, -f1-3)"
}
