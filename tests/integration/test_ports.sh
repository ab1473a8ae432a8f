# shellcheck shell=bash
# `socktrace ports`: the sockets open now, per port, against what ss says and what the
# test itself set up (listeners, connections held open, a full accept queue).

ports_peer=$(dirname "${BASH_SOURCE[0]}")/ports_peer.py

# ports_run ARGS...: socktrace ports ARGS, output in $TMP/st.out, errors in $TMP/st.err.
ports_run() {
	"$SOCKTRACE" ports "$@" >"$TMP/st.out" 2>"$TMP/st.err"
}

# ports_peer_start NAME MODE ARGS...: ports_peer.py MODE ARGS in the background, its
# stdout in $TMP/NAME.out; waits for its "ready" line. PEER_PID is its pid.
ports_peer_start() {
	local name=$1
	shift
	python3 "$ports_peer" "$@" >"$TMP/$name.out" &
	PEER_PID=$!
	PIDS+=("$PEER_PID")
	wait_until 20 grep -sq '^ready' "$TMP/$name.out" ||
		{ echo "ports_peer.py $* never got ready" >&2; return 1; }
}

# ports_listeners FILE: "proto address owner queue drops", one line per listener shown.
ports_listeners() {
	awk '$1 ~ /^[0-9]+\/(tcp|udp)$/ { split($1, p, "/"); proto = p[2] }
	     $1 == "listen" { print proto, $2, $3, $5, $7 }' "$1"
}

# ports_col FILE PORT/PROTO NAME: that row's LISTEN, IN, OUT or OTHER (counted from the
# end: CLASS may be two words).
ports_col() {
	awk -v key="$2" -v name="$3" '
		BEGIN { back["LISTEN"] = 3; back["IN"] = 2; back["OUT"] = 1; back["OTHER"] = 0 }
		$1 == key { print $(NF - back[name]) }' "$1"
}

# ports_class FILE PORT/PROTO: that row's CLASS column (one or two words).
ports_class() {
	awk -v key="$2" '$1 == key { c = $3; if (NF == 8) c = c " " $4; print c }' "$1"
}

# ports_peers FILE PORT/PROTO: the peers line of that row, without its "peers" word.
ports_peers() {
	awk -v key="$2" '$1 ~ /^[0-9]+\/(tcp|udp)$/ { row = $1 }
		row == key && $1 == "peers" { $1 = ""; sub(/^ /, ""); print }' "$1"
}

# ports_rows FILE: the PORT/PROTO of every row, one per line.
ports_rows() {
	awk '$1 ~ /^[0-9]+\/(tcp|udp)$/ { print $1 }' "$1"
}

# ss_listeners PORT...: "proto address owner" for each socket ss -Htulnp lists on those
# ports; owner written as socktrace does: name[lowest pid], "+N" for N more processes.
ss_listeners() {
	ss -Htulnp | python3 -c '
import re, sys
ports = set(sys.argv[1:])
for line in sys.stdin:
    f = line.split()
    if f[4].rsplit(":", 1)[1] not in ports:
        continue
    users = {int(pid): name for name, pid in re.findall(r"\(\"([^\"]*)\",pid=(\d+),", line)}
    owner = "-"
    if users:
        low = min(users)
        owner = f"{users[low]}[{low}]" + (f"+{len(users) - 1}" if len(users) > 1 else "")
    print(f[0], f[4], owner)
' "$@" | sort
}

# ss_count FILTER...: how many sockets ss -Htuna shows with FILTER.
ss_count() {
	ss -Htuna "$@" | wc -l
}

is_udp_bound() { [ -n "$(ss -Huln "sport = :$1")" ]; }

test_ports_agrees_with_ss_on_listeners() {
	local p_nginx p_tcp p_udp p_v6 socat_tcp socat_udp py_v6 own
	read -r p_nginx p_tcp p_udp p_v6 < <(free_ports 4)
	start_nginx "$p_nginx" || return 1
	socat "TCP-LISTEN:$p_tcp,bind=127.0.0.1,reuseaddr,fork" SYSTEM:true &
	socat_tcp=$!
	PIDS+=("$socat_tcp")
	socat -u "UDP-RECV:$p_udp,bind=127.0.0.1" OPEN:/dev/null &
	socat_udp=$!
	PIDS+=("$socat_udp")
	ports_peer_start v6 listen tcp ::1 "$p_v6" || return 1
	py_v6=$PEER_PID
	# Also UDP on [::1], on the nginx port (another protocol: another row).
	ports_peer_start v6u listen udp ::1 "$p_nginx" || return 1
	wait_until 10 is_listening "$p_tcp" && wait_until 10 is_udp_bound "$p_udp" || return 1

	ports_run -p "$p_nginx,$p_tcp,$p_udp,$p_v6"
	check "exit status" 0 $?
	check "stderr" "" "$(cat "$TMP/st.err")"
	# Who listens where, and who holds it: exactly what ss -p says.
	check "listeners and owners (ss -Htulnp)" "$(ss_listeners "$p_nginx" "$p_tcp" "$p_udp" "$p_v6")" \
		"$(ports_listeners "$TMP/st.out" | awk '{ print $1, $2, $3 }' | sort)"
	check "listener count" 5 "$(ports_listeners "$TMP/st.out" | wc -l)"
	# Owners against the pids this test started (not only against ss).
	own=$(ports_listeners "$TMP/st.out" | awk -v a="127.0.0.1:$p_nginx" '$2 == a { print $3 }')
	check "nginx owner: master + its worker" "nginx[$NGINX_PID]+1" "$own"
	check "nginx workers" 1 "$(pgrep -c -P "$NGINX_PID")"
	check "socat tcp owner" "tcp 127.0.0.1:$p_tcp socat[$socat_tcp]" \
		"$(ports_listeners "$TMP/st.out" | awk -v a="127.0.0.1:$p_tcp" '$2 == a { print $1, $2, $3 }')"
	check "socat udp owner" "udp 127.0.0.1:$p_udp socat[$socat_udp]" \
		"$(ports_listeners "$TMP/st.out" | awk -v a="127.0.0.1:$p_udp" '$2 == a { print $1, $2, $3 }')"
	check "python [::1] owner" "tcp [::1]:$p_v6 python3[$py_v6]" \
		"$(ports_listeners "$TMP/st.out" | awk -v a="[::1]:$p_v6" '$2 == a { print $1, $2, $3 }')"
	check "python [::1] udp owner" "udp [::1]:$p_nginx python3[$PEER_PID]" \
		"$(ports_listeners "$TMP/st.out" | awk -v a="[::1]:$p_nginx" '$2 == a { print $1, $2, $3 }')"
	# -p: exactly the rows of those ports, nothing else of the machine's.
	check "rows" "$(printf '%s\n' "$p_nginx/tcp" "$p_nginx/udp" "$p_tcp/tcp" "$p_udp/udp" \
		"$p_v6/tcp" | sort)" "$(ports_rows "$TMP/st.out" | sort)"
	check "UDP listener queue" "-" \
		"$(ports_listeners "$TMP/st.out" | awk -v a="127.0.0.1:$p_udp" '$2 == a { print $4 }')"
}

# The snapshot's point: a listener that existed before socktrace ran is there, with
# the process holding it now (here not the one that created it: python exec()ed sleep).
test_ports_listener_from_before_with_owner() {
	local port pid lo hi
	read -r port < <(free_ports 1)
	python3 -c '
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(7)
s.set_inheritable(True)
os.execvp("sleep", ["sleep", "300"])
' "$port" &
	pid=$!
	PIDS+=("$pid")
	wait_until 10 is_listening "$port" || return 1
	ports_run -p "$port"
	check "exit status" 0 $?
	check "listener" "tcp 127.0.0.1:$port sleep[$pid] 0/7 0" "$(ports_listeners "$TMP/st.out")"
	check "class" "registered" "$(ports_class "$TMP/st.out" "$port/tcp")"
	check "rows" "$port/tcp" "$(ports_rows "$TMP/st.out")"
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	check_true "the title does not give the ephemeral range $lo-$hi" \
		grep -q "ephemeral $lo-$hi" "$TMP/st.out"
}

test_ports_counts_established_exactly() {
	local n=5 m=3 k=4 p4 p6 pu
	read -r p4 p6 pu < <(free_ports 3)
	ports_peer_start hold4 hold 127.0.0.1 "$p4" $n || return 1
	# A dual-stack listener on [::] that IPv4 clients reach: IPv4-mapped addresses.
	ports_peer_start hold6 hold :: "$p6" $m 127.0.0.1 || return 1
	ports_peer_start udp udp-hold "$pu" $k || return 1
	# What the kernel has, by ss (the test's own premise, not socktrace's output).
	check "ss: established from $p4" $n "$(ss_count state established "( sport = :$p4 )")"
	check "ss: established to $p4" $n "$(ss_count state established "( dport = :$p4 )")"
	check "ss: connected UDP to $pu" $k "$(ss_count state established "( dport = :$pu )")"

	ports_run -p "$p4,$p6,$pu"
	check "exit status" 0 $?
	check "$p4 listeners" 1 "$(ports_col "$TMP/st.out" "$p4/tcp" LISTEN)"
	check "$p4 in" $n "$(ports_col "$TMP/st.out" "$p4/tcp" IN)"
	check "$p4 out" $n "$(ports_col "$TMP/st.out" "$p4/tcp" OUT)"
	check "$p4 other" 0 "$(ports_col "$TMP/st.out" "$p4/tcp" OTHER)"
	check "$p4 peers (both ends)" "127.0.0.1 ($((2 * n)))" "$(ports_peers "$TMP/st.out" "$p4/tcp")"
	check "$p6 in" $m "$(ports_col "$TMP/st.out" "$p6/tcp" IN)"
	check "$p6 out" $m "$(ports_col "$TMP/st.out" "$p6/tcp" OUT)"
	check "$p6 listener" "tcp [::]:$p6" \
		"$(ports_listeners "$TMP/st.out" | awk -v p=":$p6" 'index($2, p) { print $1, $2 }')"
	check "$p6 peers (IPv4-mapped shown as IPv4)" "127.0.0.1 ($((2 * m)))" \
		"$(ports_peers "$TMP/st.out" "$p6/tcp")"
	check "$pu/udp listeners" 1 "$(ports_col "$TMP/st.out" "$pu/udp" LISTEN)"
	check "$pu/udp in" 0 "$(ports_col "$TMP/st.out" "$pu/udp" IN)"
	check "$pu/udp out" $k "$(ports_col "$TMP/st.out" "$pu/udp" OUT)"
	check "rows (client ports are no rows)" "$(printf '%s\n' "$p4/tcp" "$p6/tcp" "$pu/udp" | sort)" \
		"$(ports_rows "$TMP/st.out" | sort)"
}

# A listener inside the ephemeral range: its connections are still `in` (it has a
# listener), its clients `out`; the row says the port is ephemeral.
test_ports_ephemeral_listener() {
	local n=3 port lo hi
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	check_true "port $port from bind(0) outside $lo-$hi" test "$port" -ge "$lo" -a "$port" -le "$hi"
	ports_peer_start hold hold 127.0.0.1 "$port" $n || return 1
	ports_run -p "$port"
	check "exit status" 0 $?
	check "in" $n "$(ports_col "$TMP/st.out" "$port/tcp" IN)"
	check "out" $n "$(ports_col "$TMP/st.out" "$port/tcp" OUT)"
	check "class" "$([ "$port" -lt 49152 ] && echo registered || echo dynamic) ephemeral" \
		"$(ports_class "$TMP/st.out" "$port/tcp")"
}

# listen(1), never accept(), connect until the kernel drops SYNs: queue and drops as ss
# -tlnm shows them (Recv-Q: queue length, Send-Q: backlog, skmem d: drops).
test_ports_accept_queue_matches_ss() {
	local port k ss_line ss_q ss_b ss_d
	read -r port < <(free_ports 1)
	ports_peer_start overflow overflow "$port" 1 || return 1
	k=$(awk '{ print $2 }' "$TMP/overflow.out")
	ports_run -p "$port"
	check "exit status" 0 $?
	ss_line=$(ss -Htlnm "sport = :$port" | tr -s ' \t\n' ' ')
	ss_q=$(awk '{ print $2 }' <<<"$ss_line")
	ss_b=$(awk '{ print $3 }' <<<"$ss_line")
	ss_d=$(sed -n 's/.*,d\([0-9]*\)).*/\1/p' <<<"$ss_line")
	check "ss: queue length is what the peer queued" "$k" "$ss_q"
	check "ss: backlog" 1 "$ss_b"
	check_true "ss: no drops ($ss_line)" test "${ss_d:-0}" -gt 0
	check "listener: queue and drops as ss" "tcp 127.0.0.1:$port python3[$PEER_PID] $ss_q/$ss_b $ss_d" \
		"$(ports_listeners "$TMP/st.out")"
	# The queued connections are established (not yet accepted), both ends.
	check "in" "$k" "$(ports_col "$TMP/st.out" "$port/tcp" IN)"
	check "out" "$k" "$(ports_col "$TMP/st.out" "$port/tcp" OUT)"
}

test_ports_empty_says_so() {
	local port
	read -r port < <(free_ports 1)
	ports_run -p "$port"
	check "exit status" 0 $?
	check "output" "no listening or connected sockets on these ports" "$(tail -n 1 "$TMP/st.out")"
	check "rows" "" "$(ports_rows "$TMP/st.out")"
}

# UDP receive drops: sk_drops until 6.18, per-NUMA-node counters since (the same number
# for ss, which asks the kernel's sk_drops_read()).
test_ports_udp_drops_match_ss() {
	local n=200 port ss_d
	read -r port < <(free_ports 1)
	ports_peer_start udp udp-overflow "$port" $n || return 1
	ports_run -p "$port"
	check "exit status" 0 $?
	ss_d=$(ss -Huanm "sport = :$port" | tr -s ' \t\n' ' ' | sed -n 's/.*,d\([0-9]*\)).*/\1/p')
	check_true "ss: no drops of $n datagrams to a tiny buffer (d='$ss_d')" \
		test "${ss_d:-0}" -gt 0 -a "${ss_d:-0}" -lt $n
	check "listener: drops as ss" "udp 127.0.0.1:$port python3[$PEER_PID] - $ss_d" \
		"$(ports_listeners "$TMP/st.out")"
}
