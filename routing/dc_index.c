/* routing/dc_index.c — see routing/dc_index.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/serf.h"
#include "routing/dc_index.h"
#include "routing/node.h"

/* One decode of m's serf tags: its dc tag into dc (false when it has none
 * that fits) and whether it runs meshfed (role=meshfed) into *meshfed. */
static bool member_tags(const struct mf_member *m, char *dc, size_t cap, bool *meshfed)
{
	struct mf_tag tags[MF_ROUTING_NODE_TAGS_MAX];
	size_t n = 0;
	bool found = false;
	dc[0] = '\0';
	*meshfed = false;
	if (mf_serf_decode_tags(m->meta, m->meta_len, tags, MF_ROUTING_NODE_TAGS_MAX, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!found && strcmp(tags[i].key, "dc") == 0 && tags[i].value[0] &&
		    strlen(tags[i].value) < cap) {
			snprintf(dc, cap, "%s", tags[i].value);
			found = true;
		} else if (strcmp(tags[i].key, "role") == 0) {
			*meshfed = strcmp(tags[i].value, "meshfed") == 0;
		}
	}
	return found;
}

bool mf_dc_index_member_dc(const struct mf_member *m, char *dc, size_t cap)
{
	bool meshfed;
	return member_tags(m, dc, cap, &meshfed);
}

bool mf_dc_index_member_meshfed(const struct mf_member *m)
{
	char dc[MF_ROUTING_NODE_DC_MAX + 1];
	bool meshfed;
	(void)member_tags(m, dc, sizeof(dc), &meshfed);
	return meshfed;
}

void mf_dc_index_init(struct mf_dc_index *x)
{
	memset(x, 0, sizeof(*x));
}

static void clear(struct mf_dc_index *x)
{
	free(x->mem);
	free(x->groups);
	free(x->order);
	free(x->meshfed);
	free(x->strings);
	free(x->pos);
	uint64_t rebuilds = x->rebuilds, refreshes = x->refreshes;
	memset(x, 0, sizeof(*x));
	x->rebuilds = rebuilds;
	x->refreshes = refreshes;
}

void mf_dc_index_free(struct mf_dc_index *x)
{
	clear(x);
}

/* A tagged member while building. */
struct tagged {
	char dc[MF_ROUTING_NODE_DC_MAX + 1];
	const char *name;
	size_t pos; /* name order in the pool */
	enum mf_member_status status;
	bool meshfed;
};

static int by_dc_then_pos(const void *a, const void *b)
{
	const struct tagged *x = a, *y = b;
	int c = strcmp(x->dc, y->dc);
	if (c != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Servers of one DC with the same tags carry byte-identical metas: the
 * last few decoded are remembered during a rebuild, so most members cost a
 * memcmp instead of a msgpack decode (a third of a rebuild's time, with
 * its allocations and formatting, at 1,000 members). */
enum { SEEN_METAS = 8 };
struct seen_meta {
	const uint8_t *meta; /* a member's meta, valid during the rebuild */
	size_t len;
	bool ok, meshfed;
	char dc[MF_ROUTING_NODE_DC_MAX + 1];
};

static bool member_dc_cached(struct seen_meta *seen, const struct mf_member *m,
			     char dc[MF_ROUTING_NODE_DC_MAX + 1], bool *meshfed)
{
	size_t k = 0;
	if (m->meta == NULL)
		return member_tags(m, dc, MF_ROUTING_NODE_DC_MAX + 1, meshfed);
	for (; k < SEEN_METAS && seen[k].meta != NULL; k++) {
		if (seen[k].len == m->meta_len && memcmp(seen[k].meta, m->meta, m->meta_len) == 0) {
			memcpy(dc, seen[k].dc, sizeof(seen[k].dc));
			*meshfed = seen[k].meshfed;
			return seen[k].ok;
		}
	}
	bool ok = member_tags(m, dc, MF_ROUTING_NODE_DC_MAX + 1, meshfed);
	if (k == SEEN_METAS) /* full: make room, oldest first */
		memmove(seen, seen + 1, (--k) * sizeof(*seen));
	seen[k] = (struct seen_meta){m->meta, m->meta_len, ok, *meshfed, ""};
	memcpy(seen[k].dc, dc, sizeof(seen[k].dc));
	return ok;
}

/* A group's place in pool order, for sorting x->order. */
struct ranked {
	size_t first_other, group;
};

static int by_first_other(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->first_other != y->first_other)
		return x->first_other < y->first_other ? -1 : 1;
	return x->group < y->group ? -1 : x->group > y->group;
}

static bool alive(enum mf_member_status s)
{
	return s == MF_MEMBER_ALIVE || s == MF_MEMBER_SUSPECT;
}

/* The same members with the same metas in the same name order: only
 * statuses may have moved. false: a member could not be read (rebuild). */
static bool refresh(struct mf_dc_index *x, const mf_pool_t *pool)
{
	for (size_t gi = 0; gi < x->n_groups; gi++) {
		struct mf_dc_group *g = &x->groups[gi];
		g->n_alive = g->n_others_alive = 0;
		for (size_t i = g->start; i < g->start + g->n; i++) {
			struct mf_member m;
			if (mf_pool_member_at(pool, x->pos[i], &m) < 0)
				return false;
			x->mem[i].status = m.status;
			g->n_alive += alive(m.status);
			if (i != x->self_at)
				g->n_others_alive += alive(m.status);
		}
	}
	x->refreshes++;
	return true;
}

int mf_dc_index_sync(struct mf_dc_index *x, const mf_pool_t *pool, const char *self)
{
	if (pool == NULL) {
		clear(x);
		return 0;
	}
	uint64_t version = mf_pool_members_version(pool);
	uint64_t ident = mf_pool_members_ident_version(pool);
	if (x->pool == pool && x->version == version)
		return 0;
	if (x->pool == pool && x->ident_version == ident && strcmp(x->self, self) == 0 &&
	    refresh(x, pool)) {
		x->version = version;
		return 0;
	}
	clear(x);
	x->rebuilds++;

	size_t total = mf_pool_member_count(pool), n = 0, bytes = 0, n_groups = 0;
	struct tagged *t = malloc((total ? total : 1) * sizeof(*t));
	if (t == NULL)
		return MF_ENOMEM;
	struct seen_meta seen[SEEN_METAS] = {0};
	for (size_t i = 0; i < total; i++) {
		struct mf_member m;
		if (mf_pool_member_at(pool, i, &m) < 0 ||
		    !member_dc_cached(seen, &m, t[n].dc, &t[n].meshfed))
			continue;
		t[n].name = m.name;
		t[n].pos = i;
		t[n].status = m.status;
		bytes += strlen(m.name) + 1;
		n++;
	}
	qsort(t, n, sizeof(*t), by_dc_then_pos);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(t[i].dc, t[i - 1].dc) != 0) {
			n_groups++;
			bytes += strlen(t[i].dc) + 1;
		}
	}
	x->mem = calloc(n ? n : 1, sizeof(*x->mem));
	x->groups = calloc(n_groups ? n_groups : 1, sizeof(*x->groups));
	x->order = calloc(n_groups ? n_groups : 1, sizeof(*x->order));
	x->strings = malloc(bytes ? bytes : 1);
	x->meshfed = calloc(n ? n : 1, sizeof(*x->meshfed));
	x->pos = malloc((n ? n : 1) * sizeof(*x->pos));
	x->self_at = SIZE_MAX;
	snprintf(x->self, sizeof(x->self), "%s", self);
	if (!x->mem || !x->groups || !x->order || !x->strings || !x->meshfed || !x->pos) {
		free(t);
		clear(x);
		return MF_ENOMEM;
	}
	char *w = x->strings;
	struct mf_dc_group *g = NULL;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(t[i].dc, t[i - 1].dc) != 0) {
			g = &x->groups[x->n_groups++];
			size_t len = strlen(t[i].dc) + 1;
			g->dc = memcpy(w, t[i].dc, len);
			w += len;
			g->start = i;
			g->first_other = SIZE_MAX;
		}
		size_t len = strlen(t[i].name) + 1;
		x->mem[i] = (struct mf_coord_tracker_member){memcpy(w, t[i].name, len), g->dc,
							     t[i].status};
		x->meshfed[i] = t[i].meshfed;
		w += len;
		x->pos[i] = t[i].pos;
		g->n++;
		g->n_alive += alive(t[i].status);
		if (strcmp(t[i].name, self) == 0) {
			x->self_at = i;
		} else {
			g->n_others++;
			g->n_others_alive += alive(t[i].status);
			if (g->first_other == SIZE_MAX)
				g->first_other = t[i].pos;
		}
	}
	x->n_mem = n;
	free(t);
	struct ranked *r = malloc((x->n_groups ? x->n_groups : 1) * sizeof(*r));
	if (r == NULL) {
		clear(x);
		return MF_ENOMEM;
	}
	for (size_t i = 0; i < x->n_groups; i++)
		r[i] = (struct ranked){x->groups[i].first_other, i};
	qsort(r, x->n_groups, sizeof(*r), by_first_other);
	for (size_t i = 0; i < x->n_groups; i++)
		x->order[i] = r[i].group;
	free(r);
	x->pool = pool;
	x->version = version;
	x->ident_version = ident;
	return 0;
}

const struct mf_dc_group *mf_dc_index_find(const struct mf_dc_index *x, const char *dc)
{
	size_t lo = 0, hi = x->n_groups;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(x->groups[mid].dc, dc);
		if (c == 0)
			return &x->groups[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
