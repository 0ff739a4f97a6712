/* gossip/members.c — see gossip/members.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/members.h"
#include "gossip/name_hash.h"

struct mf_members_order {
	struct mf_member_record **by_name; /* sorted by name when valid */
	size_t cap;
	bool valid;
};

void mf_members_init(struct mf_members *t, struct mf_intern *strs)
{
	memset(t, 0, sizeof(*t));
	t->strs = strs;
}

static struct mf_member_record *rec_of(const struct mf_members *t, uint32_t id)
{
	return mf_members_rec(t, id);
}

static void changed(const struct mf_members *t)
{
	if (t->order != NULL)
		t->order->valid = false;
}

/* --- the name index: record ids by name id --------------------------------*/

static struct mf_name_ids *ids_of(const struct mf_members *t)
{
	return &t->strs->ids;
}

/* Room in by_id for name id `id`; new entries zero (no record). */
static int by_id_reserve(struct mf_members *t, uint32_t id)
{
	size_t old = t->n_by_id;
	if (id < old)
		return 0;
	if (mf_grow_lean(&t->by_id, &t->n_by_id, (size_t)id + 1, 64) != 0)
		return MF_ENOMEM;
	memset(t->by_id + old, 0, (t->n_by_id - old) * sizeof(*t->by_id));
	return 0;
}

static void index_del(struct mf_members *t, const struct mf_member_record *m, uint32_t id)
{
	if (m->name_id < t->n_by_id && t->by_id[m->name_id] == id + 1)
		t->by_id[m->name_id] = 0;
}

/* --- records ---------------------------------------------------------------*/

/* A zeroed record from the free list or a new slab; *id is its id. */
static struct mf_member_record *rec_alloc(struct mf_members *t, uint32_t *id)
{
	struct mf_member_record *m = t->free_recs;
	if (m != NULL) {
		t->free_recs = (struct mf_member_record *)(void *)m->ident;
		*id = m->pos; /* a free record keeps its id in pos */
		memset(m, 0, sizeof(*m));
		return m;
	}
	if (mf_grow(&t->slabs, &t->cap_slabs, t->n_slabs + 1, 4) != 0)
		return NULL;
	if ((uint64_t)(t->n_slabs + 1) * MF_MEMBERS_SLAB > UINT32_MAX)
		return NULL;
	struct mf_member_record *slab = calloc(MF_MEMBERS_SLAB, sizeof(*slab));
	if (slab == NULL)
		return NULL;
	uint32_t base = (uint32_t)(t->n_slabs * MF_MEMBERS_SLAB);
	t->slabs[t->n_slabs++] = slab;
	/* the rest of the slab goes on the free list, lowest id first */
	for (uint32_t k = MF_MEMBERS_SLAB - 1; k >= 1; k--) {
		slab[k].pos = base + k;
		slab[k].ident = (const struct mf_member_ident *)(void *)t->free_recs;
		t->free_recs = &slab[k];
	}
	*id = base;
	return &slab[0];
}

/* The suspicion slot of record id, or NULL when its slab has none. */
static struct mf_suspicion **susp_slot(const struct mf_members *t, uint32_t id)
{
	size_t s = id / MF_MEMBERS_SLAB;
	if (s >= t->cap_susp_slabs || t->susp_slabs[s] == NULL)
		return NULL;
	return &t->susp_slabs[s][id % MF_MEMBERS_SLAB];
}

static void susp_release(struct mf_members *t, uint32_t id)
{
	struct mf_suspicion **slot = susp_slot(t, id);
	if (slot == NULL || *slot == NULL)
		return;
	mf_suspicion_free(*slot);
	free(*slot);
	*slot = NULL;
}

static void rec_release(struct mf_members *t, struct mf_member_record *m, uint32_t id)
{
	susp_release(t, id);
	mf_name_ids_put(ids_of(t), m->name_id);
	mf_intern_put(t->strs, (const char *)m->ident);
	memset(m, 0, sizeof(*m));
	m->pos = id;
	m->ident = (const struct mf_member_ident *)(void *)t->free_recs;
	t->free_recs = m;
}

/* The id of a live record: its probe slot holds it. */
static uint32_t rec_id(const struct mf_members *t, const struct mf_member_record *m)
{
	return t->probe[m->pos];
}

/* The shared identity of name and `in` (NULL: zeros), its count raised. */
static int ident_get(struct mf_members *t, const char *name, size_t len, const struct mf_ident_in *in,
		     const struct mf_member_ident **out)
{
	/* header, name and its NUL in one buffer (padding zeroed: the bytes
	 * are the interning key), the meta appended by the interner */
	union {
		struct mf_member_ident d;
		uint8_t b[sizeof(struct mf_member_ident) + MF_NAME_MAX + 1];
	} u;
	size_t meta_len = in != NULL ? in->meta_len : 0;
	const char *s;

	if (len == 0 || len > MF_NAME_MAX || meta_len > MF_META_MAX)
		return MF_EINVAL;
	memset(&u.d, 0, sizeof(u.d));
	if (in != NULL) { /* field by field: no stray bytes past ip_len */
		size_t ip_len = in->addr.ip_len <= sizeof(u.d.addr.ip) ? in->addr.ip_len : 0;
		memcpy(u.d.addr.ip, in->addr.ip, ip_len);
		u.d.addr.ip_len = (uint8_t)ip_len;
		u.d.addr.port = in->addr.port;
		memcpy(u.d.vsn, in->vsn, MF_VSN_LEN);
	}
	u.d.meta_len = (uint16_t)meta_len;
	u.d.name_len = (uint8_t)len;
	memcpy(u.d.name, name, len);
	u.d.name[len] = 0;
	if (mf_intern_get2(t->strs, u.b, offsetof(struct mf_member_ident, name) + len + 1,
			   meta_len ? in->meta : NULL, meta_len, &s) != 0)
		return MF_ENOMEM;
	*out = (const struct mf_member_ident *)(const void *)s;
	return 0;
}

/* Whether m's identity is that of `in` already. */
static bool ident_is(const struct mf_member_record *m, const struct mf_ident_in *in)
{
	const struct mf_member_ident *d = m->ident;
	return d->meta_len == in->meta_len && mf_addr_equal(&d->addr, &in->addr) &&
	       memcmp(d->vsn, in->vsn, MF_VSN_LEN) == 0 &&
	       (in->meta_len == 0 || memcmp(mf_member_meta(m), in->meta, in->meta_len) == 0);
}

int mf_members_set_ident(struct mf_members *t, struct mf_member_record *m, const struct mf_ident_in *in)
{
	const struct mf_member_ident *d;
	int rc;

	if (ident_is(m, in))
		return 0;
	if ((rc = ident_get(t, m->ident->name, m->ident->name_len, in, &d)) != 0)
		return rc;
	mf_intern_put(t->strs, (const char *)m->ident);
	m->ident = d;
	return 0;
}

int mf_members_set_meta(struct mf_members *t, struct mf_member_record *m, const uint8_t *meta, size_t len)
{
	struct mf_ident_in in = { .addr = m->ident->addr, .meta = meta, .meta_len = len };
	memcpy(in.vsn, m->ident->vsn, MF_VSN_LEN);
	return mf_members_set_ident(t, m, &in);
}

struct mf_suspicion *mf_members_susp(const struct mf_members *t, const struct mf_member_record *m)
{
	struct mf_suspicion **slot = susp_slot(t, rec_id(t, m));
	return slot != NULL ? *slot : NULL;
}

int mf_members_susp_alloc(struct mf_members *t, struct mf_member_record *m, struct mf_suspicion **out)
{
	uint32_t id = rec_id(t, m);
	size_t s = id / MF_MEMBERS_SLAB;
	if (s >= t->cap_susp_slabs) {
		size_t old = t->cap_susp_slabs;
		if (mf_grow(&t->susp_slabs, &t->cap_susp_slabs, t->n_slabs, 4) != 0)
			return MF_ENOMEM;
		memset(t->susp_slabs + old, 0, (t->cap_susp_slabs - old) * sizeof(*t->susp_slabs));
	}
	if (t->susp_slabs[s] == NULL &&
	    (t->susp_slabs[s] = calloc(MF_MEMBERS_SLAB, sizeof(**t->susp_slabs))) == NULL)
		return MF_ENOMEM;
	struct mf_suspicion **slot = &t->susp_slabs[s][id % MF_MEMBERS_SLAB];
	if (*slot == NULL && (*slot = calloc(1, sizeof(**slot))) == NULL)
		return MF_ENOMEM;
	(*slot)->rec = m;
	*out = *slot;
	return 0;
}

void mf_members_free(struct mf_members *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct mf_member_record *m = mf_members_probe_at(t, i);
		susp_release(t, t->probe[i]);
		mf_name_ids_put(ids_of(t), m->name_id);
		mf_intern_put(t->strs, (const char *)m->ident);
	}
	for (size_t s = 0; s < t->n_slabs; s++)
		free(t->slabs[s]);
	free(t->slabs);
	for (size_t s = 0; s < t->cap_susp_slabs; s++)
		free(t->susp_slabs[s]);
	free(t->susp_slabs);
	free(t->probe);
	free(t->by_id);
	if (t->order != NULL)
		free(t->order->by_name);
	free(t->order);
	memset(t, 0, sizeof(*t));
}

int mf_members_cmp_name(const char *a, size_t alen, const char *b, size_t blen)
{
	/* A peer's empty name may be (NULL, 0): no memcmp on it (UBSan). */
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;
	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

struct mf_member_record *mf_members_find(const struct mf_members *t, const char *name, size_t len)
{
	uint32_t nid = mf_name_ids_find(ids_of(t), name, len, mf_name_hash(name, len));
	if (nid >= t->n_by_id || t->by_id[nid] == 0)
		return NULL;
	return rec_of(t, t->by_id[nid] - 1);
}

void mf_members_prefetch_slot(const struct mf_members *t, uint64_t h)
{
	uint32_t nid = mf_name_ids_guess(ids_of(t), h);
	if (nid < t->n_by_id)
		__builtin_prefetch(&t->by_id[nid]);
}

void mf_members_prefetch_rec(const struct mf_members *t, uint64_t h)
{
	uint32_t nid = mf_name_ids_guess(ids_of(t), h);
	if (nid < t->n_by_id && t->by_id[nid] != 0)
		__builtin_prefetch(rec_of(t, t->by_id[nid] - 1));
}

int mf_members_add(struct mf_members *t, const char *name, size_t len, const struct mf_ident_in *in,
		   size_t probe_pos, struct mf_member_record **out)
{
	if (len == 0 || len > MF_NAME_MAX || t->n >= UINT32_MAX - 1)
		return MF_EINVAL;
	if (mf_grow_lean(&t->probe, &t->cap, t->n + 1, 16) != 0)
		return MF_ENOMEM;
	if (t->order == NULL && (t->order = calloc(1, sizeof(*t->order))) == NULL)
		return MF_ENOMEM;
	const struct mf_member_ident *d;
	int rc;
	if ((rc = ident_get(t, name, len, in, &d)) != 0)
		return rc;
	uint32_t nid;
	if ((rc = mf_name_ids_get(ids_of(t), name, len, mf_name_hash(name, len), &nid)) != 0) {
		mf_intern_put(t->strs, (const char *)d);
		return rc;
	}
	uint32_t id;
	struct mf_member_record *m = by_id_reserve(t, nid) == 0 ? rec_alloc(t, &id) : NULL;
	if (m == NULL) {
		mf_name_ids_put(ids_of(t), nid);
		mf_intern_put(t->strs, (const char *)d);
		return MF_ENOMEM;
	}
	m->ident = d;
	m->name_id = nid;
	t->by_id[nid] = id + 1;

	m->pos = (uint32_t)t->n_probe;
	t->probe[t->n_probe] = id;
	if (probe_pos < t->n_probe) {
		uint32_t o = t->probe[probe_pos];
		t->probe[t->n_probe] = o;
		rec_of(t, o)->pos = (uint32_t)t->n_probe;
		t->probe[probe_pos] = id;
		m->pos = (uint32_t)probe_pos;
	}
	t->n_probe++;
	t->n++;
	changed(t);
	*out = m;
	return 0;
}

void mf_members_remove(struct mf_members *t, struct mf_member_record *m)
{
	uint32_t id = rec_id(t, m);
	size_t j = m->pos;
	index_del(t, m, id);
	uint32_t last = t->probe[--t->n_probe];
	t->probe[j] = last;
	rec_of(t, last)->pos = (uint32_t)j;
	t->n--;
	changed(t);
	rec_release(t, m, id);
}

size_t mf_members_sweep(struct mf_members *t, size_t probe_index)
{
	size_t kept = 0, before = 0;
	for (size_t j = 0; j < t->n_probe; j++) {
		uint32_t id = t->probe[j];
		struct mf_member_record *m = rec_of(t, id);
		if (m->doomed) {
			before += j < probe_index;
			index_del(t, m, id);
			rec_release(t, m, id);
		} else {
			m->pos = (uint32_t)kept;
			t->probe[kept++] = id;
		}
	}
	if (kept != t->n_probe)
		changed(t);
	t->n_probe = t->n = kept;
	return probe_index - before;
}

void mf_members_shuffle(struct mf_members *t, struct mf_rng *rng)
{
	for (size_t i = t->n_probe; i > 1; i--) {
		size_t j = mf_rng_below(rng, (uint32_t)i);
		uint32_t tmp = t->probe[i - 1];
		t->probe[i - 1] = t->probe[j];
		t->probe[j] = tmp;
	}
	for (size_t i = 0; i < t->n_probe; i++)
		rec_of(t, t->probe[i])->pos = (uint32_t)i;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct mf_member_record *x = *(const struct mf_member_record *const *)a;
	const struct mf_member_record *y = *(const struct mf_member_record *const *)b;
	return mf_members_cmp_name(x->ident->name, x->ident->name_len, y->ident->name,
				   y->ident->name_len);
}

const struct mf_member_record *mf_members_at(const struct mf_members *t, size_t i)
{
	if (i >= t->n)
		return NULL;
	/* The cache lives behind a pointer (allocated by the first add), so
	 * a const table can fill it. */
	struct mf_members_order *o = t->order;
	if (!o->valid) {
		if (o->cap < t->n) {
			struct mf_member_record **a = realloc(o->by_name, t->n * sizeof(*a));
			if (a == NULL)
				return NULL;
			o->by_name = a;
			o->cap = t->n;
		}
		for (size_t k = 0; k < t->n; k++)
			o->by_name[k] = rec_of(t, t->probe[k]);
		qsort(o->by_name, t->n, sizeof(*o->by_name), cmp_rec);
		o->valid = true;
	}
	return o->by_name[i];
}

_Static_assert(sizeof(void *) != 8 || sizeof(struct mf_member_record) == 32,
	       "a member record is 32 bytes on LP64: N pools hold N of them each");
_Static_assert(offsetof(struct mf_member_ident, name) == 29 && _Alignof(struct mf_member_ident) <= 8,
	       "an identity's header packs, and interned bytes are 8-aligned");
