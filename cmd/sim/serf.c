/* cmd/sim/serf.c — see cmd/sim/serf.h. */
#include <stdlib.h>
#include <string.h>

#include "cmd/sim/serf.h"
#include "gossip/serf.h"

int mf_sim_serf_init(struct mf_sim_serf *s, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->nodes = calloc(n ? n : 1, sizeof(*s->nodes));
	return s->nodes ? 0 : MF_ENOMEM;
}

void mf_sim_serf_free(struct mf_sim_serf *s)
{
	for (size_t i = 0; s->nodes != NULL && i < s->n; i++)
		if (s->nodes[i].ready)
			mf_serf_glue_free(&s->nodes[i].glue);
	free(s->nodes);
	memset(s, 0, sizeof(*s));
}

void mf_sim_serf_configure(struct mf_sim_serf *s, size_t i, struct mf_pool_config *pc)
{
	struct mf_sim_serf_node *nd;
	if (i >= s->n)
		return;
	nd = &s->nodes[i];
	if (nd->ready) /* a restart: the agent process starts afresh */
		mf_serf_glue_free(&nd->glue);
	mf_serf_glue_init(&nd->glue, pc->name);
	if (pc->intern != NULL) /* the pools' table: one copy of each name */
		(void)mf_serf_glue_share_names(&nd->glue, pc->intern); /* empty: cannot fail */
	nd->ready = true;
	/* The agent's delegate (routing/pool_mux.h) without routing: meshfed's
	 * own user messages to the coordinate hooks, serf's to the glue. */
	nd->mux = (struct mf_pool_mux){.coord = pc->delegate};
	mf_serf_glue_delegate(&nd->glue, &nd->mux.serf);
	mf_pool_mux_delegate(&nd->mux, &pc->delegate);
}

void mf_sim_serf_event(struct mf_sim_serf *s, size_t i, const struct mf_pool_event *ev)
{
	if (i >= s->n || !s->nodes[i].ready)
		return;
	struct mf_serf_glue *g = &s->nodes[i].glue;
	mf_serf_glue_on_event(g, ev);
	if (ev->kind == MF_EV_JOIN_DONE && ev->ok)
		(void)mf_serf_glue_join_intent(g); /* serf Join: broadcastJoin */
}

int mf_sim_serf_flush(struct mf_sim_serf *s, size_t i, mf_pool_t *p, mf_time_t now)
{
	if (i >= s->n || !s->nodes[i].ready)
		return 0;
	struct mf_serf_glue *g = &s->nodes[i].glue;
	if (!mf_serf_glue_flush_due(g, now))
		return 0;
	return mf_serf_glue_flush(g, p, now);
}

/* Each up node's own entry, looked up once (not once per other node: at
 * 10,000 members the check is 10^8 pairs), and its LTime kept here, so a
 * pair reads only the checking glue. The glues of one simulator share
 * their names' ids, so a pair is then an array read and an entry, the
 * entry fetched a few pairs ahead (entries lie in the order each pool
 * learned its members: a cache miss each at 10,000); a glue with its own
 * table (never in meshfed-sim) is looked up by name. */
struct own {
	uint32_t id;      /* its name's id, MF_NAME_ID_NONE when not shared */
	bool live;        /* ready and up */
	bool has_e;       /* it holds its own entry */
	uint64_t ltime;   /* that entry's LTime */
	const char *name;
	const struct mf_serf_glue *glue;
};

static const struct mf_serf_entry *seen_by(const struct mf_serf_glue *g, const struct own *o)
{
	if (o->id != MF_NAME_ID_NONE && g->strs == o->glue->strs)
		return mf_serf_glue_find_id(g, o->id);
	return mf_serf_glue_find(g, o->name);
}

/* How far ahead a pool's row fetches its entries. */
#define CHECK_AHEAD 16

static void prefetch_seen(const struct mf_serf_glue *g, const struct own *o)
{
	if (o->id < g->n_by_id && g->by_id[o->id] != 0)
		__builtin_prefetch(&g->entries[g->by_id[o->id] - 1]);
}

/* Node j's part of the check. */
static void fill_own(const struct mf_sim_serf *s, const struct mf_simnet *net, size_t j,
		     struct own *o)
{
	const struct mf_sim_serf_node *b = &s->nodes[j];
	memset(o, 0, sizeof(*o));
	o->id = MF_NAME_ID_NONE;
	o->live = b->ready && mf_simnet_is_up(net, j);
	if (!b->ready)
		return;
	o->name = b->glue.self;
	o->glue = &b->glue;
	const struct mf_serf_entry *e = mf_serf_glue_find(&b->glue, b->glue.self);
	if (e != NULL) {
		o->id = e->name_id;
		o->has_e = true;
		o->ltime = e->ltime;
	}
}

void mf_sim_serf_check(const struct mf_sim_serf *s, const struct mf_simnet *net,
		       struct mf_sim_serf_check *out)
{
	memset(out, 0, sizeof(*out));
	/* out of memory: each node's part is found again for every pair */
	struct own *own = calloc(s->n ? s->n : 1, sizeof(*own)), tmp;
	for (size_t j = 0; own != NULL && j < s->n; j++)
		fill_own(s, net, j, &own[j]);
	for (size_t i = 0; i < s->n; i++) {
		const struct mf_sim_serf_node *a = &s->nodes[i];
		if (!a->ready || !mf_simnet_is_up(net, i))
			continue;
		const struct mf_serf_glue_stats *st = &a->glue.stats;
		out->nodes++;
		out->too_big += st->push_pulls_too_big;
		out->sent += st->push_pulls_sent;
		out->merged += st->push_pulls_merged;
		out->queue_drops += st->queue_drops;
		out->decode_errors += st->decode_errors;
		out->intents_pruned += st->intents_pruned;
		for (size_t j = 0; own != NULL && j < s->n && j < CHECK_AHEAD; j++)
			prefetch_seen(&a->glue, &own[j]);
		for (size_t j = 0; j < s->n; j++) {
			if (own != NULL && j + CHECK_AHEAD < s->n)
				prefetch_seen(&a->glue, &own[j + CHECK_AHEAD]);
			const struct own *o = own != NULL ? &own[j] : (fill_own(s, net, j, &tmp), &tmp);
			if (j == i || !o->live)
				continue;
			const struct mf_serf_entry *seen = seen_by(&a->glue, o);
			out->pairs++;
			if (seen == NULL)
				out->missing++;
			else if (o->has_e && seen->ltime < o->ltime)
				out->stale++;
		}
	}
	free(own);
}
