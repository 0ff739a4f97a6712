#include "tests/routing/sim.h"
#include "tests/routing/helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

int sim_index(const struct sim *s, const char *name)
{
	if (!name)
		return -1;
	if (!s->numbered) {
		for (size_t i = 0; i < s->n; i++)
			if (strcmp(s->names[i], name) == 0)
				return (int)i;
		return -1;
	}
	if (strncmp(name, "dc", 2) != 0)
		return -1;
	char *end;
	long i = strtol(name + 2, &end, 10);
	return *end == '\0' && i >= 0 && (size_t)i < s->n ? (int)i : -1;
}

int sim_init(struct sim *s, size_t n, const char *const *names, const struct mf_routing_config *cfg,
	     const bool *transit)
{
	memset(s, 0, sizeof *s);
	s->n = n;
	s->numbered = names == NULL;
	s->names = calloc(n, sizeof *s->names);
	s->eng = calloc(n, sizeof *s->eng);
	s->dist = calloc(n * n, sizeof *s->dist);
	s->configured = calloc(n * n, sizeof *s->configured);
	s->usable = calloc(n * n, sizeof *s->usable);
	s->alive = calloc(n, sizeof *s->alive);
	s->sent_seq = calloc(n, sizeof *s->sent_seq);
	s->asm_ = calloc(n, sizeof *s->asm_);
	s->adv_buf = calloc(n, sizeof *s->adv_buf);
	s->frag_buf = calloc(n, sizeof *s->frag_buf);
	s->fresh_buf = calloc(n, sizeof *s->fresh_buf);
	if (!s->adv_buf || !s->frag_buf || !s->fresh_buf || !s->names || !s->eng || !s->dist || !s->configured || !s->usable || !s->alive ||
	    !s->sent_seq || !s->asm_) {
		sim_free(s);
		return MF_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		char node[32];
		struct mf_routing_config c = *cfg;
		if (names)
			snprintf(s->names[i], sizeof s->names[i], "%s", names[i]);
		else
			snprintf(s->names[i], sizeof s->names[i], "dc%03zu", i);
		snprintf(node, sizeof node, "%.24s-s1", s->names[i]);
		c.datacenter = s->names[i];
		c.node = node;
		c.transit = transit ? transit[i] : true;
		int rc = mf_routing_new(&c, &s->eng[i]);
		if (rc < 0) {
			sim_free(s);
			return rc;
		}
		s->alive[i] = true;
		mf_advert_asm_init(&s->asm_[i], 0);
	}
	return 0;
}

void sim_free(struct sim *s)
{
	for (size_t i = 0; s->eng && i < s->n; i++) {
		mf_routing_free(s->eng[i]);
		if (s->asm_)
			mf_advert_asm_free(&s->asm_[i]);
	}
	free(s->names);
	free(s->eng);
	free(s->dist);
	free(s->configured);
	free(s->usable);
	free(s->alive);
	free(s->sent_seq);
	free(s->asm_);
	free(s->adv_buf);
	free(s->frag_buf);
	free(s->fresh_buf);
	memset(s, 0, sizeof *s);
}

int sim_link(struct sim *s, size_t i, size_t j, bool configured, bool usable, double dist)
{
	s->configured[i * s->n + j] = configured;
	s->usable[i * s->n + j] = usable;
	s->dist[i * s->n + j] = dist;
	int rc = mf_routing_set_link(s->eng[i], s->names[j], configured, usable, dist);
	return rc < 0 ? rc : 0;
}

int sim_link2(struct sim *s, size_t i, size_t j, bool configured, bool usable, double dist)
{
	int rc = sim_link(s, i, j, configured, usable, dist);
	return rc < 0 ? rc : sim_link(s, j, i, configured, usable, dist);
}

int sim_kill(struct sim *s, size_t i)
{
	s->alive[i] = false;
	for (size_t j = 0; j < s->n; j++) {
		if (j == i || !s->configured[j * s->n + i])
			continue;
		int rc = sim_link(s, j, i, true, false, 0);
		if (rc < 0)
			return rc;
		mf_routing_withdraw_origin(s->eng[j], s->names[i]);
		mf_advert_asm_forget(&s->asm_[j], s->names[i]);
	}
	return 0;
}

/* Delivers DC i's advertisement to DC j, through the codec if asked. */
static int deliver(struct sim *s, const struct mf_advert *a, const struct mf_advert_frags *f, size_t j)
{
	s->adverts_sent++;
	if (!s->via_codec)
		return mf_routing_set_advert(s->eng[j], a) < 0 ? MF_EMALFORMED : 0;
	for (size_t k = 0; k < f->n; k++) {
		struct mf_advert frag, full;
		s->advert_bytes += f->bufs[k].size;
		int rc = mf_advert_decode((const uint8_t *)f->bufs[k].data, f->bufs[k].size, &frag, NULL);
		if (rc < 0)
			return rc;
		rc = mf_advert_asm_add(&s->asm_[j], &frag, &full);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			rc = mf_routing_set_advert(s->eng[j], &full);
			mf_advert_free(&full);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Beat messages of one round (sim.h beat_every): whole or hurried, to
 * every alive DC that hears the sender directly; answers straight back. */
static int sim_beats(struct sim *s)
{
	size_t n = s->n, cap = 1;
	for (size_t i = 0; i < n; i++)
		if (mf_routing_n_targets(s->eng[i]) + 1 > cap)
			cap = mf_routing_n_targets(s->eng[i]) + 1;
	struct mf_beat_entry *e = malloc(cap * sizeof *e), *ans = malloc(cap * sizeof *ans);
	if (!e || !ans) {
		free(e);
		free(ans);
		return MF_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k;
		if (!s->alive[i])
			continue;
		if ((s->now + i) % s->beat_every == 0) {
			k = mf_routing_beats(s->eng[i], e, cap);
			mf_routing_beats_sent(s->eng[i]);
		} else {
			k = mf_routing_hurried_beats(s->eng[i], e, cap);
		}
		for (size_t j = 0; j < n && k > 0; j++) {
			if (j == i || !s->alive[j] || !s->usable[j * n + i])
				continue;
			(void)mf_routing_take_beats(s->eng[j], s->names[i], e, k);
			size_t a = mf_routing_beat_answers(s->eng[j], e, k, ans, cap);
			if (a > 0)
				(void)mf_routing_take_beats(s->eng[i], s->names[j], ans, a);
		}
	}
	free(e);
	free(ans);
	return 0;
}

/* One synchronous round; *any: a table or an advertisement changed. */
static int sim_round(struct sim *s, bool *any_out)
{
	size_t n = s->n;
	{
		bool any = false;
		if (s->clocked)
			s->now++;
		for (size_t i = 0; i < n; i++) {
			bool ch = false;
			if (!s->alive[i])
				continue;
			if (s->clocked)
				mf_routing_set_now(s->eng[i], s->now);
			int rc = mf_routing_recompute(s->eng[i], &ch);
			if (rc < 0)
				return rc;
			any |= ch;
		}
		/* Everyone advertises what it computed this round, then all
		 * receive: synchronous rounds. */
		struct mf_advert *adv = s->adv_buf;
		struct mf_advert_frags *fr = s->frag_buf;
		bool *fresh = s->fresh_buf;
		memset(adv, 0, n * sizeof *adv);
		memset(fr, 0, n * sizeof *fr);
		memset(fresh, 0, n * sizeof *fresh);
		int rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++) {
			uint64_t seq = mf_routing_advert_seq(s->eng[i]);
			if (!s->alive[i] || seq == s->sent_seq[i])
				continue;
			s->sent_seq[i] = seq;
			fresh[i] = any = true;
			rc = mf_routing_advert(s->eng[i], &adv[i]);
			if (rc == 0 && s->via_codec)
				rc = mf_advert_encode_frags(&adv[i], MF_ADVERT_MTU, &fr[i]);
		}
		for (size_t i = 0; i < n && rc == 0; i++)
			for (size_t j = 0; j < n && rc == 0 && fresh[i]; j++)
				if (j != i && s->alive[j] && s->usable[j * n + i])
					rc = deliver(s, &adv[i], &fr[i], j);
		for (size_t i = 0; i < n; i++) {
			if (!fresh[i])
				continue;
			mf_advert_free(&adv[i]);
			mf_advert_frags_free(&fr[i]);
		}
		if (rc == 0 && s->clocked && s->beat_every)
			rc = sim_beats(s);
		*any_out = any;
		return rc;
	}
}

int sim_run(struct sim *s, int max_rounds, int *rounds)
{
	*rounds = 0;
	for (int round = 0; round < max_rounds; round++) {
		bool any = false;
		int rc = sim_round(s, &any);
		if (rc < 0)
			return rc;
		if (!any)
			return 0;
		(*rounds)++;
	}
	return MF_ESTATE;
}

int sim_run_for(struct sim *s, int k)
{
	for (int round = 0; round < k; round++) {
		bool any;
		int rc = sim_round(s, &any);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void sim_reach(const struct sim *s, size_t a, bool *seen, size_t *stack)
{
	size_t n = s->n, top = 0;
	memset(seen, 0, n * sizeof *seen);
	seen[a] = true;
	stack[top++] = a;
	while (top) {
		size_t v = stack[--top];
		for (size_t w = 0; w < n; w++)
			if (!seen[w] && s->alive[w] && s->usable[v * n + w]) {
				seen[w] = true;
				stack[top++] = w;
			}
	}
}

size_t sim_unreachable_routes(const struct sim *s)
{
	size_t n = s->n, bad = 0;
	bool *seen = malloc(n * sizeof *seen);
	size_t *stack = malloc(n * sizeof *stack);
	if (!seen || !stack) {
		free(seen);
		free(stack);
		return SIZE_MAX;
	}
	for (size_t a = 0; a < n; a++) {
		if (!s->alive[a])
			continue;
		sim_reach(s, a, seen, stack);
		size_t nt = mf_routing_n_targets(s->eng[a]);
		for (size_t i = 0; i < nt; i++) {
			struct mf_route_view v;
			if (mf_routing_route_at(s->eng[a], i, &v) < 0)
				continue;
			int t = sim_index(s, v.target);
			if (t >= 0 && !seen[t] && (v.status == MF_ROUTE_DIRECT || v.status == MF_ROUTE_VIA))
				bad++;
		}
	}
	free(seen);
	free(stack);
	return bad;
}

int sim_run_withdrawn(struct sim *s, int max_rounds, int *rounds)
{
	*rounds = 0;
	for (int round = 0; round < max_rounds; round++) {
		size_t bad = sim_unreachable_routes(s);
		if (bad == SIZE_MAX || (s->census && sim_walk_census(s, s->census) < 0) ||
		    (s->census && s->census->ref && s->census->ref_walks &&
		     sim_walk_census(s->census->ref, s->census->ref_walks) < 0))
			return MF_ENOMEM;
		if (bad == 0)
			return 0;
		bool any;
		int rc = sim_round(s, &any);
		if (rc == 0 && s->census && s->census->ref)
			rc = sim_round(s->census->ref, &any);
		if (rc < 0)
			return rc;
		(*rounds)++;
	}
	return MF_ESTATE;
}

/* Binary min-heap of (distance, node) with lazy deletion. */
struct heap_item {
	double d;
	size_t v;
};

static void heap_push(struct heap_item *h, size_t *n, struct heap_item x)
{
	size_t i = (*n)++;
	while (i > 0 && h[(i - 1) / 2].d > x.d) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = x;
}

static struct heap_item heap_pop(struct heap_item *h, size_t *n)
{
	struct heap_item top = h[0], x = h[--*n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1].d < h[c].d)
			c++;
		if (h[c].d >= x.d)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = x;
	return top;
}

int sim_dijkstra(const struct sim *s, double *out)
{
	size_t n = s->n, m = 0;
	/* in-links of u: the i with a usable link i->u, alive both ends */
	size_t *start = calloc(n + 1, sizeof *start);
	for (size_t i = 0; start && i < n; i++)
		for (size_t u = 0; u < n; u++)
			if (i != u && s->alive[i] && s->alive[u] && s->usable[i * n + u])
				start[u + 1]++, m++;
	size_t *from = malloc((m ? m : 1) * sizeof *from), *fill = calloc(n, sizeof *fill);
	struct heap_item *heap = malloc((m + n + 1) * sizeof *heap);
	if (!start || !from || !fill || !heap) {
		free(start);
		free(from);
		free(fill);
		free(heap);
		return MF_ENOMEM;
	}
	for (size_t u = 0; u < n; u++)
		start[u + 1] += start[u];
	for (size_t i = 0; i < n; i++)
		for (size_t u = 0; u < n; u++)
			if (i != u && s->alive[i] && s->alive[u] && s->usable[i * n + u])
				from[start[u] + fill[u]++] = i;
	for (size_t t = 0; t < n; t++) {
		for (size_t i = 0; i < n; i++)
			out[i * n + t] = INFINITY;
		if (!s->alive[t])
			continue;
		size_t hn = 0;
		out[t * n + t] = 0;
		heap_push(heap, &hn, (struct heap_item){0, t});
		while (hn) {
			struct heap_item x = heap_pop(heap, &hn);
			if (x.d > out[x.v * n + t])
				continue;
			for (size_t k = start[x.v]; k < start[x.v + 1]; k++) {
				size_t i = from[k];
				double c = s->dist[i * n + x.v] + x.d;
				if (c < out[i * n + t]) {
					out[i * n + t] = c;
					heap_push(heap, &hn, (struct heap_item){c, i});
				}
			}
		}
	}
	free(start);
	free(from);
	free(fill);
	free(heap);
	return 0;
}

/* True when every alive DC reaches every other over usable links. */
bool sim_connected(const struct sim *s)
{
	size_t n = s->n, start = n, seen_n = 0, alive_n = 0, top = 0;
	for (size_t i = 0; i < n; i++)
		if (s->alive[i]) {
			alive_n++;
			if (start == n)
				start = i;
		}
	if (alive_n == 0)
		return true;
	bool *seen = calloc(n, sizeof *seen);
	size_t *stack = malloc(n * sizeof *stack);
	if (!seen || !stack) {
		free(seen);
		free(stack);
		return false;
	}
	stack[top++] = start;
	seen[start] = true;
	while (top) {
		size_t u = stack[--top];
		seen_n++;
		for (size_t v = 0; v < n; v++)
			if (!seen[v] && s->alive[v] && s->usable[u * n + v] && s->usable[v * n + u]) {
				seen[v] = true;
				stack[top++] = v;
			}
	}
	free(seen);
	free(stack);
	return seen_n == alive_n;
}

long sim_kill_sparing(struct sim *s, uint64_t *rng, int tries)
{
	for (int k = 0; k < tries; k++) {
		size_t v = (size_t)(h_splitmix(rng) % s->n);
		s->alive[v] = false;
		bool conn = sim_connected(s);
		s->alive[v] = true;
		if (conn)
			return sim_kill(s, v) == 0 ? (long)v : -1;
	}
	return -1;
}
