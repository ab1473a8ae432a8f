/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One socket open now, as `socktrace ports` sees it, and the rule that says
 * which port it counts for: listener, `in` on its local port or `out` on its
 * remote port. Pure: no BPF, no root (user/snapshot.c fills these in).
 */
#ifndef SOCKINFO_H
#define SOCKINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define SOCKINFO_COMM_LEN 16
#define PORT_RANGE_PATH "/proc/sys/net/ipv4/ip_local_port_range"

/* The kernel's TCP states (include/net/tcp_states.h); UDP uses SK_CLOSE and SK_ESTABLISHED. */
enum sk_state {
	SK_ESTABLISHED = 1,
	SK_SYN_SENT,
	SK_SYN_RECV,
	SK_FIN_WAIT1,
	SK_FIN_WAIT2,
	SK_TIME_WAIT,
	SK_CLOSE, /* UDP: not connected */
	SK_CLOSE_WAIT,
	SK_LAST_ACK,
	SK_LISTEN,
	SK_CLOSING,
	SK_NEW_SYN_RECV, /* a request sock: handshake in progress on a listener */
};

struct sockinfo {
	struct in6_addr laddr; /* local address; IPv4 as IPv4-mapped (::ffff:a.b.c.d) */
	struct in6_addr raddr; /* remote address, likewise; :: when not connected */
	uint64_t ino;	       /* socket inode (ss -e: ino); 0 when it has no file */
	uint32_t netns;	       /* network namespace inode */
	uint32_t pid;	       /* owner: the lowest pid holding it; 0 when unknown */
	uint32_t owners;       /* processes holding it; 0 when unknown */
	uint32_t qlen;	       /* TCP listener: connections in the accept queue */
	uint32_t backlog;      /* TCP listener: the accept queue's limit */
	uint32_t drops;	       /* sk_drops (listener: accept queue overflows) */
	uint16_t lport;	       /* local port */
	uint16_t rport;	       /* remote port; 0 when not connected */
	uint16_t family;       /* AF_INET or AF_INET6 (of the socket, whatever its addresses) */
	uint8_t proto;	       /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t state;	       /* enum sk_state */
	char comm[SOCKINFO_COMM_LEN]; /* owner's name; empty when unknown */
};

/* A process holding a socket (one of its file descriptors). */
struct sock_owner {
	uint64_t ino; /* the socket's inode */
	uint32_t pid;
	char comm[SOCKINFO_COMM_LEN];
};

/*
 * Set pid, comm and owners of each socket from the holders of its inode:
 * the lowest pid (for a forking server, usually the parent), and how many
 * distinct processes hold it. owners is sorted in place.
 */
void sockinfo__set_owners(struct sockinfo *socks, size_t n, struct sock_owner *owners, size_t m);

/* The ephemeral port range, ip_local_port_range: the kernel picks client ports from it. */
struct port_range {
	int lo, hi;
};

/* "32768\t60999\n" into r: 0, or -EINVAL (r unchanged). */
int port_range__parse(const char *text, struct port_range *r);
/* Read path (PORT_RANGE_PATH): 0, or -errno / -EINVAL. */
int port_range__read(const char *path, struct port_range *r);

static inline bool port_range__has(const struct port_range *r, int port)
{
	return port >= r->lo && port <= r->hi;
}

/* IANA's class of a port: "well-known" (0-1023), "registered" (-49151), "dynamic". */
const char *port__class(int port);

enum sock_role {
	ROLE_NONE = 0, /* counted nowhere (a TCP socket in CLOSE) */
	ROLE_LISTEN,   /* a TCP listener, or an unconnected UDP socket: serves its local port */
	ROLE_IN,       /* connected, serving its local port */
	ROLE_OUT,      /* connected out to its remote port */
};

struct sock_class {
	uint16_t port; /* service port: local for ROLE_LISTEN and ROLE_IN, remote for ROLE_OUT */
	uint8_t role;  /* enum sock_role */
};

/*
 * The rule for one socket; listened: a TCP listener exists on s's local port
 * in s's network namespace.
 * - TCP: LISTEN is a listener on its local port. Any other state (established,
 *   handshake, closing, TIME_WAIT) is `in` on its local port if listened or if
 *   that port is outside eph, else `out` on its remote port.
 * - UDP: not connected is a listener on its local port (ss -ul lists it too),
 *   wherever that port is. Connected is `in` on its local port if that port is
 *   outside eph, else `out` on its remote port.
 */
/* A TCP listener, or an unconnected UDP socket: it serves its local port (ROLE_LISTEN). */
bool sockinfo__is_listener(const struct sockinfo *s);

struct sock_class sockinfo__classify(const struct sockinfo *s, bool listened,
				     const struct port_range *eph);

/* The rule for every socket: out[i] for socks[i], listened worked out from socks. 0 or -ENOMEM. */
int sockinfo__classify_all(const struct sockinfo *socks, size_t n, const struct port_range *eph,
			   struct sock_class *out);

/* "10.0.0.1", "2001:db8::1"; an IPv4-mapped address as IPv4. */
void sockinfo__format_addr(char *buf, size_t len, const struct in6_addr *addr);
/* "10.0.0.1:443", "[2001:db8::1]:443" (IPv4-mapped as IPv4). */
void sockinfo__format_endpoint(char *buf, size_t len, const struct in6_addr *addr, int port);
/* "nginx[812]", "+N" for N more processes holding it: "nginx[812]+1"; "-" when unknown. */
void sockinfo__format_owner(char *buf, size_t len, const struct sockinfo *s);

#endif /* SOCKINFO_H */
