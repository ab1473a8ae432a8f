# shellcheck shell=bash
# Faults: a flood of connects that never complete, a full disk under the CSV, two
# runs at once, and what every kind of exit leaves behind in the kernel (nothing).
# Other socktrace runs may share the host: objects are told apart by the process
# holding them (/proc/PID/fdinfo, through scripts/bpfobjs), never counted host-wide.

# held PID FILE: the BPF objects PID holds, saved to FILE; there must be programs,
# maps and links.
held() {
	"$bpfobjs" held "$1" >"$2" || return 1
	[ "$(cut -d' ' -f1 "$2" | sort -u | paste -sd' ')" = "link map prog" ] ||
		{ echo "pid $1 holds no programs, maps and links: $(cat "$2")" >&2; return 1; }
}

# gone FILE: none of the objects in FILE (from held) exists any more.
gone() { [ -z "$("$bpfobjs" alive "$1")" ]; }

# no_orphans: no BPF object made since the test began is left without a process
# holding it (this covers runs too short to catch their objects: ports, --check).
no_orphans() { [ -z "$("$bpfobjs" orphans "$TMP/bpf.before")" ]; }

# no_probe_events PID: libbpf names the kprobes it makes through tracefs
# (kernels without the kprobe PMU) libbpf_PID_...; none may outlive PID.
no_probe_events() {
	local f
	for f in /sys/kernel/tracing/kprobe_events /sys/kernel/tracing/uprobe_events; do
		[ ! -r "$f" ] || ! grep -q "libbpf_$1_" "$f" || return 1
	done
}

# after_exit WHAT [FILE]: the exit left nothing behind (FILE: what the run held).
after_exit() {
	if [ -n "${2:-}" ]; then
		check_true "$1: objects the run held still exist: $("$bpfobjs" alive "$2" | paste -sd,)" \
			wait_until 10 gone "$2"
		check_true "$1: kprobe or uprobe events left in tracefs" no_probe_events "$ST_PID"
	fi
	check_true "$1: BPF objects left without a holder: $("$bpfobjs" orphans "$TMP/bpf.before" |
		paste -sd,)" wait_until 10 no_orphans
}

# A normal end, SIGKILL, an error after attach, an error before loading, and the
# short runs that load programs (socktrace ports, --check): nothing stays.
test_no_leftovers_after_exit() {
	local p lp
	read -r p lp < <(free_ports 2)
	"$bpfobjs" all >"$TMP/bpf.before" || return 1
	start_socktrace -p "$p" || return 1
	held "$ST_PID" "$TMP/int.held" || return 1
	stop_socktrace INT
	check "SIGINT: exit status" 0 $?
	after_exit SIGINT "$TMP/int.held"

	start_socktrace -p "$p" --csv "$TMP/out.csv" || return 1
	held "$ST_PID" "$TMP/kill.held" || return 1
	stop_socktrace KILL 2>/dev/null # bash would say "Killed"
	check "SIGKILL: exit status" 137 $?
	after_exit SIGKILL "$TMP/kill.held"

	# An error once everything is attached: the CSV header meets a full disk.
	mkdir "$TMP/full"
	mount -t tmpfs -o size=4k tmpfs "$TMP/full" || return 1
	CLEANUP+=("umount $TMP/full")
	head -c 4096 /dev/zero >"$TMP/full/fill" 2>/dev/null
	timeout 20 "$SOCKTRACE" ${BACKEND:+--backend "$BACKEND"} -p "$p" --csv "$TMP/full/x.csv" \
		>"$TMP/st.out" 2>"$TMP/st.err"
	check "CSV error: exit status" 1 $?
	check_true "CSV error: no 'No space left' line: $(cat "$TMP/st.err")" \
		grep -q "failed to write CSV file '$TMP/full/x.csv': No space left on device" "$TMP/st.err"
	after_exit "CSV error"

	# An error before anything is loaded: the exporter's port is taken.
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("ready", flush=True); time.sleep(60)' "$lp" >"$TMP/taken" &
	PIDS+=($!)
	wait_until 10 grep -sq ready "$TMP/taken" || return 1
	timeout 20 "$SOCKTRACE" --listen "$lp" -p "$p" >"$TMP/st.out" 2>"$TMP/st.err"
	check "--listen on a taken port: exit status" 1 $?
	after_exit "--listen on a taken port"

	timeout 60 "$SOCKTRACE" ports -p "$p" >"$TMP/ports.out" 2>&1
	check "socktrace ports: exit status" 0 $?
	after_exit "socktrace ports"
	timeout 120 "$SOCKTRACE" --check >"$TMP/check.out" 2>&1
	check "--check: exit status" 0 $?
	after_exit "--check"
}

# A CSV on a disk that fills up: one line naming the file and the error, exit 1 soon
# after (no hang, no spin), the summary still on stdout, nothing left in the kernel.
test_fault_full_disk_csv() {
	local p csv
	read -r p < <(free_ports 1)
	mkdir "$TMP/disk"
	mount -t tmpfs -o size=64k tmpfs "$TMP/disk" || return 1
	CLEANUP+=("umount $TMP/disk")
	head -c $((56 * 1024)) /dev/zero >"$TMP/disk/fill" # 8 KiB left
	csv=$TMP/disk/out.csv
	"$bpfobjs" all >"$TMP/bpf.before" || return 1
	start_socat "$p" || return 1
	start_socktrace -p "$p" -i 0.1 --csv "$csv" || return 1
	held "$ST_PID" "$TMP/st.held" || return 1
	# Connects until socktrace stops: rows of ~250 bytes, two per 0.1 s.
	(while kill -0 "$ST_PID" 2>/dev/null; do socat -u /dev/null "TCP:127.0.0.1:$p"; done) &
	PIDS+=($!)
	check_true "socktrace still runs 30 s into a full disk" \
		wait_until 30 sh -c "! kill -0 $ST_PID 2>/dev/null"
	wait "$ST_PID"
	check "exit status" 1 $?
	check "error lines" 1 "$(grep -c "failed" "$TMP/st.err")"
	check_true "no line naming the file and ENOSPC: $(cat "$TMP/st.err")" \
		grep -qx "socktrace: failed to write CSV file '$csv': No space left on device" \
		"$TMP/st.err"
	check_true "the CSV did not fill the disk: $(df -k "$TMP/disk" | tail -1)" \
		test "$(stat -c %s "$csv")" -ge 4096
	check_true "no summary with the run's connections on stdout: $(summary_row "$TMP/st.out" "$p" out)" \
		test "$(summary_col "$TMP/st.out" "$p" out OPENED)" -gt 0 2>/dev/null
	after_exit "full disk" "$TMP/st.held"
}

# Three runs at once (port A, port B, every port), each counting exactly its own; the
# first stops and the other two keep counting what comes after.
test_fault_two_instances() {
	local pa pb
	read -r pa pb < <(free_ports 2)
	start_socat "$pa" && start_socat "$pb" || return 1
	st_start a -p "$pa" && st_start b -p "$pb" && st_start all || return 1
	held "${ST[a]}" "$TMP/a.held" && held "${ST[b]}" "$TMP/b.held" &&
		held "${ST[all]}" "$TMP/all.held" || return 1
	tcp_touch "$pa" 5 && tcp_touch "$pb" 3 || return 1
	st_stop a
	check_true "a's objects outlived it" wait_until 10 gone "$TMP/a.held"
	check "b's objects after a stopped" "$(cat "$TMP/b.held")" "$("$bpfobjs" alive "$TMP/b.held")"
	check "all's objects after a stopped" "$(cat "$TMP/all.held")" \
		"$("$bpfobjs" alive "$TMP/all.held")"
	tcp_touch "$pa" 4 && tcp_touch "$pb" 2 || return 1
	st_stop b all
	check "a: rows" "$(rows "$pa/tcp/in" "$pa/tcp/out")" "$(csv_keys "$TMP/a.csv")"
	check "b: rows" "$(rows "$pb/tcp/in" "$pb/tcp/out")" "$(csv_keys "$TMP/b.csv")"
	local name dir
	for dir in in out; do
		check "a: $pa $dir opened" 5 "$(csv_sum "$TMP/a.csv" "$pa" $dir opened)"
		check "b: $pb $dir opened" 5 "$(csv_sum "$TMP/b.csv" "$pb" $dir opened)"
		check "all: $pa $dir opened" 9 "$(csv_sum "$TMP/all.csv" "$pa" $dir opened)"
		check "all: $pb $dir opened" 5 "$(csv_sum "$TMP/all.csv" "$pb" $dir opened)"
	done
	for name in a b all; do
		check "$name: lost" 0 "$(sed -n 's/^socktrace summary:.* \([0-9]*\) lost$/\1/p' \
			"$TMP/$name.out")"
	done
}

# conn_entries: "ENTRIES MAX_ENTRIES" of this run's connection map ("conns": connects in
# their handshake, open connections, and closed ones kept for a late reset).
conn_entries() {
	"$bpfobjs" maps "$ST_PID" | awk '$1 == "conns" { print $4, $3; n++ } END { exit n != 1 }'
}

# drop_syns PORT: the server's namespace (netns_pair) drops every segment to PORT.
drop_syns() {
	ip netns exec "$NS_S" nft -f - <<NFT
table inet synflood {
	chain in {
		type filter hook input priority 0;
		tcp dport $1 drop
	}
}
NFT
}

# in_handshake_at_exit: N of the summary's "N connects were still in their handshake
# at exit" line, or nothing when there is no such line.
in_handshake_at_exit() {
	sed -n 's/^socktrace: \([0-9]*\) connects were still in their handshake at exit.*/\1/p' \
		"$TMP/st.err"
}

# 18,384 connects, all left unanswered (the server's namespace drops their SYNs; the
# client's gives up after two retries, ~7 s): each is counted failed by timeout (or left
# in its handshake, when socktrace's program does not run for its end: below), each with
# its start (the connection map holds them all), and only the connects in their handshake
# are in the map: a failed one's entry goes.
test_fault_syn_flood() {
	local p n=18384 base max peak no_start left failed said gap
	netns_pair || return 1
	read -r p < <(free_ports 1)
	drop_syns "$p" || return 1
	ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_syn_retries=2 || return 1
	start_socktrace --netns "/run/netns/$NS_C" -p "$p" -i 0.5 --csv "$TMP/out.csv" || return 1
	read -r base max < <(conn_entries) && [ -n "$max" ] || return 1
	check "connection map entries before" 0 "$base"
	ip netns exec "$NS_C" "$peer" flood 10.77.0.2 "$p" $n >"$TMP/flood.out" &
	local flood=$!
	PIDS+=("$flood")
	wait_until 120 grep -sq "^sent" "$TMP/flood.out" || return 1
	read -r peak _ < <(conn_entries) || return 1
	check_true "connection map over $n entries or empty while $n connects wait: $peak" \
		test "$peak" -gt 0 -a "$peak" -le "$n" -a "$peak" -le "$max"
	wait "$flood"
	check "every connect timed out" 0 $?
	read -r left _ < <(conn_entries) || return 1
	stop_socktrace
	check "exit status" 0 $?
	failed=$(csv_sum "$TMP/out.csv" "$p" out failed)
	# Every connect is counted failed, or is still in the connection map: never more. Under
	# this flood the BPF programs on sock:inet_sock_set_state at times do not run for a few
	# SYN_SENT -> CLOSE changes that tracefs's own event tracing records (a bpftrace one-
	# liner beside it missed the same number; no recursion_misses), so socktrace never sees
	# those end (README, Overload): 38 to 79 in 10 of 41 runs on 2026-12-02, 102 in one CI
	# run on 2026-12-03, none in 20 runs after it. That gap, up to 1% of the connects, is
	# said on stderr (the CI log keeps it), not failed; more, or one count too many, fails.
	gap=$((n - failed - left))
	[ "$gap" -eq 0 ] || echo "    note: $gap of $n SYN_SENT -> CLOSE changes not seen" \
		"(connection map peak $peak, $(grep -o '[0-9]* connects began before' "$TMP/st.err");" \
		"$(grep -o '^missed: the kernel skipped [0-9]* probe runs' "$TMP/st.out" ||
			echo "no probe runs skipped, says the summary"))" >&2
	check_true "failed ($failed) + still in flight ($left): more than the $n connects" \
		test "$gap" -ge 0
	check_true "failed ($failed) + still in flight ($left): $gap short of $n, more than 1%" \
		test "$gap" -le $((n / 100))
	said=$(in_handshake_at_exit)
	check "still in their handshake at exit, as the summary says" "$left" "${said:-0}"
	check "failed_timeout" "$failed" "$(csv_sum "$TMP/out.csv" "$p" out failed_timeout)"
	check "opened" 0 "$(csv_sum "$TMP/out.csv" "$p" out opened)"
	check "summary reasons" "failed $p/tcp out: timeout $failed" \
		"$(grep "^failed $p/tcp out:" "$TMP/st.out")"
	check "lost" 0 "$(sed -n 's/^socktrace summary:.* \([0-9]*\) lost$/\1/p' "$TMP/st.out")"
	# The map had room for every start (SYN_SENT, seen in connect(): a process, which
	# no probe run interrupts), so no failure is counted without its start.
	no_start=$(sed -n 's/^socktrace: \([0-9]*\) connects began before tracing.*/\1/p' \
		"$TMP/st.err")
	check "connects counted without their start" 0 "${no_start:-0}"
}

# Connects still waiting for an answer when socktrace stops are in no count, and the
# summary says how many.
test_fault_connects_in_handshake_at_exit() {
	local p n=7 said
	netns_pair || return 1
	read -r p < <(free_ports 1)
	drop_syns "$p" || return 1
	start_socktrace --netns "/run/netns/$NS_C" -p "$p" --csv "$TMP/out.csv" || return 1
	ip netns exec "$NS_C" "$peer" flood 10.77.0.2 "$p" $n >"$TMP/flood.out" &
	PIDS+=($!)
	wait_until 30 grep -sq "^sent" "$TMP/flood.out" || return 1
	check_true "$n connects in SYN-SENT" \
		wait_until 10 sh -c "[ \"\$(ip netns exec $NS_C ss -Htn state syn-sent | wc -l)\" = $n ]"
	stop_socktrace
	check "exit status" 0 $?
	said=$(in_handshake_at_exit)
	check "still in their handshake at exit" $n "$said"
	check "failed" 0 "$(csv_sum "$TMP/out.csv" "$p" out failed)"
	check "opened" 0 "$(csv_sum "$TMP/out.csv" "$p" out opened)"
}

# More (port, process name) pairs than the kernel keeps owners' counts for (proc_rows,
# MAX_PROC_ROWS): N connects, each from a process name of its own, to one server thread.
# Every connection is still counted; the summary says how many events went without their
# name. The peer runs on CPU 0 only (loopback's softirqs with it), so that each row's first
# name takes the row's one slot there (struct owner_slot): the server's, in, and the first
# client's, out; the N - 1 other names fill proc_rows, MAX_PROC_ROWS of them kept.
test_fault_owner_names_overflow() {
	local p n=4200 max
	max=$(sed -n 's/^#define MAX_PROC_ROWS \([0-9]*\).*/\1/p' \
		"$(dirname "${BASH_SOURCE[0]}")/../../bpf/socktrace.h")
	read -r p < <(free_ports 1)
	start_socktrace -p "$p" --csv "$TMP/out.csv" || return 1
	taskset -c 0 "$peer" renamed "$p" $n
	check "peer exit status" 0 $?
	stop_socktrace
	check "exit status" 0 $?
	check "out opened" $n "$(csv_sum "$TMP/out.csv" "$p" out opened)"
	check "in opened" $n "$(csv_sum "$TMP/out.csv" "$p" in opened)"
	check "events without their name, said" $((n - 1 - max)) \
		"$(sed -n 's/^socktrace: \([0-9]*\) events were counted without their process name .*/\1/p' \
			"$TMP/st.err")"
}

# Clients that close as soon as they are connected: their FIN can reach the server's
# socket while accept() is still returning it. Every accept is seen all the same, with
# its accept-queue wait, and none is taken for one the accept hook missed.
test_accept_wait_clients_closing_at_once() {
	local p n=40
	read -r p < <(free_ports 1)
	start_socat "$p" || return 1
	start_socktrace --accept-wait -p "$p" --csv "$TMP/out.csv" || return 1
	tcp_touch "$p" $n || return 1
	wait_until 10 sh -c "[ -z \"\$(ss -Htan state established '( sport = :$p )')\" ]" || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "in opened" $n "$(csv_sum "$TMP/out.csv" "$p" in opened)"
	check "accept-queue waits" $n "$(csv_sum "$TMP/out.csv" "$p" in accept_wait_samples)"
	check "accepts said to be missed" "" "$(grep "accepted where the accept hook" "$TMP/st.err")"
}
