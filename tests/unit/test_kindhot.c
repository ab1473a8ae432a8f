// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kindhot: a row's kind_hot slots added to its kind_rows total, each slot once. */
#include "testutil.h"
#include "hist.h"
#include "kindhot.h"

#define NSLOTS 4
#define NCPUS 2

struct owner_call {
	struct kind_key key;
	uint32_t cpu;
	uint64_t events;
	char comm[TASK_COMM_LEN];
};

struct owners {
	struct owner_call calls[8];
	int n;
};

static int record_owner(void *ctx, const struct kind_key *key, uint32_t cpu,
			const struct owner_slot *slot)
{
	struct owners *o = ctx;

	assert_true(o->n < 8);
	o->calls[o->n].key = *key;
	o->calls[o->n].cpu = cpu;
	o->calls[o->n].events = slot->events;
	memcpy(o->calls[o->n].comm, slot->comm, TASK_COMM_LEN);
	o->n++;
	return 0;
}

/* A taken slot as the kernel leaves it: the key marked, one latency sample per event. */
static void take_slot(struct kind_hot *slot, struct kind_key key, uint64_t events, uint64_t lat,
		      const char *owner)
{
	key.pad = KIND_KEY_HOT;
	slot->key = key;
	slot->c.n.events = events;
	slot->c.n.bytes_sent = 100 * events;
	slot->c.samples = events;
	slot->c.sum = lat * events;
	slot->c.min = slot->c.max = lat;
	slot->c.buckets[hist__bucket(lat)] = (uint32_t)events;
	if (owner) {
		slot->c.owner.events = events;
		snprintf((char *)slot->c.owner.comm, TASK_COMM_LEN, "%s", owner);
	}
}

static struct kind_hot_copy new_copy(void)
{
	struct kind_hot_copy hot = { .nslots = NSLOTS, .ncpus = NCPUS };

	hot.v = calloc(NSLOTS * NCPUS, sizeof(*hot.v));
	assert_non_null(hot.v);
	return hot;
}

/* A key with a kind_rows value and slots on both CPUs: one total, owners named by CPU. */
static void test_take_adds_each_cpu_once(void **state)
{
	struct kind_key ok = { .port = 443, .dir = DIR_OUT, .kind = EV_CONNECT_OK };
	struct kind_key close = { .port = 443, .dir = DIR_OUT, .kind = EV_CLOSE };
	struct kind_hot_copy hot = new_copy();
	struct kind_counts *total = calloc(1, sizeof(*total)), hash = {};
	struct owners owners = {};

	(void)state;
	assert_non_null(total);
	/* slot 1 on CPU 1, slot 3 on CPU 0; the other key's slot 1 on CPU 0 */
	take_slot(&hot.v[1 * NCPUS + 1], ok, 3, 2000, "curl");
	take_slot(&hot.v[3 * NCPUS + 0], ok, 2, 9000, "wget");
	take_slot(&hot.v[1 * NCPUS + 0], close, 5, 0, NULL);
	hash.n.events = 4;
	hash.samples = 4;
	hash.min = hash.max = 1000;
	hash.sum = 4000;
	hash.buckets[hist__bucket(1000)] = 4;
	kind_counts_add(total, &hash);

	assert_int_equal(kind_hot_take(&hot, &ok, total, record_owner, &owners), 0);
	assert_int_equal(total->n.events, 9);
	assert_int_equal(total->n.bytes_sent, 500);
	assert_int_equal(total->samples, 9);
	assert_int_equal(total->sum, 4000 + 6000 + 18000);
	assert_int_equal(total->min, 1000);
	assert_int_equal(total->max, 9000);
	assert_int_equal(total->buckets[hist__bucket(2000)], 3);
	assert_int_equal(total->buckets[hist__bucket(9000)], 2);
	assert_int_equal(owners.n, 2);
	assert_int_equal(owners.calls[0].cpu, 1);
	assert_string_equal(owners.calls[0].comm, "curl");
	assert_int_equal(owners.calls[0].events, 3);
	assert_int_equal(owners.calls[1].cpu, 0);
	assert_string_equal(owners.calls[1].comm, "wget");
	assert_int_equal(owners.calls[1].key.pad, 0);

	/* Taken once: a second take adds nothing; the other key is left. */
	memset(total, 0, sizeof(*total));
	assert_int_equal(kind_hot_take(&hot, &ok, total, record_owner, &owners), 0);
	assert_int_equal(total->n.events, 0);
	assert_int_equal(owners.n, 2);
	assert_int_equal(hot.v[1 * NCPUS + 0].key.pad, KIND_KEY_HOT);
	free(total);
	free(hot.v);
}

/* Keys with slots only come out of kind_hot_next(), as kind_rows keys, until all are taken. */
static void test_next_gives_keys_left(void **state)
{
	struct kind_key acc = { .port = 8080, .dir = DIR_IN, .kind = EV_ACCEPT };
	struct kind_key fail = { .port = 25, .dir = DIR_OUT, .kind = EV_CONNECT_FAIL, .err = 111 };
	struct kind_hot_copy hot = new_copy();
	struct kind_counts *total = calloc(1, sizeof(*total));
	struct owners owners = {};
	struct kind_key key;
	size_t pos = 0;

	(void)state;
	assert_non_null(total);
	assert_false(kind_hot_next(&hot, &pos, &key)); /* all free */
	pos = 0;
	take_slot(&hot.v[2 * NCPUS + 1], acc, 7, 50000, "nginx");
	take_slot(&hot.v[0 * NCPUS + 0], fail, 0, 0, NULL); /* being taken: nothing counted yet */
	assert_true(kind_hot_next(&hot, &pos, &key));
	assert_memory_equal(&key, &acc, sizeof(key));
	assert_int_equal(pos, 2 * NCPUS + 1 + 1);
	assert_int_equal(kind_hot_take(&hot, &key, total, record_owner, &owners), 0);
	assert_int_equal(total->n.events, 7);
	assert_int_equal(owners.n, 1);
	assert_int_equal(owners.calls[0].cpu, 1);
	pos = 0;
	assert_false(kind_hot_next(&hot, &pos, &key));
	free(total);
	free(hot.v);
}

/* An owner slot whose name is not written yet is left for the next reading. */
static void test_nameless_owner_skipped(void **state)
{
	struct kind_key ok = { .port = 443, .dir = DIR_OUT, .kind = EV_CONNECT_OK };
	struct kind_hot_copy hot = new_copy();
	struct kind_counts *total = calloc(1, sizeof(*total));
	struct owners owners = {};

	(void)state;
	assert_non_null(total);
	take_slot(&hot.v[0], ok, 1, 1000, NULL);
	hot.v[0].c.owner.events = 1; /* counted, name not there yet */
	assert_int_equal(kind_hot_take(&hot, &ok, total, record_owner, &owners), 0);
	assert_int_equal(total->n.events, 1);
	assert_int_equal(owners.n, 0);
	free(total);
	free(hot.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_adds_each_cpu_once),
		cmocka_unit_test(test_next_gives_keys_left),
		cmocka_unit_test(test_nameless_owner_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
