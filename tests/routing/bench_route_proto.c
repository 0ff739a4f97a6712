/*
 * bench-route-proto — route socket bytes per change for docs/bench.md (run
 * scripts/bench-route-socket, which also measures the socket itself).
 *
 * For N DCs (a random connected graph, as bench-routing's: a random tree
 * plus N extra links, distances from a 2-D map) the simulation converges,
 * DC 0's table gets two gateways per next hop (as real tables carry), and
 * the route socket's encoders (routing/route_proto.h) give:
 *  - the snapshot line;
 *  - the delta line for a one-route change (one route's distance moved);
 *  - the delta line after a real event: a DC whose death leaves the others
 *    connected dies and the simulation reconverges (how many routes changed
 *    is printed with it);
 *  - the time the agent spends on them: rendering a table to JSON (once per
 *    version), a snapshot line and a one-route delta line from renderings
 *    (once per base among the subscribers: the lines are cached), the
 *    least of 10 runs.
 * Prints Markdown table rows. This is a bench, not a test: it reads the clock.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gossip/err.h"
#include "routing/engine.h"
#include "routing/route_proto.h"
#include "routing/table_format.h"
#include "tests/routing/helpers.h"
#include "tests/routing/sim.h"

static uint64_t rng = 0x726f757465ull;

static uint64_t rnd(void)
{
	return h_splitmix(&rng);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Map distance plus 1 ms, so no link is free. */
static double dist(const double *xy, size_t a, size_t b)
{
	double dx = xy[2 * a] - xy[2 * b], dy = xy[2 * a + 1] - xy[2 * b + 1];
	return sqrt(dx * dx + dy * dy) + 1;
}

static int random_graph(struct sim *s, size_t n)
{
	struct mf_routing_config c;
	mf_routing_config_default(&c);
	int r = sim_init(s, n, NULL, &c, NULL);
	double *xy = malloc(2 * n * sizeof *xy);
	if (r < 0 || !xy) {
		free(xy);
		return r < 0 ? r : MF_ENOMEM;
	}
	for (size_t i = 0; i < 2 * n; i++)
		xy[i] = (double)(rnd() >> 11) / 9007199254740992.0 * 150;
	for (size_t i = 1; i < n && r == 0; i++) {
		size_t j = (size_t)(rnd() % i);
		r = sim_link2(s, i, j, true, true, dist(xy, i, j));
	}
	for (size_t k = 0; k < n && r == 0; k++) {
		size_t i = (size_t)(rnd() % n), j = (size_t)(rnd() % n);
		if (i != j)
			r = sim_link2(s, i, j, true, true, dist(xy, i, j));
	}
	free(xy);
	int rounds;
	return r < 0 ? r : sim_run(s, 10 * (int)n + 50, &rounds);
}

/* Two gateways per next-hop DC, "<hop>-gw1" at 203.0.113.x:8443. */
static int add_gateways(struct mf_table *t)
{
	for (size_t i = 0; i < t->n_routes; i++) {
		struct mf_table_route *r = &t->routes[i];
		if (!r->next_hop || r->n_endpoints)
			continue;
		r->endpoints = calloc(2, sizeof *r->endpoints);
		if (!r->endpoints)
			return MF_ENOMEM;
		r->n_endpoints = 2;
		for (int k = 0; k < 2; k++) {
			char name[96], addr[48];
			snprintf(name, sizeof name, "%s-gw%d", r->next_hop, k + 1);
			snprintf(addr, sizeof addr, "203.0.113.%d:8443", (int)(i % 250) + 1);
			r->endpoints[k].gateway = strdup(name);
			r->endpoints[k].addr = strdup(addr);
			if (!r->endpoints[k].gateway || !r->endpoints[k].addr)
				return MF_ENOMEM;
		}
	}
	return 0;
}

static int table_of(struct sim *s, struct mf_table *t)
{
	int r = mf_routing_table(s->eng[0], t);
	return r < 0 ? r : add_gateways(t);
}

/* Routes that differ between two tables (both sorted by target) in what a
 * gateway uses: status, next hop, distance, path length. */
static size_t changed_routes(const struct mf_table *a, const struct mf_table *b)
{
	size_t n = 0, i = 0, j = 0;
	while (i < a->n_routes || j < b->n_routes) {
		int c = i == a->n_routes   ? 1
			: j == b->n_routes ? -1
					   : strcmp(a->routes[i].target, b->routes[j].target);
		if (c != 0) {
			n++;
			c < 0 ? i++ : j++;
			continue;
		}
		const struct mf_table_route *x = &a->routes[i++], *y = &b->routes[j++];
		if (x->status != y->status || x->distance_ms != y->distance_ms ||
		    x->path_len != y->path_len || (x->next_hop == NULL) != (y->next_hop == NULL) ||
		    (x->next_hop && strcmp(x->next_hop, y->next_hop) != 0))
			n++;
	}
	return n;
}

static int bench(size_t n)
{
	struct sim s = {0};
	struct mf_table t0 = {0}, t1 = {0}, t2 = {0};
	char *snap = NULL, *d1 = NULL, *d2 = NULL;
	size_t snap_len = 0, d1_len = 0, d2_len = 0;
	int r = random_graph(&s, n);
	if (r == 0)
		r = table_of(&s, &t0);
	if (r == 0)
		r = table_of(&s, &t1);
	if (r < 0)
		goto out;
	/* One-route change: a far target's distance moves by 3 ms. */
	t1.version = t0.version + 1;
	t1.routes[t1.n_routes / 2].distance_ms += 3.0;
	/* What the agent does per version (render once) and per subscriber
	 * (encode from the renderings). The least of 10 runs of each: on a
	 * shared machine the others measure its load, not the code. */
	double render = 1e300, snap_t = 1e300, delta_t = 1e300;
	json_t *j0 = NULL, *j1 = mf_table_to_json(&t1);
	if (!j1)
		r = MF_ENOMEM;
	for (int k = 0; k < 10 && r == 0; k++) {
		double a = now_us();
		json_decref(j0);
		if (!(j0 = mf_table_to_json(&t0))) {
			r = MF_ENOMEM;
			break;
		}
		double b = now_us();
		free(snap);
		r = mf_rp_encode_snapshot_json(0x1234567890ull, j0, &snap, &snap_len);
		double c = now_us();
		free(d1);
		if (r == 0)
			r = mf_rp_encode_delta_json(0x1234567890ull, j0, j1, &d1, &d1_len);
		double d = now_us();
		render = fmin(render, b - a);
		snap_t = fmin(snap_t, c - b);
		delta_t = fmin(delta_t, d - c);
	}
	json_decref(j0);
	json_decref(j1);
	if (r < 0)
		goto out;
	/* A real event: a DC dies, the rest stays connected. */
	for (int tries = 0; tries < 1000; tries++) {
		size_t v = 1 + (size_t)(rnd() % (n - 1));
		s.alive[v] = false;
		bool conn = sim_connected(&s);
		s.alive[v] = true;
		if (conn) {
			int rounds;
			if ((r = sim_kill(&s, v)) == 0)
				r = sim_run(&s, 10 * (int)n + 50, &rounds);
			break;
		}
	}
	if (r == 0)
		r = table_of(&s, &t2);
	if (r == 0)
		r = mf_rp_encode_delta(0x1234567890ull, &t0, &t2, &d2, &d2_len);
	if (r < 0)
		goto out;
	printf("| %zu | %zu | %zu | %zu | %zu (%zu routes changed) | %.2f | %.2f | %.2f |\n", n,
	       t0.n_routes, snap_len, d1_len, d2_len, changed_routes(&t0, &t2),
	       render / 1e3, snap_t / 1e3, delta_t / 1e3);
out:
	free(snap);
	free(d1);
	free(d2);
	mf_table_free(&t0);
	mf_table_free(&t1);
	mf_table_free(&t2);
	sim_free(&s);
	return r;
}

int main(void)
{
	printf("| DCs | routes | snapshot bytes | one-route delta bytes | delta after a DC dies bytes "
	       "| render table ms | snapshot from rendering ms | one-route delta from renderings ms "
	       "|\n|---|---|---|---|---|---|---|---|\n");
	size_t sizes[] = {100, 1000};
	for (size_t i = 0; i < 2; i++) {
		int r = bench(sizes[i]);
		if (r < 0) {
			fprintf(stderr, "bench-route-proto: %zu DCs: %s\n", sizes[i], mf_strerror(r));
			return 1;
		}
	}
	return 0;
}
