/* gossip/name_ids.c — see gossip/name_ids.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/name_hash.h"
#include "gossip/name_ids.h"
#include "gossip/probe_index.h"

#define HEAD 16

/* 32 bytes. A lookup compares the name's first HEAD bytes here, so a
 * short name (most are) costs no visit to its copy elsewhere; a name of
 * less than HEAD bytes is its head (NUL-terminated: no copy elsewhere). */
struct mf_name_id_ent {
	char *name;     /* head, or own copy; NULL while the id is free */
	uint32_t refs;
	uint32_t len;
	char head[HEAD]; /* the first min(len, HEAD) bytes */
};

static bool ent_is(const struct mf_name_id_ent *e, const char *name, size_t len)
{
	if (e->len != len)
		return false;
	size_t h = len < HEAD ? len : HEAD;
	return memcmp(e->head, name, h) == 0 &&
	       (len <= HEAD || memcmp(e->name + HEAD, name + HEAD, len - HEAD) == 0);
}

void mf_name_ids_init(struct mf_name_ids *t)
{
	memset(t, 0, sizeof(*t));
}

static struct mf_name_id_ent *ent(const struct mf_name_ids *t, size_t i)
{
	return &t->pages[i / MF_NAME_IDS_PAGE][i % MF_NAME_IDS_PAGE];
}

static void name_free(struct mf_name_id_ent *e)
{
	if (e->name != e->head)
		free(e->name);
	e->name = NULL;
}

void mf_name_ids_free(struct mf_name_ids *t)
{
	for (size_t i = 0; i < t->n_ents; i++)
		name_free(ent(t, i));
	for (size_t i = 0; i < t->n_pages; i++)
		free(t->pages[i]);
	free(t->pages);
	free(t->slots);
	free(t->free_ids);
	memset(t, 0, sizeof(*t));
}

static uint32_t slot_tag(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

/* Slot of name, or of the empty slot where it would go (n_slots > 0). */
static size_t slot_of(const struct mf_name_ids *t, const char *name, size_t len, uint64_t h)
{
	size_t mask = t->n_slots - 1, i = (size_t)h & mask;
	uint32_t tag = (uint32_t)h;
	for (;;) {
		uint64_t v = t->slots[i];
		if (v == 0)
			return i;
		if (slot_tag(v) == tag) {
			if (ent_is(ent(t, (uint32_t)v - 1), name, len))
				return i;
		}
		i = (i + 1) & mask;
	}
}

/* Keeps the load under 3/4; the tag is the hash's low bits, all a slot
 * needs to find its home. */
static int reserve(struct mf_name_ids *t, size_t n)
{
	size_t nb = mf_probe_index_slots(n, t->n_slots, 64);
	if (nb == t->n_slots)
		return 0;
	uint64_t *s = calloc(nb, sizeof(*s));
	if (s == NULL)
		return MF_ENOMEM;
	for (size_t i = 0; i < t->n_slots; i++) {
		uint64_t v = t->slots[i];
		if (v == 0)
			continue;
		size_t j = slot_tag(v) & (nb - 1);
		while (s[j] != 0)
			j = (j + 1) & (nb - 1);
		s[j] = v;
	}
	free(t->slots);
	t->slots = s;
	t->n_slots = nb;
	return 0;
}

uint32_t mf_name_ids_find(const struct mf_name_ids *t, const char *name, size_t len, uint64_t h)
{
	if (t->n_slots == 0)
		return MF_NAME_ID_NONE;
	uint64_t v = t->slots[slot_of(t, name, len, h)];
	return v ? (uint32_t)v - 1 : MF_NAME_ID_NONE;
}

uint32_t mf_name_ids_guess(const struct mf_name_ids *t, uint64_t h)
{
	if (t->n_slots == 0)
		return MF_NAME_ID_NONE;
	size_t mask = t->n_slots - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		uint64_t v = t->slots[i];
		if (v == 0)
			return MF_NAME_ID_NONE;
		if (slot_tag(v) == (uint32_t)h)
			return (uint32_t)v - 1;
	}
}

int mf_name_ids_get(struct mf_name_ids *t, const char *name, size_t len, uint64_t h, uint32_t *id)
{
	if (len == 0 || len > UINT8_MAX)
		return MF_EINVAL;
	if (t->n_slots > 0) {
		uint64_t v = t->slots[slot_of(t, name, len, h)];
		if (v != 0) {
			struct mf_name_id_ent *e = ent(t, (uint32_t)v - 1);
			if (e->refs == UINT32_MAX)
				return MF_ENOMEM;
			e->refs++;
			*id = (uint32_t)v - 1;
			return 0;
		}
	}
	if (reserve(t, t->n + 1) != 0)
		return MF_ENOMEM;
	uint32_t i;
	if (t->n_free > 0) {
		i = t->free_ids[t->n_free - 1];
	} else {
		if (t->n_ents >= UINT32_MAX - 1 ||
		    mf_grow(&t->free_ids, &t->cap_free, t->n_ents + 1, 64) != 0)
			return MF_ENOMEM; /* room to free every id later: put cannot fail */
		i = (uint32_t)t->n_ents;
		if (i / MF_NAME_IDS_PAGE == t->n_pages) {
			struct mf_name_id_ent *pg = calloc(MF_NAME_IDS_PAGE, sizeof(*pg));
			if (pg == NULL || mf_grow(&t->pages, &t->cap_pages, t->n_pages + 1, 8) != 0) {
				free(pg);
				return MF_ENOMEM;
			}
			t->pages[t->n_pages++] = pg;
		}
	}
	struct mf_name_id_ent *e = ent(t, i);
	*e = (struct mf_name_id_ent){ NULL, 1, (uint32_t)len, { 0 } };
	memcpy(e->head, name, len < HEAD ? len : HEAD);
	if (len < HEAD) {
		e->name = e->head; /* NUL-terminated by the zeroed rest */
	} else {
		if ((e->name = malloc(len + 1)) == NULL)
			return MF_ENOMEM;
		memcpy(e->name, name, len);
		e->name[len] = '\0';
	}
	if (t->n_free > 0)
		t->n_free--;
	else
		t->n_ents++;
	t->slots[slot_of(t, name, len, h)] = ((uint64_t)(uint32_t)h << 32) | ((uint64_t)i + 1);
	t->n++;
	*id = i;
	return 0;
}

const char *mf_name_ids_name(const struct mf_name_ids *t, uint32_t id)
{
	return id < t->n_ents ? ent(t, id)->name : NULL;
}

void mf_name_ids_put(struct mf_name_ids *t, uint32_t id)
{
	if (id >= t->n_ents || ent(t, id)->name == NULL)
		return;
	struct mf_name_id_ent *e = ent(t, id);
	if (--e->refs > 0)
		return;
	size_t mask = t->n_slots - 1;
	size_t i = slot_of(t, e->name, e->len, mf_name_hash(e->name, e->len));
	name_free(e);
	e->len = 0;
	t->free_ids[t->n_free++] = id;
	t->n--;
	t->slots[i] = 0;
	for (size_t j = (i + 1) & mask; t->slots[j] != 0; j = (j + 1) & mask) {
		size_t home = slot_tag(t->slots[j]) & mask;
		if (mf_probe_index_stays(i, j, home))
			continue;
		t->slots[i] = t->slots[j];
		t->slots[j] = 0;
		i = j;
	}
}

int mf_name_ids_hold(struct mf_name_ids *t, const char *s, uint32_t *id)
{
	size_t len = strlen(s);
	*id = MF_NAME_ID_NONE;
	return len == 0 ? 0 : mf_name_ids_get(t, s, len, mf_name_hash(s, len), id);
}

const char *mf_name_ids_str(const struct mf_name_ids *t, uint32_t id)
{
	const char *s = id == MF_NAME_ID_NONE ? NULL : mf_name_ids_name(t, id);
	return s ? s : "";
}

void mf_name_ids_drop(struct mf_name_ids *t, uint32_t id)
{
	if (id != MF_NAME_ID_NONE)
		mf_name_ids_put(t, id);
}

size_t mf_name_ids_bytes(const struct mf_name_ids *t)
{
	return t->n_slots * sizeof(*t->slots) + t->n_pages * MF_NAME_IDS_PAGE * sizeof(struct mf_name_id_ent) +
	       t->cap_pages * sizeof(*t->pages) + t->cap_free * sizeof(*t->free_ids);
}
