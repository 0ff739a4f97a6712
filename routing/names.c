#include "routing/names.h"

#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"

bool mf_rt_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > MF_RT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
		if (!ok)
			return false;
	}
	return true;
}

void mf_rt_names_init(struct mf_rt_names *t)
{
	memset(t, 0, sizeof *t);
}

void mf_rt_names_free(struct mf_rt_names *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

/* FNV-1a: names are short and trusted to be valid by now; this only spreads
 * them over the slots, it is no defence against chosen collisions (a DC name
 * comes from a member of our own gossip pool, already authenticated). */
static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static bool slot_is(const struct mf_rt_names *t, uint64_t v, uint32_t h, const char *name, size_t len)
{
	if ((uint32_t)(v >> 32) != h)
		return false;
	const char *s = t->names[(uint32_t)v - 1];
	return strncmp(s, name, len) == 0 && s[len] == '\0';
}

/* The slot holding name (hash h), or the empty slot where it would go. */
static uint32_t slot_of(const struct mf_rt_names *t, uint32_t h, const char *name, size_t len)
{
	uint32_t mask = t->n_slots - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask)
		if (t->slots[i] == 0 || slot_is(t, t->slots[i], h, name, len))
			return i;
}

int mf_rt_names_find(const struct mf_rt_names *t, const char *name, size_t len, uint32_t *id)
{
	if (t->n_slots == 0)
		return MF_ENOTFOUND;
	uint64_t v = t->slots[slot_of(t, name_hash(name, len), name, len)];
	if (v == 0)
		return MF_ENOTFOUND;
	*id = (uint32_t)v - 1;
	return 0;
}

static int rehash(struct mf_rt_names *t, uint32_t n_slots)
{
	uint64_t *slots = calloc(n_slots, sizeof *slots);
	if (!slots)
		return MF_ENOMEM;
	uint32_t mask = n_slots - 1;
	for (uint32_t id = 0; id < t->n; id++) {
		uint32_t h = name_hash(t->names[id], strlen(t->names[id]));
		uint32_t i = h & mask;
		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = (uint64_t)h << 32 | (id + 1);
	}
	free(t->slots);
	t->slots = slots;
	t->n_slots = n_slots;
	return 0;
}

int mf_rt_names_intern(struct mf_rt_names *t, const char *name, size_t len, uint32_t *id)
{
	if (mf_rt_names_find(t, name, len, id) == 0)
		return 0; /* only valid names are ever stored */
	if (!mf_rt_name_valid(name, len))
		return MF_EINVAL;
	if (t->n >= MF_RT_NAMES_MAX)
		return MF_ETOOBIG;
	if (mf_grow(&t->names, &t->cap, (size_t)t->n + 1, 16) < 0)
		return MF_ENOMEM;
	if (2 * (t->n + 1) > t->n_slots) {
		int rc = rehash(t, t->n_slots ? t->n_slots * 2 : 32);
		if (rc < 0)
			return rc;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		return MF_ENOMEM;
	memcpy(copy, name, len);
	copy[len] = '\0';
	uint32_t mask = t->n_slots - 1, h = name_hash(name, len);
	uint32_t i = h & mask;
	while (t->slots[i])
		i = (i + 1) & mask;
	t->names[t->n] = copy;
	t->slots[i] = (uint64_t)h << 32 | (t->n + 1);
	*id = t->n++;
	return 1;
}
