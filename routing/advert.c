/*
 * routing/advert.c — advertisement codec: ownership, checks and encoding
 * (decoding: routing/advert_decode.c; reassembly: routing/advert_asm.c).
 * The wire format is drawn in advert.h; docs/routing.md explains the choice
 * of self-contained fragments over deltas.
 */
#include "routing/advert.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/mp.h"
#include "routing/advert_internal.h"
#include "routing/names.h"

/* --- ownership helpers -------------------------------------------------- */

void mf_gateway_free(struct mf_gateway *g)
{
	if (!g)
		return;
	free(g->name);
	free(g->lan);
	free(g->wan);
	for (size_t i = 0; i < g->n_tags; i++) {
		free(g->tags[i].key);
		free(g->tags[i].addr);
	}
	free(g->tags);
	memset(g, 0, sizeof *g);
}

void mf_advert_free(struct mf_advert *a)
{
	if (!a)
		return;
	if (a->block) {
		for (size_t i = 0; i < a->n_gateways; i++)
			mf_gateway_free(&a->gateways[i]);
		free(a->gateways);
		free(a->block);
		memset(a, 0, sizeof *a);
		return;
	}
	free(a->origin);
	free(a->node);
	for (size_t i = 0; !a->names_block && i < a->n_names; i++)
		free(a->names[i]);
	free(a->names_block);
	free(a->names);
	free(a->routes);
	free(a->hops);
	for (size_t i = 0; i < a->n_gateways; i++)
		mf_gateway_free(&a->gateways[i]);
	free(a->gateways);
	free(a->dead);
	free(a->gone);
	memset(a, 0, sizeof *a);
}

static char *dup_str(const char *s)
{
	return s ? strdup(s) : strdup("");
}

int mf_gateways_copy(const struct mf_gateway *g, size_t n, struct mf_gateway **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	struct mf_gateway *c = calloc(n, sizeof *c);
	if (!c)
		return MF_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c[i].name = dup_str(g[i].name);
		c[i].lan = dup_str(g[i].lan);
		c[i].wan = dup_str(g[i].wan);
		c[i].tags = g[i].n_tags ? calloc(g[i].n_tags, sizeof *c[i].tags) : NULL;
		bool ok = c[i].name && c[i].lan && c[i].wan && (c[i].tags || !g[i].n_tags);
		if (ok) {
			c[i].n_tags = g[i].n_tags;
			for (size_t k = 0; k < g[i].n_tags && ok; k++) {
				c[i].tags[k].key = dup_str(g[i].tags[k].key);
				c[i].tags[k].addr = dup_str(g[i].tags[k].addr);
				ok = c[i].tags[k].key && c[i].tags[k].addr;
			}
		}
		if (!ok) {
			for (size_t k = 0; k <= i; k++)
				mf_gateway_free(&c[k]);
			free(c);
			return MF_ENOMEM;
		}
	}
	*out = c;
	return 0;
}

/* Printable ASCII without spaces: node names, gateway names, addresses. */
bool mf_advert__printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static bool str_ok(const char *s, size_t min)
{
	size_t n = s ? strlen(s) : 0;
	return n >= min && n <= MF_ADVERT_STR_MAX && (n == 0 || mf_advert__printable(s, n));
}

bool mf_gateway_valid(const struct mf_gateway *g)
{
	if (!str_ok(g->name, 1) || !str_ok(g->lan, 0) || !str_ok(g->wan, 0) ||
	    g->n_tags > MF_ADVERT_TAGS_MAX || (g->n_tags && !g->tags))
		return false;
	for (size_t k = 0; k < g->n_tags; k++)
		if (!str_ok(g->tags[k].key, 1) || !str_ok(g->tags[k].addr, 1))
			return false;
	return true;
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

bool mf_gateways_equal(const struct mf_gateway *a, size_t na, const struct mf_gateway *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		if (!str_eq(a[i].name, b[i].name) || !str_eq(a[i].lan, b[i].lan) ||
		    !str_eq(a[i].wan, b[i].wan) || a[i].n_tags != b[i].n_tags)
			return false;
		for (size_t k = 0; k < a[i].n_tags; k++)
			if (!str_eq(a[i].tags[k].key, b[i].tags[k].key) ||
			    !str_eq(a[i].tags[k].addr, b[i].tags[k].addr))
				return false;
	}
	return true;
}

/* --- encoding ----------------------------------------------------------- */

/* Distances travel as unsigned 0.1 ms units: 3 bytes up to 6.5 s, which
 * covers any real path, and finer than coordinate noise. */
static uint64_t dist_units(double ms)
{
	if (!(ms >= 0))
		return 0;
	double u = nearbyint(ms * 10.0);
	return u >= 4294967295.0 ? 4294967295u : (uint64_t)u;
}

/* Encoded sizes as msgpack-c writes them (smallest form), used only to plan
 * fragments; the final encode is checked against the budget. */
static size_t sz_uint(uint64_t v)
{
	return v < 128 ? 1 : v < 256 ? 2 : v < 65536 ? 3 : v <= 0xffffffffu ? 5 : 9;
}
static size_t sz_str(size_t len)
{
	return len < 32 ? 1 + len : len < 256 ? 2 + len : len < 65536 ? 3 + len : 5 + len;
}
static size_t sz_hdr(size_t n)
{
	return n < 16 ? 1 : n < 65536 ? 3 : 5;
}

static int pack_str(msgpack_packer *pk, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	if (msgpack_pack_str(pk, len) < 0 || msgpack_pack_str_body(pk, s ? s : "", len) < 0)
		return MF_ENOMEM;
	return 0;
}

static int pack_key(msgpack_packer *pk, const char *k)
{
	return pack_str(pk, k);
}

static int pack_gateway(msgpack_packer *pk, const struct mf_gateway *g)
{
	int rc = 0;
	if (msgpack_pack_array(pk, 4) < 0)
		return MF_ENOMEM;
	if ((rc = pack_str(pk, g->name)) || (rc = pack_str(pk, g->lan)) || (rc = pack_str(pk, g->wan)))
		return rc;
	if (msgpack_pack_map(pk, g->n_tags) < 0)
		return MF_ENOMEM;
	for (size_t i = 0; i < g->n_tags; i++)
		if ((rc = pack_str(pk, g->tags[i].key)) || (rc = pack_str(pk, g->tags[i].addr)))
			return rc;
	return 0;
}

static size_t gateway_size(const struct mf_gateway *g)
{
	size_t s = 1 + sz_str(g->name ? strlen(g->name) : 0) + sz_str(g->lan ? strlen(g->lan) : 0) +
		   sz_str(g->wan ? strlen(g->wan) : 0) + sz_hdr(g->n_tags);
	for (size_t i = 0; i < g->n_tags; i++)
		s += sz_str(strlen(g->tags[i].key)) + sz_str(strlen(g->tags[i].addr));
	return s;
}

/* Per-fragment name table: global name index -> local index. */
struct local_names {
	uint32_t *local;  /* valid when stamp[i] == gen */
	uint32_t *stamp;
	uint32_t gen;
	uint32_t n;
	uint32_t *order;  /* local index -> global index */
};

static void ln_reset(struct local_names *ln)
{
	ln->gen++;
	ln->n = 0;
}

/* Local index of global name g, adding it; *added = bytes the table grew. */
static uint32_t ln_get(struct local_names *ln, const struct mf_advert *a, uint32_t g, size_t *added)
{
	if (ln->stamp[g] == ln->gen)
		return ln->local[g];
	ln->stamp[g] = ln->gen;
	ln->local[g] = ln->n;
	ln->order[ln->n] = g;
	if (added)
		*added += sz_str(strlen(a->names[g]));
	return ln->n++;
}

static size_t route_size(struct local_names *ln, const struct mf_advert *a, const struct mf_advert_route *r)
{
	size_t s = sz_hdr(3 + r->n_hops), names = 0;
	s += sz_uint(ln_get(ln, a, r->target, &names));
	s += sz_uint(dist_units(r->distance_ms));
	s += sz_uint(r->epoch);
	for (uint32_t k = 0; k < r->n_hops; k++)
		s += sz_uint(ln_get(ln, a, a->hops[r->hops_off + k], &names));
	return s + names;
}

static size_t dead_size(struct local_names *ln, const struct mf_advert *a, const struct mf_advert_dead *d)
{
	size_t names = 0;
	size_t s = 1 + sz_uint(ln_get(ln, a, d->dc, &names)) + sz_uint(d->epoch);
	return s + names;
}

static size_t header_size(const struct mf_advert *a)
{
	/* map(10) + 10 one-letter keys; "f" sized for the largest index/count;
	 * list headers for d, r, g, k at their 3-byte form. */
	return 1 + 10 * 2 + 1 + sz_str(strlen(a->origin)) + sz_str(strlen(a->node)) +
	       sz_uint(a->seq) + 1 + (1 + 3 + 3) + 4 * 3;
}

bool mf_advert__route_ok(const struct mf_advert *a, const struct mf_advert_route *r)
{
	if (r->target >= a->n_names || r->n_hops > MF_ADVERT_HOPS_MAX ||
	    r->hops_off > a->n_hops || r->n_hops > a->n_hops - r->hops_off)
		return false;
	for (uint32_t k = 0; k < r->n_hops; k++)
		if (a->hops[r->hops_off + k] >= a->n_names)
			return false;
	return isfinite(r->distance_ms) && r->distance_ms >= 0;
}

bool mf_advert__indexes_ok(const struct mf_advert *a)
{
	for (size_t i = 0; i < a->n_gone; i++)
		if (a->gone[i] >= a->n_names)
			return false;
	for (size_t i = 0; i < a->n_routes; i++)
		if (!mf_advert__route_ok(a, &a->routes[i]))
			return false;
	for (size_t i = 0; i < a->n_dead; i++)
		if (a->dead[i].dc >= a->n_names)
			return false;
	return true;
}

/* Item ranges of one fragment: gateways, tombstones, routes. */
struct frag_range {
	size_t g0, g1, k0, k1, r0, r1;
};

static int encode_one(msgpack_sbuffer *out, const struct mf_advert *a, struct local_names *ln,
		      const struct frag_range *fr, uint32_t idx, uint32_t count)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	int rc;
	size_t g0 = fr->g0, g1 = fr->g1, r0 = fr->r0, r1 = fr->r1;

	/* Local name table first, so "d" can be written before "r" and "k". */
	ln_reset(ln);
	for (size_t i = fr->k0; i < fr->k1; i++)
		(void)dead_size(ln, a, &a->dead[i]);
	for (size_t i = r0; i < r1; i++)
		(void)route_size(ln, a, &a->routes[i]);
	for (size_t i = 0; i < a->n_gone; i++)
		(void)ln_get(ln, a, a->gone[i], NULL);

	bool has_g = g1 > g0, has_k = fr->k1 > fr->k0, delta = a->base_seq != 0;
	bool since = delta && a->since_base; /* "s" (advert_delta.h): deltas only */
	/* Version 3 (advert.h): the base as a difference, no "x" and "f", "w"
	 * only when it lists something; version 2 for agents before it. */
	bool v3 = delta && !a->delta_v2 && a->base_seq < a->seq;
	bool has_w = delta && (!v3 || a->n_gone > 0), xf = !v3;
	uint8_t version = v3 ? MF_ADVERT_VERSION_DELTA3 : delta ? MF_ADVERT_VERSION_DELTA : MF_ADVERT_VERSION;
	if (msgpack_pack_map(&pk, 6 + 2 * xf + has_g + has_k + delta + has_w + since) < 0)
		return MF_ENOMEM;
	if ((rc = pack_key(&pk, "v")) || msgpack_pack_uint8(&pk, version) < 0)
		return rc ? rc : MF_ENOMEM;
	if (delta && ((rc = pack_key(&pk, v3 ? "c" : "b")) ||
		      msgpack_pack_uint64(&pk, v3 ? a->seq - a->base_seq : a->base_seq) < 0))
		return rc ? rc : MF_ENOMEM;
	if (has_w) {
		if ((rc = pack_key(&pk, "w")) || msgpack_pack_array(&pk, a->n_gone) < 0)
			return rc ? rc : MF_ENOMEM;
		for (size_t i = 0; i < a->n_gone; i++)
			if (msgpack_pack_uint32(&pk, ln->local[a->gone[i]]) < 0)
				return MF_ENOMEM;
	}
	if (since && ((rc = pack_key(&pk, "s")) || msgpack_pack_true(&pk) < 0))
		return rc ? rc : MF_ENOMEM;
	if ((rc = pack_key(&pk, "o")) || (rc = pack_str(&pk, a->origin)))
		return rc;
	if ((rc = pack_key(&pk, "n")) || (rc = pack_str(&pk, a->node)))
		return rc;
	if ((rc = pack_key(&pk, "q")) || msgpack_pack_uint64(&pk, a->seq) < 0)
		return rc ? rc : MF_ENOMEM;
	if (xf && ((rc = pack_key(&pk, "x")) ||
		   (a->transit ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)) < 0))
		return rc ? rc : MF_ENOMEM;
	if (xf && ((rc = pack_key(&pk, "f")) || msgpack_pack_array(&pk, 2) < 0 ||
		   msgpack_pack_uint32(&pk, idx) < 0 || msgpack_pack_uint32(&pk, count) < 0))
		return rc ? rc : MF_ENOMEM;
	if ((rc = pack_key(&pk, "d")) || msgpack_pack_array(&pk, ln->n) < 0)
		return rc ? rc : MF_ENOMEM;
	for (uint32_t i = 0; i < ln->n; i++)
		if ((rc = pack_str(&pk, a->names[ln->order[i]])))
			return rc;
	if ((rc = pack_key(&pk, "r")) || msgpack_pack_array(&pk, r1 - r0) < 0)
		return rc ? rc : MF_ENOMEM;
	for (size_t i = r0; i < r1; i++) {
		const struct mf_advert_route *r = &a->routes[i];
		if (msgpack_pack_array(&pk, 3 + r->n_hops) < 0 ||
		    msgpack_pack_uint32(&pk, ln->local[r->target]) < 0 ||
		    msgpack_pack_uint64(&pk, dist_units(r->distance_ms)) < 0 ||
		    msgpack_pack_uint64(&pk, r->epoch) < 0)
			return MF_ENOMEM;
		for (uint32_t k = 0; k < r->n_hops; k++)
			if (msgpack_pack_uint32(&pk, ln->local[a->hops[r->hops_off + k]]) < 0)
				return MF_ENOMEM;
	}
	if (has_g) {
		if ((rc = pack_key(&pk, "g")) || msgpack_pack_array(&pk, g1 - g0) < 0)
			return rc ? rc : MF_ENOMEM;
		for (size_t i = g0; i < g1; i++)
			if ((rc = pack_gateway(&pk, &a->gateways[i])))
				return rc;
	}
	if (has_k) {
		if ((rc = pack_key(&pk, "k")) || msgpack_pack_array(&pk, fr->k1 - fr->k0) < 0)
			return rc ? rc : MF_ENOMEM;
		for (size_t i = fr->k0; i < fr->k1; i++)
			if (msgpack_pack_array(&pk, 2) < 0 || msgpack_pack_uint32(&pk, ln->local[a->dead[i].dc]) < 0 ||
			    msgpack_pack_uint64(&pk, a->dead[i].epoch) < 0)
				return MF_ENOMEM;
	}
	return 0;
}

static int check_encodable(const struct mf_advert *a)
{
	if (!a->origin || !mf_rt_name_valid(a->origin, strlen(a->origin)) || !a->node ||
	    strlen(a->node) == 0 || strlen(a->node) > MF_ADVERT_STR_MAX ||
	    a->n_gateways > MF_ADVERT_GATEWAYS_MAX || a->n_names > MF_RT_NAMES_MAX)
		return MF_EINVAL;
	for (size_t i = 0; i < a->n_names; i++)
		if (!a->names[i] || !mf_rt_name_valid(a->names[i], strlen(a->names[i])))
			return MF_EINVAL;
	for (size_t i = 0; i < a->n_routes; i++)
		if (!mf_advert__route_ok(a, &a->routes[i]))
			return MF_EINVAL;
	for (size_t i = 0; i < a->n_gateways; i++)
		if (a->gateways[i].n_tags > MF_ADVERT_TAGS_MAX)
			return MF_EINVAL;
	for (size_t i = 0; i < a->n_gone; i++)
		if (a->gone[i] >= a->n_names)
			return MF_EINVAL;
	for (size_t i = 0; i < a->n_dead; i++)
		if (a->dead[i].dc >= a->n_names)
			return MF_EINVAL;
	return 0;
}

static int ln_init(struct local_names *ln, size_t n)
{
	memset(ln, 0, sizeof *ln);
	size_t m = n ? n : 1;
	ln->local = malloc(m * sizeof *ln->local);
	ln->stamp = calloc(m, sizeof *ln->stamp);
	ln->order = malloc(m * sizeof *ln->order);
	if (!ln->local || !ln->stamp || !ln->order) {
		free(ln->local);
		free(ln->stamp);
		free(ln->order);
		return MF_ENOMEM;
	}
	return 0;
}

static void ln_free(struct local_names *ln)
{
	free(ln->local);
	free(ln->stamp);
	free(ln->order);
}

int mf_advert__entry_sizes(const struct mf_advert *a, size_t *sizes)
{
	struct local_names ln;
	int rc = ln_init(&ln, a->n_names);
	if (rc < 0)
		return rc;
	/* encode_one's order: tombstones, routes, withdrawn targets */
	ln_reset(&ln);
	for (size_t i = 0; i < a->n_dead; i++)
		(void)dead_size(&ln, a, &a->dead[i]);
	for (size_t i = 0; i < a->n_routes; i++)
		sizes[i] = route_size(&ln, a, &a->routes[i]);
	for (size_t i = 0; i < a->n_gone; i++) {
		size_t names = 0;
		sizes[a->n_routes + i] = sz_uint(ln_get(&ln, a, a->gone[i], &names)) + names;
	}
	ln_free(&ln);
	return 0;
}

int mf_advert_encode_full(msgpack_sbuffer *out, const struct mf_advert *a)
{
	int rc = check_encodable(a);
	if (rc < 0)
		return rc;
	struct local_names ln;
	if ((rc = ln_init(&ln, a->n_names)) < 0)
		return rc;
	struct frag_range fr = {0, a->n_gateways, 0, a->n_dead, 0, a->n_routes};
	rc = encode_one(out, a, &ln, &fr, 0, 1);
	ln_free(&ln);
	return rc;
}

void mf_advert_frags_free(struct mf_advert_frags *f)
{
	for (size_t i = 0; i < f->n; i++)
		msgpack_sbuffer_destroy(&f->bufs[i]);
	free(f->bufs);
	f->bufs = NULL;
	f->n = 0;
}

static size_t clampz(size_t x, size_t lo, size_t hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/*
 * Greedy packing: gateways first (a DC has few), tombstones, then routes in the given
 * order, each fragment filled until the next item with the names it would
 * add no longer fits. Items are never split, so each fragment decodes on
 * its own.
 */
int mf_advert_encode_frags(const struct mf_advert *a, size_t max_bytes, struct mf_advert_frags *out)
{
	memset(out, 0, sizeof *out);
	int rc = check_encodable(a);
	if (rc < 0)
		return rc;
	size_t head = header_size(a);
	if (max_bytes <= head)
		return MF_ETOOBIG;
	size_t budget = max_bytes - head;
	size_t G = a->n_gateways, K = a->n_dead;
	size_t n_items = G + K + a->n_routes;
	size_t *starts = malloc((n_items + 2) * sizeof *starts);
	struct local_names ln;
	if (!starts)
		return MF_ENOMEM;
	if ((rc = ln_init(&ln, a->n_names)) < 0) {
		free(starts);
		return rc;
	}
	size_t n_frags = 1, used = 0, in_frag = 0;
	starts[0] = 0;
	ln_reset(&ln);
	for (size_t i = 0; i < n_items; i++) {
		size_t s = i < G ? gateway_size(&a->gateways[i])
			 : i < G + K ? dead_size(&ln, a, &a->dead[i - G])
				     : route_size(&ln, a, &a->routes[i - G - K]);
		if (used + s > budget && in_frag > 0) {
			/* Start a new fragment; the names this item added to the
			 * full one are forgotten with it. */
			starts[n_frags++] = i;
			ln_reset(&ln);
			used = 0;
			in_frag = 0;
			s = i < G ? gateway_size(&a->gateways[i])
			  : i < G + K ? dead_size(&ln, a, &a->dead[i - G])
				      : route_size(&ln, a, &a->routes[i - G - K]);
		}
		if (s > budget || n_frags > MF_ADVERT_FRAGS_MAX) {
			rc = MF_ETOOBIG;
			goto out;
		}
		used += s;
		in_frag++;
	}
	starts[n_frags] = n_items;
	out->bufs = calloc(n_frags, sizeof *out->bufs);
	if (!out->bufs) {
		rc = MF_ENOMEM;
		goto out;
	}
	out->n = n_frags;
	for (size_t f = 0; f < n_frags; f++)
		msgpack_sbuffer_init(&out->bufs[f]);
	for (size_t f = 0; f < n_frags; f++) {
		size_t lo = starts[f], hi = starts[f + 1];
		struct frag_range fr = {
			clampz(lo, 0, G), clampz(hi, 0, G),
			clampz(lo, G, G + K) - G, clampz(hi, G, G + K) - G,
			clampz(lo, G + K, n_items) - G - K, clampz(hi, G + K, n_items) - G - K,
		};
		rc = encode_one(&out->bufs[f], a, &ln, &fr, (uint32_t)f, (uint32_t)n_frags);
		if (rc == 0 && out->bufs[f].size > max_bytes)
			rc = MF_ETOOBIG; /* the plan is conservative; never expected */
		if (rc < 0)
			goto out;
	}
out:
	if (rc < 0)
		mf_advert_frags_free(out);
	ln_free(&ln);
	free(starts);
	return rc;
}
