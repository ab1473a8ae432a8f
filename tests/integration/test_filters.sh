# shellcheck shell=bash
# Filters (--pid, --comm, --cgroup, --netns, --dir, --proto, with --port): several
# socktrace runs watch the same workload at once, each with its own filter. Each
# must count exactly the traffic its filter includes, and show no row and receive
# no event for the rest (filtering happens in the kernel: the summary's event count
# is what reached user space).

named=$(dirname "${BASH_SOURCE[0]}")/named.py
Y=100 # bytes each served connection sends

# st_start NAME ARGS...: a socktrace run of its own, output in $TMP/NAME.{out,err,csv}.
declare -A ST
st_start() {
	local name=$1
	shift
	"$SOCKTRACE" ${BACKEND:+--backend "$BACKEND"} "$@" --csv "$TMP/$name.csv" -i 0.5 \
		>"$TMP/$name.out" 2>"$TMP/$name.err" &
	ST[$name]=$!
	PIDS+=("$!")
	if ! wait_until 20 grep -sEq "tracing (TCP connections|UDP datagrams)" "$TMP/$name.err"; then
		echo "socktrace $name did not attach: $(cat "$TMP/$name.err")" >&2
		return 1
	fi
	[ -z "$BACKEND" ] || grep -q "(backend $BACKEND)" "$TMP/$name.err" ||
		{ echo "socktrace $name is not on backend $BACKEND" >&2; return 1; }
}

# st_stop NAME...: Ctrl-C each run; each must exit 0.
st_stop() {
	local name
	for name; do
		kill -INT "${ST[$name]}"
		wait "${ST[$name]}"
		check "$name: exit status" 0 $?
	done
}

# csv_keys FILE: the rows the CSV has, "PORT/PROTO/DIRECTION" sorted, space-separated.
csv_keys() {
	python3 -c 'import csv, sys
print(" ".join(sorted({"%s/%s/%s" % (r["port"], r["proto"], r["direction"])
                       for r in csv.DictReader(open(sys.argv[1], newline=""))})))' "$1"
}

# rows KEY...: the keys as csv_keys sorts them.
rows() { printf '%s\n' "$@" | LC_ALL=C sort | xargs; }

# tcp_events FILE PORT LISTENS: the events a clean TCP workload on PORT sends user space:
# per connection "out" its connect and close; per "in" its establishment, its accept()
# (where an accept hook attached: the CSV's accept-queue wait samples) and its close;
# plus LISTENS listener opens and closes.
tcp_events() {
	echo $(($(csv_sum "$1" "$2" out opened) + $(csv_sum "$1" "$2" out closed) +
		$(csv_sum "$1" "$2" in opened) + $(csv_sum "$1" "$2" in accept_wait_samples) +
		$(csv_sum "$1" "$2" in closed) + $3))
}

# named_server NAME HOST PORT N: tcp_peer.py serve for N connections as process NAME,
# listening when this returns; its pid in SERVER.
named_server() {
	"$named" "$1" "$peer" serve "$2" "$3" "$4" $Y >"$TMP/serve-$3-$1.out" &
	SERVER=$!
	PIDS+=("$SERVER")
	wait_until 10 grep -sqx ready "$TMP/serve-$3-$1.out"
}

# named_fetch NAME HOST PORT K: K connections, one after the other, as process NAME.
named_fetch() {
	local i
	for ((i = 0; i < $4; i++)); do
		"$named" "$1" "$peer" fetch "$2" "$3" $Y || return 1
	done
}

# Names as the kernel keeps them: 15 characters, so --comm gets the truncated one.
test_filter_comm() {
	local srv=st-server-longname a=2 b=3
	read -r P < <(free_ports 1)
	st_start srv --comm "${srv:0:15}" || return 1
	st_start cli --comm st-cli-a || return 1
	st_start none --comm st-nobody || return 1
	named_server "$srv" 127.0.0.1 "$P" $((a + b)) || return 1
	named_fetch st-cli-a 127.0.0.1 "$P" $a && named_fetch st-cli-b 127.0.0.1 "$P" $b || return 1
	wait "$SERVER"
	check "server" 0 $?
	settled "$P" || return 1
	st_stop srv cli none
	check "srv: rows" "$P/tcp/in" "$(csv_keys "$TMP/srv.csv")"
	check "srv: in opened (every client)" $((a + b)) "$(csv_sum "$TMP/srv.csv" "$P" in opened)"
	check "srv: in closed" $((a + b)) "$(csv_sum "$TMP/srv.csv" "$P" in closed)"
	check "srv: events" "$(tcp_events "$TMP/srv.csv" "$P" 2)" "$(summary_events "$TMP/srv.out")"
	check "cli: rows" "$P/tcp/out" "$(csv_keys "$TMP/cli.csv")"
	check "cli: out opened (st-cli-a only)" $a "$(csv_sum "$TMP/cli.csv" "$P" out opened)"
	check "cli: out closed" $a "$(csv_sum "$TMP/cli.csv" "$P" out closed)"
	check "cli: events" $((2 * a)) "$(summary_events "$TMP/cli.out")"
	check "none: rows" "" "$(csv_keys "$TMP/none.csv")"
	check "none: events" 0 "$(summary_events "$TMP/none.out")"
}

# The server listens before socktrace starts: its listener's owner comes from the
# start snapshot (the process holding it). One client's pid is known in advance: it
# waits on a FIFO, then execs (same pid) into its connect.
test_filter_pid() {
	local n=4 client idle
	read -r P < <(free_ports 1)
	named_server st-srv 127.0.0.1 "$P" $n || return 1
	mkfifo "$TMP/go"
	sh -c 'read -r _ <"$1"; shift; exec "$@"' sh "$TMP/go" "$peer" fetch 127.0.0.1 "$P" $Y &
	client=$!
	PIDS+=("$client")
	sleep 300 &
	idle=$!
	PIDS+=("$idle")
	st_start srv --pid "$SERVER" || return 1
	st_start cli --pid "$client" || return 1
	st_start none --pid "$idle" || return 1
	echo go >"$TMP/go"
	wait "$client"
	check "client" 0 $?
	named_fetch st-other 127.0.0.1 "$P" $((n - 1)) || return 1
	wait "$SERVER"
	check "server" 0 $?
	settled "$P" || return 1
	st_stop srv cli none
	check "srv: rows" "$P/tcp/in" "$(csv_keys "$TMP/srv.csv")"
	check "srv: in opened" $n "$(csv_sum "$TMP/srv.csv" "$P" in opened)"
	check "srv: in closed" $n "$(csv_sum "$TMP/srv.csv" "$P" in closed)"
	# The listener was open at start: no open event, one close.
	check "srv: events" "$(tcp_events "$TMP/srv.csv" "$P" 1)" "$(summary_events "$TMP/srv.out")"
	check "cli: rows" "$P/tcp/out" "$(csv_keys "$TMP/cli.csv")"
	check "cli: out opened" 1 "$(csv_sum "$TMP/cli.csv" "$P" out opened)"
	check "cli: events" 2 "$(summary_events "$TMP/cli.out")"
	check "none: rows" "" "$(csv_keys "$TMP/none.csv")"
	check "none: events" 0 "$(summary_events "$TMP/none.out")"
}

# in_cgroup DIR CMD...: run CMD in cgroup DIR (it moves itself, then execs).
in_cgroup() {
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$@"
}

# Servers in A/sub (a cgroup below A), clients in B, one more client in neither;
# ports P and Q. A socket belongs to the cgroup its creator was in, an accepted one
# to its listener's: --cgroup A sees the servers' side, B the clients'.
test_filter_cgroup() {
	local root a b p=3 q=2 i sp sq
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	a=$root/socktrace-test-$$-a b=$root/socktrace-test-$$-b
	if [ -z "$root" ] || ! mkdir "$a" 2>/dev/null; then
		echo "    no writable cgroup v2 hierarchy here" >&2
		return 77
	fi
	CLEANUP+=("rmdir $a/sub $a $b")
	mkdir "$a/sub" "$b" || return 1
	read -r P Q < <(free_ports 2)
	st_start a --cgroup "$a" || return 1
	st_start ap --cgroup "$a" --port "$P" || return 1
	st_start b --cgroup "$b" || return 1
	in_cgroup "$a/sub" "$peer" serve 127.0.0.1 "$P" $((p + 1)) $Y >"$TMP/serve-p.out" &
	sp=$!
	in_cgroup "$a/sub" "$peer" serve 127.0.0.1 "$Q" $q $Y >"$TMP/serve-q.out" &
	sq=$!
	PIDS+=("$sp" "$sq")
	wait_until 10 grep -sqx ready "$TMP/serve-p.out" && wait_until 10 grep -sqx ready "$TMP/serve-q.out" ||
		return 1
	for ((i = 0; i < p; i++)); do in_cgroup "$b" "$peer" fetch 127.0.0.1 "$P" $Y || return 1; done
	for ((i = 0; i < q; i++)); do in_cgroup "$b" "$peer" fetch 127.0.0.1 "$Q" $Y || return 1; done
	"$peer" fetch 127.0.0.1 "$P" $Y || return 1 # from socktrace's own cgroup: neither
	wait "$sp" && wait "$sq" || return 1
	settled "$P" && settled "$Q" || return 1
	st_stop a ap b
	check "a: rows" "$(rows "$P/tcp/in" "$Q/tcp/in")" "$(csv_keys "$TMP/a.csv")"
	check "a: in opened on P (all clients)" $((p + 1)) "$(csv_sum "$TMP/a.csv" "$P" in opened)"
	check "a: in opened on Q" $q "$(csv_sum "$TMP/a.csv" "$Q" in opened)"
	check "a: events" $(($(tcp_events "$TMP/a.csv" "$P" 2) + $(tcp_events "$TMP/a.csv" "$Q" 2))) \
		"$(summary_events "$TMP/a.out")"
	check "ap: rows" "$P/tcp/in" "$(csv_keys "$TMP/ap.csv")"
	check "ap: in opened on P" $((p + 1)) "$(csv_sum "$TMP/ap.csv" "$P" in opened)"
	check "ap: events" "$(tcp_events "$TMP/ap.csv" "$P" 2)" "$(summary_events "$TMP/ap.out")"
	check "b: rows" "$(rows "$P/tcp/out" "$Q/tcp/out")" "$(csv_keys "$TMP/b.csv")"
	check "b: out opened on P (not the third cgroup's)" $p "$(csv_sum "$TMP/b.csv" "$P" out opened)"
	check "b: out opened on Q" $q "$(csv_sum "$TMP/b.csv" "$Q" out opened)"
	check "b: events" $((2 * (p + q))) "$(summary_events "$TMP/b.out")"
}

# A server namespace and a client namespace joined by veth (netns_pair, in
# test_lifecycle.sh), and the same port served on loopback here as well.
test_filter_netns() {
	local n=3 m=2 ino_c i ns_server
	netns_pair || return 1
	ino_c=$(stat -L -c %i "/run/netns/$NS_C")
	read -r P < <(free_ports 1)
	st_start s --netns "/run/netns/$NS_S" || return 1
	st_start c --netns "$ino_c" || return 1
	st_start here --netns "/proc/$$/ns/net" --port "$P" || return 1
	ip netns exec "$NS_S" "$peer" serve 10.77.0.2 "$P" $n $Y >"$TMP/serve-ns.out" &
	ns_server=$!
	PIDS+=("$ns_server")
	named_server st-here 127.0.0.1 "$P" $m || return 1
	wait_until 10 grep -sqx ready "$TMP/serve-ns.out" || return 1
	for ((i = 0; i < n; i++)); do ip netns exec "$NS_C" "$peer" fetch 10.77.0.2 "$P" $Y || return 1; done
	named_fetch st-here 127.0.0.1 "$P" $m || return 1
	wait "$ns_server" && wait "$SERVER" || return 1
	settled "$P" "$NS_S" && settled "$P" "$NS_C" && settled "$P" || return 1
	st_stop s c here
	check "s: rows" "$P/tcp/in" "$(csv_keys "$TMP/s.csv")"
	check "s: in opened" $n "$(csv_sum "$TMP/s.csv" "$P" in opened)"
	check "s: events" "$(tcp_events "$TMP/s.csv" "$P" 2)" "$(summary_events "$TMP/s.out")"
	check "c: rows" "$P/tcp/out" "$(csv_keys "$TMP/c.csv")"
	check "c: out opened" $n "$(csv_sum "$TMP/c.csv" "$P" out opened)"
	check "c: events" $((2 * n)) "$(summary_events "$TMP/c.out")"
	check "here: rows" "$P/tcp/in $P/tcp/out" "$(csv_keys "$TMP/here.csv")"
	check "here: in opened" $m "$(csv_sum "$TMP/here.csv" "$P" in opened)"
	check "here: out opened" $m "$(csv_sum "$TMP/here.csv" "$P" out opened)"
	check "here: events" "$(tcp_events "$TMP/here.csv" "$P" 2)" "$(summary_events "$TMP/here.out")"
}

# Both ends on loopback: each connection is an "in" and an "out". With --port, two
# ports served and one of them filtered away.
test_filter_dir_with_port() {
	local n=3 k=2
	read -r P R < <(free_ports 2)
	st_start in --dir in --port "$P,$R" || return 1
	st_start out --dir out --port "$P,$R" || return 1
	st_start inp --dir in --port "$P" || return 1
	named_server st-p 127.0.0.1 "$P" $n && named_fetch st-c 127.0.0.1 "$P" $n || return 1
	wait "$SERVER"
	named_server st-r 127.0.0.1 "$R" $k && named_fetch st-c 127.0.0.1 "$R" $k || return 1
	wait "$SERVER"
	settled "$P" && settled "$R" || return 1
	st_stop in out inp
	check "in: rows" "$(rows "$P/tcp/in" "$R/tcp/in")" "$(csv_keys "$TMP/in.csv")"
	check "in: opened on P" $n "$(csv_sum "$TMP/in.csv" "$P" in opened)"
	check "in: opened on R" $k "$(csv_sum "$TMP/in.csv" "$R" in opened)"
	check "in: events" $(($(tcp_events "$TMP/in.csv" "$P" 2) + $(tcp_events "$TMP/in.csv" "$R" 2))) \
		"$(summary_events "$TMP/in.out")"
	check "out: rows" "$(rows "$P/tcp/out" "$R/tcp/out")" "$(csv_keys "$TMP/out.csv")"
	check "out: opened on P" $n "$(csv_sum "$TMP/out.csv" "$P" out opened)"
	check "out: opened on R" $k "$(csv_sum "$TMP/out.csv" "$R" out opened)"
	check "out: events" $((2 * (n + k))) "$(summary_events "$TMP/out.out")"
	check "inp: rows" "$P/tcp/in" "$(csv_keys "$TMP/inp.csv")"
	check "inp: opened" $n "$(csv_sum "$TMP/inp.csv" "$P" in opened)"
	check "inp: events" "$(tcp_events "$TMP/inp.csv" "$P" 2)" "$(summary_events "$TMP/inp.out")"
}

# UDP and TCP on the same port number. --proto tcp leaves the UDP hooks off (the start
# line says TCP only); --proto udp gets no TCP event.
test_filter_proto() {
	local n=4 x=10 y=20 m=3
	has_udp_hooks || { echo "    no UDP hooks on this kernel with --backend ${BACKEND}"; return 77; }
	read -r P < <(free_ports 1)
	st_start udp --proto udp --port "$P" || return 1
	st_start tcp --proto tcp --port "$P" || return 1
	st_start udpout --proto udp --dir out --port "$P" || return 1
	"$udp_peer" 127.0.0.1 "$P" $n $x $y || return 1
	"$peer" transfer 127.0.0.1 "$P" $m $x $y || return 1
	settled "$P" || return 1
	st_stop udp tcp udpout
	check_true "tcp: start line says TCP only" grep -q "tracing TCP connections on ports" "$TMP/tcp.err"
	check_true "udp: start line says UDP only" grep -q "tracing UDP datagrams on ports" "$TMP/udp.err"
	check "udp: rows" "$P/udp/in $P/udp/out" "$(csv_keys "$TMP/udp.csv")"
	check "udp: in datagrams_received" $n "$(csv_udp "$TMP/udp.csv" "$P" in datagrams_received)"
	check "udp: in datagrams_sent" $n "$(csv_udp "$TMP/udp.csv" "$P" in datagrams_sent)"
	check "udp: out datagrams_sent" $n "$(csv_udp "$TMP/udp.csv" "$P" out datagrams_sent)"
	check "udp: out bytes_received" $((n * y)) "$(csv_udp "$TMP/udp.csv" "$P" out bytes_received)"
	# The only UDP events: one response time per request answered.
	check "udp: events" $n "$(summary_events "$TMP/udp.out")"
	check "tcp: rows" "$P/tcp/in $P/tcp/out" "$(csv_keys "$TMP/tcp.csv")"
	check "tcp: in opened" $m "$(csv_sum "$TMP/tcp.csv" "$P" in opened)"
	check "tcp: out opened" $m "$(csv_sum "$TMP/tcp.csv" "$P" out opened)"
	check "tcp: events" "$(tcp_events "$TMP/tcp.csv" "$P" 2)" "$(summary_events "$TMP/tcp.out")"
	check "udpout: rows" "$P/udp/out" "$(csv_keys "$TMP/udpout.csv")"
	check "udpout: out datagrams_sent" $n "$(csv_udp "$TMP/udpout.csv" "$P" out datagrams_sent)"
	check "udpout: events" $n "$(summary_events "$TMP/udpout.out")"
}

# A bad --cgroup or --netns: one line naming it, exit 2, nothing on stdout.
test_filter_bad_values() {
	local arg out err rc
	for arg in "--cgroup /tmp" "--cgroup $TMP/nonexistent" "--netns /tmp" "--netns abc" \
		"--netns 0" "--netns /proc/self/ns/uts"; do
		# shellcheck disable=SC2086
		"$SOCKTRACE" $arg -d 1 >"$TMP/bad.out" 2>"$TMP/bad.err"
		rc=$?
		out=$(cat "$TMP/bad.out") err=$(cat "$TMP/bad.err")
		check "$arg: exit status" 2 $rc
		check "$arg: stdout" "" "$out"
		check "$arg: stderr lines" 1 "$(wc -l <"$TMP/bad.err")"
		check_true "$arg: message names ${arg#* } ($err)" grep -qF "'${arg#* }'" "$TMP/bad.err"
	done
}
