/*
 * routing/advert_asm.c — fragment reassembly (contract in advert_asm.h).
 */
#include "routing/advert_asm.h"

#include <stdlib.h>
#include <string.h>

#include "gossip/grow.h"
#include "gossip/err.h"
#include "gossip/name_hash.h"
#include "gossip/probe_index.h"

uint64_t mf_advert_key_hash(const char *origin, const char *node)
{
	uint64_t h = mf_name_hash(origin, strlen(origin));
	return node ? mf_name_hash_more(h ^ 0x9e3779b97f4a7c15ULL, node, strlen(node)) : h;
}

/* One (origin, node): the state being joined, or, once joined, a marker of
 * the last complete seq so late duplicates of its fragments are dropped. */
struct mf_advert_asm_slot {
	uint64_t h;               /* mf_advert_key_hash(origin, node) */
	uint64_t seq;
	struct mf_advert *parts;  /* count of them; parts[i].origin set = have */
	uint32_t origin, node;    /* ids in s->ids (slot_origin, slot_node) */
	uint32_t count, got;
	bool done;                /* seq is complete; parts are empty */
};

void mf_advert_asm_init(struct mf_advert_asm *s, size_t max_pending)
{
	memset(s, 0, sizeof *s);
	s->max_pending = max_pending ? max_pending : 1024;
	mf_name_ids_init(&s->own_ids);
	s->ids = NULL;
}

int mf_advert_asm_share_names(struct mf_advert_asm *s, struct mf_name_ids *ids)
{
	if (s->n > 0)
		return MF_EINVAL;
	s->ids = ids;
	return 0;
}

static struct mf_name_ids *ids_of(const struct mf_advert_asm *s)
{
	return s->ids ? s->ids : (struct mf_name_ids *)&s->own_ids;
}

static void parts_free(struct mf_advert_asm_slot *sl)
{
	for (uint32_t i = 0; sl->parts && i < sl->count; i++)
		mf_advert_free(&sl->parts[i]);
	free(sl->parts);
	sl->parts = NULL;
	sl->count = sl->got = 0;
}

static const char *slot_origin(const struct mf_advert_asm *s, const struct mf_advert_asm_slot *sl)
{
	return mf_name_ids_str(ids_of(s), sl->origin);
}

static const char *slot_node(const struct mf_advert_asm *s, const struct mf_advert_asm_slot *sl)
{
	return mf_name_ids_str(ids_of(s), sl->node);
}

static void slot_free(struct mf_advert_asm *s, struct mf_advert_asm_slot *sl)
{
	parts_free(sl);
	mf_name_ids_drop(ids_of(s), sl->origin);
	mf_name_ids_drop(ids_of(s), sl->node);
	memset(sl, 0, sizeof *sl);
}

static void slot_drop(struct mf_advert_asm *s, size_t i)
{
	slot_free(s, &s->slots[i]);
	s->slots[i] = s->slots[--s->n];
}

void mf_advert_asm_free(struct mf_advert_asm *s)
{
	for (size_t i = 0; i < s->n; i++)
		slot_free(s, &s->slots[i]);
	free(s->slots);
	free(s->index);
	mf_name_ids_free(&s->own_ids);
	memset(s, 0, sizeof *s);
}

/* Indexes every slot in a table of nb slots (a power of two, load under
 * 3/4); false when out of memory (the old index stays). */
static bool index_build(struct mf_advert_asm *s, size_t nb)
{
	uint32_t *x = calloc(nb, sizeof(*x));
	if (x == NULL)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		x[mf_probe_index_free_slot(x, nb, (size_t)s->slots[i].h)] = (uint32_t)i + 1;
	}
	free(s->index);
	s->index = x;
	s->n_index = nb;
	return true;
}

/* Rare (an origin expired): the slots move, so the index is built again. */
void mf_advert_asm_forget(struct mf_advert_asm *s, const char *origin)
{
	size_t was = s->n;
	for (size_t i = 0; i < s->n;) {
		if (strcmp(slot_origin(s, &s->slots[i]), origin) == 0)
			slot_drop(s, i);
		else
			i++;
	}
	if (s->n != was && !index_build(s, s->n_index)) {
		free(s->index); /* no index: the next add builds one */
		s->index = NULL;
		s->n_index = 0;
	}
}

/* The slot of (origin, node) with hash h, or NULL. */
static struct mf_advert_asm_slot *slot_find(struct mf_advert_asm *s, uint64_t h, const char *origin,
					    const char *node)
{
	size_t mask = s->n_index - 1;
	for (size_t j = (size_t)h & mask; s->n_index && s->index[j] != 0; j = (j + 1) & mask) {
		struct mf_advert_asm_slot *sl = &s->slots[s->index[j] - 1];
		if (sl->h == h && strcmp(slot_origin(s, sl), origin) == 0 &&
		    strcmp(slot_node(s, sl), node) == 0)
			return sl;
	}
	return NULL;
}

/* Joins the parts into one block (as the in-place reader makes them):
 * name tables are concatenated and indexes shifted, so no string is
 * compared; duplicate names are harmless (the engine interns). Gateways
 * move from the parts. */
static int join(const struct mf_advert_asm *s, struct mf_advert_asm_slot *sl, struct mf_advert *out)
{
	memset(out, 0, sizeof *out);
	const char *origin = slot_origin(s, sl), *node = slot_node(s, sl);
	size_t nn = 0, nr = 0, nh = 0, ng = 0, nk = 0, bytes = strlen(origin) + strlen(node) + 2;
	for (uint32_t i = 0; i < sl->count; i++) {
		const struct mf_advert *p = &sl->parts[i];
		nn += p->n_names;
		nr += p->n_routes;
		nh += p->n_hops;
		ng += p->n_gateways;
		nk += p->n_dead;
		for (size_t k = 0; k < p->n_names; k++)
			bytes += strlen(p->names[k]) + 1;
	}
	size_t off_routes = nn * sizeof(char *), off_dead = off_routes + nr * sizeof(struct mf_advert_route);
	size_t off_hops = off_dead + nk * sizeof(struct mf_advert_dead), off_str = off_hops + nh * sizeof(uint32_t);
	char *block = malloc(off_str + bytes);
	out->gateways = ng ? calloc(ng, sizeof *out->gateways) : NULL;
	if (!block || (ng && !out->gateways)) {
		free(block);
		free(out->gateways);
		out->gateways = NULL;
		return MF_ENOMEM;
	}
	out->block = block;
	out->names = nn ? (char **)(void *)block : NULL;
	out->routes = nr ? (struct mf_advert_route *)(void *)(block + off_routes) : NULL;
	out->dead = nk ? (struct mf_advert_dead *)(void *)(block + off_dead) : NULL;
	out->hops = nh ? (uint32_t *)(void *)(block + off_hops) : NULL;
	char *str = block + off_str;
	size_t n = strlen(origin) + 1;
	out->origin = memcpy(str, origin, n);
	str += n;
	n = strlen(node) + 1;
	out->node = memcpy(str, node, n);
	str += n;
	struct mf_advert *p0 = &sl->parts[0];
	out->seq = sl->seq;
	out->transit = p0->transit;
	out->frag_index = 0;
	out->frag_count = 1;
	for (uint32_t i = 0; i < sl->count; i++) {
		struct mf_advert *p = &sl->parts[i];
		uint32_t name_off = (uint32_t)out->n_names, hop_off = (uint32_t)out->n_hops;
		for (size_t k = 0; k < p->n_names; k++) {
			n = strlen(p->names[k]) + 1;
			out->names[out->n_names++] = memcpy(str, p->names[k], n);
			str += n;
		}
		for (size_t k = 0; k < p->n_hops; k++)
			out->hops[out->n_hops++] = p->hops[k] + name_off;
		for (size_t k = 0; k < p->n_routes; k++) {
			struct mf_advert_route r = p->routes[k];
			r.target += name_off;
			r.hops_off += hop_off;
			out->routes[out->n_routes++] = r;
		}
		for (size_t k = 0; k < p->n_gateways; k++)
			out->gateways[out->n_gateways++] = p->gateways[k];
		p->n_gateways = 0;
		for (size_t k = 0; k < p->n_dead; k++)
			out->dead[out->n_dead++] = (struct mf_advert_dead){p->dead[k].dc + name_off, p->dead[k].epoch};
	}
	return 0;
}

static size_t pending(const struct mf_advert_asm *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += !s->slots[i].done;
	return n;
}

int mf_advert_asm_add(struct mf_advert_asm *s, struct mf_advert *frag, struct mf_advert *out)
{
	memset(out, 0, sizeof *out);
	if (!frag->origin || !frag->node || frag->frag_count == 0 || frag->frag_index >= frag->frag_count) {
		mf_advert_free(frag);
		return MF_EINVAL;
	}
	uint64_t h = mf_advert_key_hash(frag->origin, frag->node); /* compared first */
	struct mf_advert_asm_slot *sl = slot_find(s, h, frag->origin, frag->node);
	if (sl && (frag->seq < sl->seq || (frag->seq == sl->seq && sl->done))) {
		mf_advert_free(frag);
		return 0; /* stale, or a late copy of a state already joined */
	}
	if (sl && (frag->seq > sl->seq || frag->frag_count != sl->count)) {
		parts_free(sl); /* a newer state replaces the partial one */
		sl->done = false;
	}
	if (!sl) {
		if (frag->frag_count > 1 && pending(s) >= s->max_pending) {
			mf_advert_free(frag);
			return MF_ETOOBIG;
		}
		size_t nb = mf_probe_index_slots(s->n + 1, s->n_index, 16);
		uint32_t oid = MF_NAME_ID_NONE, nid = MF_NAME_ID_NONE;
		int rc = s->n < UINT32_MAX - 1 ? mf_name_ids_hold(ids_of(s), frag->origin, &oid) : MF_ENOMEM;
		if (rc == 0)
			rc = mf_name_ids_hold(ids_of(s), frag->node, &nid);
		if (rc == 0 && (mf_grow_lean(&s->slots, &s->cap, s->n + 1, 8) < 0 ||
				(nb != s->n_index && !index_build(s, nb))))
			rc = MF_ENOMEM;
		if (rc < 0) {
			mf_name_ids_drop(ids_of(s), oid);
			mf_name_ids_drop(ids_of(s), nid);
			mf_advert_free(frag);
			return rc;
		}
		sl = &s->slots[s->n];
		memset(sl, 0, sizeof *sl);
		sl->origin = oid;
		sl->node = nid;
		sl->h = h;
		s->index[mf_probe_index_free_slot(s->index, s->n_index, (size_t)h)] =
			(uint32_t)++s->n;
	}
	sl->seq = frag->seq;
	if (frag->frag_count == 1) {
		parts_free(sl);
		sl->done = true;
		*out = *frag;
		memset(frag, 0, sizeof *frag);
		return 1;
	}
	if (!sl->parts) {
		sl->parts = calloc(frag->frag_count, sizeof *sl->parts);
		if (!sl->parts) {
			mf_advert_free(frag);
			return MF_ENOMEM;
		}
		sl->count = frag->frag_count;
		sl->got = 0;
	}
	struct mf_advert *p = &sl->parts[frag->frag_index];
	if (p->origin) {
		mf_advert_free(frag); /* duplicate fragment */
		return 0;
	}
	*p = *frag;
	memset(frag, 0, sizeof *frag);
	if (++sl->got < sl->count)
		return 0;
	int rc = join(s, sl, out);
	parts_free(sl);
	sl->done = rc == 0;
	return rc < 0 ? rc : 1;
}
