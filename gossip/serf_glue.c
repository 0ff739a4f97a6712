/* gossip/serf_glue.c — see gossip/serf_glue.h. */
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/name_hash.h"
#include "gossip/serf.h"
#include "gossip/serf_glue.h"

_Static_assert(sizeof(void *) != 8 || sizeof(struct mf_serf_entry) == 16,
	       "an entry costs 16 bytes on LP64: N pools each hold N");

void mf_serf_clock_witness(uint64_t *clock, uint64_t v)
{
	/* serf lamport.go Witness: if other < cur return; cur = other + 1 */
	if (v < *clock)
		return;
	*clock = v + 1;
}

void mf_serf_glue_init(struct mf_serf_glue *g, const char *self)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->self, sizeof(g->self), "%s", self);
	/* serf.go Create: every clock starts at 1 so a join LTime of 0 is old. */
	g->clock = g->event_clock = g->query_clock = 1;
	mf_intern_init(&g->own_strs);
	g->strs = &g->own_strs;
	msgpack_sbuffer_init(&g->scratch);
}

int mf_serf_glue_share_names(struct mf_serf_glue *g, struct mf_intern *strs)
{
	if (g->n_entries > 0 || strs == NULL)
		return MF_ESTATE;
	g->strs = strs;
	return 0;
}

void mf_serf_glue_free(struct mf_serf_glue *g)
{
	for (size_t i = 0; i < g->n_entries; i++) {
		mf_name_ids_put(&g->strs->ids, g->entries[i].name_id);
	}
	free(g->entries);
	free(g->by_id);
	free(g->queue);
	free(g->qbytes);
	for (size_t i = 0; i < g->n_force; i++)
		free(g->force[i]);
	free(g->force);
	msgpack_sbuffer_destroy(&g->scratch);
	mf_intern_free(&g->own_strs);
	memset(g, 0, sizeof(*g));
}

/* The name index: entry indexes (+1) by the name's dense id, which every
 * glue and pool sharing the interner shares (gossip/name_ids.h): a find
 * is the shared table's probe, then one slot and one entry of this glue's,
 * and no name comparison. */
/* n bytes of a and b equal. A peer's empty name decodes as (NULL, 0): no
 * memcmp on it, even of 0 bytes (UBSan; found by fuzz_serf). */
static bool same_bytes(const void *a, const void *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

static struct mf_serf_entry *find_id(const struct mf_serf_glue *g, uint32_t id)
{
	if (id >= g->n_by_id || g->by_id[id] == 0)
		return NULL;
	return &g->entries[g->by_id[id] - 1];
}

static struct mf_serf_entry *find(const struct mf_serf_glue *g, const char *name, size_t len)
{
	return find_id(g, mf_name_ids_find(&g->strs->ids, name, len, mf_name_hash(name, len)));
}

const struct mf_serf_entry *mf_serf_glue_find_id(const struct mf_serf_glue *g, uint32_t id)
{
	return find_id(g, id);
}

const struct mf_serf_entry *mf_serf_glue_find(const struct mf_serf_glue *g, const char *name)
{
	return name != NULL ? find(g, name, strlen(name)) : NULL;
}

const char *mf_serf_glue_entry_name(const struct mf_serf_glue *g, const struct mf_serf_entry *e)
{
	/* the id's own copy of the name: held as long as the entry holds the id */
	return mf_name_ids_name(&g->strs->ids, e->name_id);
}

/* Room in by_id for name id `id`; new entries zero (none). */
static int by_id_reserve(struct mf_serf_glue *g, uint32_t id)
{
	size_t old = g->n_by_id;
	if (id < old)
		return 0;
	if (mf_grow_lean(&g->by_id, &g->n_by_id, (size_t)id + 1, 64) != 0)
		return MF_ENOMEM;
	memset(g->by_id + old, 0, (g->n_by_id - old) * sizeof(*g->by_id));
	return 0;
}

static struct mf_serf_entry *find_or_add(struct mf_serf_glue *g, const char *name, size_t len)
{
	struct mf_serf_entry *e = find(g, name, len);
	if (e || len == 0 || len > MF_NAME_MAX || g->n_entries >= MF_SERF_GLUE_MAX_ENTRIES)
		return e;
	if (mf_grow_lean(&g->entries, &g->cap_entries, g->n_entries + 1, 16) != 0)
		return NULL;
	uint32_t id;
	if (mf_name_ids_get(&g->strs->ids, name, len, mf_name_hash(name, len), &id) != 0)
		return NULL;
	if (by_id_reserve(g, id) != 0) {
		mf_name_ids_put(&g->strs->ids, id);
		return NULL;
	}
	size_t i = g->n_entries++;
	e = &g->entries[i];
	memset(e, 0, sizeof(*e));
	e->name_len = (uint8_t)len;
	e->name_id = id;
	g->by_id[id] = (uint32_t)(i + 1);
	return e;
}

/* Removes e; the last entry moves into its slot (and its index entry). */
static void drop_entry(struct mf_serf_glue *g, struct mf_serf_entry *e)
{
	size_t i = (size_t)(e - g->entries), last = g->n_entries - 1;
	g->by_id[e->name_id] = 0;
	g->n_dropped++;
	mf_name_ids_put(&g->strs->ids, e->name_id);
	if (i != last) {
		*e = g->entries[last];
		g->by_id[e->name_id] = (uint32_t)(i + 1);
	}
	g->n_entries--;
}

/* Queues msg, an intent about node, for the next flush. e: node's entry
 * (NULL when none could be made); fresh: e was made for this intent (the
 * flush's shortcut, mf_pool_broadcast_user_about). */
static void enqueue(struct mf_serf_glue *g, const struct mf_serf_entry *e, bool fresh,
		    const char *node, size_t node_len, const uint8_t *msg, size_t len)
{
	/* One key per node: a newer intent for a node replaces an older one. */
	const size_t pre = sizeof(MF_SERF_GLUE_INTENT_KEY) - 1;
	size_t key_len = pre + node_len + 1, at = g->n_qbytes;
	if (g->n_queue >= MF_SERF_GLUE_MAX_QUEUE ||
	    mf_grow(&g->queue, &g->cap_queue, g->n_queue + 1, 8) != 0 ||
	    mf_grow(&g->qbytes, &g->cap_qbytes, at + key_len + len, 256) != 0) {
		g->stats.queue_drops++;
		return;
	}
	uint8_t *key = g->qbytes + at;
	memcpy(key, MF_SERF_GLUE_INTENT_KEY, pre);
	memcpy(key + pre, node, node_len);
	key[pre + node_len] = '\0';
	if (len > 0)
		memcpy(key + key_len, msg, len);
	g->n_qbytes = at + key_len + len;
	g->queue[g->n_queue++] = (struct mf_serf_queued){
		at, at + key_len, len, e != NULL ? e->name_id : MF_NAME_ID_NONE,
		e != NULL && fresh && g->n_dropped == 0 };
}

static void want_force(struct mf_serf_glue *g, const char *node, size_t len)
{
	if (g->n_force >= MF_SERF_GLUE_MAX_QUEUE ||
	    mf_grow(&g->force, &g->cap_force, g->n_force + 1, 8) != 0)
		return;
	char *n = malloc(len + 1);
	if (!n)
		return;
	memcpy(n, node, len);
	n[len] = '\0';
	g->force[g->n_force++] = n;
}

/* serf.go handleNodeJoinIntent: the node's entry when the intent must be
 * rebroadcast, else NULL; *made (may be NULL): the entry is new. */
static struct mf_serf_entry *join_intent(struct mf_serf_glue *g, const char *node, size_t len,
					 uint64_t ltime, bool *made)
{
	mf_serf_clock_witness(&g->clock, ltime);
	struct mf_serf_entry *e = find(g, node, len);
	if (e && ltime <= e->ltime)
		return NULL;
	if (made != NULL)
		*made = e == NULL;
	if (!e && !(e = find_or_add(g, node, len)))
		return NULL;
	e->ltime = ltime;
	e->leave_intent = false;
	return e;
}

/* serf.go handleNodeLeaveIntent: as join_intent. */
static struct mf_serf_entry *leave_intent(struct mf_serf_glue *g, const char *node, size_t len,
					  uint64_t ltime, bool *made)
{
	mf_serf_clock_witness(&g->clock, ltime);
	struct mf_serf_entry *e = find(g, node, len);
	if (e && ltime <= e->ltime)
		return NULL;
	if (len == strlen(g->self) && memcmp(node, g->self, len) == 0 && !g->leaving) {
		/* A stale leave intent for us while we run: refute with a join. */
		g->stats.refutations++;
		mf_serf_glue_join_intent(g);
		return NULL;
	}
	if (made != NULL)
		*made = e == NULL;
	if (!e && !(e = find_or_add(g, node, len)))
		return NULL;
	e->ltime = ltime;
	e->leave_intent = true;
	want_force(g, node, len); /* failed -> left; alive ones wait for their dead */
	return e;
}

/* The one dispatch of serf's gossiped messages (serf.go handleSerfMsg):
 * every serf message type the glue handles is one case here. */
static void on_user_msg(void *ctx, const uint8_t *msg, size_t len)
{
	struct mf_serf_glue *g = ctx;
	struct mf_serf_entry *rebroadcast = NULL;
	bool made = false;
	struct mf_bytes node = {0};
	switch (mf_serf_msg_type(msg, len)) {
	case MF_SERF_MSG_JOIN: {
		struct mf_serf_join j;
		if (mf_serf_decode_join(msg + 1, len - 1, &j) < 0) {
			g->stats.decode_errors++;
			return;
		}
		g->stats.join_intents++;
		node = j.node;
		rebroadcast = join_intent(g, (const char *)j.node.p, j.node.len, j.ltime, &made);
		break;
	}
	case MF_SERF_MSG_LEAVE: {
		struct mf_serf_leave l;
		if (mf_serf_decode_leave(msg + 1, len - 1, &l) < 0) {
			g->stats.decode_errors++;
			return;
		}
		g->stats.leave_intents++;
		node = l.node;
		rebroadcast = leave_intent(g, (const char *)l.node.p, l.node.len, l.ltime, &made);
		break;
	}
	default:
		g->stats.unknown_msgs++; /* serf logs these at WARN; we just count */
		return;
	}
	if (rebroadcast) {
		g->stats.rebroadcasts++;
		enqueue(g, rebroadcast, made, (const char *)node.p, node.len, msg, len);
	}
}

static size_t local_state(void *ctx, bool join, uint8_t *buf, size_t cap)
{
	struct mf_serf_glue *g = ctx;
	(void)join;
	/* each slot used is set whole: no zeroing */
	struct mf_serf_status_ltime *st = malloc((g->n_entries + 1) * sizeof(*st));
	struct mf_bytes *left = malloc((g->n_entries + 1) * sizeof(*left));
	size_t n_st = 0, n_left = 0, out = 0;
	if (!st || !left)
		goto done;
	for (size_t i = 0; i < g->n_entries; i++) {
		const struct mf_serf_entry *e = &g->entries[i];
		if (!e->in_pool)
			continue;
		struct mf_bytes name = {(const uint8_t *)mf_serf_glue_entry_name(g, e), e->name_len};
		st[n_st++] = (struct mf_serf_status_ltime){name, e->ltime};
		/* Only members we saw leave by intent: a guessed time could turn
		 * a member that came back into `leaving` on serf's side. */
		if (e->pool_left && e->leave_intent && e->ltime > 0)
			left[n_left++] = name;
	}
	struct mf_serf_push_pull pp = {
		.ltime = g->clock,
		.event_ltime = g->event_clock,
		.query_ltime = g->query_clock,
		.status = st,
		.n_status = n_st,
		.left = left,
		.n_left = n_left,
	};
	msgpack_sbuffer_clear(&g->scratch);
	if (mf_serf_encode_push_pull(&g->scratch, &pp) == 0) {
		out = g->scratch.size; /* > cap: what the pool should offer next */
		if (out <= cap) {
			memcpy(buf, g->scratch.data, out);
			g->stats.push_pulls_sent++;
		} else if (cap >= MF_POOL_USER_STATE_MAX) {
			g->stats.push_pulls_too_big++;
		}
	}
	/* A large pool's state (15-20 bytes a member) is copied out at once:
	 * not held until the next push-pull (a simulator has N glues; at
	 * 10,000 members the buffer would be 256 KB each). */
	if (g->scratch.alloc > MF_SERF_GLUE_SCRATCH_KEEP) {
		msgpack_sbuffer_destroy(&g->scratch);
		msgpack_sbuffer_init(&g->scratch);
	}
done:
	free(st);
	free(left);
	return out;
}

/* The left names of one push-pull, indexed: open addressing over
 * indexes into `left` (+1), with the LTime found for each. */
struct left_set {
	const struct mf_bytes *left;
	size_t n_left;
	uint32_t *slots;
	size_t mask;
	uint64_t *ltime;
};

static int left_set_build(struct left_set *ls, const struct mf_bytes *left, size_t n_left)
{
	size_t n = 16;
	while (n < 2 * n_left)
		n *= 2;
	*ls = (struct left_set){left, n_left, calloc(n, sizeof(uint32_t)), n - 1,
				calloc(n_left + 1, sizeof(uint64_t))};
	if (!ls->slots || !ls->ltime) {
		free(ls->slots);
		free(ls->ltime);
		return MF_ENOMEM;
	}
	for (size_t i = 0; i < n_left; i++) {
		size_t h = mf_name_hash(left[i].p, left[i].len) & ls->mask;
		for (; ls->slots[h] != 0; h = (h + 1) & ls->mask) {
			const struct mf_bytes *o = &left[ls->slots[h] - 1];
			if (o->len == left[i].len && same_bytes(o->p, left[i].p, o->len))
				break; /* a duplicate keeps the first */
		}
		if (ls->slots[h] == 0)
			ls->slots[h] = (uint32_t)(i + 1);
	}
	return 0;
}

/* Index of the first left entry named `name`, or n_left. */
static size_t left_set_find(const struct left_set *ls, struct mf_bytes name)
{
	for (size_t h = mf_name_hash(name.p, name.len) & ls->mask; ls->slots[h] != 0;
	     h = (h + 1) & ls->mask) {
		const struct mf_bytes *o = &ls->left[ls->slots[h] - 1];
		if (o->len == name.len && same_bytes(o->p, name.p, name.len))
			return ls->slots[h] - 1;
	}
	return ls->n_left;
}

static void left_set_free(struct left_set *ls)
{
	free(ls->slots);
	free(ls->ltime);
}

static void merge_remote_state(void *ctx, const uint8_t *buf, size_t len, bool join)
{
	struct mf_serf_glue *g = ctx;
	(void)join;
	if (len == 0)
		return; /* a peer without serf state (or an older meshfed) */
	if (mf_serf_msg_type(buf, len) != MF_SERF_MSG_PUSH_PULL) {
		g->stats.decode_errors++;
		return;
	}
	struct mf_serf_push_pull pp;
	if (mf_serf_decode_push_pull(buf + 1, len - 1, &pp) < 0) {
		g->stats.decode_errors++;
		return;
	}
	g->stats.push_pulls_merged++;
	/* delegate.go MergeRemoteState: witness one below, nothing was sent at it. */
	if (pp.ltime > 0)
		mf_serf_clock_witness(&g->clock, pp.ltime - 1);
	if (pp.event_ltime > 0)
		mf_serf_clock_witness(&g->event_clock, pp.event_ltime - 1);
	if (pp.query_ltime > 0)
		mf_serf_clock_witness(&g->query_clock, pp.query_ltime - 1);
	/* A left name takes the LTime of its (last) status entry; status
	 * entries of left names are not joins. One hash pass each way. */
	struct left_set ls;
	if (left_set_build(&ls, pp.left, pp.n_left) != 0) {
		g->stats.decode_errors++; /* out of memory: skip this merge */
		mf_serf_push_pull_free(&pp);
		return;
	}
	for (size_t j = 0; j < pp.n_status; j++) {
		size_t i = left_set_find(&ls, pp.status[j].node);
		if (i < pp.n_left)
			ls.ltime[i] = pp.status[j].ltime;
	}
	for (size_t i = 0; i < pp.n_left; i++) {
		size_t first = left_set_find(&ls, pp.left[i]); /* duplicates share it */
		(void)leave_intent(g, (const char *)pp.left[i].p, pp.left[i].len,
				   ls.ltime[first] + 1, NULL);
	}
	for (size_t j = 0; j < pp.n_status; j++)
		if (left_set_find(&ls, pp.status[j].node) >= pp.n_left)
			(void)join_intent(g, (const char *)pp.status[j].node.p,
					  pp.status[j].node.len, pp.status[j].ltime, NULL);
	left_set_free(&ls);
	mf_serf_push_pull_free(&pp);
}

void mf_serf_glue_delegate(struct mf_serf_glue *g, struct mf_pool_delegate *d)
{
	d->ctx = g;
	d->on_user_msg = on_user_msg;
	d->local_state = local_state;
	d->merge_remote_state = merge_remote_state;
}

void mf_serf_glue_on_event(struct mf_serf_glue *g, const struct mf_pool_event *ev)
{
	if (ev->kind == MF_EV_JOIN_DONE || !ev->name)
		return;
	size_t len = strlen(ev->name);
	struct mf_serf_entry *e;
	switch (ev->kind) {
	case MF_EV_JOIN:
		if ((e = find_or_add(g, ev->name, len))) {
			/* serf handleNodeJoin: a member it knew (leaving, left,
			 * failed) is alive again, so a later failure is a failure;
			 * a first join keeps an intent heard before it (serf's
			 * recentIntents: it joins as leaving). */
			if (e->in_pool)
				e->leave_intent = false;
			e->in_pool = true;
			e->pool_left = false;
		}
		break;
	case MF_EV_UPDATE:
		if ((e = find_or_add(g, ev->name, len))) {
			e->in_pool = true;
			e->pool_left = false;
		}
		break;
	case MF_EV_FAILED:
		/* serf handleNodeLeave: a leaving member that memberlist drops is
		 * left, not failed; the flush forces it (after this pool call). */
		if ((e = find(g, ev->name, len)) && e->leave_intent)
			want_force(g, ev->name, len);
		break;
	case MF_EV_LEFT:
		if ((e = find_or_add(g, ev->name, len))) {
			e->in_pool = true;
			e->pool_left = true;
		}
		break;
	case MF_EV_REAPED:
		if ((e = find(g, ev->name, len)))
			drop_entry(g, e);
		break;
	default:
		break;
	}
}

int mf_serf_glue_join_intent(struct mf_serf_glue *g)
{
	/* serf.go broadcastJoin(clock.Time()): witness our own time. */
	struct mf_serf_join j = {g->clock, {(const uint8_t *)g->self, strlen(g->self)}};
	mf_serf_clock_witness(&g->clock, j.ltime);
	struct mf_serf_entry *e = find_or_add(g, g->self, j.node.len);
	if (e) {
		e->ltime = j.ltime;
		e->leave_intent = false;
	}
	msgpack_sbuffer_clear(&g->scratch);
	int r = mf_serf_encode_join(&g->scratch, &j);
	if (r == 0)
		enqueue(g, e, false, g->self, j.node.len, (const uint8_t *)g->scratch.data,
			g->scratch.size);
	return r;
}

int mf_serf_glue_leave_intent(struct mf_serf_glue *g)
{
	/* serf.go Leave: LTime = clock.Time(), then Increment. */
	struct mf_serf_leave l = {g->clock, {(const uint8_t *)g->self, strlen(g->self)}, false};
	g->clock++;
	g->leaving = true;
	struct mf_serf_entry *e = find_or_add(g, g->self, l.node.len);
	if (e) {
		e->ltime = l.ltime;
		e->leave_intent = true;
	}
	msgpack_sbuffer_clear(&g->scratch);
	int r = mf_serf_encode_leave(&g->scratch, &l);
	if (r == 0)
		enqueue(g, e, false, g->self, l.node.len, (const uint8_t *)g->scratch.data,
			g->scratch.size);
	return r;
}

int mf_serf_glue_force_leave_intent(struct mf_serf_glue *g, const char *node)
{
	/* serf.go forceLeave: LTime = clock.Time(), then Increment. */
	struct mf_serf_leave l = {g->clock, {(const uint8_t *)node, strlen(node)}, false};
	g->clock++;
	struct mf_serf_entry *e = find_or_add(g, node, l.node.len);
	if (e) {
		e->ltime = l.ltime;
		e->leave_intent = true;
	}
	msgpack_sbuffer_clear(&g->scratch);
	int r = mf_serf_encode_leave(&g->scratch, &l);
	if (r == 0)
		enqueue(g, e, false, node, l.node.len, (const uint8_t *)g->scratch.data,
			g->scratch.size);
	return r;
}

bool mf_serf_glue_flush_due(const struct mf_serf_glue *g, mf_time_t now)
{
	return g->n_queue > 0 || g->n_force > 0 || !g->queue_check_armed ||
	       now >= g->next_queue_check;
}

int mf_serf_glue_flush(struct mf_serf_glue *g, mf_pool_t *p, mf_time_t now)
{
	int forced = 0;
	for (size_t i = 0; i < g->n_force; i++) {
		struct mf_member m;
		/* its leave intent still the latest (a newer join since: alive) */
		const struct mf_serf_entry *e = mf_serf_glue_find(g, g->force[i]);
		if (e != NULL && e->leave_intent &&
		    mf_pool_member_find(p, g->force[i], &m) == 0 && m.status == MF_MEMBER_FAILED &&
		    mf_pool_force_leave(p, now, g->force[i]) == 0) {
			g->stats.forced_left++;
			forced++;
		}
		free(g->force[i]);
	}
	g->n_force = 0;
	for (size_t i = 0; i < g->n_queue; i++) {
		const struct mf_serf_queued *q = &g->queue[i];
		if (mf_pool_broadcast_user_about(p, (const char *)g->qbytes + q->key, g->qbytes + q->msg,
						 q->len, g->strs, q->name_id, q->fresh) != 0)
			g->stats.queue_drops++;
	}
	g->n_queue = 0;
	g->n_qbytes = 0;
	/* serf checkQueueDepth: a timer from Create, then 30 s after each check. */
	if (!g->queue_check_armed) {
		g->queue_check_armed = true;
		g->next_queue_check = now + MF_SERF_GLUE_QUEUE_CHECK;
	} else if (now >= g->next_queue_check) {
		g->stats.intents_pruned +=
			mf_pool_prune_user(p, MF_SERF_GLUE_INTENT_KEY, MF_SERF_GLUE_MAX_QUEUE_DEPTH);
		g->next_queue_check = now + MF_SERF_GLUE_QUEUE_CHECK;
	}
	if (g->cap_qbytes > MF_SERF_GLUE_QBYTES_KEEP) { /* a merge's burst: not held */
		free(g->qbytes);
		g->qbytes = NULL;
		g->cap_qbytes = 0;
	}
	return forced;
}
