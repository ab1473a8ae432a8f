# bash completion for socktrace(8)                             -*- shell-script -*-
# Installed as $(PREFIX)/share/bash-completion/completions/socktrace, where
# bash-completion loads it on first use. Self-contained: it needs none of
# bash-completion's helpers. The options are those of --help and user/cli.c (a test checks).

_socktrace_opts="--port --ipv4 --ipv6 --proto --dir --pid --comm --cgroup --netns
	--interval --duration --wide --events --hist --json --csv --listen --quiet
	--ring-buffer --max-conns --accept-wait --every-event --backend --check --verbose --help
	--version"
_socktrace_ports_opts="--port --verbose --help -p -v -h"

# _socktrace_reply COMPGEN-ARGS...: COMPREPLY from compgen, one word a line (file names
# with spaces stay whole).
_socktrace_reply() { mapfile -t COMPREPLY < <(compgen "$@"); }

# _socktrace_services CUR: service names from /etc/services, after the comma-separated
# list already typed (-p 80,ht -> 80,http 80,https).
_socktrace_services() {
	local head=
	[[ $1 == *,* ]] && head=${1%,*},
	_socktrace_reply -P "$head" -W "$(awk '!/^#/ && NF { print $1 }' /etc/services \
		2>/dev/null | sort -u)" -- "${1##*,}"
}

_socktrace() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} w
	COMPREPLY=()
	# --opt=value: COMP_WORDBREAKS splits it into --opt, =, value.
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	case $prev in
	--backend) _socktrace_reply -W "auto fentry kprobe tracepoint" -- "$cur"; return ;;
	--dir) _socktrace_reply -W "in out" -- "$cur"; return ;;
	--proto) _socktrace_reply -W "tcp udp" -- "$cur"; return ;;
	-p | --port) _socktrace_services "$cur"; return ;;
	--csv)
		compopt -o filenames 2>/dev/null
		_socktrace_reply -f -- "$cur"
		return
		;;
	--cgroup)
		compopt -o filenames 2>/dev/null
		_socktrace_reply -d -- "${cur:-/sys/fs/cgroup/}"
		return
		;;
	--netns)
		local ns=(/run/netns/*)
		[[ -e ${ns[0]} ]] && _socktrace_reply -W "${ns[*]}" -- "$cur"
		return
		;;
	--pid) _socktrace_reply -W "$(cd /proc && echo [0-9]*)" -- "$cur"; return ;;
	--comm) _socktrace_reply -W "$(ps -eo comm= 2>/dev/null | sort -u)" -- "$cur"; return ;;
	--ring-buffer) _socktrace_reply -W "64K 256K 1M 2M 8M 32M" -- "$cur"; return ;;
	--max-conns) _socktrace_reply -W "64K 256K 1M 4M 16M" -- "$cur"; return ;;
	-i | --interval | -d | --duration | --listen) return ;; # a number, an address: no list
	esac

	for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
		if [[ $w == ports ]]; then
			_socktrace_reply -W "$_socktrace_ports_opts" -- "$cur"
			return
		fi
	done
	if [[ $cur == -* ]]; then
		_socktrace_reply -W "$_socktrace_opts -p -4 -6 -i -d -w -v -h -V" -- "$cur"
	else
		_socktrace_reply -W "ports" -- "$cur"
	fi
} && complete -F _socktrace socktrace
