/*
 * coord/cache.c — name -> coordinate map. See cache.h.
 */
#include "coord/cache.h"

#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

int mf_coord_cache_init(struct mf_coord_cache *c, size_t max)
{
	memset(c, 0, sizeof(*c));
	if (max == 0)
		return MF_EINVAL;
	c->max = max;
	return MF_OK;
}

void mf_coord_cache_free(struct mf_coord_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].name);
	free(c->e);
	memset(c, 0, sizeof(*c));
}

static struct mf_coord_cache_entry *find(const struct mf_coord_cache *c, const char *node)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].name, node) == 0)
			return &c->e[i];
	return NULL;
}

int mf_coord_cache_put(struct mf_coord_cache *c, const char *node, const struct mf_coord *co)
{
	if (!mf_coord_is_valid(co))
		return MF_EINVAL;
	struct mf_coord_cache_entry *e = find(c, node);
	if (e) {
		e->coord = *co;
		return MF_OK;
	}
	if (c->n >= c->max)
		return MF_ETOOBIG;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		if (cap > c->max)
			cap = c->max;
		void *p = realloc(c->e, cap * sizeof(*c->e));
		if (!p)
			return MF_ENOMEM;
		c->e = p;
		c->cap = cap;
	}
	char *name = strdup(node);
	if (!name)
		return MF_ENOMEM;
	c->e[c->n].name = name;
	c->e[c->n].coord = *co;
	c->n++;
	return MF_OK;
}

int mf_coord_cache_get(const struct mf_coord_cache *c, const char *node, struct mf_coord *out)
{
	const struct mf_coord_cache_entry *e = find(c, node);
	if (!e)
		return MF_ENOTFOUND;
	*out = e->coord;
	return MF_OK;
}

void mf_coord_cache_remove(struct mf_coord_cache *c, const char *node)
{
	struct mf_coord_cache_entry *e = find(c, node);
	if (!e)
		return;
	free(e->name);
	*e = c->e[--c->n];
}
