/*
 * cmd/sim/routes.c — meshfed-sim -routes (contract in routes.h; usage and
 * figures in docs/simulator.md, "Routes").
 *
 * Simnet nodes are (pool, server) pairs: pool-major, then the pool's DCs in
 * file order, then servers. Nodes of different pools never talk (delay < 0),
 * so a server in three areas is three simnet nodes sharing one routing node,
 * as an agent in three areas is three pools sharing one engine.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cmd/sim/routes_internal.h"
#include "gossip/rng.h"
#include "gossip/serf.h"
#include "routing/blobs.h"
#include "routing/node.h"
#include "routing/table_format.h"
#include "routing/topology.h"

#define GW_PORT 8443

/* --- the pool's delegate: routing/pool_mux.h, the coords hook beside the
 * routing slot, and the bytes routing sends counted while measuring -------*/

static void routed(void *ctx, const uint8_t *buf, size_t len, bool state)
{
	struct member *m = ctx;
	if (!m->sim->measuring)
		return;
	if (state)
		m->sim->pp_bytes += len;
	else if (len >= 2)
		*(buf[1] == MF_ROUTING_NODE_MSG_BEAT    ? &m->sim->beat_bytes
		  : buf[1] == MF_ROUTING_NODE_MSG_REACH ? &m->sim->reach_bytes
							: &m->sim->advert_bytes) += len;
	if (!state && len >= 6 && buf[1] != MF_ROUTING_NODE_MSG_BEAT &&
	    buf[1] != MF_ROUTING_NODE_MSG_REACH) /* the split of advert_bytes */
		m->sim->kind_bytes[buf[1] == MF_ROUTING_NODE_MSG_DIGEST ? 2
				   /* a delta sent direct (node_delta.c) is a state
				    * message of version 3: answers to pulls are 1 or 2 */
				   : buf[5] == MF_ADVERT_VERSION_DELTA3 ? 1
				   : buf[1] == MF_ROUTING_NODE_MSG_STATE ? 3
				   : buf[5] == MF_ADVERT_VERSION_DELTA ? 1 /* {"v":2,...} */
								       : 0] += len;
}

static void configure(void *ctx, size_t i, struct mf_pool_config *c)
{
	struct rsim *s = ctx;
	struct member *m = &s->members[i];
	const struct server *sv = &s->servers[m->server];
	struct mf_tag tags[2];

	memset(tags, 0, sizeof(tags));
	snprintf(c->name, sizeof(c->name), "%s", sv->name);
	snprintf(tags[0].key, sizeof(tags[0].key), "dc");
	snprintf(tags[0].value, sizeof(tags[0].value), "%s", s->topo.dcs[sv->dc].name);
	snprintf(tags[1].key, sizeof(tags[1].key), "role");
	snprintf(tags[1].value, sizeof(tags[1].value), "meshfed");
	int rc = mf_serf_encode_tags(tags, 2, c->meta, sizeof(c->meta), &c->meta_len);
	if (rc < 0 && s->configure_err == 0)
		s->configure_err = rc; /* the hook returns nothing: the run fails after */
	memset(&c->delegate, 0, sizeof(c->delegate));
	mf_sim_coords_configure(&s->coords, i, c);
	m->mux = (struct mf_pool_mux){
		.coord = c->delegate, .slot = &m->slot, .ctx = m, .routed = routed};
	mf_pool_mux_delegate(&m->mux, &c->delegate);
}

static void on_event(void *ctx, size_t i, mf_time_t now, const struct mf_pool_event *ev)
{
	struct rsim *s = ctx;
	mf_sim_coords_event(&s->coords, i, ev);
}

/* --- building ---------------------------------------------------------------*/

/* DC d's index list in pool p (the area, or every DC). */
static size_t pool_n_dcs(const struct rsim *s, size_t p)
{
	return s->topo.n_areas ? s->topo.areas[p].n_dcs : s->topo.n_dcs;
}

static size_t pool_dc(const struct rsim *s, size_t p, size_t k)
{
	return s->topo.n_areas ? s->topo.areas[p].dcs[k] : k;
}

static int build_nodes(struct rsim *s, char *err, size_t errcap)
{
	const struct mf_topology *t = &s->topo;
	size_t first = 0;
	for (size_t d = 0; d < t->n_dcs; d++)
		for (unsigned k = 1; k <= t->dcs[d].servers; k++, first++) {
			s->servers[first].dc = d;
			snprintf(s->servers[first].name, sizeof(s->servers[first].name), "%s-s%u",
				 t->dcs[d].name, k);
		}
	for (size_t sv = 0; sv < s->n_servers; sv++) {
		size_t d = s->servers[sv].dc;
		struct mf_routing_node_config c;
		struct mf_routing_node_target tg[MF_TOPOLOGY_DC_MAX];
		struct mf_gateway gw[MF_TOPOLOGY_HOSTS_MAX];
		char gname[MF_TOPOLOGY_HOSTS_MAX][MF_TOPOLOGY_NAME_MAX + 8];
		char gaddr[MF_TOPOLOGY_HOSTS_MAX][48];
		mf_routing_node_config_default(&c);
		c.datacenter = t->dcs[d].name;
		c.node = s->servers[sv].name;
		c.default_mode = t->default_route == MF_TOPOLOGY_SINGLE_HOP ? MF_MODE_SINGLE_HOP
									     : MF_MODE_MULTI_HOP;
		for (size_t o = 0; o < t->n_dcs; o++)
			if (o != d && t->dcs[o].route != t->default_route)
				tg[c.n_targets++] = (struct mf_routing_node_target){
					t->dcs[o].name, t->dcs[o].route == MF_TOPOLOGY_SINGLE_HOP
								? MF_MODE_SINGLE_HOP
								: MF_MODE_MULTI_HOP};
		c.targets = tg;
		c.transit = t->dcs[d].transit;
		c.link_estimate = s->args->link_estimate;
		c.blobs = s->blobs;
		c.hysteresis_pct = s->args->hysteresis_pct;
		c.hysteresis_ms = s->args->hysteresis_ms;
		c.settle_pct = s->args->settle_pct;
		c.settle_ms = s->args->settle_ms;
		c.settle_time = s->args->settle_s < 0 ? -1
						      : (int64_t)(s->args->settle_s * (double)MF_SEC);
		c.reach_back = s->args->reach_back;
		c.split_deltas = true; /* the report's "deltas sent by what changed" */
		c.feasibility_hold = s->args->feasibility_s < 0
					     ? -1
					     : (int64_t)(s->args->feasibility_s * (double)MF_SEC);
		c.path_wait = (int64_t)(s->args->path_wait_s * (double)MF_SEC);
		c.nh_hold = s->args->nh_hold_s < 0 ? -1 : (int64_t)(s->args->nh_hold_s * (double)MF_SEC);
		c.loss_hold = (int64_t)(s->args->loss_hold_s * (double)MF_SEC);
		c.deltas_gossiped = s->args->deltas_gossiped;
		c.beat_interval = (int64_t)(s->args->beat_s * (double)MF_SEC);
		c.no_asks = s->args->no_asks;
		for (unsigned g = 0; g < t->dcs[d].gateways && g < MF_TOPOLOGY_HOSTS_MAX; g++) {
			snprintf(gname[g], sizeof(gname[g]), "%s-g%u", t->dcs[d].name, g + 1);
			/* The emulator's addresses where it has them (routes.h);
			 * past its 254 DCs, 198.19.<n / 256>.<n % 256> and a port
			 * per gateway, still in RFC 2544's 198.18/15. */
			if (d < MF_TOPOLOGY_WANEM_DC_MAX)
				snprintf(gaddr[g], sizeof(gaddr[g]), "198.18.%zu.%u:%d", d + 1,
					 101 + g, GW_PORT);
			else
				snprintf(gaddr[g], sizeof(gaddr[g]), "198.19.%zu.%zu:%u",
					 (d + 1) / 256, (d + 1) % 256, GW_PORT + g);
			gw[g] = (struct mf_gateway){gname[g], gaddr[g], gaddr[g], 0, NULL};
			c.n_gateways++;
		}
		c.gateways = gw;
		int rc = mf_routing_node_new(&c, &s->servers[sv].node, err, errcap);
		if (rc < 0)
			return rc;
	}
	/* Members, and each server's slot per pool. */
	size_t server_first[MF_TOPOLOGY_DC_MAX + 1];
	server_first[0] = 0;
	for (size_t d = 0; d < t->n_dcs; d++)
		server_first[d + 1] = server_first[d] + t->dcs[d].servers;
	size_t i = 0;
	for (size_t p = 0; p < s->n_pools; p++) {
		const char *peers[MF_TOPOLOGY_DC_MAX];
		size_t n_peers = t->n_areas ? pool_n_dcs(s, p) : 0;
		for (size_t k = 0; k < n_peers; k++)
			peers[k] = t->dcs[pool_dc(s, p, k)].name;
		s->pool_first[p] = i;
		for (size_t k = 0; k < pool_n_dcs(s, p); k++) {
			size_t d = pool_dc(s, p, k);
			for (size_t sv = server_first[d]; sv < server_first[d + 1]; sv++, i++) {
				struct member *m = &s->members[i];
				m->sim = s;
				m->server = sv;
				m->pool = p;
				int rc = mf_routing_node_add_pool(s->servers[sv].node, NULL, NULL, peers,
								  n_peers, &m->slot);
				if (rc < 0) {
					snprintf(err, errcap, "%s: %s pools: %s", s->servers[sv].name,
						 t->n_areas ? "too many" : "cannot add", mf_strerror(rc));
					return rc;
				}
			}
		}
	}
	s->pool_first[s->n_pools] = i;
	return 0;
}

/* One-way delays and loss between members: the topology's within a pool,
 * nothing between pools. */
static int build_net(struct rsim *s, const struct mf_sim_routes_args *a, double **delay,
		     double **loss, int **dc)
{
	size_t n = s->n;
	bool lossy = false;
	for (size_t k = 0; k < s->topo.n_dcs * s->topo.n_dcs && !lossy; k++)
		lossy = s->topo.loss[k] > 0;
	*delay = malloc(n * n * sizeof(double));
	/* No pair loss: no matrix (n^2 doubles: 0.4 GB at 7,000 members). */
	*loss = lossy ? calloc(n * n, sizeof(double)) : NULL;
	*dc = malloc(n * sizeof(int));
	if (!*delay || (lossy && !*loss) || !*dc)
		return MF_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct member *x = &s->members[i];
		size_t da = s->servers[x->server].dc;
		(*dc)[i] = (int)da;
		for (size_t j = 0; j < n; j++) {
			const struct member *y = &s->members[j];
			size_t db = s->servers[y->server].dc;
			double *d = &(*delay)[i * n + j];
			if (i == j)
				*d = 0;
			else if (x->pool != y->pool)
				*d = -1;
			else if (da == db)
				*d = s->topo.intra_dc_rtt_ms / 2;
			else {
				double rtt = mf_topology_rtt(&s->topo, da, db);
				*d = rtt >= 0 ? rtt / 2 : -1;
				if (*loss)
					(*loss)[i * n + j] = mf_topology_loss(&s->topo, da, db);
			}
		}
	}
	(void)a;
	return 0;
}

/* --- run --------------------------------------------------------------------*/

/* This process's CPU time so far, s. */
static double cpu_s(void)
{
	struct timespec t;
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) < 0)
		return 0;
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* -progress: one line per round on stderr (unbuffered), so a run stopped
 * early says how far it got: CPU, peak RSS, and the DC pairs that have no
 * route yet in their DC's first server's table. */
static void progress(const struct rsim *s, int r, FILE *err)
{
	size_t dcs = s->topo.n_dcs, missing = 0;
	for (size_t sv = 0; sv < s->n_servers; sv++) {
		if (sv > 0 && s->servers[sv - 1].dc == s->servers[sv].dc)
			continue;
		const struct mf_routing *e = mf_routing_node_engine(s->servers[sv].node);
		size_t n = mf_routing_n_targets(e), reach = 0;
		for (size_t i = 0; i < n; i++) {
			struct mf_route_view v;
			if (mf_routing_route_at(e, i, &v) == 0 && v.status != MF_ROUTE_UNREACHABLE &&
			    v.status != MF_ROUTE_LOCAL)
				reach++;
		}
		missing += dcs - 1 > reach ? dcs - 1 - reach : 0;
	}
	struct rusage ru;
	double rss = getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1048576.0 : 0;
	fprintf(err, "# progress round %d: %.1f s CPU, peak RSS %.2f GB, %zu of %zu DC pairs without a route\n",
		r, cpu_s(), rss, missing, dcs * (dcs - 1));
}

static void free_sim(struct rsim *s)
{
	mf_simnet_free(s->net);
	for (size_t sv = 0; s->servers && sv < s->n_servers; sv++) {
		mf_routing_node_free(s->servers[sv].node);
		free(s->servers[sv].nh);
		free(s->servers[sv].order);
	}
	free(s->servers);
	mf_blobs_free(s->blobs);
	free(s->members);
	free(s->pool_first);
	mf_sim_coords_free(&s->coords);
	mf_topology_free(&s->topo);
}

/* The window's deltas sent by what their routes changed (routing/
 * advert_delta.h): entries, bytes, and deltas by their first kind; the
 * bytes received per server per second of each (rate: deltas received,
 * split as the bytes sent: every delta is relayed alike). */
static void print_split(const struct rsim *s, FILE *err, int from, int to, double rate)
{
	static const char *const kind[MF_CHANGE_N] = {"next hop", "path below the next hop",
						      "distance", "epoch", "other"};
	struct mf_advert_split w;
	mf_sim_rt__sum_split(s, &w);
	uint64_t total = w.head_bytes - s->split_at.head_bytes;
	for (int c = 0; c < MF_CHANGE_N; c++)
		total += w.bytes[c] - s->split_at.bytes[c];
	fprintf(err, "rounds %d-%d: deltas sent by what changed (entries, bytes, deltas led, received "
		     "B/s per server):", from, to);
	for (int c = 0; c < MF_CHANGE_N; c++) {
		uint64_t b = w.bytes[c] - s->split_at.bytes[c];
		fprintf(err, "%s %s %llu, %llu, %llu, %.0f", c ? ";" : "", kind[c],
			(unsigned long long)(w.routes[c] - s->split_at.routes[c]), (unsigned long long)b,
			(unsigned long long)(w.states[c] - s->split_at.states[c]),
			total ? rate * (double)b / (double)total : 0.0);
	}
	uint64_t h = w.head_bytes - s->split_at.head_bytes;
	fprintf(err, "; headers %llu B, %.0f\n", (unsigned long long)h,
		total ? rate * (double)h / (double)total : 0.0);
}

/* Points every slot at its member's pool and tracker (NULL when down). */
static void refresh_slots(struct rsim *s)
{
	for (size_t i = 0; i < s->n; i++) {
		mf_pool_t *p = mf_simnet_pool(s->net, i);
		const struct mf_coord_tracker *t =
			p && s->coords.nodes[i].ready ? &s->coords.nodes[i].tracker : NULL;
		mf_routing_node_set_pool(s->members[i].slot, p, t);
	}
}

int mf_sim_routes_run(const struct mf_sim_routes_args *a, FILE *out, FILE *err)
{
	struct rsim s;
	char msg[300] = "";
	double *delay = NULL, *loss = NULL;
	int *dc = NULL;
	int status = 1, rc;

	struct timespec t0, t1; /* -max-wall counts from here: setup and joins too */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&s, 0, sizeof(s));
	s.args = a;
	if ((rc = mf_topology_load_file(a->topology, &s.topo, msg, sizeof(msg))) < 0) {
		fprintf(err, "meshfed-sim: %s\n", msg);
		return 1;
	}
	s.n_pools = s.topo.n_areas ? s.topo.n_areas : 1;
	for (size_t d = 0; d < s.topo.n_dcs; d++)
		s.n_servers += s.topo.dcs[d].servers;
	for (size_t p = 0; p < s.n_pools; p++)
		for (size_t k = 0; k < pool_n_dcs(&s, p); k++)
			s.n += s.topo.dcs[pool_dc(&s, p, k)].servers;
	if (s.n_servers < 1 || s.n < 2) {
		fprintf(err, "meshfed-sim: %s: need at least 2 servers in a pool\n", a->topology);
		goto out;
	}
	s.servers = calloc(s.n_servers, sizeof(*s.servers));
	s.members = calloc(s.n, sizeof(*s.members));
	s.pool_first = calloc(s.n_pools + 1, sizeof(*s.pool_first));
	if (!s.servers || !s.members || !s.pool_first || mf_blobs_new(&s.blobs) < 0 ||
	    mf_sim_coords_init(&s.coords, s.n, NULL, &a->coords, a->noise, a->seed) < 0) {
		fprintf(err, "meshfed-sim: out of memory\n");
		goto out;
	}
	if ((rc = build_nodes(&s, msg, sizeof(msg))) < 0) {
		fprintf(err, "meshfed-sim: %s\n", msg);
		goto out;
	}
	if ((rc = build_net(&s, a, &delay, &loss, &dc)) < 0) {
		fprintf(err, "meshfed-sim: out of memory\n");
		goto out;
	}
	struct mf_simnet_config c = {0};
	c.n = s.n;
	c.delay_ms = delay;
	c.pair_loss = loss;
	c.loss = a->loss;
	c.jitter_ms = s.topo.jitter_ms;
	c.dc = dc;
	c.seed = a->seed;
	c.profile = a->profile;
	c.configure = configure;
	c.on_event = on_event;
	c.ctx = &s;
	if ((rc = mf_simnet_new(&c, &s.net)) < 0) {
		fprintf(err, "meshfed-sim: %s\n", mf_strerror(rc));
		goto out;
	}
	if (s.configure_err < 0) {
		fprintf(err, "meshfed-sim: a server's tags: %s\n", mf_strerror(s.configure_err));
		goto out;
	}
	s.coords.net = s.net;
	refresh_slots(&s);

	/* Joins as in the coordinate runs: one after the other, 10 ms apart,
	 * each to a random earlier member of its pool it has a link to (a
	 * server given a seed it cannot reach would stay alone; an operator
	 * would list a reachable one); the first member of a pool, or one
	 * linked to no earlier one, joins a later one it reaches. */
	struct mf_rng rng;
	mf_rng_seed(&rng, a->seed ^ 0x10171ULL);
	size_t joins = 0, *cand = malloc(s.n * sizeof(size_t));
	if (!cand) {
		fprintf(err, "meshfed-sim: out of memory\n");
		goto out;
	}
	for (size_t p = 0; p < s.n_pools; p++)
		for (size_t i = s.pool_first[p]; i < s.pool_first[p + 1]; i++) {
			size_t nc = 0;
			for (size_t j = s.pool_first[p]; j < i; j++)
				if (delay[i * s.n + j] >= 0)
					cand[nc++] = j;
			for (size_t j = i + 1; nc == 0 && i > s.pool_first[p] && j < s.pool_first[p + 1]; j++)
				if (delay[i * s.n + j] >= 0)
					cand[nc++] = j;
			if (nc == 0)
				continue;
			size_t j = cand[mf_rng_below(&rng, (uint32_t)nc)];
			if ((rc = mf_simnet_run_until(s.net, (mf_time_t)++joins * 10 * MF_MS)) < 0 ||
			    (rc = mf_simnet_join(s.net, i, j)) < 0) {
				fprintf(err, "meshfed-sim: %s joining %s: %s\n",
					s.servers[s.members[i].server].name,
					s.servers[s.members[j].server].name, mf_strerror(rc));
				free(cand);
				goto out;
			}
		}
	free(cand);
	/* simnet holds its own copies. */
	free(delay);
	free(loss);
	delay = loss = NULL;

	struct mf_pool_timing timing;
	mf_pool_timing_profile(&timing, a->profile);
	const mf_time_t tick = MF_ROUTING_NODE_TICK_MS * MF_MS;
	mf_time_t next_tick = tick;
	int stable = 0, last_change = 0, r;
	int measure_from = a->rounds / 2 + 1, measured = 0;
	int withdrawn = 0;           /* rounds after the cut until none across */
	size_t across = 0, who = 0;
	bool converged = false;
	struct truth tw = {0};
	struct walks wk = {0};
	if (mf_sim_rt__truth_init(&tw, &s.topo) < 0 || mf_sim_rt__walks_init(&wk, &s) < 0) {
		mf_sim_rt__truth_free(&tw);
		mf_sim_rt__walks_free(&wk);
		fprintf(err, "meshfed-sim: out of memory\n");
		goto out;
	}
	bool out_of_time = false;
	double tick_cpu = 0; /* CPU in the nodes' ticks (issue 13, point 5) */
	for (r = 1; r <= a->rounds && !converged && !out_of_time; r++) {
		mf_time_t end = (mf_time_t)r * timing.probe_interval;
		if (r == a->cut) {
			size_t held = mf_sim_rt__routes_across(&s, &tw, &who);
			fprintf(err, "cut at round %d: %zu routes across held before it\n", a->cut, held);
			mf_sim_rt__cut(&s);
		}
		if (r == measure_from) {
			mf_sim_rt__sum_why(&s, &s.why);
			mf_sim_rt__sum_deltas(&s, s.deltas_at);
			mf_sim_rt__sum_split(&s, &s.split_at);
		}
		s.measuring = r >= measure_from;
		measured += s.measuring;
		for (; next_tick <= end; next_tick += tick) {
			if (mf_simnet_now(s.net) < next_tick &&
			    (rc = mf_simnet_run_until(s.net, next_tick)) < 0)
				goto net_failed;
			refresh_slots(&s);
			double c0 = cpu_s();
			for (size_t sv = 0; sv < s.n_servers; sv++)
				if ((rc = mf_routing_node_tick(s.servers[sv].node, next_tick, NULL)) < 0) {
					fprintf(err, "meshfed-sim: %s: routing tick: %s\n",
						s.servers[sv].name, mf_strerror(rc));
					goto run_failed;
				}
			tick_cpu += cpu_s() - c0;
		}
		if ((rc = mf_simnet_run_until(s.net, end)) < 0)
			goto net_failed;
		bool changed;
		(void)mf_sim_rt__observe(&s, &changed, err, false);
		mf_sim_rt__walk_round(&s, &wk, &tw, a->cut > 0 && r >= a->cut, s.measuring);
		if (a->progress)
			progress(&s, r, err);
		if (a->cut > 0 && r >= a->cut && !withdrawn &&
		    (across = mf_sim_rt__routes_across(&s, &tw, &who)) == 0)
			withdrawn = r - a->cut + 1;
		if (changed) {
			stable = 0;
			last_change = r;
		} else if (mf_sim_rt__held(&s)) {
			/* a switch a next-hop hold keeps back is a change to come */
		} else if (++stable >= a->stable && (a->cut <= 0 || withdrawn)) {
			converged = true;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		out_of_time = a->max_wall_s > 0 && (double)(t1.tv_sec - t0.tv_sec) +
							   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 >
							   a->max_wall_s;
	}
	if (out_of_time)
		fprintf(err, "meshfed-sim: stopped after round %d: -max-wall %.0f s passed\n", r - 1,
			a->max_wall_s);
	if (a->cut > 0 && withdrawn)
		fprintf(err, "cut at round %d: routes across withdrawn after %d rounds\n", a->cut,
			withdrawn);
	else if (a->cut > 0 && r > a->cut)
		fprintf(err, "cut at round %d: %zu routes across still held after %d rounds (%s)\n",
			a->cut, across, r - a->cut, s.servers[who].name);
	mf_sim_rt__truth_free(&tw);
	mf_sim_rt__walks_print(&wk, err, measure_from, a->cut, r - 1);
	mf_sim_rt__walks_free(&wk);
	bool ch;
	int dis = mf_sim_rt__observe(&s, &ch, err, true);
	if (!a->no_tables && (rc = mf_sim_rt__print_tables(&s, out)) < 0) {
		fprintf(err, "meshfed-sim: %s\n", mf_strerror(rc));
		goto out;
	}
	mf_sim_rt__score(&s, err);
	struct mf_routing_stats all;
	mf_sim_rt__sum_why(&s, &all);
	fprintf(err, "rounds 1-%d: next hops moved %llu times (%llu margin, %llu settled, %llu shared); "
		"switches held back %llu\n", r - 1,
		(unsigned long long)(all.nh_lost + all.nh_margin + all.nh_settled + all.nh_shared + all.nh_free),
		(unsigned long long)all.nh_margin, (unsigned long long)all.nh_settled,
		(unsigned long long)all.nh_shared, (unsigned long long)all.nh_held);
	if (measured > 0) {
		double secs = (double)measured * (double)timing.probe_interval / (double)MF_SEC;
		fprintf(err,
			"rounds %d-%d: %llu next-hop changes (%.2f per server per hour); routing "
			"bytes received per server per second: %.0f gossip, %.0f push-pull\n",
			measure_from, r - 1, (unsigned long long)s.nh_changes,
			(double)s.nh_changes * 3600.0 / secs / (double)s.n_servers,
			(double)(s.advert_bytes + s.beat_bytes) / secs / (double)s.n_servers,
			(double)s.pp_bytes / secs / (double)s.n_servers);
		struct mf_routing_stats w;
		mf_sim_rt__sum_why(&s, &w);
		fprintf(err,
			"rounds %d-%d: gossip %.0f adverts + %.0f beats (reach probes apart: %.0f); new states "
			"%llu; next hops moved: %llu new, %llu lost, %llu margin, %llu settled, %llu "
			"shared, %llu free; switches held back %llu\n",
			measure_from, r - 1, (double)s.advert_bytes / secs / (double)s.n_servers,
			(double)s.beat_bytes / secs / (double)s.n_servers,
			(double)s.reach_bytes / secs / (double)s.n_servers,
			(unsigned long long)(w.new_states - s.why.new_states),
			(unsigned long long)(w.nh_new - s.why.nh_new),
			(unsigned long long)(w.nh_lost - s.why.nh_lost),
			(unsigned long long)(w.nh_margin - s.why.nh_margin),
			(unsigned long long)(w.nh_settled - s.why.nh_settled),
			(unsigned long long)(w.nh_shared - s.why.nh_shared),
			(unsigned long long)(w.nh_free - s.why.nh_free),
			(unsigned long long)(w.nh_held - s.why.nh_held));
		double k = 1.0 / secs / (double)s.n_servers;
		fprintf(err,
			"rounds %d-%d: adverts %.0f full states + %.0f deltas + %.0f digests and "
			"pulls + %.0f answers to pulls\n",
			measure_from, r - 1, (double)s.kind_bytes[0] * k, (double)s.kind_bytes[1] * k,
			(double)s.kind_bytes[2] * k, (double)s.kind_bytes[3] * k);
		print_split(&s, err, measure_from, r - 1, (double)s.kind_bytes[1] * k);
	}
	fprintf(err, "CPU: %.1f s in %d rounds, %.1f s of it in the nodes' ticks\n", cpu_s(), r - 1,
		tick_cpu);
	uint64_t beats = 0, raised = 0, bad = 0, hurried = 0, answered = 0, asks = 0, asked = 0, stale = 0;
	uint64_t dg = 0, pout = 0, pin = 0, pbehind = 0;
	for (size_t sv = 0; sv < s.n_servers; sv++) {
		const struct mf_routing_node_stats *st = mf_routing_node_stats(s.servers[sv].node);
		beats += st->beats_in;
		raised += st->beat_epochs;
		bad += st->bad_beats;
		hurried += st->beats_hurried;
		answered += st->beats_answered;
		const struct mf_routing_stats *es = mf_routing_stats(mf_routing_node_engine(s.servers[sv].node));
		asks += es->asks;
		asked += es->asks_answered;
		stale += es->went_stale;
		dg += st->digests_in;
		pout += st->pulls_out;
		pin += st->pulls_in;
		pbehind += st->pulls_behind;
	}
	fprintf(err,
		"beat messages received: %llu (%llu refused), epochs they raised: %llu; hurried "
		"beats sent: %llu, answers: %llu\n",
		(unsigned long long)beats, (unsigned long long)bad, (unsigned long long)raised,
		(unsigned long long)hurried, (unsigned long long)answered);
	fprintf(err, "asks near max_age: %llu DCs asked for, %llu answered; targets gone stale: %llu\n",
		(unsigned long long)asks, (unsigned long long)asked, (unsigned long long)stale);
	fprintf(err, "digests read: %llu; states pulled: %llu asked (%llu of them after a delta "
		     "found the asker behind), %llu answered\n",
		(unsigned long long)dg, (unsigned long long)pout, (unsigned long long)pbehind,
		(unsigned long long)pin);
	uint64_t d[7];
	mf_sim_rt__sum_deltas(&s, d);
	fprintf(err, "deltas sent: %llu (%llu reaching back), received: %llu (%llu reached back past the "
		     "state held; %llu before or without their base, %llu applied when it came)",
		(unsigned long long)d[0], (unsigned long long)d[6], (unsigned long long)d[1],
		(unsigned long long)d[4], (unsigned long long)d[2], (unsigned long long)d[3]);
	if (measured > 0)
		fprintf(err, "; rounds %d-%d: %llu (%llu), %llu (%llu; %llu, %llu)", measure_from, r - 1,
			(unsigned long long)(d[0] - s.deltas_at[0]),
			(unsigned long long)(d[6] - s.deltas_at[6]),
			(unsigned long long)(d[1] - s.deltas_at[1]),
			(unsigned long long)(d[4] - s.deltas_at[4]),
			(unsigned long long)(d[2] - s.deltas_at[2]),
			(unsigned long long)(d[3] - s.deltas_at[3]));
	if (d[5] > 0)
		fprintf(err, "; %llu routing steps dropped on our own error", (unsigned long long)d[5]);
	fputc('\n', err);
	if (converged) {
		if (dis)
			fprintf(err, "stable after %d rounds, but servers of %d DC(s) disagree\n",
				last_change, dis);
		else
			fprintf(err, "converged after %d rounds\n", last_change);
		status = 0;
	} else {
		fprintf(err, "not converged after %d rounds (last change in round %d)\n",
			out_of_time ? r - 1 : a->rounds, last_change);
	}
	goto out;
net_failed:
	fprintf(err, "meshfed-sim: network: %s\n", mf_strerror(rc));
run_failed:
	mf_sim_rt__truth_free(&tw);
	mf_sim_rt__walks_free(&wk);
out:
	free(delay);
	free(loss);
	free(dc);
	free_sim(&s);
	return status;
}
