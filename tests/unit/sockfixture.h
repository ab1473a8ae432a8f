/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Building struct sockinfo values for the unit tests of sockinfo and portsum. */
#ifndef SOCKFIXTURE_H
#define SOCKFIXTURE_H

#include <arpa/inet.h>
#include <string.h>
#include "sockinfo.h"

/* The kernel's default ephemeral range. */
static const struct port_range test_eph = { 32768, 60999 };

/* text ("10.0.0.1", "::1") into a, IPv4 as IPv4-mapped, as user/snapshot.c stores it. */
static inline void test_addr(struct in6_addr *a, const char *text)
{
	struct in_addr v4;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, &v4) == 1) {
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v4, sizeof(v4));
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, a), 1);
	}
}

/* A socket: proto, state, local and remote address and port (family from the local address). */
static inline struct sockinfo test_sock(int proto, int state, const char *laddr, int lport,
					const char *raddr, int rport)
{
	struct sockinfo s = { .proto = proto, .state = state, .lport = lport, .rport = rport };

	s.family = strchr(laddr, ':') ? AF_INET6 : AF_INET;
	test_addr(&s.laddr, laddr);
	test_addr(&s.raddr, raddr);
	s.netns = 4026531840u;
	return s;
}

#define TCP_LISTENER(addr, port)                                                                   \
	test_sock(IPPROTO_TCP, SK_LISTEN, addr, port, strchr(addr, ':') ? "::" : "0.0.0.0", 0)
#define TCP_CONN(state, laddr, lport, raddr, rport)                                                \
	test_sock(IPPROTO_TCP, state, laddr, lport, raddr, rport)
#define UDP_UNCONN(addr, port)                                                                     \
	test_sock(IPPROTO_UDP, SK_CLOSE, addr, port, strchr(addr, ':') ? "::" : "0.0.0.0", 0)
#define UDP_CONN(laddr, lport, raddr, rport)                                                       \
	test_sock(IPPROTO_UDP, SK_ESTABLISHED, laddr, lport, raddr, rport)

#endif /* SOCKFIXTURE_H */
