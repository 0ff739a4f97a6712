/*
 * gateway/choose.h — the next-hop choice for one forwarded connection, and
 * the per-endpoint state that feeds it.
 *
 * Candidates, in order (a plan yields them one at a time):
 *  1. the route's gateways (the next-hop DC's): power of two choices by
 *     least active connections among the non-ejected ones;
 *  2. the other gateways of that DC, least active first;
 *  3. each alternate next hop's gateways, alternates in the table's order
 *     (best first), within one least active first.
 * Ties go to the table's order. An address is yielded at most once per plan.
 * Ejected endpoints are skipped (so a dead remote gateway stops costing a
 * connect timeout per connection long before gossip declares anything,
 * Consul #15703): after `fail_threshold` (3) connect failures in a row an
 * endpoint is ejected for `eject_base` (30 s), doubled on each repeat
 * ejection up to `eject_max` (300 s, Envoy's max_ejection_time), and a
 * successful connect resets both the failure count and the doubling.
 *
 * Contract
 *  - Pure: time comes in as `now`, randomness from a caller's mf_rng; no
 *    I/O, no globals. Endpoints are identified by the address string the
 *    table gives (routing/table.h, struct mf_table_endpoint.addr).
 *  - A plan copies the candidates it needs, so the table it was built from
 *    may be replaced while the connection is still failing over; it keeps
 *    pointers to the mf_gw_eps and mf_rng, which must outlive it.
 *  - Load accounting: the shell calls mf_gw_ep_attempt() when it starts a
 *    connect, then exactly one of mf_gw_ep_failed() (connect failed or
 *    timed out) or mf_gw_ep_connected() ... mf_gw_ep_closed(). A connect in
 *    flight counts as active, so a burst of new connections spreads out.
 */
#ifndef MF_GATEWAY_CHOOSE_H
#define MF_GATEWAY_CHOOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/err.h"
#include "gossip/pool.h" /* mf_time_t */
#include "gossip/rng.h"
#include "routing/table.h"

struct mf_gw_eps_config {
	unsigned fail_threshold; /* connect failures in a row that eject; 0 -> 3 */
	mf_time_t eject_base;    /* first ejection; 0 -> 30 s */
	mf_time_t eject_max;     /* cap of the doubling; 0 -> 300 s */
};

/* One endpoint's state (private to choose.c; read-only for tests and info). */
struct mf_gw_ep {
	char *addr;
	uint32_t active;        /* connects in flight + established */
	uint32_t fails;         /* connect failures in a row */
	uint32_t ejections;     /* ejections since the last success */
	mf_time_t ejected_until;
};

/* The gateway's endpoint table. */
struct mf_gw_eps {
	struct mf_gw_eps_config cfg;
	size_t n, cap;
	struct mf_gw_ep *v;
};

void mf_gw_eps_init(struct mf_gw_eps *e, const struct mf_gw_eps_config *cfg /* NULL: defaults */);
void mf_gw_eps_free(struct mf_gw_eps *e);
/* The state of addr, or NULL when it has none (never used, or pruned). */
const struct mf_gw_ep *mf_gw_ep_find(const struct mf_gw_eps *e, const char *addr);
/* true when addr is ejected at now. */
bool mf_gw_ep_ejected(const struct mf_gw_eps *e, const char *addr, mf_time_t now);

/* Feedback; 0, MF_ENOMEM (attempt only: no entry could be made), or
 * MF_ENOTFOUND / MF_ESTATE for calls that do not match an attempt. */
int mf_gw_ep_attempt(struct mf_gw_eps *e, const char *addr, mf_time_t now);
int mf_gw_ep_connected(struct mf_gw_eps *e, const char *addr, mf_time_t now);
int mf_gw_ep_failed(struct mf_gw_eps *e, const char *addr, mf_time_t now);
int mf_gw_ep_closed(struct mf_gw_eps *e, const char *addr, mf_time_t now);
/* Drops entries that hold nothing worth keeping (no connections, no
 * failures, no ejection history), e.g. after a table change. */
void mf_gw_eps_prune(struct mf_gw_eps *e, mf_time_t now);

/* One next hop's gateways, as a plan's input (the route's own next hop, or
 * one alternate). Pointers only need to live through mf_gw_plan_init(). */
struct mf_gw_hop {
	const char *dc;
	size_t n_endpoints;
	const struct mf_table_endpoint *endpoints;
};

/* Why a plan yields nothing (more). */
enum mf_gw_plan_why {
	MF_GW_PLAN_OK = 0,        /* candidates remain */
	MF_GW_PLAN_UNREACHABLE,   /* route unreachable: count no_route */
	MF_GW_PLAN_NO_GATEWAY,    /* no gateway in the route or its alternates: no_gateway */
	MF_GW_PLAN_ALL_EJECTED,   /* gateways exist, all ejected: upstream_failed */
	MF_GW_PLAN_EXHAUSTED,     /* every candidate was yielded: upstream_failed */
	MF_GW_PLAN_LOCAL,         /* the route is to this DC: not a plan's job */
};
const char *mf_gw_plan_why_name(enum mf_gw_plan_why w); /* "no-route", ... */

/* A yielded candidate; valid until mf_gw_plan_free(). */
struct mf_gw_cand {
	const char *dc;      /* next-hop DC */
	const char *gateway; /* gateway name */
	const char *addr;    /* the address to dial */
	size_t hop;          /* 0: the route's next hop; k: its k-th alternate */
};

struct mf_gw_plan {
	struct mf_gw_eps *eps;
	struct mf_rng *rng;
	enum mf_gw_plan_why why;
	size_t yielded;
	/* private */
	size_t n_cands;
	struct mf_gw_cand *cands; /* in hop order; strings in the same block */
	bool *used;
	size_t cur_hop;
	bool p2c_done;
	bool skipped_ejected;
};

/* Builds a plan over hops[0] (the route's next hop) then hops[1..n_hops)
 * (alternates, best first). unreachable: the route's status says so.
 * Returns 0 (plan->why tells if it is empty), MF_ENOMEM, MF_EINVAL. */
int mf_gw_plan_init(struct mf_gw_plan *plan, struct mf_gw_eps *eps, struct mf_rng *rng,
		    bool unreachable, const struct mf_gw_hop *hops, size_t n_hops);
/* The same from a table route: its endpoints, then its alternates' in the
 * table's order. A local route gives an empty plan with MF_GW_PLAN_LOCAL,
 * an unreachable one MF_GW_PLAN_UNREACHABLE, a no-gateway one
 * MF_GW_PLAN_NO_GATEWAY (as does a route whose next hop and alternates
 * list no gateway at all). */
int mf_gw_plan_init_route(struct mf_gw_plan *plan, struct mf_gw_eps *eps, struct mf_rng *rng,
			  const struct mf_table_route *route);
/* The next candidate at now: 1 and *out set, or 0 when none is left
 * (plan->why says why). Skips endpoints ejected at now. */
int mf_gw_plan_next(struct mf_gw_plan *plan, mf_time_t now, const struct mf_gw_cand **out);
void mf_gw_plan_free(struct mf_gw_plan *plan);

#endif
