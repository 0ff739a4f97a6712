/*
 * routing/names.h — datacenter names interned as small dense ids.
 *
 * Contract: owns copies of the names it interns and never forgets one, so an
 * id stays valid for the life of the table; ids are 0, 1, 2, ... in order of
 * first sight. The engine keeps paths as arrays of these ids so "does this
 * path contain me" is an integer compare, not a string compare. Pure: no
 * clock, no I/O.
 *
 * A valid DC name is 1..MF_RT_NAME_MAX bytes of [A-Za-z0-9._-]: it is safe to
 * print in a table, a JSON string or a Graphviz id without escaping, and a
 * tagged-address key "dc:<name>" is unambiguous.
 */
#ifndef MF_ROUTING_NAMES_H
#define MF_ROUTING_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_RT_NAME_MAX 64        /* bytes, without the NUL */
#define MF_RT_NAMES_MAX 65535u   /* distinct DCs one table accepts */

struct mf_rt_names {
	char **names;     /* id -> NUL-terminated copy */
	uint32_t n;       /* ids in use */
	size_t cap;       /* capacity of names */
	/* open addressing: the name's hash << 32 | (id + 1), 0 = empty; the
	 * hash is compared before the string (most probes of a miss and of
	 * a collision end there) */
	uint64_t *slots;
	uint32_t n_slots; /* power of two, kept >= 2 * n */
};

/* True when name[0..len) is a valid DC name. */
bool mf_rt_name_valid(const char *name, size_t len);

void mf_rt_names_init(struct mf_rt_names *t);
void mf_rt_names_free(struct mf_rt_names *t);

/* Finds or adds `name` (len bytes, need not be NUL-terminated). Returns 1
 * when added, 0 when it was there, MF_EINVAL for an invalid name,
 * MF_ETOOBIG past MF_RT_NAMES_MAX, MF_ENOMEM. */
int mf_rt_names_intern(struct mf_rt_names *t, const char *name, size_t len, uint32_t *id);

/* 0 and *id, or MF_ENOTFOUND. */
int mf_rt_names_find(const struct mf_rt_names *t, const char *name, size_t len, uint32_t *id);

#endif
