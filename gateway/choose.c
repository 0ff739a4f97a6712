/*
 * gateway/choose.c — next-hop candidates and endpoint ejection
 * (gateway/choose.h).
 *
 * Why power of two choices and not plain least-connections: many gateways
 * of one DC choose independently from counts that are each only their own;
 * with plain least-connections a burst of new connections on every gateway
 * lands on the same remote gateway until the counts catch up, two random
 * picks spread the burst and still avoid the loaded one (Mitzenmacher; the
 * choice Envoy's LEAST_REQUEST makes). Failover after the first pick is
 * deterministic, least active first: by then the connection is already late.
 *
 * The endpoint table is an array searched linearly: a gateway knows the
 * gateways of its next hops and their alternates, tens, not thousands.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/choose.h"
#include "gossip/grow.h"

#define DEFAULT_FAILS 3
#define DEFAULT_EJECT (30 * MF_SEC)
#define DEFAULT_EJECT_MAX (300 * MF_SEC)

void mf_gw_eps_init(struct mf_gw_eps *e, const struct mf_gw_eps_config *cfg)
{
	memset(e, 0, sizeof(*e));
	if (cfg != NULL)
		e->cfg = *cfg;
	if (e->cfg.fail_threshold == 0)
		e->cfg.fail_threshold = DEFAULT_FAILS;
	if (e->cfg.eject_base <= 0)
		e->cfg.eject_base = DEFAULT_EJECT;
	if (e->cfg.eject_max <= 0)
		e->cfg.eject_max = DEFAULT_EJECT_MAX;
	if (e->cfg.eject_max < e->cfg.eject_base)
		e->cfg.eject_max = e->cfg.eject_base;
}

void mf_gw_eps_free(struct mf_gw_eps *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].addr);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static struct mf_gw_ep *find(const struct mf_gw_eps *e, const char *addr)
{
	if (addr == NULL)
		return NULL;
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].addr, addr) == 0)
			return &e->v[i];
	return NULL;
}

const struct mf_gw_ep *mf_gw_ep_find(const struct mf_gw_eps *e, const char *addr)
{
	return find(e, addr);
}

static bool ejected(const struct mf_gw_ep *ep, mf_time_t now)
{
	return ep != NULL && now < ep->ejected_until;
}

bool mf_gw_ep_ejected(const struct mf_gw_eps *e, const char *addr, mf_time_t now)
{
	return ejected(find(e, addr), now);
}

int mf_gw_ep_attempt(struct mf_gw_eps *e, const char *addr, mf_time_t now)
{
	struct mf_gw_ep *ep = find(e, addr);
	if (addr == NULL)
		return MF_EINVAL;
	if (ep == NULL) {
		if (mf_grow(&e->v, &e->cap, e->n + 1, 8) < 0)
			return MF_ENOMEM;
		ep = &e->v[e->n];
		memset(ep, 0, sizeof(*ep));
		if ((ep->addr = strdup(addr)) == NULL)
			return MF_ENOMEM;
		e->n++;
	}
	ep->active++;
	return 0;
}

/* The entry of an attempt being reported on: MF_ENOTFOUND when addr has
 * none, MF_ESTATE when nothing of it is in flight or established. */
static int reported(struct mf_gw_eps *e, const char *addr, struct mf_gw_ep **ep)
{
	if ((*ep = find(e, addr)) == NULL)
		return MF_ENOTFOUND;
	return (*ep)->active == 0 ? MF_ESTATE : 0;
}

int mf_gw_ep_connected(struct mf_gw_eps *e, const char *addr, mf_time_t now)
{
	struct mf_gw_ep *ep;
	int rc = reported(e, addr, &ep);
	if (rc < 0)
		return rc;
	/* Alive: forget the failures and the ejection history. */
	ep->fails = 0;
	ep->ejections = 0;
	ep->ejected_until = 0;
	return 0;
}

int mf_gw_ep_failed(struct mf_gw_eps *e, const char *addr, mf_time_t now)
{
	struct mf_gw_ep *ep;
	int rc = reported(e, addr, &ep);
	if (rc < 0)
		return rc;
	ep->active--;
	/* Connects that were in flight when it got ejected fail too: they are
	 * the same outage and must not eject it again with a doubled time. */
	if (ejected(ep, now) || ++ep->fails < e->cfg.fail_threshold)
		return 0;
	mf_time_t d = e->cfg.eject_base;
	for (uint32_t i = 0; i < ep->ejections && d < e->cfg.eject_max; i++)
		d *= 2;
	if (d > e->cfg.eject_max)
		d = e->cfg.eject_max;
	ep->ejected_until = now + d;
	ep->ejections++;
	ep->fails = 0;
	return 0;
}

int mf_gw_ep_closed(struct mf_gw_eps *e, const char *addr, mf_time_t now)
{
	struct mf_gw_ep *ep;
	int rc = reported(e, addr, &ep);
	if (rc < 0)
		return rc;
	ep->active--;
	return 0;
}

void mf_gw_eps_prune(struct mf_gw_eps *e, mf_time_t now)
{
	size_t j = 0;
	for (size_t i = 0; i < e->n; i++) {
		struct mf_gw_ep *ep = &e->v[i];
		if (ep->active == 0 && ep->fails == 0 && ep->ejections == 0 && !ejected(ep, now)) {
			free(ep->addr);
			continue;
		}
		e->v[j++] = *ep;
	}
	e->n = j;
}

const char *mf_gw_plan_why_name(enum mf_gw_plan_why w)
{
	switch (w) {
	case MF_GW_PLAN_OK: return "ok";
	case MF_GW_PLAN_UNREACHABLE: return "no-route";
	case MF_GW_PLAN_NO_GATEWAY: return "no-gateway";
	case MF_GW_PLAN_ALL_EJECTED: return "all-ejected";
	case MF_GW_PLAN_EXHAUSTED: return "exhausted";
	case MF_GW_PLAN_LOCAL: return "local";
	}
	return "?";
}

static bool seen_before(const struct mf_gw_hop *hops, size_t h, size_t i)
{
	const char *a = hops[h].endpoints[i].addr;
	for (size_t g = 0; g <= h; g++)
		for (size_t k = 0; k < (g == h ? i : hops[g].n_endpoints); k++)
			if (hops[g].endpoints[k].addr && strcmp(hops[g].endpoints[k].addr, a) == 0)
				return true;
	return false;
}

static bool usable(const struct mf_gw_hop *hops, size_t h, size_t i)
{
	const char *a = hops[h].endpoints[i].addr;
	return a != NULL && a[0] != '\0' && !seen_before(hops, h, i);
}

static char *put_str(char **pool, const char *s)
{
	char *d = *pool;
	size_t n = strlen(s ? s : "") + 1;
	memcpy(d, s ? s : "", n);
	*pool += n;
	return d;
}

int mf_gw_plan_init(struct mf_gw_plan *plan, struct mf_gw_eps *eps, struct mf_rng *rng,
		    bool unreachable, const struct mf_gw_hop *hops, size_t n_hops)
{
	size_t n = 0, bytes = 0;

	if (plan == NULL)
		return MF_EINVAL;
	memset(plan, 0, sizeof(*plan));
	if (eps == NULL || rng == NULL || (hops == NULL && n_hops > 0))
		return MF_EINVAL;
	plan->eps = eps;
	plan->rng = rng;
	if (unreachable) {
		plan->why = MF_GW_PLAN_UNREACHABLE;
		return 0;
	}
	for (size_t h = 0; h < n_hops; h++) {
		if (hops[h].endpoints == NULL && hops[h].n_endpoints > 0)
			return MF_EINVAL;
		for (size_t i = 0; i < hops[h].n_endpoints; i++) {
			if (!usable(hops, h, i))
				continue;
			const struct mf_table_endpoint *ep = &hops[h].endpoints[i];
			n++;
			bytes += strlen(ep->addr) + 1 + strlen(ep->gateway ? ep->gateway : "") + 1 +
				 strlen(hops[h].dc ? hops[h].dc : "") + 1;
		}
	}
	if (n == 0) {
		plan->why = MF_GW_PLAN_NO_GATEWAY;
		return 0;
	}
	/* One block: candidates, used flags, then their strings. */
	char *block = malloc(n * (sizeof(struct mf_gw_cand) + sizeof(bool)) + bytes);
	if (block == NULL)
		return MF_ENOMEM;
	plan->cands = (struct mf_gw_cand *)block;
	plan->used = (bool *)(block + n * sizeof(struct mf_gw_cand));
	char *pool = (char *)(plan->used + n);
	for (size_t h = 0; h < n_hops; h++) {
		for (size_t i = 0; i < hops[h].n_endpoints; i++) {
			if (!usable(hops, h, i))
				continue;
			struct mf_gw_cand *c = &plan->cands[plan->n_cands];
			c->hop = h;
			c->dc = put_str(&pool, hops[h].dc);
			c->gateway = put_str(&pool, hops[h].endpoints[i].gateway);
			c->addr = put_str(&pool, hops[h].endpoints[i].addr);
			plan->used[plan->n_cands++] = false;
		}
	}
	plan->why = MF_GW_PLAN_OK;
	return 0;
}

int mf_gw_plan_init_route(struct mf_gw_plan *plan, struct mf_gw_eps *eps, struct mf_rng *rng,
			  const struct mf_table_route *route)
{
	struct mf_gw_hop few[17], *hops = few;
	int rc;

	if (plan == NULL || route == NULL || (route->alternates == NULL && route->n_alternates > 0))
		return MF_EINVAL;
	if (route->status == MF_ROUTE_LOCAL || route->status == MF_ROUTE_NO_GATEWAY) {
		rc = mf_gw_plan_init(plan, eps, rng, false, NULL, 0);
		plan->why = route->status == MF_ROUTE_LOCAL ? MF_GW_PLAN_LOCAL : MF_GW_PLAN_NO_GATEWAY;
		return rc;
	}
	size_t n = 1 + route->n_alternates;
	if (n > sizeof few / sizeof few[0] && (hops = calloc(n, sizeof(*hops))) == NULL)
		return MF_ENOMEM;
	hops[0] = (struct mf_gw_hop){route->next_hop, route->n_endpoints, route->endpoints};
	for (size_t i = 0; i < route->n_alternates; i++) {
		const struct mf_table_alternate *alt = &route->alternates[i];
		hops[1 + i] = (struct mf_gw_hop){alt->next_hop, alt->n_endpoints, alt->endpoints};
	}
	rc = mf_gw_plan_init(plan, eps, rng, route->status == MF_ROUTE_UNREACHABLE, hops, n);
	if (hops != few)
		free(hops);
	return rc;
}

/* The active count of a candidate (0 when the table has no state for it). */
static uint32_t active_of(const struct mf_gw_plan *p, size_t i)
{
	const struct mf_gw_ep *ep = find(p->eps, p->cands[i].addr);
	return ep ? ep->active : 0;
}

/* May candidate i be yielded at now? Notes ejected ones for plan->why. */
static bool eligible(struct mf_gw_plan *p, size_t i, mf_time_t now)
{
	if (p->used[i])
		return false;
	if (mf_gw_ep_ejected(p->eps, p->cands[i].addr, now)) {
		p->skipped_ejected = true;
		return false;
	}
	return true;
}

/* The k-th (0-based) eligible candidate of [b, e). */
static size_t kth_eligible(struct mf_gw_plan *p, size_t b, size_t e, size_t k, mf_time_t now)
{
	for (size_t i = b; i < e; i++)
		if (eligible(p, i, now) && k-- == 0)
			return i;
	return e;
}

static int yield(struct mf_gw_plan *p, size_t i, const struct mf_gw_cand **out)
{
	p->used[i] = true;
	p->yielded++;
	*out = &p->cands[i];
	return 1;
}

int mf_gw_plan_next(struct mf_gw_plan *p, mf_time_t now, const struct mf_gw_cand **out)
{
	if (p == NULL || out == NULL)
		return MF_EINVAL;
	*out = NULL;
	size_t b = 0;
	while (b < p->n_cands && p->cands[b].hop < p->cur_hop)
		b++;
	while (b < p->n_cands) {
		size_t e = b;
		while (e < p->n_cands && p->cands[e].hop == p->cands[b].hop)
			e++;
		p->cur_hop = p->cands[b].hop;
		if (p->cur_hop == 0 && !p->p2c_done) {
			p->p2c_done = true;
			size_t k = 0;
			for (size_t i = b; i < e; i++)
				k += eligible(p, i, now);
			if (k >= 2) {
				uint32_t x = mf_rng_below(p->rng, (uint32_t)k);
				uint32_t y = mf_rng_below(p->rng, (uint32_t)k - 1);
				if (y >= x)
					y++;
				size_t i = kth_eligible(p, b, e, x, now), j = kth_eligible(p, b, e, y, now);
				return yield(p, active_of(p, j) < active_of(p, i) ? j : i, out);
			}
		}
		size_t best = e;
		uint32_t best_active = 0;
		for (size_t i = b; i < e; i++) {
			if (!eligible(p, i, now))
				continue;
			uint32_t a = active_of(p, i);
			if (best == e || a < best_active) {
				best = i;
				best_active = a;
			}
		}
		if (best < e)
			return yield(p, best, out);
		b = e;
		p->cur_hop++;
	}
	if (p->why == MF_GW_PLAN_OK) /* an empty plan keeps its reason */
		p->why = p->yielded > 0 || !p->skipped_ejected ? MF_GW_PLAN_EXHAUSTED
							       : MF_GW_PLAN_ALL_EJECTED;
	return 0;
}

void mf_gw_plan_free(struct mf_gw_plan *plan)
{
	if (plan == NULL)
		return;
	free(plan->cands);
	plan->cands = NULL;
	plan->used = NULL;
	plan->n_cands = 0;
}
