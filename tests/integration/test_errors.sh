# shellcheck shell=bash
# Bad input: one line naming the problem, the right exit code, nothing loaded or written.

# run_traced OUT ERR ARGS...: socktrace ARGS with stdout in OUT and stderr in ERR, under
# strace when there is one: $TMP/bpf.trace then lists every bpf() call it made (a program
# loaded is one). Not under the sanitized build (SAN_LOGS): LeakSanitizer cannot run under
# ptrace and would turn every exit into a fatal error; the plain pass checks the bpf() calls,
# this one the leaks. Returns socktrace's exit status.
run_traced() {
	local out=$1 err=$2
	shift 2
	if [ -z "${SAN_LOGS:-}" ] && command -v strace >/dev/null; then
		timeout 10 strace -f -qq -e trace=bpf -o "$TMP/bpf.trace" "$SOCKTRACE" "$@" \
			>"$out" 2>"$err"
	else
		: >"$TMP/bpf.trace"
		timeout 10 "$SOCKTRACE" "$@" >"$out" 2>"$err"
	fi
}

# expect_error CODE WORD ARGS...: socktrace ARGS exits CODE with one stderr line containing
# WORD, nothing on stdout, and no bpf() call at all (it stopped before the kernel).
expect_error() {
	local code=$1 word=$2 rc
	shift 2
	run_traced "$TMP/err.out" "$TMP/err.txt" "$@"
	rc=$?
	check "exit status of: socktrace $*" "$code" "$rc"
	check "stderr lines of: socktrace $*" 1 "$(wc -l <"$TMP/err.txt")"
	check_true "stderr of 'socktrace $*' does not name '$word': $(cat "$TMP/err.txt")" \
		grep -qF -- "$word" "$TMP/err.txt"
	check "stdout of: socktrace $*" "" "$(cat "$TMP/err.out")"
	check "bpf() calls of: socktrace $*" 0 "$(grep -c 'bpf(' "$TMP/bpf.trace")"
}

# Bad command lines, one per line: the word the one stderr line must name | + when the
# case also runs after a good --csv, with a new path (must not be created) and with an
# existing file (must keep its contents) | the arguments (shell words).
BAD_INPUT=$(cat <<'TABLE'
invalid port '70000'                | + | --port 70000
invalid port '0'                    | + | -p 0
invalid port '65536'                | + | -p 1-65536
unknown service 'abc'               | + | --port abc
unknown service '80x'               | + | --port 80x
empty port list                     | + | --port ''
invalid port range '1-'             | + | --port 1-
invalid port range '-5'             | + | --port -5
empty item in port list ','         | + | --port ,
empty item in port list '1,,2'      | + | -p 1,,2
invalid port range '100-50'         | + | --port 100-50
unknown service 'nosuchservice'     | + | -p nosuchservice
invalid --interval '0'              | + | --interval 0
invalid --interval '-1'             | + | -i -1
invalid --interval 'abc'            | + | -i abc
invalid --interval ''               | + | -i ''
invalid --interval '1e999'          | + | -i 1e999
invalid --interval 'nan'            | + | -i nan
invalid --interval 'inf'            | + | -i inf
invalid --interval '0x10'           | + | -i 0x10
invalid --interval '3601'           | + | -i 3601
invalid --duration '0'              | + | --duration 0
invalid --duration '-1'             | + | --duration -1
invalid --duration '1e999'          | + | -d 1e999
invalid --duration '99999999999'    | + | -d 99999999999
invalid --duration 'nan'            | + | -d nan
invalid --duration '0x10'           | + | -d 0x10
unknown option '--bogus'            | + | --bogus
unknown option '-x'                 | + | -x
option '--help' takes no value      | + | --help=x
option '--events' takes no value    | + | --events=1
option '--port' needs a value       | + | --port
option '-i' needs a value           | + | -p 80 -i
option '--csv' needs a value        | . | --csv
unexpected argument 'stray'         | + | stray
unexpected argument 'extra'         | . | ports extra
-4 and -6 exclude each other        | + | -4 -6
--events and --hist exclude         | + | --events --hist
--json and --hist exclude           | + | --json --hist
--csv - writes to stdout            | . | --csv - --events
--csv - writes to stdout            | . | --csv - --json
--csv - writes to stdout            | . | --csv - --hist
--quiet needs --listen or --csv     | . | --quiet
--quiet prints nothing              | + | --quiet --events
--csv given twice                   | . | --csv $TMP/a.csv --csv $TMP/b.csv
--listen given twice                | + | --listen 9000 --listen 9001
--interval given twice              | + | -i 1 --interval 2
--pid given twice                   | + | --pid 1 --pid 2
--csv does not apply to 'socktrace ports' | . | ports --csv $TMP/new.csv
--json does not apply to 'socktrace ports' | . | ports --json
--port does not apply to --check    | . | --check -p 80
invalid --pid 'abc'                 | + | --pid abc
invalid --pid '0'                   | + | --pid 0
invalid --pid '-1'                  | + | --pid -1
invalid --comm 'abcdefghijklmnop'   | + | --comm abcdefghijklmnop
invalid --comm ''                   | + | --comm ''
invalid --cgroup '/nonexistent'     | + | --cgroup /nonexistent
not a cgroup v2 directory           | + | --cgroup /proc
invalid --netns '/nonexistent'      | + | --netns /nonexistent
not a network namespace             | + | --netns /proc/self/ns/uts
invalid --dir 'sideways'            | + | --dir sideways
invalid --proto 'sctp'              | + | --proto sctp
invalid --backend 'bogus'           | + | --backend bogus
invalid --backend ''                | + | --backend ''
invalid --listen port '0'           | + | --listen 0
invalid --listen port '70000'       | + | --listen 70000
invalid --listen port 'abc'         | + | --listen abc
invalid --listen port ''            | + | --listen ''
invalid --listen address 'localhost' | + | --listen localhost:9464
invalid --listen address '1.2.3'    | + | --listen 1.2.3:80
invalid --listen '[::1]'            | + | --listen '[::1]'
empty --csv file name               | . | --csv ''
TABLE
)

# Every bad command line: exit 2, one line naming the problem, nothing on stdout, nothing
# loaded; and after a good --csv, no file created and no existing one truncated.
test_bad_input_table() {
	local word csv args n=0
	echo "old data" >"$TMP/old.csv"
	while IFS='|' read -r word csv args; do
		word=${word%"${word##*[! ]}"} csv=${csv// /}
		eval "set -- $args"
		[ -n "$word" ] || { echo "a case without its word: $args" >&2; return 1; }
		expect_error 2 "$word" "$@"
		if [ "$csv" = + ]; then
			expect_error 2 "$word" --csv "$TMP/new.csv" "$@"
			expect_error 2 "$word" --csv "$TMP/old.csv" "$@"
		fi
		n=$((n + 1))
	done <<<"$BAD_INPUT"
	check_true "only $n bad command lines" test "$n" -ge 40
	check "files left by the bad command lines" "$TMP/old.csv" "$(echo "$TMP"/*.csv)"
	check "existing csv after the bad command lines" "old data" "$(cat "$TMP/old.csv")"
}

# CSV paths socktrace must not write, run as root: one line, exit 2, nothing loaded, nothing
# created, and what is there untouched. A FIFO must not block the run.
test_bad_csv_paths_exit_2_and_write_nothing() {
	local host
	mkdir "$TMP/dir"
	expect_error 2 "'$TMP/dir': not a regular file" --csv "$TMP/dir" -d 1
	expect_error 2 "$TMP/missing/x.csv" --csv "$TMP/missing/x.csv" -d 1
	check_true "a CSV appeared in a missing directory" test ! -e "$TMP/missing"
	mkfifo "$TMP/fifo"
	expect_error 2 "'$TMP/fifo': not a regular file" --csv "$TMP/fifo" -d 1
	expect_error 2 "'/dev/null': not a regular file" --csv /dev/null -d 1
	# A kernel setting is a regular file to stat(), and root could write it.
	host=$(cat /proc/sys/kernel/hostname)
	expect_error 2 "'/proc/sys/kernel/hostname': not a regular file" \
		--csv /proc/sys/kernel/hostname -d 1
	check "hostname" "$host" "$(cat /proc/sys/kernel/hostname)"
	echo "keep me" >"$TMP/target"
	ln -s "$TMP/target" "$TMP/link"
	expect_error 2 "'$TMP/link': it is a symbolic link" --csv "$TMP/link" -d 1
	ln -s "$TMP/nowhere" "$TMP/dangling"
	expect_error 2 "'$TMP/dangling': it is a symbolic link" --csv "$TMP/dangling" -d 1
	check_true "a dangling symlink's target was created" test ! -e "$TMP/nowhere"
	ln "$TMP/target" "$TMP/hardlink"
	expect_error 2 "'$TMP/hardlink': it has other hard links" --csv "$TMP/hardlink" -d 1
	check "symlink and hard link target" "keep me" "$(cat "$TMP/target")"
	# A bad value after a good --csv: the file is neither created nor truncated.
	echo "old data" >"$TMP/old.csv"
	expect_error 2 interval --csv "$TMP/old.csv" -i 0
	check "existing csv after a bad option" "old data" "$(cat "$TMP/old.csv")"
	expect_error 2 interval --csv "$TMP/new.csv" -i 0
	check_true "csv created despite a bad option" test ! -e "$TMP/new.csv"
}

# A world-writable sticky directory, as /tmp: what another user planted there (a symlink
# to a file of root's, a FIFO, a file of their own) is refused and left as it was.
test_bad_csv_planted_in_shared_dir() {
	local shared=$TMP/shared
	mkdir -m 1777 "$shared"
	chmod 755 "$TMP"
	echo "root's" >"$TMP/precious"
	setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "
		ln -s '$TMP/precious' '$shared/link.csv' &&
		mkfifo '$shared/fifo.csv' && echo theirs >'$shared/theirs.csv'" || return 1
	expect_error 2 "'$shared/link.csv': it is a symbolic link" --csv "$shared/link.csv" -d 1
	expect_error 2 "'$shared/fifo.csv': not a regular file" --csv "$shared/fifo.csv" -d 1
	expect_error 2 "'$shared/theirs.csv': another user's file in a world-writable directory" \
		--csv "$shared/theirs.csv" -d 1
	check "symlink target" "root's" "$(cat "$TMP/precious")"
	check "their file" "theirs" "$(cat "$shared/theirs.csv")"
	check "what is in the shared directory" "fifo.csv link.csv theirs.csv" \
		"$(cd "$shared" && echo *)"
}

# Files socktrace creates are not world-writable, whatever the umask; it writes a whole CSV.
test_bad_csv_created_mode_under_umask_0() {
	read -r P < <(free_ports 1)
	(umask 0 && timeout 20 "$SOCKTRACE" ${BACKEND:+--backend "$BACKEND"} -p "$P" -d 0.2 \
		--csv "$TMP/new.csv" >"$TMP/st.out" 2>"$TMP/st.err")
	check "exit status" 0 $?
	check "mode of the CSV created under umask 0" 644 "$(stat -c %a "$TMP/new.csv")"
	check "csv lines" 1 "$(wc -l <"$TMP/new.csv")"
}

test_not_root_exit_1() {
	chmod 755 "$TMP"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$SOCKTRACE" -p 80 --csv "$TMP/x.csv" >"$TMP/err.out" 2>"$TMP/err.txt"
	check "exit status as nobody" 1 $?
	check_true "no hint about root: $(cat "$TMP/err.txt")" grep -q "root" "$TMP/err.txt"
	check "stderr lines" 1 "$(wc -l <"$TMP/err.txt")"
	check_true "csv created by a run that could not trace" test ! -e "$TMP/x.csv"
}

test_help_and_version_exit_0() {
	"$SOCKTRACE" --help >"$TMP/help.txt"
	check "--help exit" 0 $?
	check_true "--help does not list --csv" grep -q -- "--csv" "$TMP/help.txt"
	check "--version" "socktrace" "$("$SOCKTRACE" -V | cut -d' ' -f1)"
}
