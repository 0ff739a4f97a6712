/* routing/dc_index.c — see routing/dc_index.h. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/name_hash.h"
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
	mf_name_ids_init(&x->own_ids);
}

bool mf_dc_index_share_names(struct mf_dc_index *x, struct mf_name_ids *ids)
{
	if (x->n_mem > 0)
		return false;
	x->ids = ids;
	return true;
}

static struct mf_name_ids *ids_of(struct mf_dc_index *x)
{
	return x->ids ? x->ids : &x->own_ids;
}

/* A member's name held by id (its bytes in the ids: no copy when the pools
 * share them), or NULL when out of memory. */
static const char *name_hold(struct mf_dc_index *x, const char *name)
{
	uint32_t id;
	if (name[0] == '\0')
		return "";
	if (mf_name_ids_hold(ids_of(x), name, &id) != 0)
		return NULL;
	return mf_name_ids_name(ids_of(x), id);
}

static void name_release(struct mf_dc_index *x, const char *name)
{
	size_t len = strlen(name);
	if (len > 0)
		mf_name_ids_drop(ids_of(x), mf_name_ids_find(ids_of(x), name, len, mf_name_hash(name, len)));
}

static void clear(struct mf_dc_index *x)
{
	for (size_t i = 0; i < x->n_mem; i++)
		name_release(x, x->mem[i].name);
	for (size_t g = 0; g < x->n_groups; g++)
		free((char *)x->groups[g].dc);
	free(x->mem);
	free(x->groups);
	free(x->order);
	free(x->meshfed);
	uint64_t rebuilds = x->rebuilds, refreshes = x->refreshes, updates = x->updates,
		 layout = x->layout;
	struct mf_name_ids own = x->own_ids, *ids = x->ids;
	memset(x, 0, sizeof(*x));
	x->own_ids = own;
	x->ids = ids;
	x->rebuilds = rebuilds;
	x->refreshes = refreshes;
	x->updates = updates;
	x->layout = layout + 1;
}

void mf_dc_index_free(struct mf_dc_index *x)
{
	clear(x);
	mf_name_ids_free(&x->own_ids);
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

static bool alive(enum mf_member_status s)
{
	return s == MF_MEMBER_ALIVE || s == MF_MEMBER_SUSPECT;
}

/* --- the groups' order and counts ------------------------------------------*/

/* A group's place in the pool's name order, for sorting x->order. */
struct ranked {
	const char *first; /* its first other member's name; NULL: none */
	size_t group;
};

static int by_first_other(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = x->first == NULL ? (y->first != NULL) : y->first == NULL ? -1 : strcmp(x->first, y->first);
	if (c != 0)
		return c;
	return x->group < y->group ? -1 : x->group > y->group;
}

/* x->order: groups by the name of their first other member (the pool's
 * name order; groups of only us last), then by dc: O(G log G) for a sync
 * that moved the layout (G: DCs in the pool). */
static int order_groups(struct mf_dc_index *x)
{
	struct ranked *r = malloc((x->n_groups ? x->n_groups : 1) * sizeof(*r));
	if (r == NULL)
		return MF_ENOMEM;
	for (size_t gi = 0; gi < x->n_groups; gi++) {
		struct mf_dc_group *g = &x->groups[gi];
		g->first_other = SIZE_MAX;
		for (size_t i = g->start; i < g->start + g->n && i <= g->start + 1; i++)
			if (i != x->self_at) {
				g->first_other = i;
				break;
			}
		r[gi] = (struct ranked){g->first_other == SIZE_MAX ? NULL : x->mem[g->first_other].name, gi};
	}
	qsort(r, x->n_groups, sizeof(*r), by_first_other);
	for (size_t i = 0; i < x->n_groups; i++)
		x->order[i] = r[i].group;
	free(r);
	return 0;
}

/* The group holding mem index i. */
static size_t group_of(const struct mf_dc_index *x, size_t i)
{
	size_t lo = 0, hi = x->n_groups;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->groups[mid].start <= i)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The first of elements [lo, hi) of arr (each `size` bytes, starting with
 * a const char *, as mf_dc_group's dc and the members' name) whose string
 * is not before key. */
static size_t lower(const void *arr, size_t size, size_t lo, size_t hi, const char *key)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *s;
		memcpy(&s, (const char *)arr + mid * size, sizeof(s));
		if (strcmp(s, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

_Static_assert(offsetof(struct mf_dc_group, dc) == 0 && offsetof(struct mf_coord_tracker_member, name) == 0,
	       "lower() reads the string each element starts with");

/* The first group whose dc is not before dc. */
static size_t group_lower(const struct mf_dc_index *x, const char *dc)
{
	return lower(x->groups, sizeof(*x->groups), 0, x->n_groups, dc);
}

/* The first position of group g not before name. */
static size_t member_lower(const struct mf_dc_index *x, const struct mf_dc_group *g, const char *name)
{
	return lower(x->mem, sizeof(*x->mem), g->start, g->start + g->n, name);
}

/* The mem index of name, or SIZE_MAX: a binary search in each group,
 * O(G log N). */
static size_t find_member(const struct mf_dc_index *x, const char *name)
{
	for (size_t gi = 0; gi < x->n_groups; gi++) {
		size_t i = member_lower(x, &x->groups[gi], name);
		if (i < x->groups[gi].start + x->groups[gi].n && strcmp(x->mem[i].name, name) == 0)
			return i;
	}
	return SIZE_MAX;
}

static void count(struct mf_dc_index *x, struct mf_dc_group *g, size_t i, int sign)
{
	size_t a = alive(x->mem[i].status);
	g->n_alive += (size_t)sign * a;
	if (i != x->self_at) {
		g->n_others += (size_t)sign;
		g->n_others_alive += (size_t)sign * a;
	}
}

/* --- one member at a time (a join, a reap, a tag or status change) ---------*/

static void remove_at(struct mf_dc_index *x, size_t i)
{
	size_t gi = group_of(x, i);
	struct mf_dc_group *g = &x->groups[gi];
	count(x, g, i, -1);
	name_release(x, x->mem[i].name);
	memmove(x->mem + i, x->mem + i + 1, (x->n_mem - i - 1) * sizeof(*x->mem));
	memmove(x->meshfed + i, x->meshfed + i + 1, (x->n_mem - i - 1) * sizeof(*x->meshfed));
	x->n_mem--;
	if (x->self_at == i)
		x->self_at = SIZE_MAX;
	else if (x->self_at != SIZE_MAX && x->self_at > i)
		x->self_at--;
	g->n--;
	for (size_t k = gi + 1; k < x->n_groups; k++)
		x->groups[k].start--;
	if (g->n == 0) {
		free((char *)g->dc);
		memmove(g, g + 1, (x->n_groups - gi - 1) * sizeof(*g));
		x->n_groups--;
	}
}

static int insert(struct mf_dc_index *x, const char *name, const char *dc, enum mf_member_status st,
		  bool meshfed)
{
	size_t gi = group_lower(x, dc);
	if (gi == x->n_groups || strcmp(x->groups[gi].dc, dc) != 0) {
		char *d = strdup(dc);
		if (d == NULL || mf_grow(&x->groups, &x->cap_groups, x->n_groups + 1, 8) != 0 ||
		    mf_grow(&x->order, &x->cap_order, x->n_groups + 1, 8) != 0) {
			free(d);
			return MF_ENOMEM;
		}
		size_t start = gi < x->n_groups ? x->groups[gi].start : x->n_mem;
		memmove(x->groups + gi + 1, x->groups + gi, (x->n_groups - gi) * sizeof(*x->groups));
		x->groups[gi] = (struct mf_dc_group){.dc = d, .start = start, .first_other = SIZE_MAX};
		x->n_groups++;
	}
	const char *nm = name_hold(x, name);
	if (nm == NULL || mf_grow(&x->mem, &x->cap_mem, x->n_mem + 1, 16) != 0 ||
	    mf_grow(&x->meshfed, &x->cap_meshfed, x->n_mem + 1, 16) != 0) {
		if (nm)
			name_release(x, nm);
		return MF_ENOMEM; /* an empty group may stay: the caller rebuilds */
	}
	struct mf_dc_group *g = &x->groups[gi];
	size_t i = member_lower(x, g, name);
	memmove(x->mem + i + 1, x->mem + i, (x->n_mem - i) * sizeof(*x->mem));
	memmove(x->meshfed + i + 1, x->meshfed + i, (x->n_mem - i) * sizeof(*x->meshfed));
	x->mem[i] = (struct mf_coord_tracker_member){nm, g->dc, st};
	x->meshfed[i] = meshfed;
	x->n_mem++;
	if (x->self_at != SIZE_MAX && x->self_at >= i)
		x->self_at++;
	if (strcmp(name, x->self) == 0)
		x->self_at = i;
	g->n++;
	for (size_t k = gi + 1; k < x->n_groups; k++)
		x->groups[k].start++;
	count(x, g, i, +1);
	return 0;
}

/* Looks at member `name` of pool again. *moved: the layout changed (a
 * member in or out of a group), not only a status. */
static int update(struct mf_dc_index *x, const mf_pool_t *pool, const char *name, bool *moved)
{
	struct mf_member m;
	char dc[MF_ROUTING_NODE_DC_MAX + 1];
	bool meshfed = false;
	bool tagged = mf_pool_member_find(pool, name, &m) == 0 && member_tags(&m, dc, sizeof(dc), &meshfed);
	size_t i = find_member(x, name);
	if (i != SIZE_MAX) {
		if (tagged && strcmp(x->mem[i].dc, dc) == 0 && x->meshfed[i] == meshfed) {
			struct mf_dc_group *g = &x->groups[group_of(x, i)];
			count(x, g, i, -1);
			x->mem[i].status = m.status;
			count(x, g, i, +1);
			return 0;
		}
		remove_at(x, i);
		*moved = true;
	}
	if (!tagged)
		return 0;
	*moved = true;
	return insert(x, name, dc, m.status, meshfed);
}

/* The journal's changes since the last sync, one member each: 1 done;
 * 0 when one is no longer held (statuses may be refreshed instead);
 * MF_ENOMEM (the caller rebuilds). */
static int catch_up(struct mf_dc_index *x, const mf_pool_t *pool)
{
	uint64_t now = mf_pool_member_changes(pool);
	bool moved = false;
	int rc = 1;
	if (now < x->changes) /* the pool had no journal when last read */
		return 0;
	for (uint64_t k = x->changes; k < now && rc == 1; k++) {
		const char *name = mf_pool_member_change(pool, k);
		if (name == NULL)
			rc = 0; /* those before it are applied: each is the pool's truth */
		else if (update(x, pool, name, &moved) != 0)
			return MF_ENOMEM;
	}
	if (moved) {
		if (order_groups(x) != 0)
			return MF_ENOMEM;
		x->layout++;
	}
	if (rc == 1) {
		x->changes = now;
		x->updates++;
	}
	return rc;
}

/* The same members with the same metas: only statuses may have moved
 * (the journal lost some). false: a member could not be read (rebuild). */
static bool refresh(struct mf_dc_index *x, const mf_pool_t *pool)
{
	for (size_t gi = 0; gi < x->n_groups; gi++) {
		struct mf_dc_group *g = &x->groups[gi];
		g->n_alive = g->n_others_alive = 0;
		for (size_t i = g->start; i < g->start + g->n; i++) {
			struct mf_member m;
			if (mf_pool_member_find(pool, x->mem[i].name, &m) < 0)
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

static int rebuild(struct mf_dc_index *x, const mf_pool_t *pool, const char *self)
{
	clear(x);
	x->rebuilds++;
	x->changes = mf_pool_member_changes(pool); /* before reading: nothing missed */
	x->self_at = SIZE_MAX;
	snprintf(x->self, sizeof(x->self), "%s", self);

	size_t total = mf_pool_member_count(pool), n = 0;
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
		n++;
	}
	qsort(t, n, sizeof(*t), by_dc_then_pos);
	int rc = 0;
	if (mf_grow(&x->mem, &x->cap_mem, n, 16) != 0 ||
	    mf_grow(&x->meshfed, &x->cap_meshfed, n, 16) != 0)
		rc = MF_ENOMEM;
	struct mf_dc_group *g = NULL;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i == 0 || strcmp(t[i].dc, t[i - 1].dc) != 0) {
			char *d = strdup(t[i].dc);
			if (d == NULL || mf_grow(&x->groups, &x->cap_groups, x->n_groups + 1, 8) != 0 ||
			    mf_grow(&x->order, &x->cap_order, x->n_groups + 1, 8) != 0) {
				free(d);
				rc = MF_ENOMEM;
				break;
			}
			g = &x->groups[x->n_groups++];
			*g = (struct mf_dc_group){.dc = d, .start = i, .first_other = SIZE_MAX};
		}
		const char *nm = name_hold(x, t[i].name);
		if (nm == NULL) {
			rc = MF_ENOMEM;
			break;
		}
		x->mem[i] = (struct mf_coord_tracker_member){nm, g->dc, t[i].status};
		x->meshfed[i] = t[i].meshfed;
		x->n_mem++;
		g->n++;
		if (strcmp(t[i].name, self) == 0)
			x->self_at = i;
		count(x, g, i, +1);
	}
	free(t);
	if (rc != 0 || (rc = order_groups(x)) != 0) {
		clear(x);
		return rc;
	}
	x->pool = pool;
	return 0;
}

int mf_dc_index_sync(struct mf_dc_index *x, const mf_pool_t *pool, const char *self)
{
	if (pool == NULL) {
		if (x->pool != NULL || x->n_mem)
			clear(x);
		return 0;
	}
	uint64_t version = mf_pool_members_version(pool);
	uint64_t ident = mf_pool_members_ident_version(pool);
	if (x->pool == pool && x->version == version)
		return 0;
	if (x->pool == pool && strcmp(x->self, self) == 0) {
		int rc = catch_up(x, pool);
		if (rc == 1 || (rc == 0 && x->ident_version == ident && refresh(x, pool))) {
			if (rc == 0)
				x->changes = mf_pool_member_changes(pool);
			x->version = version;
			x->ident_version = ident;
			return 0;
		}
	}
	int rc = rebuild(x, pool, self);
	if (rc == 0) {
		x->version = version;
		x->ident_version = ident;
	}
	return rc;
}

const struct mf_dc_group *mf_dc_index_find(const struct mf_dc_index *x, const char *dc)
{
	size_t g = group_lower(x, dc);
	return g < x->n_groups && strcmp(x->groups[g].dc, dc) == 0 ? &x->groups[g] : NULL;
}
