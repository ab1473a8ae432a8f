# shellcheck shell=bash
# The Prometheus exporter (--listen): a real Prometheus server (Debian's package) scrapes
# socktrace on loopback, and PromQL through its HTTP API returns the counts the test made.

# start_prometheus TARGET_PORT WEB_PORT: Prometheus scraping 127.0.0.1:TARGET_PORT every
# second, its storage in $TMP, its API on 127.0.0.1:WEB_PORT; waits until it is ready.
start_prometheus() {
	PROM_URL=http://127.0.0.1:$2
	cat >"$TMP/prometheus.yml" <<-YML
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	scrape_configs:
	  - job_name: socktrace
	    static_configs:
	      - targets: ["127.0.0.1:$1"]
	YML
	prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prom-data" \
		--web.listen-address="127.0.0.1:$2" >"$TMP/prometheus.log" 2>&1 &
	PIDS+=($!)
	if ! wait_until 60 curl -sf --noproxy '*' -o /dev/null "$PROM_URL/-/ready"; then
		echo "prometheus did not become ready:" >&2
		tail -n 20 "$TMP/prometheus.log" >&2
		return 1
	fi
}

# promql QUERY: the value of the query's first result through the HTTP API; "none" when the
# result is empty, "error: ..." when the query failed.
promql() {
	curl -s --noproxy '*' --max-time 5 --data-urlencode "query=$1" "$PROM_URL/api/v1/query" |
		python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)
except ValueError:
    print("error: no JSON"); sys.exit()
if r.get("status") != "success":
    print("error:", r.get("error")); sys.exit()
res = r["data"]["result"]
print(res[0]["value"][1] if res else "none")'
}

# promql_is VALUE QUERY: the query returns VALUE now.
promql_is() { [ "$(promql "$2")" = "$1" ]; }

# check_promql WHAT SECONDS VALUE QUERY: wait until the query returns VALUE, then record
# what it returns.
check_promql() {
	wait_until "$2" promql_is "$3" "$4"
	check "$1: $4" "$3" "$(promql "$4")"
}

# scrape PORT FILE: GET /metrics from socktrace's exporter into FILE.
scrape() {
	curl -sf --noproxy '*' --max-time 5 -o "$2" "http://127.0.0.1:$1/metrics"
}

# metric FILE SERIES: the value of the sample SERIES (name and labels, exactly as written).
metric() {
	awk -v s="$2" 'substr($0, 1, length(s) + 1) == s " " { print $NF; found = 1 }
		END { if (!found) print "none" }' "$1"
}

# metric_is PORT SERIES VALUE: a fresh scrape has SERIES at VALUE.
metric_is() {
	scrape "$1" "$TMP/poll.txt" && [ "$(metric "$TMP/poll.txt" "$2")" = "$3" ]
}

# tcp_labels PORT DIRECTION [SERVICE]: the label set of a TCP row.
tcp_labels() {
	echo "port=\"$1\",service=\"${3:-}\",proto=\"tcp\",direction=\"$2\""
}

# The issue's acceptance test: nginx on 127.0.0.1:443, N curl connections, M refused
# connects, and `sum(socktrace_connections_opened_total{port="443",direction="in"})` from a
# real Prometheus equals N.
test_prometheus_scrapes_443() {
	local n=6 m=3 q lport wport
	# Another run of the core test may hold 443 for a few seconds.
	if ! wait_until 30 eval '! is_listening 443'; then
		echo "    port 443 is already in use on this machine" >&2
		return 1
	fi
	read -r lport wport q < <(free_ports 3)
	start_socktrace --listen "127.0.0.1:$lport" --quiet -p "443,$q" -i 0.2 || return 1
	start_prometheus "$lport" "$wport" || return 1
	start_nginx 443 && http_get 443 $n && refused "$q" $m || return 1
	local in='sum(socktrace_connections_opened_total{port="443",direction="in"})'
	local out='sum(socktrace_connections_opened_total{port="443",direction="out"})'
	local failed="sum(socktrace_connections_failed_total{port=\"$q\",direction=\"out\",reason=\"refused\"})"
	check_promql "connections in" 30 $n "$in"
	check_promql "connections out" 10 $n "$out"
	check_promql "refused connects" 10 $m "$failed"
	check "scrape health (up)" 1 "$(promql 'up{job="socktrace"}')"
	check "service label" 1 "$(promql 'count(socktrace_connections_opened_total{port="443",service="https",direction="in"})')"
	check "backend" 1 "$(promql 'count(socktrace_info{backend!=""})')"
	stop_socktrace
	check "exit status" 0 $?
	check "stdout with --quiet" "" "$(cat "$TMP/st.out")"
}

# /metrics passes promtool's check; a histogram's _count equals the opened count; HTTP
# answers: the content type of the format, 404 elsewhere, 405 for other methods.
test_exporter_metrics_pass_promtool() {
	local n=5 p lport lint
	read -r p lport < <(free_ports 2)
	start_socktrace --accept-wait --listen "$lport" --quiet -p "$p" -i 0.2 || return 1
	start_nginx "$p" && http_get "$p" $n || return 1
	local in out
	in=$(tcp_labels "$p" in) out=$(tcp_labels "$p" out)
	check_true "the scrape never showed $n connections in" \
		wait_until 10 metric_is "$lport" "socktrace_connections_opened_total{$in}" $n
	check_true "the scrape never showed $n closes out" \
		wait_until 10 metric_is "$lport" "socktrace_connections_closed_total{$out}" $n
	scrape "$lport" "$TMP/metrics.txt" || return 1
	lint=$(promtool check metrics <"$TMP/metrics.txt" 2>&1)
	check "promtool check metrics status" 0 $?
	check "promtool check metrics findings" "" "$lint"
	check "opened out" $n "$(metric "$TMP/metrics.txt" "socktrace_connections_opened_total{$out}")"
	check "latency _count in" $n "$(metric "$TMP/metrics.txt" "socktrace_connect_latency_seconds_count{$in}")"
	check "latency _count out" $n "$(metric "$TMP/metrics.txt" "socktrace_connect_latency_seconds_count{$out}")"
	check "latency +Inf bucket in" $n "$(metric "$TMP/metrics.txt" "socktrace_connect_latency_seconds_bucket{$in,le=\"+Inf\"}")"
	check "accept wait _count" $n "$(metric "$TMP/metrics.txt" "socktrace_accept_wait_seconds_count{$in}")"
	check "lifetime _count out" $n "$(metric "$TMP/metrics.txt" "socktrace_connection_lifetime_seconds_count{$out}")"
	check "active in" 0 "$(metric "$TMP/metrics.txt" "socktrace_connections_active{$in}")"
	check "refused out" 0 "$(metric "$TMP/metrics.txt" "socktrace_connections_failed_total{$out,reason=\"refused\"}")"
	check "events lost" 0 "$(metric "$TMP/metrics.txt" socktrace_events_lost_total)"
	check "content type" "text/plain; version=0.0.4; charset=utf-8" \
		"$(curl -s --noproxy '*' -o /dev/null -w '%{content_type}' "http://127.0.0.1:$lport/metrics")"
	check "other path" 404 \
		"$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lport/")"
	check "POST" 405 "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -d x \
		"http://127.0.0.1:$lport/metrics")"
	stop_socktrace
	check "exit status" 0 $?
	check_true "the exporter still listens after exit" wait_until 5 eval "! is_listening $lport"
}

# The exporter over IPv6.
test_exporter_ipv6() {
	local p lport
	read -r p lport < <(free_ports 2)
	start_socktrace --listen "[::1]:$lport" --quiet -p "$p" -i 0.2 || return 1
	start_socat "$p" && tcp_touch "$p" 2 || return 1
	check_true "the IPv6 scrape never showed 2 connections out" wait_until 10 eval \
		"curl -sg --noproxy '*' 'http://[::1]:$lport/metrics' | grep -qxF 'socktrace_connections_opened_total{$(tcp_labels "$p" out)} 2'"
	stop_socktrace
	check "exit status" 0 $?
}

# --listen PORT alone binds loopback only: nothing else on this host or beyond can scrape.
test_exporter_binds_loopback_only() {
	local p lport
	read -r p lport < <(free_ports 2)
	start_socktrace --listen "$lport" --quiet -p "$p" || return 1
	check "listening sockets on $lport" "127.0.0.1:$lport" \
		"$(ss -Htln "sport = :$lport" | awk '{ print $4 }' | paste -sd' ')"
	stop_socktrace
	check "exit status" 0 $?
}

# A port already in use: one line, exit 1, nothing traced or written.
test_exporter_port_in_use_exit_1() {
	local p lport rc
	read -r p lport < <(free_ports 2)
	start_socat "$lport" || return 1
	timeout 20 "$SOCKTRACE" --listen "127.0.0.1:$lport" -p "$p" --csv "$TMP/x.csv" \
		>"$TMP/st.out" 2>"$TMP/st.err"
	rc=$?
	check "exit status" 1 $rc
	check "stderr" "socktrace: cannot listen on 127.0.0.1:$lport: Address already in use" \
		"$(cat "$TMP/st.err")"
	check "stdout" "" "$(cat "$TMP/st.out")"
	check_true "a CSV was written" test ! -e "$TMP/x.csv"
	# An address this host does not have.
	timeout 20 "$SOCKTRACE" --listen "192.0.2.1:$lport" -p "$p" >"$TMP/st.out" 2>"$TMP/st.err"
	check "exit status (foreign address)" 1 $?
	check "stderr (foreign address)" \
		"socktrace: cannot listen on 192.0.2.1:$lport: Cannot assign requested address" \
		"$(cat "$TMP/st.err")"
}

# --quiet: no table and no summary on stdout; the CSV is still written, and stderr keeps
# its lines (the summary goes there).
test_exporter_quiet_prints_nothing() {
	local n=3 p
	read -r p < <(free_ports 1)
	start_socktrace --quiet --csv "$TMP/out.csv" -p "$p" -i 0.2 || return 1
	start_socat "$p" && tcp_touch "$p" $n || return 1
	stop_socktrace
	check "exit status" 0 $?
	check "stdout bytes" 0 "$(wc -c <"$TMP/st.out")"
	check "csv opened out" $n "$(csv_sum "$TMP/out.csv" "$p" out opened)"
	check_true "no summary on stderr" grep -q '^socktrace summary:' "$TMP/st.err"
}

# On a host without libmicrohttpd (its file masked in a mount namespace of socktrace's own)
# --listen stops with one line naming the library, and a run without it traces as usual:
# the library is opened only for the exporter (user/exporter.c).
test_exporter_without_libmicrohttpd() {
	local n=4 p lport lib real=$SOCKTRACE
	read -r p lport < <(free_ports 2)
	lib=$(ldconfig -p | awk '$1 ~ /^libmicrohttpd\.so\.[0-9]+$/ { print $NF; exit }')
	check_true "ldconfig knows libmicrohttpd" test -n "$lib"
	[ -n "$lib" ] || return 1
	cat >"$TMP/nomhd" <<-SH
	#!/bin/sh
	exec unshare -m sh -c 'mount --bind /dev/null "\$0" && exec "\$@"' "$lib" "$real" "\$@"
	SH
	chmod +x "$TMP/nomhd"
	timeout 20 "$TMP/nomhd" --listen "127.0.0.1:$lport" -p "$p" --csv "$TMP/x.csv" \
		>"$TMP/st.out" 2>"$TMP/st.err"
	check "exit status" 1 $?
	check "stderr lines" 1 "$(wc -l <"$TMP/st.err")"
	check_true "stderr does not name the library: $(cat "$TMP/st.err")" \
		grep -q "^socktrace: the exporter needs libmicrohttpd (Debian: libmicrohttpd12): " \
		"$TMP/st.err"
	check "stdout" "" "$(cat "$TMP/st.out")"
	check_true "a CSV was written" test ! -e "$TMP/x.csv"
	SOCKTRACE=$TMP/nomhd start_socktrace --quiet --csv "$TMP/out.csv" -p "$p" -i 0.2 ||
		return 1
	start_socat "$p" && tcp_touch "$p" $n || return 1
	stop_socktrace
	check "exit status without --listen" 0 $?
	check "csv opened out" $n "$(csv_sum "$TMP/out.csv" "$p" out opened)"
}
