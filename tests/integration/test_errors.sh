# shellcheck shell=bash
# Bad input: one line naming the problem, the right exit code, nothing loaded or written.

# expect_error CODE WORD ARGS...: socktrace ARGS exits CODE with one stderr line containing WORD.
expect_error() {
	local code=$1 word=$2 rc lines
	shift 2
	timeout 10 "$SOCKTRACE" "$@" >"$TMP/err.out" 2>"$TMP/err.txt"
	rc=$?
	lines=$(wc -l <"$TMP/err.txt")
	check "exit status of: socktrace $*" "$code" "$rc"
	check "stderr lines of: socktrace $*" 1 "$lines"
	check_true "stderr of 'socktrace $*' does not name '$word': $(cat "$TMP/err.txt")" \
		grep -q -- "$word" "$TMP/err.txt"
}

test_bad_values_exit_2() {
	expect_error 2 70000 --port 70000
	expect_error 2 abc --port abc
	expect_error 2 "empty port list" --port ''
	expect_error 2 "100-50" --port 100-50
	expect_error 2 "nosuchservice" -p nosuchservice
	expect_error 2 interval --interval 0
	expect_error 2 interval -i -1
	expect_error 2 interval -i abc
	expect_error 2 duration --duration 0
	expect_error 2 bogus --bogus
	expect_error 2 "needs a value" --port
	expect_error 2 "unexpected argument" stray
}

test_bad_csv_paths_exit_2_and_write_nothing() {
	mkdir "$TMP/dir"
	expect_error 2 "$TMP/dir" --csv "$TMP/dir" -d 1
	expect_error 2 "$TMP/missing/x.csv" --csv "$TMP/missing/x.csv" -d 1
	check_true "a CSV appeared in a missing directory" test ! -e "$TMP/missing"
	echo "keep me" >"$TMP/target"
	ln -s "$TMP/target" "$TMP/link"
	expect_error 2 "symbolic link" --csv "$TMP/link" -d 1
	check "symlink target" "keep me" "$(cat "$TMP/target")"
	# A bad value after a good --csv: the file is neither created nor truncated.
	echo "old data" >"$TMP/old.csv"
	expect_error 2 interval --csv "$TMP/old.csv" -i 0
	check "existing csv after a bad option" "old data" "$(cat "$TMP/old.csv")"
	expect_error 2 interval --csv "$TMP/new.csv" -i 0
	check_true "csv created despite a bad option" test ! -e "$TMP/new.csv"
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
