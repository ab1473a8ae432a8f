# shellcheck shell=bash
# Attach backends: what --check and --backend report must match what the kernel
# offers, as bpftool (an independent prober) sees it; and the accept hook.

# offers BACKEND: does this kernel offer BACKEND, by bpftool's own probes?
offers() {
	[ -s "$TMP/features" ] || bpftool feature probe kernel >"$TMP/features" 2>/dev/null
	case $1 in
	fentry) grep -q "program_type tracing is available" "$TMP/features" ;;
	kprobe) [ -e /sys/bus/event_source/devices/kprobe ] ||
		grep -q "CONFIG_KPROBE_EVENTS is set to y" "$TMP/features" ;;
	tracepoint) true ;;
	esac
}

# has_btf_type NAME: the kernel's BTF has a type called NAME.
has_btf_type() {
	[ -s "$TMP/btf" ] || bpftool btf dump file /sys/kernel/btf/vmlinux >"$TMP/btf" 2>/dev/null
	grep -q " '$1' " "$TMP/btf"
}

# Every program passes the verifier, or is not loaded for a reason the kernel gives;
# auto picks fentry, else kprobe, else the tracepoints.
test_check_reports_kernel() {
	local prog sec state want best b
	"$SOCKTRACE" --check >"$TMP/check.out" 2>"$TMP/check.err"
	check "--check exit status" 0 $?
	check_true "--check: no 'can run' verdict" grep -qx "socktrace can run here" "$TMP/check.out"
	while read -r prog sec state; do
		want=passed
		case $sec in
		fentry/* | fexit/*) offers fentry || want="not loaded: this backend's programs refused" ;;
		tp_btf/*) has_btf_type "btf_trace_${sec#tp_btf/}" ||
			want="not loaded: no such function or event here" ;;
		esac
		check "verifier on $prog" "$want" "${state% (*}"
	done < <(sed -n '/^PROGRAM /,/^$/p' "$TMP/check.out" | sed '1d;/^$/d')
	check "programs listed" "$(echo "$PROG_NAMES" | wc -l)" \
		"$(sed -n '/^PROGRAM /,/^$/p' "$TMP/check.out" | sed '1d;/^$/d' | wc -l)"
	for b in fentry kprobe tracepoint; do
		offers $b && best=${best:-$b}
	done
	check "auto's connect backend" "$best" "$(awk '$1 == "connect" { print $2 }' "$TMP/check.out")"
	check "auto's accept backend" "$best" "$(awk '$1 == "accept" { print $2 }' "$TMP/check.out")"
}

# A forced backend works where the kernel offers it, and where it does not, says so in
# one line and exits 1 without leaving a file or a program behind.
test_forced_backends() {
	local b
	read -r P < <(free_ports 1)
	for b in fentry kprobe tracepoint; do
		rm -f "$TMP/b.csv"
		timeout 20 "$SOCKTRACE" --backend $b -p "$P" -d 0.2 --csv "$TMP/b.csv" \
			>"$TMP/b.out" 2>"$TMP/b.err"
		rc=$?
		if offers $b; then
			check "--backend $b exit status" 0 $rc
			check_true "--backend $b not reported: $(cat "$TMP/b.err")" \
				grep -q "(backend $b)" "$TMP/b.err"
		else
			check "--backend $b exit status" 1 $rc
			check "--backend $b stderr lines" 1 "$(wc -l <"$TMP/b.err")"
			check_true "--backend $b message: $(cat "$TMP/b.err")" \
				grep -q "^socktrace: cannot use --backend $b: .*socktrace --check" "$TMP/b.err"
			check_true "--backend $b left a CSV file" test ! -e "$TMP/b.csv"
		fi
		wait_until 5 no_socktrace_progs
		check "--backend $b: programs left after exit" 0 $?
	done
}

# queued_accepts HOLD_MS: a slow acceptor on P (its pid in ACCEPTOR) gets N connections,
# which wait in its accept queue for HOLD_MS before one accept() loop takes them all.
queued_accepts() {
	local i
	"$peer" slow-acceptor "$P" $N &
	ACCEPTOR=$!
	PIDS+=("$ACCEPTOR")
	wait_until 10 is_listening "$P" || return 1
	for ((i = 0; i < N; i++)); do
		"$peer" connect "$P" || return 1
	done
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))" # the queueing under test, not a wait
	kill -USR1 "$ACCEPTOR"
	wait "$ACCEPTOR"
	check "acceptor" 0 $?
}

# Accept-queue wait: N connections wait in the queue for at least HOLD seconds (the
# test holds them there on purpose) before one accept() loop takes them all.
test_accept_queue_wait() {
	local hold_ms=300 wait_p50 owner
	read -r P < <(free_ports 1)
	start_socktrace --accept-wait --port "$P" --csv "$TMP/out.csv" || return 1
	queued_accepts $hold_ms || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "in opened" $N "$(csv_sum "$TMP/out.csv" "$P" in opened)"
	check "accept-queue wait samples" $N "$(csv_sum "$TMP/out.csv" "$P" in accept_wait_samples)"
	wait_p50=$(csv_min "$TMP/out.csv" "$P" in accept_wait_p50_us)
	check_true "accept wait p50 $wait_p50 us, not in [$hold_ms ms, 20 s]" \
		awk "BEGIN { exit !($wait_p50 >= $hold_ms * 1000 * 63 / 64 && $wait_p50 < 20e6) }"
	owner=$(summary_col "$TMP/st.out" "$P" in PROCESS)
	check "in owner is the acceptor" "python3[$ACCEPTOR]" "$owner"
	check "out rows have no accept wait" "none" \
		"$(csv_min "$TMP/out.csv" "$P" out accept_wait_p50_us)"
}

# accept_via_syscall_tp: where the accept hook would be the syscall tracepoint (this run's
# forced backend, or auto on a kernel offering neither fexit nor kprobes).
accept_via_syscall_tp() {
	case ${BACKEND:-auto} in
	tracepoint) true ;;
	auto) ! offers fentry && ! offers kprobe ;;
	*) false ;;
	esac
}

# in_own_mount_ns ARGS...: run socktrace ARGS (stdout run.out, stderr run.err) in a mount
# namespace of its own with neither tracefs nor debugfs mounted; prints the tracefs and
# debugfs mounts before, socktrace's exit status, and the tracefs mounts after.
in_own_mount_ns() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	OUT="$TMP/run.out" ERR="$TMP/run.err" unshare -m --propagation private sh -c '
		umount -l /sys/kernel/tracing 2>/dev/null
		umount -l /sys/kernel/debug 2>/dev/null
		grep -cE " - (tracefs|debugfs) " /proc/self/mountinfo
		"$@" >"$OUT" 2>"$ERR"
		echo $?
		grep -cE " - tracefs " /proc/self/mountinfo' sh "$SOCKTRACE" "$@"
}

# socktrace mounts tracefs only when it needs it (the syscall tracepoints of --accept-wait,
# --check's report and probes) and unmounts it again when done: a run where nothing had
# mounted it says it mounted tracefs and leaves none mounted behind.
test_tracefs_unmounted_after_use() {
	local run said
	read -r P < <(free_ports 1)
	for run in check accept-wait; do
		case $run in
		check) in_own_mount_ns --check >"$TMP/ns.out" ;;
		accept-wait)
			# fexit or a kretprobe as the accept hook needs no tracefs
			accept_via_syscall_tp || continue
			in_own_mount_ns ${BACKEND:+--backend "$BACKEND"} --accept-wait -p "$P" -d 0.2 \
				>"$TMP/ns.out"
			;;
		esac
		check "$run: tracefs or debugfs mounted before" 0 "$(sed -n 1p "$TMP/ns.out")"
		check "$run exit status ($(tail -1 "$TMP/run.err"))" 0 "$(sed -n 2p "$TMP/ns.out")"
		said=$(cat "$TMP/run.out" "$TMP/run.err" |
			grep -c '^socktrace: mounted tracefs on /sys/kernel/tracing\|^tracefs  *mounted (by socktrace')
		check "$run said it mounted tracefs" 1 "$said"
		check "$run said it unmounted tracefs" 1 \
			"$(grep -c '^socktrace: unmounted tracefs from /sys/kernel/tracing$' "$TMP/run.err")"
		check "$run: tracefs mounts left" 0 "$(sed -n 3p "$TMP/ns.out")"
	done
}

# held_progs PID: the names of the BPF programs PID holds, one per line.
held_progs() {
	bpftool prog show -j | python3 -c 'import json, sys
ids = {int(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("prog ")}
print("\n".join(p["name"] for p in json.load(sys.stdin) if p["id"] in ids))' \
		<("$bpfobjs" held "$1")
}

# The syscall tracepoint would slow every syscall on the host, so without --accept-wait
# socktrace neither loads nor attaches it, says so in its start line, and still counts
# every passive open, owned by the process that called listen(). With fexit or a
# kretprobe the accept hook is on without asking. With --accept-wait it is on everywhere.
test_accept_hook_off_without_accept_wait() {
	local progs owner want_samples want_note want_progs opt
	for opt in "" --accept-wait; do
		read -r P < <(free_ports 1)
		start_socktrace $opt --port "$P" --csv "$TMP/out.csv" || return 1
		queued_accepts 0 || return 1
		progs=$(held_progs "$ST_PID" | grep '^tp_sys_exit_accept' | sort | xargs)
		stop_socktrace
		check "exit status" 0 $?
		want_samples=$N want_note=0 want_progs="tp_sys_exit_accept tp_sys_exit_accept4"
		if accept_via_syscall_tp && [ -z "$opt" ]; then
			want_samples=0 want_note=1 want_progs=""
		elif ! accept_via_syscall_tp; then
			want_progs=""
		fi
		check "$opt in opened" $N "$(csv_sum "$TMP/out.csv" "$P" in opened)"
		check "$opt accept-queue wait samples" $want_samples \
			"$(csv_sum "$TMP/out.csv" "$P" in accept_wait_samples)"
		check "$opt start line says accept-queue wait off" $want_note \
			"$(grep -c '^socktrace: tracing .*(backend [a-z, ]*); accept-queue wait off (--accept-wait); Ctrl-C to stop$' "$TMP/st.err")"
		check "$opt syscall tracepoint programs held" "$want_progs" "$progs"
		owner=$(summary_col "$TMP/st.out" "$P" in PROCESS)
		check "$opt in owner (listen()'s caller is the acceptor)" "python3[$ACCEPTOR]" "$owner"
		rm -f "$TMP/out.csv"
	done
}

# A thread already blocked in accept() when socktrace attaches: fexit and kretprobe
# never see that accept() return (bcc #1072, #2165); the syscall tracepoint does.
# Either way the connection is counted, and a miss is counted as one.
test_accept_blocked_before_attach() {
	local acceptor missed samples
	read -r P < <(free_ports 1)
	"$peer" blocked-acceptor "$P" &
	acceptor=$!
	PIDS+=("$acceptor")
	wait_until 10 is_listening "$P" || return 1
	wait_until 10 grep -sq accept "/proc/$acceptor/wchan" || return 1
	start_socktrace --accept-wait --port "$P" --csv "$TMP/out.csv" || return 1
	"$peer" connect "$P" || return 1
	wait "$acceptor"
	check "acceptor" 0 $?
	stop_socktrace
	check "exit status" 0 $?
	check "in opened" 1 "$(csv_sum "$TMP/out.csv" "$P" in opened)"
	samples=$(csv_sum "$TMP/out.csv" "$P" in accept_wait_samples)
	missed=$(sed -n 's/^socktrace: \([0-9]*\) connections were accepted where.*/\1/p' \
		"$TMP/st.err")
	missed=${missed:-0}
	check "accept seen or counted as missed, once" 1 $((samples + missed))
	case ${BACKEND:-auto} in
	fentry | kprobe) check "accepts missed by $BACKEND" 1 "$missed" ;;
	tracepoint) check "accepts seen by the syscall tracepoint" 1 "$samples" ;;
	esac
}
