/*
 * routing/engine_adverts.c — epochs, tombstones and received advertisements
 * stored per origin (engine_internal.h; contract in engine.h).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/name_hash.h"
#include "routing/engine_internal.h"

/* Records that DC id is dead in incarnations <= epoch: drops every stored
 * route reaching such an incarnation. A tombstone about ourselves is
 * refuted, as SWIM refutes a suspicion: we move to a newer incarnation. */
void mf_rt__raise_dead(struct mf_routing *r, uint32_t id, uint64_t epoch)
{
	if (id == r->self) {
		if (epoch >= r->epoch) {
			r->epoch = r->fe_self = epoch + 1; /* a new incarnation */
			r->epoch_at = r->now;
			r->snap.n = 0; /* re-advertise with the new incarnation */
			mf_rt__mark(r, id);
		}
		return;
	}
	if (epoch == UINT64_MAX || epoch + 1 <= r->alive_from[id])
		return;
	r->alive_from[id] = epoch + 1;
	r->dead_gen++;
	mf_rt__mark(r, id); /* its candidates below are all routes to id */
	for (uint32_t h = 0; h < r->names.n; h++) {
		struct rt_origin *o = &r->orig[h];
		for (uint32_t k = 0; o->present && k < o->n_e; k++)
			if (o->tgt[k] == id && o->e[k].epoch <= epoch)
				o->dst[k] = INFINITY;
	}
}

/* A DC that lost its link to t and went to a route at a newer epoch would
 * otherwise keep its tombstone to itself: a neighbour whose state still
 * carries t at the dead epoch (epochs travel in beats) never learns that
 * its shorter route is refused, and it waits for that neighbour's beat,
 * which reaches a given server at random (docs/routing.md). Told, the
 * neighbour sends a state with the newer epoch at once (refresh_snapshot). */
bool mf_rt__tomb_refuses(const struct mf_routing *r, uint32_t t, double dist)
{
	for (uint32_t h = 0; h < r->names.n; h++) {
		const struct rt_origin *o = &r->orig[h];
		if (!mf_rt__usable_neighbour(r, h) || t >= o->n_pos || o->pos[t] == NONE)
			continue;
		const struct rt_entry *x = &o->e[o->pos[t]];
		if (!x->loops && x->target != h && x->epoch < r->alive_from[t] &&
		    r->link[h].dist + x->dist < dist)
			return true;
	}
	return false;
}

/* With beats, the servers of a DC share one epoch: each takes the highest
 * another one advertises (a plausible jump only), so a beat of any of them
 * raises what every other DC hears and none falls behind. */
void mf_rt__own_epoch(struct mf_routing *r, const struct mf_advert *a)
{
	for (size_t i = 0; r->cfg.beat_interval && i < a->n_routes; i++) {
		const struct mf_advert_route *ar = &a->routes[i];
		if (ar->target < a->n_names && ar->n_hops == 0 && strcmp(a->names[ar->target], a->origin) == 0 &&
		    ar->epoch > r->epoch && ar->epoch - r->epoch <= MF_ROUTING_SEQ_JUMP_MAX)
			mf_rt__own_epoch_at(r, ar->epoch, 0);
	}
}

/* When an epoch heard `age` ago (clock units) was raised. */
static uint64_t raised_at(const struct mf_routing *r, uint64_t age)
{
	return r->now > age ? r->now - age : 0;
}

/* When `epoch`, heard with age 0, was raised, at the latest, given that
 * the origin raised `held` at `held_at`: its servers raise the epoch once
 * per beat_interval (they share one beat, mf_rt__own_epoch_at), so each
 * step is at most one interval later (cfg.rise_late more for a late
 * tick, by default 1/32 of the interval), and
 * never later than now. Age 0 is what full states and deltas give (they
 * carry no ages) and what an agent before ages sends: dated at arrival, a
 * rise heard in a delta was up to a beat period late, and each such dating
 * moved back by the next dated beat was a hurried beat, and each beat
 * dating it later was answered (docs/routing.md, "Thinner beats"). Never
 * earlier than the true rise (which would age a live DC too soon) unless
 * the origin's beats came more than rise_late late; a first contact (nothing
 * held) or a jump (a restart) is still dated now, and an engine without
 * ages keeps dating at arrival. */
static uint64_t rise_bound(const struct mf_routing *r, uint64_t held, uint64_t held_at,
			   uint64_t epoch, uint64_t age)
{
	uint64_t bi = r->cfg.beat_interval, at = raised_at(r, age);
	if (age || !bi || !r->cfg.beat_age_unit || !r->clocked || !held || epoch <= held ||
	    held_at > r->now || epoch - held > (r->now - held_at) / bi)
		return at;
	uint64_t late = r->cfg.rise_late ? r->cfg.rise_late : bi / 32;
	uint64_t b = held_at + (epoch - held) * (bi + late);
	return b < at ? b : at;
}

/* Our DC's epoch as another server of ours holds it, raised `age` ago
 * (0: unknown, counted from now): taken when higher (the servers of a DC
 * share the highest), dated back when the same. Our next rise is one beat
 * interval after the dating: the servers of a DC then share one beat, and
 * the DC's epoch rises once an interval, not once per server and interval
 * (two servers out of phase raised it every 7.5 s, so every DC heard twice
 * the rises and twice the datings to pass on). */
void mf_rt__own_epoch_at(struct mf_routing *r, uint64_t epoch, uint64_t age)
{
	uint64_t at = rise_bound(r, r->epoch, r->epoch_at, epoch, age);
	if (epoch > r->epoch) {
		r->epoch = epoch;
		r->epoch_at = at;
		mf_rt__mark(r, r->self);
	} else if (epoch == r->epoch && at < r->epoch_at) {
		r->epoch_at = at;
	} else {
		return;
	}
	if (r->clocked)
		r->last_beat = r->epoch_at;
}

/* A stored route reaches incarnation epoch of DC id, raised `age` ago as a
 * beat dates it (0: now, as a full state, which has no ages, or an agent
 * before ages). When it is the highest heard, the DC's servers were alive
 * then (they raise it every beat), and the target ages from that rise
 * (origin ages, docs/routing.md): every DC drops a cut-off DC about
 * max_age after its last rise, however far from the cut. Between datings
 * of one epoch the earlier counts: an epoch is raised once, so a later one
 * only means a source that heard it later (a full state dates it at its
 * arrival); and after a cut every epoch of the far side was on our side
 * before it, so the earliest dating, spreading beat by beat, is at most the
 * cut. (Keeping the previous dating for a rise heard only in a full state
 * was tried: rises outran dated beats in a cold start and live DCs went
 * stale, ~10,000 routes lost at 200 DCs.) A caller that raises marks the
 * engine dirty; a dating moved back brings the next expiry forward here. */
void mf_rt__heard_epoch(struct mf_routing *r, uint32_t id, uint64_t epoch, uint64_t age)
{
	if (id == r->self)
		return;
	uint64_t at = rise_bound(r, r->beat[id], r->beat_at[id], epoch, age);
	/* A dating moved back (the same epoch, or a newer one dated before
	 * the one held: ours came late, in a full state) is passed on at
	 * once by a hurried beat: across a region that heard the target only
	 * in full states, it would otherwise move one neighbour per beat
	 * period ("Hurried beats", docs/routing.md). With relay_rises a rise
	 * goes the same way ("Thinner beats"). */
	bool seen = r->cfg.hurry_min && r->beat[id] && epoch >= r->beat[id];
	bool back = seen && at + r->cfg.hurry_min <= r->beat_at[id];
	bool rise = seen && r->cfg.relay_rises && epoch > r->beat[id];
	if ((back || rise) && r->hurry[id] != HURRY_BACK) {
		r->n_hurry += !r->hurry[id];
		r->n_hurry_back += back;
		r->hurry[id] = back ? HURRY_BACK : HURRY_RISE;
	}
	if (epoch > r->beat[id]) {
		r->beat[id] = epoch;
		r->beat_at[id] = at;
	} else if (epoch == r->beat[id] && at < r->beat_at[id]) {
		r->beat_at[id] = at;
		if (mf_rt__stale(r, id))
			mf_rt__mark(r, id);
		else if (r->cfg.max_age && at + r->cfg.max_age + 1 < r->next_expiry)
			r->next_expiry = at + r->cfg.max_age + 1;
	}
}



/* Maps the advertisement's name indexes to ids, interning only the names
 * its routes use. */
static int map_name(struct mf_routing *r, uint32_t origin, const struct mf_advert *a, uint32_t *map,
		    uint32_t idx, uint32_t *id)
{
	if (idx >= a->n_names)
		return MF_EMALFORMED;
	const struct rt_origin *o = &r->orig[origin];
	if (map[idx] == NONE && idx < o->n_hint && o->hint[idx] != NONE &&
	    strcmp(r->names.names[o->hint[idx]], a->names[idx]) == 0)
		map[idx] = o->hint[idx];
	if (map[idx] == NONE) {
		int rc = mf_rt__intern(r, a->names[idx], &map[idx]);
		if (rc < 0)
			return rc == MF_EINVAL ? MF_EMALFORMED : rc;
	}
	*id = map[idx];
	return 0;
}

/* Whether seq may replace what we hold for origin id (see engine.h). */
static bool seq_plausible(const struct mf_routing *r, uint32_t id, uint64_t seq)
{
	uint64_t held = 0;
	if (id == r->self)
		held = r->seq > r->seq_floor ? r->seq : r->seq_floor;
	else if (id != NONE && id < r->cap && r->orig[id].present)
		held = r->orig[id].seq;
	if (!held)
		return seq <= MF_ROUTING_SEQ_MAX;
	return seq <= held || seq - held <= MF_ROUTING_SEQ_JUMP_MAX;
}

/* Another server's advertisement of our DC: when it is the newest we know
 * of, its next hops become the DC's shared choice. */
static int set_reference(struct mf_routing *r, const struct mf_advert *a)
{
	if (!seq_plausible(r, r->self, a->seq))
		return MF_ESTATE; /* would push our own seq out of reach */
	if (a->seq > r->seq_floor)
		r->seq_floor = a->seq;
	/* The newest advertisement of the DC: highest seq, then the node name
	 * that sorts last, as for other origins. */
	if (a->seq < r->seq || (a->seq == r->seq && strcmp(a->node, r->node) <= 0) ||
	    (r->ref_set && (a->seq < r->ref_seq || (a->seq == r->ref_seq && strcmp(a->node, r->ref_node) <= 0))))
		return 0;
	uint32_t *map = a->n_names ? malloc(a->n_names * sizeof *map) : NULL;
	uint32_t *tgt = a->n_routes ? malloc(a->n_routes * sizeof *tgt) : NULL;
	uint32_t *nh = a->n_routes ? malloc(a->n_routes * sizeof *nh) : NULL;
	char *node = strdup(a->node);
	int rc = (a->n_names && !map) || (a->n_routes && (!tgt || !nh)) || !node ? MF_ENOMEM : 0;
	for (size_t i = 0; rc == 0 && i < a->n_names; i++)
		map[i] = NONE;
	for (size_t i = 0; rc == 0 && i < a->n_routes; i++) {
		const struct mf_advert_route *ar = &a->routes[i];
		if (ar->hops_off > a->n_hops || ar->n_hops > a->n_hops - ar->hops_off) {
			rc = MF_EMALFORMED;
			break;
		}
		if ((rc = map_name(r, r->self, a, map, ar->target, &tgt[i])) < 0)
			break;
		nh[i] = tgt[i];
		if (ar->n_hops)
			rc = map_name(r, r->self, a, map, a->hops[ar->hops_off], &nh[i]);
	}
	if (rc == 0) {
		/* Targets whose shared choice moved are recomputed; the array
		 * keeps its values while no reference is set, so compare what
		 * choose() read. */
		for (uint32_t t = 0; t < r->cap; t++) {
			if (r->ref_set && r->ref_nh[t] != NONE)
				mf_rt__mark(r, t);
			r->ref_nh[t] = NONE;
			r->ref_dist[t] = NAN;
		}
		for (size_t i = 0; i < a->n_routes; i++)
			if (tgt[i] != r->self && nh[i] != r->self) {
				r->ref_nh[tgt[i]] = nh[i];
				mf_rt__mark(r, tgt[i]);
				if (a->routes[i].n_hops == 0) /* direct */
					r->ref_dist[tgt[i]] = a->routes[i].distance_ms;
			}
		free(r->ref_node);
		r->ref_node = node;
		node = NULL;
		r->ref_seq = a->seq;
		r->ref_set = true;
		r->dirty = true;
	}
	free(map);
	free(tgt);
	free(nh);
	free(node);
	return rc;
}

/* Names compare as strings and a fragment may list one twice, so the
 * path checks compare canonical indexes: each index maps to the first one
 * with the same string (a hash table of indexes, size a power of two). The
 * checks were string compares per hop against the origin, the target and
 * every earlier hop, and a scan of every earlier route per route: a tenth
 * of meshfed-sim's CPU at 100 DCs x 2. Each slot keeps its name's hash
 * (slot_h), compared before the strings: the probes' strcmp were half of
 * the run's. Returns the origin's canonical index, NONE when no name is
 * the origin. */
static uint32_t canon_names(const struct mf_advert *a, uint32_t *canon, uint32_t *slot, uint32_t *slot_h,
			    uint32_t size)
{
	for (uint32_t k = 0; k < size; k++)
		slot[k] = NONE;
	for (uint32_t i = 0; i <= a->n_names; i++) {
		const char *s = i < a->n_names ? a->names[i] : a->origin;
		uint64_t h64 = mf_name_hash(s, strlen(s));
		uint32_t h = (uint32_t)(h64 >> 32), k = (uint32_t)h64 & (size - 1);
		while (slot[k] != NONE && (slot_h[k] != h || strcmp(a->names[slot[k]], s) != 0))
			k = (k + 1) & (size - 1);
		if (i == a->n_names)
			return slot[k];
		if (slot[k] == NONE) {
			slot[k] = i;
			slot_h[k] = h;
		}
		canon[i] = slot[k];
	}
	return NONE;
}

static int check_routes(const struct mf_advert *a, uint32_t *buf, uint32_t size)
{
	uint32_t n = (uint32_t)a->n_names;
	uint32_t *canon = buf, *tmark = buf + n, *hmark = buf + 2 * (size_t)n, *slot = buf + 3 * (size_t)n;
	uint32_t oc = canon_names(a, canon, slot, slot + size, size);
	memset(tmark, 0, 2 * (size_t)n * sizeof *buf);
	for (size_t i = 0; i < a->n_dead; i++)
		if (a->dead[i].dc >= n)
			return MF_EMALFORMED;
	for (size_t i = 0; i < a->n_routes; i++) {
		const struct mf_advert_route *ar = &a->routes[i];
		if (ar->target >= n || !isfinite(ar->distance_ms) || ar->distance_ms < 0 ||
		    ar->n_hops > MF_ADVERT_HOPS_MAX || ar->hops_off > a->n_hops ||
		    ar->n_hops > a->n_hops - ar->hops_off)
			return MF_EMALFORMED;
		uint32_t tc = canon[ar->target];
		bool to_origin = tc == oc;
		if ((to_origin && ar->n_hops != 0) || tmark[ar->target])
			return MF_EMALFORMED; /* a target listed twice (by index) */
		tmark[ar->target] = 1;
		/* The path origin, hops..., target names no DC twice. */
		/* a->hops is NULL in an advert without hops: no offset from it. */
		const uint32_t *h = ar->n_hops ? a->hops + ar->hops_off : NULL;
		for (uint32_t k = 0; k < ar->n_hops; k++) {
			if (h[k] >= n)
				return MF_EMALFORMED;
			uint32_t c = canon[h[k]];
			if (c == oc || (!to_origin && c == tc) || hmark[c] == i + 1)
				return MF_EMALFORMED;
			hmark[c] = (uint32_t)i + 1;
		}
	}
	return 0;
}

int mf_routing_check_advert(const struct mf_routing *r, const struct mf_advert *a)
{
	if (!a || !a->origin || !a->node)
		return MF_EINVAL;
	if (a->n_names > r->cfg.max_datacenters || a->n_routes > r->cfg.max_datacenters ||
	    a->n_dead > r->cfg.max_datacenters)
		return MF_ETOOBIG;
	if (a->n_gateways > MF_ADVERT_GATEWAYS_MAX)
		return MF_EMALFORMED;
	uint32_t id = NONE;
	if (mf_rt_names_find(&r->names, a->origin, strlen(a->origin), &id) < 0)
		id = NONE;
	if (!seq_plausible(r, id, a->seq))
		return MF_ESTATE;
	uint32_t size = 16;
	while (size < 2 * a->n_names)
		size *= 2;
	/* A fragment's name table (at most ~150 names in 1,200 bytes) fits on
	 * the stack: this runs for every fragment received. */
	uint32_t local[4096];
	size_t need = 3 * a->n_names + 2 * (size_t)size;
	uint32_t *buf = need <= sizeof local / sizeof local[0] ? local : malloc(need * sizeof *buf);
	if (!buf)
		return MF_ENOMEM;
	int rc = check_routes(a, buf, size);
	if (buf != local)
		free(buf);
	return rc;
}

/* An advertisement's routes built into fresh arrays (build_origin), stored
 * by commit_origin only when everything succeeded. */
struct built {
	uint32_t *map;       /* its name indexes -> ids (the next one's hints) */
	struct rt_entry *e;
	uint32_t n_e;
	uint16_t *path;
	uint32_t n_path, cap_path;
	uint32_t *tgt;
	double *dst;
	uint32_t *dead_ids;  /* its tombstones' DCs */
	uint32_t *pos, n_pos; /* target id -> index in e */
	char *node;
};

static void built_free(struct built *b)
{
	free(b->map);
	free(b->e);
	free(b->path);
	free(b->tgt);
	free(b->dst);
	free(b->dead_ids);
	free(b->pos);
	free(b->node);
}

/* Validates advertisement a of origin o, interns the names its routes use
 * and builds its routes, paths (marking those through us) and the hot
 * (target, distance) arrays. Nothing stored changes but interned names. */
static int build_origin(struct mf_routing *r, uint32_t o, const struct mf_advert *a, struct built *b)
{
	memset(b, 0, sizeof *b);
	b->map = a->n_names ? malloc(a->n_names * sizeof *b->map) : NULL;
	b->e = a->n_routes ? malloc(a->n_routes * sizeof *b->e) : NULL;
	b->node = strdup(a->node);
	if ((a->n_names && !b->map) || (a->n_routes && !b->e) || !b->node)
		return MF_ENOMEM;
	for (size_t i = 0; i < a->n_names; i++)
		b->map[i] = NONE;
	int rc = 0;
	/* Interning below may grow the per-id arrays: index them afresh. */
	uint32_t tmark = mf_rt__next_mark(r->target_mark, &r->target_mark_gen, r->cap);
	for (size_t i = 0; i < a->n_routes; i++) {
		const struct mf_advert_route *ar = &a->routes[i];
		uint32_t t;
		if ((rc = map_name(r, o, a, b->map, ar->target, &t)) < 0)
			return rc;
		if (!isfinite(ar->distance_ms) || ar->distance_ms < 0 || ar->n_hops > MF_ADVERT_HOPS_MAX ||
		    ar->hops_off > a->n_hops || ar->n_hops > a->n_hops - ar->hops_off ||
		    (t == o && ar->n_hops != 0))
			return MF_EMALFORMED;
		if (r->target_mark[t] == tmark)
			return MF_EMALFORMED; /* a target listed twice */
		r->target_mark[t] = tmark;
		if (!a->transit && t != o)
			continue; /* a non-transit DC carries only itself */
		uint32_t len = t == o ? 1 : ar->n_hops + 2;
		if ((rc = mf_grow_u32(&b->path, &b->cap_path, (size_t)b->n_path + len, 64)) < 0)
			return rc;
		uint16_t *p = b->path + b->n_path;
		p[0] = (uint16_t)o; /* ids < MF_RT_NAMES_MAX (engine_internal.h) */
		for (uint32_t k = 0; k < ar->n_hops; k++) {
			uint32_t id;
			if ((rc = map_name(r, o, a, b->map, a->hops[ar->hops_off + k], &id)) < 0)
				return rc;
			p[1 + k] = (uint16_t)id;
		}
		if (t != o)
			p[len - 1] = (uint16_t)t;
		/* No DC twice on one path; note whether it passes us. */
		uint32_t pgen = mf_rt__next_mark(r->stamp, &r->gen, r->cap);
		bool loops = false;
		for (uint32_t k = 0; k < len; k++) {
			if (r->stamp[p[k]] == pgen)
				return MF_EMALFORMED;
			r->stamp[p[k]] = pgen;
			loops |= p[k] == r->self;
		}
		b->e[b->n_e++] = (struct rt_entry){t, b->n_path, (uint16_t)len, loops, (uint32_t)ar->epoch,
						   ar->distance_ms, ar->epoch};
		b->n_path += len;
	}
	/* Kept until the origin's next advertisement: no slack from growing. */
	if (b->n_path && b->n_path < b->cap_path) {
		uint16_t *fit = realloc(b->path, b->n_path * sizeof *fit);
		if (fit) {
			b->path = fit;
			b->cap_path = b->n_path;
		}
	}
	b->n_pos = r->names.n;
	b->pos = malloc(b->n_pos * sizeof *b->pos);
	if (!b->pos)
		return MF_ENOMEM;
	for (uint32_t t = 0; t < b->n_pos; t++)
		b->pos[t] = NONE;
	for (uint32_t k = 0; k < b->n_e; k++)
		b->pos[b->e[k].target] = k;
	if (b->n_e) {
		b->tgt = malloc(b->n_e * sizeof *b->tgt);
		b->dst = malloc(b->n_e * sizeof *b->dst);
		if (!b->tgt || !b->dst)
			return MF_ENOMEM;
		for (uint32_t k = 0; k < b->n_e; k++) {
			const struct rt_entry *x = &b->e[k];
			b->tgt[k] = x->target;
			b->dst[k] = x->loops || x->target == o || x->epoch < r->alive_from[x->target] ? INFINITY
												 : x->dist;
		}
	}
	/* Tombstones it carries, mapped now, applied once it is stored. */
	if (a->n_dead) {
		b->dead_ids = malloc(a->n_dead * sizeof *b->dead_ids);
		if (!b->dead_ids)
			return MF_ENOMEM;
		for (size_t k = 0; k < a->n_dead; k++) {
			if (a->dead[k].dc >= a->n_names)
				return MF_EMALFORMED;
			if ((rc = map_name(r, o, a, b->map, a->dead[k].dc, &b->dead_ids[k])) < 0)
				return rc;
		}
	}
	return 0;
}

/* Stores what build_origin built as origin o's advertisement (taking its
 * arrays), then the epochs and tombstones it carries. Cannot fail. */
static void commit_origin(struct mf_routing *r, uint32_t o, const struct mf_advert *a, struct built *b)
{
	struct rt_origin *org = &r->orig[o];
	bool was_usable = mf_rt__usable_neighbour(r, o);
	double was_to_self = org->to_self;
	struct rt_entry *old_e = org->e;
	uint32_t *old_tgt = org->tgt, *old_pos = org->pos;
	uint16_t *old_path = org->path;
	double *old_dst = org->dst;
	uint32_t old_n = org->n_e, old_n_pos = org->n_pos;
	mf_rt__origin_clear(org);
	free(org->node);
	free(org->hint);
	org->pos = b->pos;
	org->n_pos = b->n_pos;
	org->e = b->e;
	org->tgt = b->tgt;
	org->dst = b->dst;
	org->n_e = org->cap_e = b->n_e;
	org->path = b->path;
	org->n_path = b->n_path;
	org->cap_path = b->cap_path;
	org->node = b->node;
	org->hint = b->map;
	org->n_hint = (uint32_t)a->n_names;
	org->seq = a->seq;
	org->transit = a->transit;
	org->present = true;
	org->self_epoch = 0;
	for (uint32_t k = 0; k < b->n_e; k++) {
		if (b->e[k].target == o)
			org->self_epoch = b->e[k].epoch;
		if (b->e[k].target == r->self)
			org->to_self = b->e[k].dist;
	}
	mf_rt__origin_replaced(r, o, was_usable, was_to_self, old_tgt, old_dst, old_e, old_path, old_n,
			       old_pos, old_n_pos);
	free(old_e);
	free(old_tgt);
	free(old_dst);
	free(old_path);
	free(old_pos);
	r->dirty = true;
	for (uint32_t k = 0; k < b->n_e; k++)
		mf_rt__heard_epoch(r, b->e[k].target, b->e[k].epoch, 0);
	for (size_t k = 0; k < a->n_dead; k++)
		mf_rt__raise_dead(r, b->dead_ids[k], a->dead[k].epoch);
	free(b->dead_ids);
	memset(b, 0, sizeof *b);
}

int mf_routing_set_advert(struct mf_routing *r, const struct mf_advert *a)
{
	uint32_t o;
	if (!a || !a->origin || !a->node)
		return MF_EINVAL;
	if (a->n_names > r->cfg.max_datacenters || a->n_routes > r->cfg.max_datacenters || a->n_dead > r->cfg.max_datacenters)
		return MF_ETOOBIG;
	int rc = mf_rt__intern(r, a->origin, &o);
	if (rc < 0)
		return rc == MF_EINVAL ? MF_EMALFORMED : rc;
	if (a->n_gateways > MF_ADVERT_GATEWAYS_MAX)
		return MF_EMALFORMED;
	if (o == r->self) {
		mf_rt__own_epoch(r, a);
		/* Another server of our DC: its gateways are kept too (the node
		 * relays what changes the DC's set), never our own echo. */
		rc = strcmp(a->node, r->node) != 0 ? mf_rt__take_gateways(r, o, a) : 0;
		if (rc == 0)
			rc = set_reference(r, a);
		/* One feasibility distance per DC (docs/routing.md, "Seqno
		 * requests"): our mates' states count as ours. */
		if (rc == 0 && strcmp(a->node, r->node) != 0)
			mf_rt__feasibility_mate(r, a, r->ref_set && r->ref_seq == a->seq &&
							 strcmp(r->ref_node, a->node) == 0);
		return rc < 0 ? rc : 0;
	}
	const struct rt_origin *old = &r->orig[o];
	if (!seq_plausible(r, o, a->seq))
		return MF_ESTATE;
	if (old->present && (a->seq < old->seq || (a->seq == old->seq && strcmp(a->node, old->node) <= 0))) {
		/* Stale for routes; its server's gateways may still be news. */
		rc = mf_rt__take_gateways(r, o, a);
		return rc < 0 ? rc : 0;
	}
	struct built b;
	rc = build_origin(r, o, a, &b);
	/* Last of what can fail: the routes are then stored for sure. */
	if (rc == 0)
		rc = mf_rt__take_gateways(r, o, a);
	if (rc < 0) {
		built_free(&b);
		return rc;
	}
	commit_origin(r, o, a, &b);
	return 1;
}

int mf_routing_withdraw_origin(struct mf_routing *r, const char *dc)
{
	uint32_t id;
	if (!dc || mf_rt_names_find(&r->names, dc, strlen(dc), &id) < 0)
		return 0;
	mf_rt__drop_gateways(r, id);
	if (!r->orig[id].present)
		return 0;
	/* Its last server is gone: every route to this incarnation is dead,
	 * here and, through the tombstone we advertise, everywhere. Without
	 * it, DCs that never shared a pool with it would hunt through stale
	 * paths for many rounds (docs/routing.md). */
	uint64_t ep = r->orig[id].self_epoch;
	for (uint32_t k = 0; k < r->orig[id].n_e; k++)
		mf_rt__moved(r, id, r->orig[id].tgt[k], INFINITY);
	mf_rt__mark(r, id);
	r->links_dirty = true;
	mf_rt__origin_clear(&r->orig[id]);
	if (ep)
		mf_rt__raise_dead(r, id, ep);
	r->dirty = true;
	return 1;
}
