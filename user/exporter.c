// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "exporter.h"
#include "metrics.h"

#define LISTEN_BACKLOG 16
#define HTTP_CONNECTIONS_MAX 32 /* a scraper or two, and someone with curl */
#define HTTP_TIMEOUT_S 10	/* an idle or stalled client is dropped after this */

/*
 * libmicrohttpd is opened when an exporter starts, not linked: it brings
 * GnuTLS and eight more libraries (2.5 MB resident, and their start-up), which
 * a run without --listen does not need, nor a host without the package.
 * MHD_SONAME comes from the Makefile. Never closed: loaded once per process.
 */
#ifndef MHD_SONAME
#define MHD_SONAME "libmicrohttpd.so.12"
#endif

static struct {
	typeof(MHD_start_daemon) *start_daemon;
	typeof(MHD_stop_daemon) *stop_daemon;
	typeof(MHD_create_response_from_buffer) *create_response_from_buffer;
	typeof(MHD_add_response_header) *add_response_header;
	typeof(MHD_queue_response) *queue_response;
	typeof(MHD_destroy_response) *destroy_response;
} mhd;

/* Open MHD_SONAME and find what is used of it; 0, or -ENOENT with dlerror() in err. */
static int mhd_open(char *err, size_t errlen)
{
	struct {
		const char *name;
		void **fn;
	} syms[] = {
		{ "MHD_start_daemon", (void **)&mhd.start_daemon },
		{ "MHD_stop_daemon", (void **)&mhd.stop_daemon },
		{ "MHD_create_response_from_buffer", (void **)&mhd.create_response_from_buffer },
		{ "MHD_add_response_header", (void **)&mhd.add_response_header },
		{ "MHD_queue_response", (void **)&mhd.queue_response },
		{ "MHD_destroy_response", (void **)&mhd.destroy_response },
	};
	void *lib;

	if (mhd.start_daemon)
		return 0;
	lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	for (size_t i = 0; lib && i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].fn = dlsym(lib, syms[i].name);
		if (!*syms[i].fn)
			lib = NULL; /* dlerror() names the symbol */
	}
	if (!lib) {
		snprintf(err, errlen,
			 "the exporter needs libmicrohttpd (Debian: libmicrohttpd12): %s",
			 dlerror());
		memset(&mhd, 0, sizeof(mhd));
		return -ENOENT;
	}
	return 0;
}

struct exporter {
	struct MHD_Daemon *httpd;
	const char *version;
	pthread_mutex_t lock; /* guards body and len: written by main, read by the HTTP thread */
	char *body;	      /* the latest exposition; NULL before the first update */
	size_t len;
};

/* addr:port as people write it: "127.0.0.1:9464", "[::1]:9464". */
static void format_endpoint(char *buf, size_t len, const char *addr, uint16_t port)
{
	snprintf(buf, len, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

/* A listening TCP socket on addr:port; the fd, or -errno. */
static int listen_on(const char *addr, uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	bool v6 = inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1;
	int one = 1, fd, err;

	if (!v6 && inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -EINVAL;
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A restart may bind while the last run's connections are in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (v6 ? bind(fd, (struct sockaddr *)&sin6, sizeof(sin6))
		: bind(fd, (struct sockaddr *)&sin, sizeof(sin))) ||
	    listen(fd, LISTEN_BACKLOG)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *body,
			     size_t len, const char *type)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = mhd.create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO; /* MHD closes the connection */
	mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		mhd.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = mhd.queue_response(conn, status, resp);
	mhd.destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status,
				  const char *text)
{
	return reply(conn, status, text, strlen(text), "text/plain; charset=utf-8");
}

/* The latest exposition, copied under the lock (the main thread may swap it next). */
static enum MHD_Result reply_metrics(struct exporter *exp, struct MHD_Connection *conn)
{
	enum MHD_Result ret;

	pthread_mutex_lock(&exp->lock);
	if (exp->body)
		ret = reply(conn, MHD_HTTP_OK, exp->body, exp->len, METRICS_CONTENT_TYPE);
	else
		ret = reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "socktrace is starting\n");
	pthread_mutex_unlock(&exp->lock);
	return ret;
}

/* Runs on the HTTP thread. A request body is never read: no method that has one is served. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (strcmp(url, "/metrics"))
		return reply_text(conn, MHD_HTTP_NOT_FOUND,
				  "not found: socktrace serves /metrics\n");
	return reply_metrics(cls, conn);
}

/* Start MHD's thread with the stop signals blocked, so main's poll loop sees them. */
static struct MHD_Daemon *httpd_start(struct exporter *exp, int fd, bool v6)
{
	sigset_t block, old;
	struct MHD_Daemon *d;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	d = mhd.start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | (v6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
			     on_request, exp, MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS_MAX,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
			     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

int exporter__start(struct exporter **out, const char *addr, uint16_t port, const char *version,
		    char *err, size_t errlen)
{
	struct exporter *exp;
	char where[80];
	int fd;

	if (mhd_open(err, errlen))
		return -ENOENT;
	exp = calloc(1, sizeof(*exp));
	format_endpoint(where, sizeof(where), addr, port);
	if (!exp) {
		snprintf(err, errlen, "cannot listen on %s: %s", where, strerror(ENOMEM));
		return -ENOMEM;
	}
	fd = listen_on(addr, port);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", where, strerror(-fd));
		free(exp);
		return fd;
	}
	exp->version = version;
	pthread_mutex_init(&exp->lock, NULL);
	exp->httpd = httpd_start(exp, fd, strchr(addr, ':') != NULL);
	if (!exp->httpd) {
		snprintf(err, errlen, "cannot listen on %s: the HTTP server did not start", where);
		close(fd);
		pthread_mutex_destroy(&exp->lock);
		free(exp);
		return -EIO;
	}
	*out = exp;
	return 0;
}

int exporter__update(struct exporter *exp, const struct report *r)
{
	char *body = NULL, *old;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int err;

	if (!f)
		return -ENOMEM;
	err = metrics__write(f, r, exp->version);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(body);
		return err;
	}
	pthread_mutex_lock(&exp->lock);
	old = exp->body;
	exp->body = body;
	exp->len = len;
	pthread_mutex_unlock(&exp->lock);
	free(old);
	return 0;
}

void exporter__stop(struct exporter *exp)
{
	if (!exp)
		return;
	mhd.stop_daemon(exp->httpd); /* joins its thread and closes the listening socket */
	pthread_mutex_destroy(&exp->lock);
	free(exp->body);
	free(exp);
}
