# shellcheck shell=bash
# UDP per service port: datagrams and bytes each way, counted in the kernel, and the
# response latency of "out" sockets, over IPv4 and IPv6, with a real DNS server.

udp_peer=$(dirname "${BASH_SOURCE[0]}")/udp_peer.py

# csv_udp FILE PORT DIRECTION COLUMN: COLUMN summed over the UDP rows of PORT/DIRECTION.
csv_udp() {
	python3 - "$@" <<'PY'
import csv, sys
path, port, direction, col = sys.argv[1:5]
rows = [r for r in csv.DictReader(open(path, newline="")) if r["port"] == port
        and r["proto"] == "udp" and r["direction"] == direction]
print(sum(int(r[col]) for r in rows) if rows else "no row")
PY
}

# udp_backend FILE: the backend the udp_send hook got (from -v).
udp_backend() {
	sed -n 's/^socktrace: hook udp_send: backend \([a-z]*\) .*/\1/p' "$1"
}

# has_udp_hooks: this kernel offers the UDP hooks on the backend under test, as
# bpftool and the kernel's BTF tell (sock_*_length tracepoints came in 6.3).
has_udp_hooks() {
	[ "${BACKEND:-}" != tracepoint ] ||
		bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -q "'btf_trace_sock_send_length'"
}

# udp_exchange HOST: N requests of X bytes, answers of Y; both ends are this host's.
udp_exchange() {
	local host=$1 n=6 x=100 y=1200 dir
	has_udp_hooks || { echo "    no UDP hooks on this kernel with --backend ${BACKEND}"; return 77; }
	read -r P < <(free_ports 1)
	start_socktrace --port "$P" --csv "$TMP/out.csv" -i 0.5 || return 1
	"$udp_peer" "$host" "$P" $n $x $y || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "in datagrams_received" $n "$(csv_udp "$TMP/out.csv" "$P" in datagrams_received)"
	check "in bytes_received" $((n * x)) "$(csv_udp "$TMP/out.csv" "$P" in bytes_received)"
	check "in datagrams_sent" $n "$(csv_udp "$TMP/out.csv" "$P" in datagrams_sent)"
	check "in bytes_sent" $((n * y)) "$(csv_udp "$TMP/out.csv" "$P" in bytes_sent)"
	check "out datagrams_sent" $n "$(csv_udp "$TMP/out.csv" "$P" out datagrams_sent)"
	check "out bytes_sent" $((n * x)) "$(csv_udp "$TMP/out.csv" "$P" out bytes_sent)"
	check "out datagrams_received" $n "$(csv_udp "$TMP/out.csv" "$P" out datagrams_received)"
	check "out bytes_received" $((n * y)) "$(csv_udp "$TMP/out.csv" "$P" out bytes_received)"
	check_true "out response p50 not above 0" \
		awk "BEGIN { exit !($(csv_min "$TMP/out.csv" "$P" out resp_p50_us) > 0) }"
	check "in has no response latency" none "$(csv_min "$TMP/out.csv" "$P" in resp_p50_us)"
	for dir in in out; do
		check "no TCP figures on UDP $dir" "none" "$(csv_min "$TMP/out.csv" "$P" $dir lat_p50_us)"
	done
}

test_udp_counts_exact_ipv4() { udp_exchange 127.0.0.1; }
test_udp_counts_exact_ipv6() { udp_exchange ::1; }

# An unconnected client (sendto/recvfrom): the server's row is exact on every backend;
# the client's "out" row needs the datagram's address, which fexit and kprobes see
# and the sock_*_length tracepoints do not: there it is counted as without a port.
test_udp_unconnected_client() {
	local n=4 x=10 y=20 backend
	has_udp_hooks || { echo "    no UDP hooks on this kernel with --backend ${BACKEND}"; return 77; }
	read -r P < <(free_ports 1)
	start_socktrace -v --port "$P" --csv "$TMP/out.csv" || return 1
	"$udp_peer" 127.0.0.1 "$P" $n $x $y unconnected || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "in datagrams_received" $n "$(csv_udp "$TMP/out.csv" "$P" in datagrams_received)"
	check "in datagrams_sent" $n "$(csv_udp "$TMP/out.csv" "$P" in datagrams_sent)"
	backend=$(udp_backend "$TMP/st.err")
	if [ "$backend" = tracepoint ]; then
		check "out row (tracepoint: no address)" "no row" \
			"$(csv_udp "$TMP/out.csv" "$P" out datagrams_sent)"
		check_true "no note on datagrams without a port" \
			grep -q "UDP datagrams had no service port" "$TMP/st.err"
	else
		check "out datagrams_sent ($backend)" $n "$(csv_udp "$TMP/out.csv" "$P" out datagrams_sent)"
		check "out datagrams_received ($backend)" $n \
			"$(csv_udp "$TMP/out.csv" "$P" out datagrams_received)"
	fi
}

# Distinct peers are remote addresses: four clients from three loopback addresses
# (two share 127.0.0.3, on different ports). The clients connect, so their "out" row
# knows its one server address on every backend; the server's socket is unconnected,
# so its "in" row needs the datagrams' addresses: fexit and kprobes read them, the
# sock_*_length tracepoints have none and every datagram counts as unknown.
test_udp_distinct_peers() {
	local n=3 sources=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.3 clients=4 backend
	has_udp_hooks || { echo "    no UDP hooks on this kernel with --backend ${BACKEND}"; return 77; }
	read -r P < <(free_ports 1)
	start_socktrace -v --port "$P" --csv "$TMP/out.csv" -i 0.5 || return 1
	"$udp_peer" 127.0.0.1 "$P" $n 10 20 from=$sources || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "in datagrams_received" $((n * clients)) \
		"$(csv_udp "$TMP/out.csv" "$P" in datagrams_received)"
	check "out peers" 1 "$(csv_last "$TMP/out.csv" "$P" out peers udp)"
	check "out peers_unknown" 0 "$(csv_last "$TMP/out.csv" "$P" out peers_unknown udp)"
	backend=$(udp_backend "$TMP/st.err")
	if [ "$backend" = tracepoint ]; then
		check "in peers (tracepoint: no address)" 0 \
			"$(csv_last "$TMP/out.csv" "$P" in peers udp)"
		check "in peers_unknown (tracepoint)" $((2 * n * clients)) \
			"$(csv_last "$TMP/out.csv" "$P" in peers_unknown udp)"
		check "summary PEERS (tracepoint)" "?" "$(udp_summary_cell "$TMP/st.out" "$P" in PEERS)"
	else
		check "in peers ($backend)" 3 "$(csv_last "$TMP/out.csv" "$P" in peers udp)"
		check "in peers_unknown ($backend)" 0 \
			"$(csv_last "$TMP/out.csv" "$P" in peers_unknown udp)"
		check "summary PEERS ($backend)" 3 "$(udp_summary_cell "$TMP/st.out" "$P" in PEERS)"
	fi
}

# Many rows at once: 150 service ports, each sent 1 to 3 datagrams (by its place in the
# list) from a connected client: 300 rows claim slots of the kernel's row array, enough
# that some hash to the same slot and take the next free one (bpf/socktrace.bpf.c
# udp_row_claim()). Every row must hold its own port's count, none another's.
test_udp_many_rows_exact() {
	local ports
	has_udp_hooks || { echo "    no UDP hooks on this kernel with --backend ${BACKEND}"; return 77; }
	read -r -a ports < <(free_ports 150)
	start_socktrace --csv "$TMP/out.csv" -i 0.5 || return 1
	python3 - "${ports[@]}" <<'PY' || return 1
import socket, sys
for i, port in enumerate(map(int, sys.argv[1:])):
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", port))
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.connect(("127.0.0.1", port))
    for _ in range(1 + i % 3):
        cli.send(b"d" * 10)
        srv.recv(100)
    cli.close()
    srv.close()
PY
	stop_socktrace
	check "exit status" 0 $?
	check "rows whose count is not their own" "" "$(python3 - "$TMP/out.csv" "${ports[@]}" <<'PY'
import csv, sys
got = {}
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["proto"] == "udp":
        key = (r["port"], r["direction"])
        col = "datagrams_received" if r["direction"] == "in" else "datagrams_sent"
        got[key] = got.get(key, 0) + int(r[col])
bad = []
for i, port in enumerate(sys.argv[2:]):
    for direction in ("in", "out"):
        if got.get((port, direction), 0) != 1 + i % 3:
            bad.append(f"{port}/{direction}={got.get((port, direction), 0)}")
print(" ".join(bad))
PY
)"
}

# udp_summary_cell FILE PORT DIRECTION NAME: the summary's UDP block, PORT/udp's cell under NAME.
udp_summary_cell() {
	awk -v p="$2/udp" -v d="$3" -v name="$4" '
		$1 == "PORT" && $4 == "DGR-IN" { for (i = 1; i <= NF; i++) if ($i == name) col = i }
		col && $1 == p && $3 == d { v = $col } END { print v }' "$1"
}

# The issue's acceptance test: a real DNS server (dnsmasq) and client (dig) on
# loopback port 53: exact queries and responses, and response latency, IPv4 and IPv6.
test_dns_port_53() {
	local q4=5 q6=3 i dnsmasq
	has_udp_hooks || { echo "    no UDP hooks on this kernel with --backend ${BACKEND}"; return 77; }
	start_socktrace --port 53 --csv "$TMP/out.csv" -i 0.5 || return 1
	dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=53 \
		--listen-address=127.0.0.1 --listen-address=::1 --bind-interfaces \
		--address=/socktrace.test/192.0.2.7 --pid-file="$TMP/dnsmasq.pid" \
		--log-facility="$TMP/dnsmasq.log" --user=root &
	dnsmasq=$!
	PIDS+=("$dnsmasq")
	wait_until 10 sh -c "ss -Hlun 'sport = :53' | grep -q '127.0.0.1:53'" || return 1
	wait_until 10 sh -c "ss -Hlun 'sport = :53' | grep -q '\[::1\]:53'" || return 1
	for ((i = 0; i < q4; i++)); do
		check "dig answer (IPv4)" 192.0.2.7 \
			"$(dig +short +tries=1 +timeout=5 @127.0.0.1 -p 53 socktrace.test A)"
	done
	for ((i = 0; i < q6; i++)); do
		check "dig answer (IPv6)" 192.0.2.7 \
			"$(dig +short +tries=1 +timeout=5 @::1 -p 53 socktrace.test A)"
	done
	stop_socktrace
	check "exit status" 0 $?
	check "queries received on 53" $((q4 + q6)) "$(csv_udp "$TMP/out.csv" 53 in datagrams_received)"
	check "responses sent from 53" $((q4 + q6)) "$(csv_udp "$TMP/out.csv" 53 in datagrams_sent)"
	check "queries sent to 53" $((q4 + q6)) "$(csv_udp "$TMP/out.csv" 53 out datagrams_sent)"
	check "responses received" $((q4 + q6)) "$(csv_udp "$TMP/out.csv" 53 out datagrams_received)"
	check "bytes: what dig sent is what dnsmasq got" \
		"$(csv_udp "$TMP/out.csv" 53 out bytes_sent)" "$(csv_udp "$TMP/out.csv" 53 in bytes_received)"
	check "bytes: what dnsmasq sent is what dig got" \
		"$(csv_udp "$TMP/out.csv" 53 in bytes_sent)" "$(csv_udp "$TMP/out.csv" 53 out bytes_received)"
	check_true "response latency p50 not above 0" \
		awk "BEGIN { exit !($(csv_min "$TMP/out.csv" 53 out resp_p50_us) > 0) }"
	# dig connects its sockets: the server's two addresses, 127.0.0.1 and ::1.
	check "peers of dig's queries" 2 "$(csv_last "$TMP/out.csv" 53 out peers udp)"
}
