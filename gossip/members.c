/* gossip/members.c — see gossip/members.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/members.h"
#include "gossip/name_hash.h"

/* The name order and the change journal: behind a pointer (allocated by
 * the first add) so that readers of a const table can fill them. */
struct mf_members_order {
	struct mf_member_record **by_name; /* sorted by name when valid */
	size_t cap;
	bool valid;
	uint64_t builds;       /* full sorts (tests: a join must not cause one) */
	/* The journal, off until a reader asks for its position: */
	bool journal_on;
	uint64_t seq;          /* changes recorded so far */
	char **names;          /* MF_MEMBERS_JOURNAL: change k's name at k % size; NULL: lost */
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

/* --- the change journal ------------------------------------------------------*/

static void note(const struct mf_members *t, const char *name, size_t len)
{
	struct mf_members_order *o = t->order;
	if (o == NULL || !o->journal_on)
		return;
	uint64_t k = o->seq++;
	if (o->names == NULL) /* no memory for the ring: every change is lost */
		return;
	char **slot = &o->names[k % MF_MEMBERS_JOURNAL];
	free(*slot);
	*slot = strndup(name, len); /* NULL: readers see the change as lost */
}

void mf_members_note(const struct mf_members *t, const char *name)
{
	note(t, name, strlen(name));
}

uint64_t mf_members_journal_seq(const struct mf_members *t)
{
	struct mf_members_order *o = t->order;
	if (o == NULL)
		return UINT64_MAX; /* no record yet, so no journal: ask again */
	o->journal_on = true;
	/* the ring is allocated when a reader comes: a simulator's pools have none */
	if (o->names == NULL)
		o->names = calloc(MF_MEMBERS_JOURNAL, sizeof(*o->names));
	return o->seq;
}

const char *mf_members_journal_name(const struct mf_members *t, uint64_t seq)
{
	const struct mf_members_order *o = t->order;
	if (o == NULL || o->names == NULL || seq >= o->seq || o->seq - seq > MF_MEMBERS_JOURNAL)
		return NULL;
	return o->names[seq % MF_MEMBERS_JOURNAL];
}

/* --- the name order, kept sorted through adds and removes -------------------*/

static int cmp_rec(const void *a, const void *b)
{
	const struct mf_member_record *x = *(const struct mf_member_record *const *)a;
	const struct mf_member_record *y = *(const struct mf_member_record *const *)b;
	return mf_members_cmp_name(x->ident->name, x->ident->name_len, y->ident->name,
				   y->ident->name_len);
}

/* The first position of o's n records whose name is not before m's. */
static size_t order_lower(const struct mf_members_order *o, size_t n, const struct mf_member_record *m)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_rec(&o->by_name[mid], &m) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* m joined the table (t->n counts it): an O(log n) search and a memmove
 * of pointers instead of the O(n log n) sort of every name per join. */
static void order_insert(struct mf_members *t, struct mf_member_record *m)
{
	struct mf_members_order *o = t->order;
	if (!o->valid)
		return;
	if (mf_grow(&o->by_name, &o->cap, t->n, 64) != 0) {
		o->valid = false; /* sorted again at the next read */
		return;
	}
	size_t n = t->n - 1, at = order_lower(o, n, m);
	memmove(o->by_name + at + 1, o->by_name + at, (n - at) * sizeof(*o->by_name));
	o->by_name[at] = m;
}

/* m is leaving the table (t->n still counts it). */
static void order_remove(struct mf_members *t, const struct mf_member_record *m)
{
	struct mf_members_order *o = t->order;
	if (!o->valid)
		return;
	size_t at = order_lower(o, t->n, m);
	if (at >= t->n || o->by_name[at] != m) {
		o->valid = false;
		return;
	}
	memmove(o->by_name + at, o->by_name + at + 1, (t->n - at - 1) * sizeof(*o->by_name));
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
	t->n_removed++;
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

/* Whether identity d is that of name and `in` (NULL: zeros), byte for byte
 * what ident_get would intern. */
static bool ident_same(const struct mf_member_ident *d, const char *name, size_t len,
		       const struct mf_ident_in *in)
{
	static const struct mf_ident_in zero;
	if (in == NULL)
		in = &zero;
	size_t ip_len = in->addr.ip_len <= sizeof(d->addr.ip) ? in->addr.ip_len : 0;
	return d->name_len == len && memcmp(d->name, name, len) == 0 &&
	       d->meta_len == in->meta_len && d->addr.ip_len == ip_len &&
	       memcmp(d->addr.ip, in->addr.ip, ip_len) == 0 && d->addr.port == in->addr.port &&
	       memcmp(d->vsn, in->vsn, MF_VSN_LEN) == 0 &&
	       (in->meta_len == 0 || memcmp(d->name + len + 1, in->meta, in->meta_len) == 0);
}

/* ident_get through the memo of name id nid: the identity the last table
 * made for this name, when it is the same, is taken without building and
 * hashing it again (a simulator's N pools each add every member). */
static int ident_get_memo(struct mf_members *t, uint32_t nid, const char *name, size_t len,
			  const struct mf_ident_in *in, const struct mf_member_ident **out)
{
	struct mf_intern_memo *memo = mf_intern_memo(t->strs, nid);
	if (memo != NULL && memo->ident != NULL &&
	    ident_same((const struct mf_member_ident *)(const void *)memo->ident, name, len, in) &&
	    mf_intern_ref(memo->ident) == 0) {
		*out = (const struct mf_member_ident *)(const void *)memo->ident;
		return 0;
	}
	int rc = ident_get(t, name, len, in, out);
	if (rc == 0 && (memo = mf_intern_memo(t->strs, nid)) != NULL)
		mf_intern_memo_ident(t->strs, memo, (const char *)*out);
	return rc;
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
	if ((rc = ident_get_memo(t, m->name_id, m->ident->name, m->ident->name_len, in, &d)) != 0)
		return rc;
	mf_intern_put(t->strs, (const char *)m->ident);
	m->ident = d;
	note(t, d->name, d->name_len);
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
	if (t->order != NULL) {
		free(t->order->by_name);
		for (size_t k = 0; t->order->names != NULL && k < MF_MEMBERS_JOURNAL; k++)
			free(t->order->names[k]);
		free(t->order->names);
	}
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
	uint32_t nid;
	if ((rc = mf_name_ids_get(ids_of(t), name, len, mf_name_hash(name, len), &nid)) != 0)
		return rc;
	if ((rc = ident_get_memo(t, nid, name, len, in, &d)) != 0) {
		mf_name_ids_put(ids_of(t), nid);
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
	order_insert(t, m);
	note(t, name, len);
	*out = m;
	return 0;
}

void mf_members_remove(struct mf_members *t, struct mf_member_record *m)
{
	uint32_t id = rec_id(t, m);
	size_t j = m->pos;
	index_del(t, m, id);
	order_remove(t, m);
	note(t, m->ident->name, m->ident->name_len);
	uint32_t last = t->probe[--t->n_probe];
	t->probe[j] = last;
	rec_of(t, last)->pos = (uint32_t)j;
	t->n--;
	rec_release(t, m, id);
}

size_t mf_members_sweep(struct mf_members *t, size_t probe_index)
{
	size_t kept = 0, before = 0;
	struct mf_members_order *o = t->order;
	if (o != NULL && o->valid) { /* the survivors keep their order: O(n) */
		size_t k = 0;
		for (size_t i = 0; i < t->n; i++)
			if (!o->by_name[i]->doomed)
				o->by_name[k++] = o->by_name[i];
	}
	for (size_t j = 0; j < t->n_probe; j++) {
		uint32_t id = t->probe[j];
		struct mf_member_record *m = rec_of(t, id);
		if (m->doomed) {
			before += j < probe_index;
			note(t, m->ident->name, m->ident->name_len);
			index_del(t, m, id);
			rec_release(t, m, id);
		} else {
			m->pos = (uint32_t)kept;
			t->probe[kept++] = id;
		}
	}
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
		o->builds++;
	}
	return o->by_name[i];
}

uint64_t mf_members_order_builds(const struct mf_members *t)
{
	return t->order != NULL ? t->order->builds : 0;
}

_Static_assert(sizeof(void *) != 8 || sizeof(struct mf_member_record) == 32,
	       "a member record is 32 bytes on LP64: N pools hold N of them each");
_Static_assert(offsetof(struct mf_member_ident, name) == 29 && _Alignof(struct mf_member_ident) <= 8,
	       "an identity's header packs, and interned bytes are 8-aligned");
