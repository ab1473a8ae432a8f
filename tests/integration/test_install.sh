# shellcheck shell=bash
# Packaging: make install (into a DESTDIR or PREFIX under $TMP, never the real system),
# the man page, the bash completion, the systemd unit, and scripts/plot on a real run.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# install_to DESTDIR PREFIX: make install, quietly; its output goes to $TMP/make.log.
install_to() {
	make -s -C "$REPO" install DESTDIR="$1" PREFIX="$2" >"$TMP/make.log" 2>&1 ||
		{ echo "    make install failed: $(tail -n 3 "$TMP/make.log")" >&2; return 1; }
}

# installed_files ROOT: "MODE PATH" of every file under ROOT, sorted.
installed_files() { (cd "$1" && find . -type f -printf '%m %P\n' | LC_ALL=C sort); }

# man_text PAGE: the page rendered as plain text, 80 columns, ASCII.
man_text() { LC_ALL=C MANWIDTH=80 man -l "$1" 2>/dev/null | col -bx; }

# man_tags TEXT-FILE SECTION [SUBSECTION]: the tags of the tagged paragraphs (.TP) of that
# part of a rendered page, one per line. A tag is at indent 7 on a line of its own, its
# text at indent 14 below; a tag of up to 6 characters shares its line with the text.
man_tags() {
	awk -v s="$2" -v ss="${3:-}" '
		/^[A-Z]/ { on = ($0 == s) && ss == ""; sec = ($0 == s); next }
		/^   [^ ]/ { if (ss != "") on = sec && ($0 == "   " ss); next }
		on && /^       [^ ]/ {
			if (match($0, /^       [^ ]+ +[^ ]/) && RLENGTH == 15) print $1
			else print substr($0, 8)
		}' "$1"
}

# long_options: those socktrace --help lists and those user/cli.c's long_opts has,
# one per line, sorted.
long_options() {
	{ "$SOCKTRACE" --help | grep -o -- '--[a-z][a-z0-9-]*'
	  sed -n 's/^\t{ "\([a-z0-9-]*\)", .*/--\1/p' "$REPO/user/cli.c"; } | LC_ALL=C sort -u
}

test_install_layout_and_uninstall() {
	local root=$TMP/root
	install_to "$root" /usr || return 1
	check "installed files and modes" "$(printf '%s\n' \
		'644 usr/lib/systemd/system/socktrace-exporter.service' \
		'644 usr/share/bash-completion/completions/socktrace' \
		'644 usr/share/doc/socktrace/README.md' \
		'644 usr/share/man/man8/socktrace.8' \
		'755 usr/sbin/socktrace')" "$(installed_files "$root")"
	check_true "installed binary is not the build's" cmp -s "$REPO/.output/socktrace" \
		"$root/usr/sbin/socktrace"
	check "unit's ExecStart" "ExecStart=/usr/sbin/socktrace --listen 127.0.0.1:9464 --quiet" \
		"$(grep '^ExecStart=' "$root/usr/lib/systemd/system/socktrace-exporter.service")"
	check "installed binary runs" "socktrace" "$("$root/usr/sbin/socktrace" --version | cut -d' ' -f1)"
	make -s -C "$REPO" uninstall DESTDIR="$root" PREFIX=/usr >"$TMP/make.log" 2>&1
	check "uninstall status" 0 $?
	check "files left after uninstall" "" "$(installed_files "$root")"
}

# Another PREFIX moves everything, the unit's ExecStart included; systemd accepts the unit.
test_install_prefix_and_unit_verify() {
	local prefix=$TMP/opt/socktrace unit
	install_to "" "$prefix" || return 1
	unit=$prefix/lib/systemd/system/socktrace-exporter.service
	check "files under PREFIX" 5 "$(installed_files "$prefix" | wc -l)"
	check "unit's ExecStart" "ExecStart=$prefix/sbin/socktrace --listen 127.0.0.1:9464 --quiet" \
		"$(grep '^ExecStart=' "$unit")"
	if ! command -v systemd-analyze >/dev/null; then
		echo "    systemd-analyze is not installed: the unit was not verified" >&2
		return 77
	fi
	# verify also checks that ExecStart is executable and that man:socktrace(8) exists.
	MANPATH=$prefix/share/man systemd-analyze verify "$unit" >"$TMP/verify.log" 2>&1
	check "systemd-analyze verify (output: $(tr '\n' ' ' <"$TMP/verify.log"))" 0 $?
	check "systemd-analyze verify's complaints" "" "$(cat "$TMP/verify.log")"
}

test_man_renders_without_warnings() {
	local page=$TMP/root/usr/share/man/man8/socktrace.8
	install_to "$TMP/root" /usr || return 1
	LC_ALL=C MANWIDTH=80 man --warnings -l "$page" >"$TMP/man.txt" 2>"$TMP/man.err"
	check "man -l status" 0 $?
	check "man's warnings" "" "$(cat "$TMP/man.err")"
	check "groff -ww warnings" "" "$(groff -man -ww -z "$page" 2>&1)"
	check_true "rendered page has no OPTIONS section" grep -qx OPTIONS "$TMP/man.txt"
	# `man socktrace` finds the installed page through its MANPATH.
	check "man socktrace finds the page" "$page" \
		"$(MANPATH=$TMP/root/usr/share/man man -w socktrace)"
}

# Every long option (of --help, of cli.c) has an entry under OPTIONS, and every entry is
# an option: adding an option without documenting it fails here.
test_man_documents_every_option() {
	man_text "$REPO/man/socktrace.8" >"$TMP/man.txt"
	man_tags "$TMP/man.txt" OPTIONS | grep -- '^-' | grep -o -- '--[a-z][a-z0-9-]*' |
		LC_ALL=C sort -u >"$TMP/man.opts"
	check_true "fewer than 20 options found in --help and cli.c" \
		test "$(long_options | wc -l)" -ge 20
	check "options not in the man page" "" \
		"$(long_options | LC_ALL=C comm -23 - "$TMP/man.opts" | tr '\n' ' ')"
	check "man page entries that are no option" "" \
		"$(long_options | LC_ALL=C comm -13 - "$TMP/man.opts" | tr '\n' ' ')"
}

# Every column of a real CSV's header has an entry under "CSV columns".
test_man_documents_every_csv_column() {
	local col missing=
	"$SOCKTRACE" ${BACKEND:+--backend "$BACKEND"} -p 1 -d 0.2 --csv "$TMP/h.csv" \
		>/dev/null 2>"$TMP/st.err" || return 1
	man_text "$REPO/man/socktrace.8" >"$TMP/man.txt"
	man_tags "$TMP/man.txt" OUTPUT "CSV columns" | grep -E '^[a-z0-9_]+(, +[a-z0-9_]+)*,?$' |
		sed 's/, */\n/g' >"$TMP/man.cols"
	for col in $(head -1 "$TMP/h.csv" | tr -d '\r' | tr ',' ' '); do
		grep -qx "$col" "$TMP/man.cols" || missing="$missing $col"
	done
	check_true "no CSV columns found in the man page" test -s "$TMP/man.cols"
	check "CSV columns not in the man page" "" "$missing"
}

# completions WORD...: what the installed completion offers for the command line WORD...
# (the last word is the one being completed), in a bash of its own.
completions() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _socktrace
		echo "${COMPREPLY[*]}"' _ "$TMP/root/usr/share/bash-completion/completions/socktrace" "$@"
}

test_completion_words() {
	install_to "$TMP/root" /usr || return 1
	check "socktrace --ba" "--backend" "$(completions socktrace --ba)"
	check "--backend <TAB>" "auto fentry kprobe tracepoint" "$(completions socktrace --backend '')"
	check "--backend=k" "kprobe" "$(completions socktrace --backend = k)"
	check "--dir <TAB>" "in out" "$(completions socktrace --dir '')"
	check "--proto <TAB>" "tcp udp" "$(completions socktrace --proto '')"
	check "command word" "ports" "$(completions socktrace po)"
	check "after ports" "--port --verbose --help -p -v -h" "$(completions socktrace ports -)"
	check "-p ht (from /etc/services)" "80,http" \
		"$(completions socktrace -p 80,ht | tr ' ' '\n' | grep -x '80,http')"
	# Directories under /sys/fs/cgroup, where there are any (the test VM mounts none).
	if [ -n "$(find /sys/fs/cgroup -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ]; then
		check "--cgroup <TAB>" "/sys/fs/cgroup/" \
			"$(completions socktrace --cgroup '' | cut -c1-15)"
	fi
	check "options offered for --" "$(long_options | tr '\n' ' ')" \
		"$(completions socktrace -- | tr ' ' '\n' | LC_ALL=C sort -u | tr '\n' ' ')"
}

# bash-completion's own loader finds the file where make install puts it.
test_completion_loaded_by_bash_completion() {
	local bc=/usr/share/bash-completion/bash_completion
	install_to "$TMP/root" /usr || return 1
	if [ ! -r "$bc" ]; then
		echo "    bash-completion is not installed ($bc)" >&2
		return 77
	fi
	check "completion function after loading" "complete -F _socktrace socktrace" \
		"$(XDG_DATA_DIRS=$TMP/root/usr/share bash -c '. "$1"; __load_completion socktrace
			complete -p socktrace' _ "$bc" 2>&1)"
}

# A real run: nginx on two ports, curl, socktrace --csv; then the picture.
test_plot_real_run() {
	local sig
	read -r P Q < <(free_ports 2)
	start_socktrace --port "$P,$Q" --csv "$TMP/out.csv" -i 0.3 || return 1
	start_nginx "$P" && start_nginx "$Q" || return 1
	# Traffic in at least 4 intervals, so that each series is a line across the panel.
	for n in 1 2 3 4; do
		http_get "$P" $((n * 3)) && http_get "$Q" 2 || return 1
		wait_until 5 csv_has_timestamps "$TMP/out.csv" $n || return 1
	done
	stop_socktrace
	check "socktrace exit status" 0 $?
	"$REPO/scripts/plot" "$TMP/out.csv" >"$TMP/plot.out" 2>"$TMP/plot.err"
	check "plot status ($(cat "$TMP/plot.err"))" 0 $?
	check "plot names its PNG (default name)" "$TMP/out.png" "$(cat "$TMP/plot.out")"
	sig=$(head -c 8 "$TMP/out.png" | od -An -tx1 | tr -d ' \n')
	check "PNG signature" 89504e470d0a1a0a "$sig"
	check "file(1)" "PNG image data, 1100 x 800" \
		"$(file -b "$TMP/out.png" | cut -d, -f1-2)"
	check_true "PNG under 20 KB" test "$(stat -c %s "$TMP/out.png")" -gt 20000
	check "temporary files left" "" "$(compgen -G "$TMP/.plot-*")"
	# The busiest series is drawn in gnuplot's first line colour (#9400d3): its pixels left
	# of the legend (outside, on the right) are the data's lines and points.
	check_true "no line of the first series in the PNG" \
		test "$(png_colour_count "$TMP/out.png" 9400d3 800)" -gt 500
}

# csv_has_timestamps FILE N: the CSV has rows of N distinct timestamps or more.
csv_has_timestamps() {
	[ "$(tail -n +2 "$1" | cut -d, -f1 | sort -u | wc -l)" -ge "$2" ]
}

# png_colour_count FILE RRGGBB X: how many pixels of an 8-bit RGB PNG left of column X
# have that colour, or that colour blended with the white background (anti-aliasing).
png_colour_count() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
want, xmax = bytes.fromhex(sys.argv[2]), int(sys.argv[3])
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert (depth, ctype) == (8, 2), "not 8-bit RGB"
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
def is_colour(px):  # px = a * want + (1 - a) * white, with the same a on each channel
    alphas = [(255 - p) / (255 - c) for p, c in zip(px, want) if c < 200]
    return min(alphas) > 0.4 and max(alphas) - min(alphas) < 0.15 and \
        all(abs(p - c) < 40 for p, c in zip(px, want) if c >= 200)
raw, stride, prev, count = zlib.decompress(idat), w * 3, bytearray(w * 3), 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):  # undo the PNG filter of this line
        a = line[i - 3] if i >= 3 else 0
        b, c = prev[i], prev[i - 3] if i >= 3 else 0
        p = a + b - c
        pred = (0, a, b, (a + b) // 2,
                a if abs(p - a) <= min(abs(p - b), abs(p - c)) else b if abs(p - b) <= abs(p - c) else c)[f]
        line[i] = (line[i] + pred) & 0xff
    count += sum(is_colour(line[i:i + 3]) for i in range(0, min(xmax, w) * 3, 3))
    prev = line
print(count)
PY
}

test_plot_bad_input_leaves_no_png() {
	local rc
	printf 'a,b\r\n1,2\r\n' >"$TMP/bad.csv"
	"$REPO/scripts/plot" "$TMP/bad.csv" "$TMP/bad.png" 2>"$TMP/plot.err"
	rc=$?
	check_true "not a socktrace CSV: exit 0" test "$rc" -ne 0
	check "one line on stderr" 1 "$(wc -l <"$TMP/plot.err")"
	check_true "says what is wrong: $(cat "$TMP/plot.err")" grep -q "not a socktrace CSV" "$TMP/plot.err"
	check_true "a PNG was left" test ! -e "$TMP/bad.png"
	# Header only: no rows.
	printf '%s\r\n' "timestamp,port,service,proto,direction,opened,failed,lat_p99_us" >"$TMP/empty.csv"
	"$REPO/scripts/plot" "$TMP/empty.csv" 2>"$TMP/plot.err"
	check_true "no rows: exit 0" test $? -ne 0
	check_true "no rows: a PNG was left" test ! -e "$TMP/empty.png"
	# A symlink planted at the output path is refused, its target not created.
	printf '%s\r\n%s\r\n' "timestamp,port,service,proto,direction,opened,lat_p99_us" \
		"2026-11-21T10:00:00.000Z,443,https,tcp,in,3,40.0" >"$TMP/ok.csv"
	ln -s "$TMP/target" "$TMP/link.png"
	"$REPO/scripts/plot" "$TMP/ok.csv" "$TMP/link.png" 2>"$TMP/plot.err"
	check_true "symlink output: exit 0" test $? -ne 0
	check_true "symlink output: its target was written" test ! -e "$TMP/target"
	check_true "says so: $(cat "$TMP/plot.err")" grep -q "symbolic link" "$TMP/plot.err"
	check "temporary files left" "" "$(compgen -G "$TMP/.plot-*")"
	# The same CSV to a plain path works: the failures above were the input's.
	"$REPO/scripts/plot" "$TMP/ok.csv" "$TMP/ok.png" >/dev/null 2>"$TMP/plot.err"
	check "one-row CSV plots ($(cat "$TMP/plot.err"))" 0 $?
	# A service name is data, never gnuplot code.
	printf '%s\r\n%s\r\n' "timestamp,port,service,proto,direction,opened,lat_p99_us" \
		"2026-11-21T10:00:00.000Z,443,\"x\"\"; system(\"\"touch $TMP/pwned\"\"); #\",tcp,in,3,40.0" \
		>"$TMP/evil.csv"
	"$REPO/scripts/plot" "$TMP/evil.csv" >/dev/null 2>"$TMP/plot.err"
	check "odd service name plots ($(cat "$TMP/plot.err"))" 0 $?
	check_true "a service name ran a command" test ! -e "$TMP/pwned"
}
