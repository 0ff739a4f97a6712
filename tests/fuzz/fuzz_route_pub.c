/* libFuzzer target: the agent side of the route socket
 * (routing/route_pub.c), fed what subscribers send, line by line, as
 * cmd/agent/route_socket.c hands it over. Pieces (tests/fuzz/fuzz.h); a piece's
 * first byte: its bit 0 picks one of two subscribers, its bits 1-3 what
 * happens:
 * 0-3 the rest is one line from it, 4 a new table is published, 5 two
 * seconds pass (a tick), 6 it sent an over-long line, 7 it disconnects and
 * connects again (under a new id, as the shell gives). Checks: every line sent is one JSON object on one line;
 * what is dropped is told through hooks.close at most once per connection;
 * registered gateways are valid; the publisher holds at most what it says. */
#include <jansson.h>

#include "gossip/err.h"
#include "routing/route_pub.h"
#include "tests/fuzz/fuzz.h"

struct shell {
	uint64_t id[2];  /* each subscriber's connection id (ids only grow) */
	bool open[2];
	uint64_t next_id;
	uint64_t version;
};

/* The subscriber of connection id (its index), -1 if none is open. */
static int slot(const struct shell *s, uint64_t id)
{
	for (int i = 0; i < 2; i++)
		if (s->open[i] && s->id[i] == id)
			return i;
	return -1;
}

static int on_send(void *ctx, uint64_t sub, const char *line, size_t len)
{
	MF_FUZZ_CHECK(slot(ctx, sub) >= 0);
	mf_fuzz_check_line(line, len);
	json_t *o = json_loadb(line, len, 0, NULL);
	MF_FUZZ_CHECK(json_is_object(o));
	json_decref(o);
	return 0;
}

static void on_close(void *ctx, uint64_t sub, const char *reason)
{
	struct shell *s = ctx;
	int i = slot(s, sub);
	MF_FUZZ_CHECK(i >= 0 && reason != NULL);
	s->open[i] = false;
}

static void on_gateways(void *ctx, const struct mf_gateway *g, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++)
		MF_FUZZ_CHECK(mf_gateway_valid(&g[i]));
}

/* dc1's table at `version`: dc1 local, dc2 direct. */
static struct mf_table table(uint64_t version)
{
	struct mf_table t = { 0 };
	t.datacenter = strdup("dc1");
	t.version = version;
	t.routes = calloc(2, sizeof(*t.routes));
	MF_FUZZ_CHECK(t.datacenter && t.routes);
	t.n_routes = 2;
	for (size_t i = 0; i < 2; i++) {
		struct mf_table_route *r = &t.routes[i];
		r->target = strdup(i ? "dc2" : "dc1");
		r->path = calloc(2, sizeof(char *));
		MF_FUZZ_CHECK(r->target && r->path);
		r->path[0] = strdup("dc1");
		r->path_len = 1;
		r->mode = MF_MODE_MULTI_HOP;
		r->status = MF_ROUTE_LOCAL;
		if (i) {
			r->status = MF_ROUTE_DIRECT;
			r->next_hop = strdup("dc2");
			r->path[1] = strdup("dc2");
			r->path_len = 2;
			r->distance_ms = (double)version;
		}
	}
	return t;
}

static void connect_sub(struct mf_route_pub *p, struct shell *s, int i, mf_time_t now)
{
	s->id[i] = ++s->next_id;
	s->open[i] = true;
	MF_FUZZ_CHECK(mf_route_pub_connect(p, s->id[i], 100, 1000, 1000, now) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shell s = { .version = 1 };
	struct mf_route_pub_config c = { "dc1", "dc1-s1", 4242, { &s, on_send, on_close,
								  on_gateways } };
	struct mf_route_pub *p;
	mf_time_t now = 1000 * MF_SEC;
	MF_FUZZ_CHECK(mf_route_pub_new(&c, &p) == 0);
	struct mf_table t = table(s.version);
	MF_FUZZ_CHECK(mf_route_pub_publish(p, &t, now) == 0);
	connect_sub(p, &s, 0, now);
	connect_sub(p, &s, 1, now);

	struct mf_fuzz_cursor cur;
	uint8_t *piece;
	size_t len;
	mf_fuzz_cursor_init(&cur, data, size);
	while ((piece = mf_fuzz_next(&cur, &len)) != NULL) {
		int sub = len ? piece[0] & 1 : 0;
		int what = len ? (piece[0] >> 1) & 7 : 0;
		if (what < 4 && s.open[sub]) {
			(void)mf_route_pub_line(p, s.id[sub], len ? (const char *)piece + 1 : "",
						len ? len - 1 : 0, now);
		} else if (what == 4) {
			t = table(++s.version);
			MF_FUZZ_CHECK(mf_route_pub_publish(p, &t, now) == 0);
		} else if (what == 5) {
			now += 2 * MF_SEC;
			(void)mf_route_pub_tick(p, now);
		} else if (what == 6 && s.open[sub]) {
			(void)mf_route_pub_oversize(p, s.id[sub], now);
		} else if (what == 7) {
			if (s.open[sub])
				MF_FUZZ_CHECK(mf_route_pub_disconnect(p, s.id[sub], now) == 0);
			s.open[sub] = false;
			connect_sub(p, &s, sub, now);
		}
		free(piece);
		MF_FUZZ_CHECK(mf_route_pub_count(p) == (size_t)s.open[0] + s.open[1]);
		MF_FUZZ_CHECK(mf_route_pub_version(p) == s.version);
		MF_FUZZ_CHECK(mf_route_pub_tables_held(p) <= MF_ROUTE_PUB_KEEP + 1 + 2 * 2);
	}
	mf_route_pub_free(p);
	return 0;
}
