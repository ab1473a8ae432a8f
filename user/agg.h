/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-(service port, proto, direction) aggregation. The service port is the
 * local port for "in" and the remote port for "out", so a client's ephemeral
 * port never becomes a row. Figures are kept for the current interval and for
 * the whole run; agg__next_interval() folds the interval into the run.
 */
#ifndef AGG_H
#define AGG_H

#include <stdbool.h>
#include <stdint.h>
#include "events.h"
#include "hist.h"

#define AGG_PROCS 4 /* distinct process names remembered per row */

struct agg_stats {
	uint64_t opened;
	uint64_t failed;
	uint64_t failed_by[FAIL_MAX];
	uint64_t closed;	 /* connections that closed (seen open, or found at start) */
	uint64_t existing;	 /* connections found open at start (snapshot) */
	uint64_t bytes_sent;	 /* TCP: payload acknowledged by the peer, at close */
	uint64_t bytes_received; /* TCP: payload received, at close */
	uint64_t retransmits;	 /* TCP: segments retransmitted, at close */
	uint64_t resets_sent, resets_received;
	uint64_t datagrams_sent;     /* UDP */
	uint64_t datagrams_received; /* UDP */
	uint64_t send_errors;	     /* UDP: sends that failed */
	uint64_t lost;		     /* events that found the ring buffer full (counted
				      * above all the same; their samples are missing) */
	struct hist *lat;	     /* connection latency, ns; NULL until the first sample */
	struct hist *wait;	     /* "in": accept-queue wait, ESTABLISHED -> accept(), ns */
	struct hist *life; /* lifetime of connections seen open, ESTABLISHED -> CLOSE, ns */
	struct hist *resp; /* UDP "out": datagram sent -> first datagram back, ns */
};

/* Anything happened in these figures (a row with none is left out of an interval). */
static inline bool agg__stats_active(const struct agg_stats *st)
{
	return st->opened || st->failed || st->closed || st->existing || st->resets_sent ||
	       st->resets_received || (st->wait && st->wait->count) || st->datagrams_sent ||
	       st->datagrams_received || st->send_errors || st->lost;
}

/* Connections open at the end of what `run` and `interval` cover. */
static inline uint64_t agg__active(const struct agg_stats *run, const struct agg_stats *interval)
{
	uint64_t in = run->existing + run->opened + interval->existing + interval->opened;
	uint64_t out = run->closed + interval->closed;

	return in > out ? in - out : 0;
}

struct agg_proc {
	char comm[TASK_COMM_LEN];
	uint32_t pid; /* the latest pid seen with this name */
	uint64_t count;
	uint64_t pid_ns; /* when (the kernel's clock): the pid of a later event wins */
};

struct agg_row {
	uint16_t port;
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t dir;   /* DIR_IN, DIR_OUT */
	struct agg_stats interval;
	struct agg_stats run;		  /* completed intervals only */
	struct agg_proc procs[AGG_PROCS]; /* most events first after agg__rows() */
	uint64_t procs_more;		  /* events from processes beyond AGG_PROCS */
	struct udp_counts udp_seen;	  /* UDP: the kernel's counters at the last update;
					   * peers: distinct remote addresses since start */
};

struct agg;

/* NULL on allocation failure. */
struct agg *agg__new(void);
void agg__free(struct agg *agg);

/* Count one event; 0, or -ENOMEM (the event is then not counted). */
int agg__add(struct agg *agg, const struct event *ev);

/*
 * All rows seen this run, busiest first: by interval opened+failed, then run
 * opened+failed, then port, proto, direction. Sets *n. The array belongs to
 * agg and is valid until the next agg__add or agg__rows.
 */
struct agg_row **agg__rows(struct agg *agg, size_t *n);

/*
 * UDP rows are counted in the kernel: hand over the cumulative counters of
 * (port, dir); what grew since the last call goes into the interval. 0 or -ENOMEM.
 */
int agg__udp(struct agg *agg, uint16_t port, uint8_t dir, const struct udp_counts *total);

/*
 * Events lost to a full ring buffer are counted in the kernel per (row, kind,
 * err, flags): hand over those cumulative counters; what they grew by goes
 * into the interval's counts (opened, failed, closed, bytes, resets) and its
 * lost count. 0 or -ENOMEM.
 */
int agg__lost(struct agg *agg, const struct kind_key *key, const struct lost_counts *total);

/*
 * Events counted in the kernel (unless every event is sent: --events), per
 * (row, kind, err, flags): hand over the cumulative counters and histogram
 * (summed over CPUs; min and max over them); what they grew by goes into
 * the interval, as agg__add() would have put the events, and *grew says how
 * many events that was. A sample's value is known only to its bucket
 * (HIST_REL_ERROR), except for the run's min and max, which stay exact: an
 * interval's min or max is exact when it moved the run's. 0 or -ENOMEM.
 */
int agg__kind(struct agg *agg, const struct kind_key *key, const struct kind_counts *total,
	      uint64_t *grew);

/*
 * The events of a row counted in the kernel under an owner's name, and its
 * latest pid, seen at ts_ns.
 */
int agg__proc(struct agg *agg, const struct proc_key *key, uint64_t events, uint32_t pid,
	      uint64_t ts_ns);

/*
 * The same for the first owner's name of kind row key on a CPU (the row's
 * slot): its cumulative events there, its name, latest pid and when. The slot's
 * events and proc_rows' of the same name add up. 0 or -ENOMEM.
 */
int agg__owner(struct agg *agg, const struct kind_key *key, uint32_t cpu,
	       const struct owner_slot *slot);

/* Fold the interval into the run figures and start a new interval. */
void agg__next_interval(struct agg *agg);

/* The service port of an event: local for "in", remote for "out". */
static inline uint16_t agg__service_port(const struct event *ev)
{
	return ev->dir == DIR_IN ? ev->sport : ev->dport;
}

#endif /* AGG_H */
