# shellcheck shell=bash
# Output modes: --events (aligned lines), --events --json and --json stats (NDJSON read
# back by python3's json module, every line), --hist (bucket counts add up), against
# nginx + curl, refused connects, held connections and UDP request/response on loopback.

EV_N=4 # GETs to nginx on P
EV_M=3 # refused connects to Q

# json_select FILE [FIELD] KEY=VALUE...: every line must parse as a JSON object
# (else "bad line N"); then the number of objects whose KEY equals VALUE (as text:
# null is "None"), or with FIELD (a name without "="), the sum of FIELD over them.
json_select() {
	python3 - "$@" <<'PY'
import json, sys
path, args = sys.argv[1], sys.argv[2:]
field = args.pop(0) if args and "=" not in args[0] else None
want = [a.split("=", 1) for a in args]
objs = []
for n, line in enumerate(open(path, encoding="utf-8"), 1):
    try:
        obj = json.loads(line)
    except ValueError as e:
        print(f"bad line {n}: {e}")
        sys.exit(0)
    if not isinstance(obj, dict) or "type" not in obj:
        print(f"bad line {n}: not an object with a type")
        sys.exit(0)
    objs.append(obj)
sel = [o for o in objs if all(str(o.get(k)) == v for k, v in want)]
print(sum(o[field] or 0 for o in sel) if field else len(sel))
PY
}

# ev_lines FILE DIR EVENT RESULT: text event lines with those columns (RESULT * = any).
ev_lines() {
	awk -v d="$2" -v e="$3" -v r="$4" \
		'NR > 1 && $5 == d && $6 == e && (r == "*" || $7 == r) { n++ } END { print n + 0 }' "$1"
}

# The workload: nginx starts on P while traced (a listen event), EV_N GETs, EV_M refused
# connects to Q, then nginx stops (an unlisten event, awaited in the output: lines are
# flushed as they happen).
events_workload() {
	local pattern=$1
	start_nginx "$P" && http_get "$P" $EV_N && refused "$Q" $EV_M || return 1
	kill "$NGINX_PID"
	wait "$NGINX_PID"
	wait_until 10 grep -sq "$pattern" "$TMP/st.out" || { echo "no unlisten event" >&2; return 1; }
}

test_events_text_exact() {
	local lines
	read -r P Q < <(free_ports 2)
	start_socktrace --accept-wait --events --port "$P,$Q" || return 1
	events_workload ' in  unlisten ' || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "header" "TIME PID COMM PROTO DIR EVENT RESULT LATENCY LOCAL -> REMOTE" \
		"$(head -n1 "$TMP/st.out" | tr -s ' ')"
	check "connect ok" $EV_N "$(ev_lines "$TMP/st.out" out connect ok)"
	check "accept ok" $EV_N "$(ev_lines "$TMP/st.out" in accept ok)"
	check "accepted ok" $EV_N "$(ev_lines "$TMP/st.out" in accepted ok)"
	check "close out" $EV_N "$(ev_lines "$TMP/st.out" out close '*')"
	check "close in" $EV_N "$(ev_lines "$TMP/st.out" in close '*')"
	check "connect refused" $EV_M "$(ev_lines "$TMP/st.out" out connect refused)"
	check "listen" 1 "$(ev_lines "$TMP/st.out" in listen ok)"
	check "unlisten" 1 "$(ev_lines "$TMP/st.out" in unlisten ok)"
	lines=$((5 * EV_N + EV_M + 2 + $(ev_lines "$TMP/st.out" out reset '*') +
		$(ev_lines "$TMP/st.out" in reset '*')))
	check "event lines (resets after close counted apart)" $((lines + 1)) "$(wc -l <"$TMP/st.out")"
	check "connects by curl to P" $EV_N "$(awk -v r="127.0.0.1:$P" \
		'$3 == "curl" && $6 == "connect" && $7 == "ok" && $NF == r' "$TMP/st.out" | wc -l)"
	check "accepted by nginx on P" $EV_N "$(awk -v l="127.0.0.1:$P" \
		'$3 == "nginx" && $6 == "accepted" && $9 == l' "$TMP/st.out" | wc -l)"
	check "refused connects to Q" $EV_M "$(awk -v r="127.0.0.1:$Q" \
		'$7 == "refused" && $11 == r' "$TMP/st.out" | wc -l)"
	check "closes with bytes" $((2 * EV_N)) "$(grep -c ' close .* sent=[0-9]* recv=[0-9]* retrans=0$' "$TMP/st.out")"
	# Aligned: on IPv4 every line has its arrow in the header's column.
	check "arrow columns" 1 "$(awk '{ print index($0, " -> ") }' "$TMP/st.out" | sort -u | wc -l)"
	check "count on stderr" 1 "$(grep -c "^socktrace: $((lines)) events, 0 lost" "$TMP/st.err")"
}

# A client whose name has a space, quotes, a backslash, a control byte and a byte that is
# not UTF-8 connects to P: its comm comes back through JSON as the bytes read as Latin-1.
AWKWARD_COMM='b"a \"q\\\x01\xff"'
awkward_connect() {
	python3 - "$1" <<PY
import ctypes, socket, sys
name = $AWKWARD_COMM
ctypes.CDLL(None).prctl(15, name, 0, 0, 0)  # PR_SET_NAME
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
while s.recv(4096):
    pass
s.close()
PY
}

test_json_events_exact() {
	local k=2 n=3 udp=0 comm file=$TMP/st.out
	read -r H P Q < <(free_ports 3)
	P=$H hold_open 127.0.0.1 $k || return 1 # on H, before socktrace: the snapshot's
	start_socktrace --accept-wait --events --json --port "$H,$P,$Q" || return 1
	kill -USR1 "$HOLDER"
	wait "$HOLDER"
	check "holder" 0 $?
	start_nginx "$P" && http_get "$P" $EV_N && awkward_connect "$P" && refused "$Q" $EV_M ||
		return 1
	# UDP datagrams are counted in the kernel; a response is an event.
	if has_udp_hooks; then
		"$udp_peer" 127.0.0.1 "$Q" $n 10 20 || return 1
		udp=$n
	fi
	kill "$NGINX_PID"
	wait "$NGINX_PID"
	wait_until 10 grep -sq '"kind":"unlisten"' "$file" || { echo "no unlisten event" >&2; return 1; }
	stop_socktrace
	check "exit status" 0 $?
	# k held connections: existing and close, each end; the holder's listener closes
	# (unlisten); five events per GET (the awkward client's too); a refused connect;
	# nginx's listen and unlisten; UDP responses.
	check "objects" $((4 * k + 1 + 5 * (EV_N + 1) + EV_M + 2 + udp + $(json_select "$file" kind=reset))) \
		"$(json_select "$file")"
	check "all are events" "$(json_select "$file")" "$(json_select "$file" type=event)"
	check "existing in on H" $k "$(json_select "$file" kind=existing direction=in port="$H" local_port="$H")"
	check "existing out on H" $k "$(json_select "$file" kind=existing direction=out result=open remote_port="$H")"
	check "closes on H" $((2 * k)) "$(json_select "$file" kind=close port="$H")"
	check "holder's listener closed" 1 "$(json_select "$file" kind=unlisten port="$H")"
	check "connect ok to P" $EV_N "$(json_select "$file" kind=connect result=ok direction=out \
		port="$P" remote_port="$P" comm=curl proto=tcp family=ipv4)"
	check "accept on P" $((EV_N + 1)) "$(json_select "$file" kind=accept result=ok direction=in local_port="$P")"
	check "accepted by nginx" $((EV_N + 1)) "$(json_select "$file" kind=accepted comm=nginx port="$P")"
	check "close in on P" $((EV_N + 1)) "$(json_select "$file" kind=close direction=in port="$P")"
	check "close out on P" $((EV_N + 1)) "$(json_select "$file" kind=close direction=out port="$P")"
	check "refused on Q" $EV_M "$(json_select "$file" kind=connect result=refused errno=111 remote_port="$Q" lat_us=None)"
	check "listen on P" 1 "$(json_select "$file" kind=listen port="$P" remote_port=None)"
	check "unlisten on P" 1 "$(json_select "$file" kind=unlisten port="$P")"
	check "UDP responses on Q" $udp "$(json_select "$file" kind=response proto=udp direction=out port="$Q" comm=python3)"
	# The awkward name comes back as its bytes read as Latin-1.
	comm=$(python3 -c "print(ascii(($AWKWARD_COMM).decode('latin-1')))")
	check "awkward comm round trip" 1 "$(json_select "$file" kind=connect result=ok port="$P" comm="$(python3 -c "print($comm)")")"
}

# The kernel's stamps of each connection's opening, against the peer's own clock
# (CLOCK_MONOTONIC, as ts_ns): a connect between the client's connect() call and its
# return, its start (ts_ns less its latency) too; an accept between that connect() call
# and the server's accept() returning it. Both ends of a handshake are stamped from the
# socket's own clock (tcp_established_ns()), which would fail this if it were stale.
test_json_open_stamps_within_the_syscalls() {
	local n=20 file=$TMP/st.out
	read -r P < <(free_ports 1)
	start_socktrace --events --json --port "$P" || return 1
	"$peer" timed 127.0.0.1 "$P" $n >"$TMP/times" || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "connects, accepts stamped within the calls" "$n $n" "$(python3 - "$file" "$TMP/times" <<'PY'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
def stamp(kind, end, port):
    got = [e for e in events if e.get("kind") == kind and e.get(end) == port]
    return (got[0]["ts_ns"], round(got[0]["lat_us"] * 1000)) if len(got) == 1 else None
out_ok = in_ok = 0
for line in open(sys.argv[2]):
    lport, t0, t1, t2 = map(int, line.split())
    c, a = stamp("connect", "local_port", lport), stamp("accept", "remote_port", lport)
    if c and t0 <= c[0] - c[1] <= c[0] <= t1:
        out_ok += 1
    else:
        print(f"port {lport}: connect {c} not within [{t0}, {t1}]", file=sys.stderr)
    if a and t0 <= a[0] <= t2:
        in_ok += 1
    else:
        print(f"port {lport}: accept {a} not within [{t0}, {t2}]", file=sys.stderr)
print(out_ok, in_ok)
PY
)"
}

test_json_stats_sum_exact() {
	local file=$TMP/st.out
	read -r P Q < <(free_ports 2)
	start_socktrace --accept-wait --json --port "$P,$Q" -i 0.3 || return 1
	start_nginx "$P" && http_get "$P" $EV_N && refused "$Q" $EV_M || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "object types" "$(json_select "$file")" "$(($(json_select "$file" type=interval) +
		$(json_select "$file" type=total) + $(json_select "$file" type=summary)))"
	check "one summary, last" '"summary"' "$(tail -n1 "$file" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["type"]))')"
	check "summary count" 1 "$(json_select "$file" type=summary)"
	check "in opened on P" $EV_N "$(json_select "$file" opened type=interval port="$P" proto=tcp direction=in)"
	check "out opened on P" $EV_N "$(json_select "$file" opened type=interval port="$P" direction=out)"
	check "accept waits on P" $EV_N "$(json_select "$file" accept_wait_samples type=interval port="$P" direction=in)"
	check "latency samples on P" $EV_N "$(json_select "$file" lat_samples type=interval port="$P" direction=in)"
	check "refused on Q" $EV_M "$(json_select "$file" failed_refused type=interval port="$Q" direction=out)"
	check "no accept wait on out" 0 "$(json_select "$file" type=interval direction=out accept_wait_samples=0)"
	check "total rows" 3 "$(json_select "$file" type=total)"
	check "total in opened on P" $EV_N "$(json_select "$file" opened type=total port="$P" direction=in)"
	check "total refused on Q" $EV_M "$(json_select "$file" failed_refused type=total port="$Q")"
	check "total active on P" 0 "$(json_select "$file" active type=total port="$P")"
}

# hist_sum FILE TITLE: "ok" when every block titled TITLE has lines adding up to its
# "N samples"; then the sum over them all.
hist_sum() {
	python3 - "$@" <<'PY'
import re, sys
path, title = sys.argv[1:3]
total, ok, block = 0, True, None
for line in open(path):
    m = re.match(r"^\[.*?\] (.*), (\d+) samples$", line)
    if m:
        block = [m.group(1) == title, int(m.group(2)), 0]
        continue
    m = re.match(r"^ *\d+ -> \d+ *: (\d+) ", line)
    if m and block:
        block[2] += int(m.group(1))
    elif line.strip() == "" and block:
        if block[0]:
            ok &= block[1] == block[2]
            total += block[2]
        block = None
print("ok" if ok else "mismatch", total)
PY
}

test_hist_counts_exact() {
	local file=$TMP/st.out
	read -r P < <(free_ports 1)
	start_socktrace --accept-wait --hist --port "$P" -i 0.3 || return 1
	start_nginx "$P" && http_get "$P" $EV_N || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "header lines" "$(grep -c 'samples$' "$file")" \
		"$(grep -c '^     nsecs               : count     distribution$' "$file")"
	# The interval blocks, then the run's, each adding up to the connections made.
	check "in latency, intervals" "ok $EV_N" "$(sed '/^\[run /,$d' "$file" >"$TMP/iv" &&
		hist_sum "$TMP/iv" "$P/tcp in: connection latency")"
	check "out latency, intervals" "ok $EV_N" "$(hist_sum "$TMP/iv" "$P/tcp out: connection latency")"
	check "accept wait, intervals" "ok $EV_N" "$(hist_sum "$TMP/iv" "$P/tcp in: accept-queue wait")"
	sed -n '/^\[run /,$p' "$file" >"$TMP/run"
	check "in latency, run" "ok $EV_N" "$(hist_sum "$TMP/run" "$P/tcp in: connection latency")"
	check "out latency, run" "ok $EV_N" "$(hist_sum "$TMP/run" "$P/tcp out: connection latency")"
	check "accept wait, run" "ok $EV_N" "$(hist_sum "$TMP/run" "$P/tcp in: accept-queue wait")"
	check "run blocks" 3 "$(grep -c '^\[run ' "$file")"
}
