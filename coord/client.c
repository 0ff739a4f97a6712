/*
 * coord/client.c — the Vivaldi client. See client.h.
 *
 * Design (details and measurements in docs/coordinates.md):
 *
 * serf's client takes one spring step per RTT sample: it moves towards or
 * away from the one peer it just measured by a fraction of the error. That
 * is cheap and forgetful: a node with 200 samples behind it still positions
 * itself from the latest one, so the embedding converges slowly and keeps
 * jittering at the level of a single sample's error.
 *
 * meshfed keeps serf's step (so error and the early, coarse placement behave
 * exactly like serf's), and also remembers, per peer, the peer's latest
 * coordinate and the median of its last RTTs (the latency filter of [2] that
 * serf keeps anyway). After each sample it refits its own coordinate to all
 * remembered peers at once (coord/fit.h) with a robust loss, weighting each
 * sample by the confidence the peer reported with it (samples from the
 * unsettled start fade as confident ones arrive) and optionally by its age
 * (the neighbour decay of [2], off by default: it no longer helps). SWIM
 * probes every member round-robin, so within n probe intervals the table
 * holds a sample of every peer. The adjustment is part of the fitted
 * offset, so serf's adjustment window is not used in this mode.
 */
#include "coord/client.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "coord/fit.h"
#include "coord/select.h"
#include "gossip/err.h"

/* serf client.go updateVivaldi: RTTs and total errors are floored here. */
#define ZERO_THRESHOLD 1.0e-6

int mf_coord_client_init(struct mf_coord_client *c, const struct mf_coord_config *cfg)
{
	int rc = mf_coord_config_check(cfg);
	if (rc < 0)
		return rc;
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	mf_coord_init(&c->coord, cfg);
	mf_coord_init(&c->origin, cfg);
	mf_coord_rng_seed(&c->rng, cfg->seed);
	if (cfg->adjustment_window > 0) {
		c->adjustment_samples = calloc(cfg->adjustment_window, sizeof(double));
		if (!c->adjustment_samples)
			goto nomem;
	}
	c->peers = calloc(cfg->peer_table_size, sizeof(*c->peers));
	c->scratch = calloc(cfg->peer_table_size, sizeof(struct mf_coord_sample));
	c->rtts = calloc(cfg->peer_table_size, sizeof(double));
	if (!c->peers || !c->scratch || !c->rtts)
		goto nomem;
	return MF_OK;
nomem:
	mf_coord_client_free(c);
	return MF_ENOMEM;
}

void mf_coord_client_free(struct mf_coord_client *c)
{
	if (c->peers)
		for (unsigned i = 0; i < c->npeers; i++)
			free(c->peers[i].name);
	free(c->peers);
	free(c->scratch);
	free(c->rtts);
	free(c->adjustment_samples);
	c->peers = NULL;
	c->scratch = NULL;
	c->rtts = NULL;
	c->adjustment_samples = NULL;
	c->npeers = 0;
}

/* Classifies a remote coordinate; -1 if acceptable. */
static int check_remote(const struct mf_coord_client *c, const struct mf_coord *o)
{
	if (o->dim > MF_COORD_DIM_MAX || !mf_coord_is_valid(o))
		return MF_COORD_REJECT_NONFINITE;
	if (!mf_coord_is_compatible(&c->coord, o))
		return MF_COORD_REJECT_DIMENSION;
	for (unsigned i = 0; i < o->dim; i++)
		if (fabs(o->vec[i]) > MF_COORD_COMPONENT_MAX)
			return MF_COORD_REJECT_RANGE;
	if (o->height < 0.0 || o->height > MF_COORD_COMPONENT_MAX ||
	    o->error < 0.0 || o->error > MF_COORD_COMPONENT_MAX ||
	    fabs(o->adjustment) > MF_COORD_COMPONENT_MAX)
		return MF_COORD_REJECT_RANGE;
	return -1;
}

static struct mf_coord_peer *find_peer(const struct mf_coord_client *c, const char *node)
{
	for (unsigned i = 0; i < c->npeers; i++)
		if (strcmp(c->peers[i].name, node) == 0)
			return &c->peers[i];
	return NULL;
}

/* The peer's slot, created (evicting the stalest when full) if new. */
static struct mf_coord_peer *get_peer(struct mf_coord_client *c, const char *node)
{
	struct mf_coord_peer *p = find_peer(c, node);
	if (p)
		return p;
	char *name = strdup(node);
	if (!name)
		return NULL;
	if (c->npeers < c->cfg.peer_table_size) {
		p = &c->peers[c->npeers++];
	} else {
		p = &c->peers[0];
		for (unsigned i = 1; i < c->npeers; i++)
			if (c->peers[i].tick < p->tick)
				p = &c->peers[i];
		free(p->name);
	}
	memset(p, 0, sizeof(*p));
	p->name = name;
	return p;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The last n samples of p's ring (of ring slots) into out, newest first. */
static unsigned last_samples(const struct mf_coord_peer *p, unsigned ring, unsigned n, double *out)
{
	if (n > p->nsamples)
		n = p->nsamples;
	for (unsigned k = 0; k < n; k++)
		out[k] = p->samples[(p->next + ring - 1 - k) % ring];
	return n;
}

/* Median of the last n samples, the lower one of an even count if lower. */
static double median_of_last(const struct mf_coord_peer *p, unsigned ring, unsigned n, bool lower)
{
	double sorted[MF_COORD_FILTER_MAX];
	n = last_samples(p, ring, n, sorted);
	qsort(sorted, n, sizeof(double), cmp_double);
	return sorted[lower ? (n - 1) / 2 : n / 2];
}

/* serf client.go latencyFilter: moving median of the last few samples.
 * serf takes sorted[n/2], the upper median, so with two samples the larger
 * one. Delay noise only ever adds (queues, a descheduled process: a VM
 * whose vCPUs halted made a 20 ms path measure 32.8 ms and a 0.3 ms one
 * 12 ms through that rule), so meshfed's fit mode takes the lower median,
 * sorted[(n-1)/2]: the same for one or three samples, the smaller of two.
 * The ring may hold more (route_filter_size, the routing median's, always
 * the lower); the coordinate's filter reads the last latency_filter_size. */
static void latency_filter(struct mf_coord_peer *p, const struct mf_coord_config *cfg, double rtt)
{
	unsigned ring = mf_coord_config_ring(cfg);
	p->samples[p->next] = rtt;
	p->next = (p->next + 1) % ring;
	if (p->nsamples < ring)
		p->nsamples++;
	p->rtt = median_of_last(p, ring, cfg->latency_filter_size, cfg->mode == MF_COORD_MODE_FIT);
	p->rtt_route = median_of_last(p, ring, cfg->route_filter_size, true);
	p->route_n = cfg->route_filter_size;
	/* A real step (a path moved) shows in the short median first: past
	 * MF_COORD_ROUTE_STEP of the long one, the route follows it at once
	 * rather than after half the long filter, and its spread is the short
	 * window's (the long one still holds the samples before the step). */
	double quick = median_of_last(p, ring, cfg->latency_filter_size, true);
	if (fabs(quick - p->rtt_route) > MF_COORD_ROUTE_STEP * p->rtt_route) {
		p->rtt_route = quick;
		p->route_n = cfg->latency_filter_size;
	}
}

/* serf client.go updateVivaldi; move false: the error estimate only. */
static void update_vivaldi(struct mf_coord_client *c, const struct mf_coord *other,
			   double rtt, bool move)
{
	const struct mf_coord_config *cfg = &c->cfg;
	double dist = mf_coord_distance(&c->coord, other);
	if (rtt < ZERO_THRESHOLD)
		rtt = ZERO_THRESHOLD;
	double wrongness = fabs(dist - rtt) / rtt;

	double total = c->coord.error + other->error;
	if (total < ZERO_THRESHOLD)
		total = ZERO_THRESHOLD;
	double weight = c->coord.error / total;

	c->coord.error = cfg->vivaldi_ce * weight * wrongness +
			 c->coord.error * (1.0 - cfg->vivaldi_ce * weight);
	if (c->coord.error > cfg->vivaldi_error_max)
		c->coord.error = cfg->vivaldi_error_max;

	if (!move)
		return;
	double force = cfg->vivaldi_cc * weight * (rtt - dist);
	mf_coord_apply_force(&c->coord, cfg, force, other, &c->rng);
}

/* serf client.go updateAdjustment. */
static void update_adjustment(struct mf_coord_client *c, const struct mf_coord *other,
			      double rtt)
{
	unsigned n = c->cfg.adjustment_window;
	if (n == 0)
		return;
	c->adjustment_samples[c->adjustment_index] =
		rtt - mf_coord_raw_distance(&c->coord, other);
	c->adjustment_index = (c->adjustment_index + 1) % n;
	double sum = 0.0;
	for (unsigned i = 0; i < n; i++)
		sum += c->adjustment_samples[i];
	c->coord.adjustment = sum / (2.0 * n);
}

/* serf client.go updateGravity. */
static void update_gravity(struct mf_coord_client *c)
{
	double dist = mf_coord_distance(&c->origin, &c->coord);
	double f = dist / c->cfg.gravity_rho;
	mf_coord_apply_force(&c->coord, &c->cfg, -(f * f), &c->origin, &c->rng);
}

/* False when the budget (config.h) skips this sample's fit: a credit of
 * fit_budget peers a sample, spent by a fit over the table. A table
 * within the budget fits on every sample; a fit spends all the credit,
 * so it never builds up. Called once per sample. */
static bool fit_due(struct mf_coord_client *c)
{
	const struct mf_coord_config *cfg = &c->cfg;
	if (cfg->mode != MF_COORD_MODE_FIT || c->npeers < cfg->fit_min_samples ||
	    !cfg->fit_budget || c->npeers <= cfg->fit_budget)
		return true;
	c->fit_credit += cfg->fit_budget;
	if (c->fit_credit < c->npeers)
		return false;
	c->fit_credit = 0;
	return true;
}

/* Refit our coordinate to every remembered peer (coord/fit.h). */
static void update_fit(struct mf_coord_client *c)
{
	const struct mf_coord_config *cfg = &c->cfg;
	struct mf_coord_sample *s = c->scratch;
	size_t n = 0;

	if (c->npeers < cfg->fit_min_samples)
		return;
	c->stats.fits++;
	for (unsigned i = 0; i < c->npeers; i++) {
		const struct mf_coord_peer *p = &c->peers[i];
		/* A peer sure of its place anchors us more (Vivaldi's
		 * weighting); an old sample less, since the peer has moved
		 * since (neighbour decay, if configured). */
		double conf = 1.0 / (p->coord.error + cfg->fit_confidence_floor);
		double decay = cfg->sample_age_power > 0.0 ?
			pow((double)p->tick / (double)c->tick, cfg->sample_age_power) : 1.0;
		s[n].peer = &p->coord;
		s[n].rtt = p->rtt;
		s[n].weight = conf * conf * decay;
		c->rtts[n] = p->rtt;
		n++;
	}
	/* The floor scales with our own distances (the median RTT of the
	 * table), so it means the same in a LAN and across continents. */
	mf_select_kth(c->rtts, n, n / 2);
	c->rtt_median = c->rtts[n / 2];
	double floor = cfg->fit_rtt_floor * c->rtt_median;
	mf_coord_fit(&c->coord, cfg, s, n, floor, cfg->fit_mate_rtt * c->rtt_median,
		     cfg->fit_iterations, &c->rng);
}

static void reset(struct mf_coord_client *c)
{
	c->stats.resets++;
	mf_coord_init(&c->coord, &c->cfg);
	if (c->adjustment_samples)
		memset(c->adjustment_samples, 0,
		       c->cfg.adjustment_window * sizeof(double));
	c->adjustment_index = 0;
}

int mf_coord_client_update(struct mf_coord_client *c, const char *node,
			   const struct mf_coord *other, double rtt,
			   struct mf_coord *out)
{
	int why = check_remote(c, other);
	if (why >= 0) {
		c->stats.rejected[why]++;
		return MF_EINVAL;
	}
	if (!(rtt > 0.0)) {
		c->stats.rejected[MF_COORD_REJECT_RTT_NONPOSITIVE]++;
		return MF_EINVAL;
	}
	if (rtt > MF_COORD_RTT_MAX) {
		c->stats.rejected[MF_COORD_REJECT_RTT_TOO_BIG]++;
		return MF_EINVAL;
	}
	struct mf_coord_peer *p = get_peer(c, node);
	if (!p)
		return MF_ENOMEM;
	if (!mf_coord_is_valid(&c->coord))
		reset(c);

	c->tick++;
	c->stats.updates++;
	p->coord = *other;
	p->tick = c->tick;
	latency_filter(p, &c->cfg, rtt);

	/* A DC-mate (a sample within fit_mate_rtt of the median) says where our
	 * vector is, not our offset: the fit gives it the vector part only
	 * (coord/fit.h). serf's spring step would read our DC-level height as
	 * an error of 100x against a 0.2 ms mate, push us away by several ms
	 * and raise our error to the cap, so in fit mode it sees far samples
	 * only. */
	bool near = c->cfg.mode == MF_COORD_MODE_FIT && c->rtt_median > 0.0 &&
		    p->rtt <= c->cfg.fit_mate_rtt * c->rtt_median;
	/* A sample whose fit the budget skips leaves our position where the
	 * last fit put it (the error still learns from it): the next fit
	 * starts from there anyway, and a spring step towards one peer
	 * undone by the next fit moved an agent with 1,000 members back and
	 * forth by more than the announcement floor (coord/tracker.h) for
	 * minutes, each move gossiped (issue 12). */
	bool due = fit_due(c);
	if (!near)
		update_vivaldi(c, other, p->rtt, due);
	if (c->cfg.mode == MF_COORD_MODE_FIT) {
		if (due)
			update_fit(c);
	} else {
		update_adjustment(c, other, p->rtt);
	}
	if (due)
		update_gravity(c);
	if (!mf_coord_is_valid(&c->coord))
		reset(c);
	if (out)
		*out = c->coord;
	return MF_OK;
}

void mf_coord_client_get(const struct mf_coord_client *c, struct mf_coord *out)
{
	*out = c->coord;
}

int mf_coord_client_set(struct mf_coord_client *c, const struct mf_coord *coord)
{
	if (!mf_coord_is_valid(coord) || !mf_coord_is_compatible(&c->coord, coord))
		return MF_EINVAL;
	c->coord = *coord;
	return MF_OK;
}

int mf_coord_client_observe(struct mf_coord_client *c, const char *node,
			    const struct mf_coord *other)
{
	int why = check_remote(c, other);
	if (why >= 0) {
		c->stats.rejected[why]++;
		return MF_EINVAL;
	}
	struct mf_coord_peer *p = find_peer(c, node);
	if (!p)
		return MF_ENOTFOUND;
	p->coord = *other;
	return MF_OK;
}

void mf_coord_client_forget(struct mf_coord_client *c, const char *node)
{
	struct mf_coord_peer *p = find_peer(c, node);
	if (!p)
		return;
	free(p->name);
	*p = c->peers[--c->npeers];
}

int mf_coord_client_distance(const struct mf_coord_client *c,
			     const struct mf_coord *other, double *out)
{
	if (!mf_coord_is_valid(other) || !mf_coord_is_compatible(&c->coord, other))
		return MF_EINVAL;
	*out = mf_coord_distance(&c->coord, other);
	return MF_OK;
}

/* Inverse-variance blend of a filtered measurement m over n samples, of
 * which lo is the smallest, with the coordinate distance to other, whose
 * error our error estimate tells. The spread is taken below the filtered
 * value only: a late sample (delay only ever adds) is what the filter
 * already set aside, not a sign that the path is noisy. It is read as the
 * spread of serf's three-sample filter; a median of n > 3 varies about
 * 3 / n as much. */
static double blend(const struct mf_coord_client *c, double m, double lo, unsigned n,
		    const struct mf_coord *other)
{
	double d;
	if (!other || n < 2 || mf_coord_client_distance(c, other, &d) < 0)
		return m;
	double sm = 2.0 * (m - lo) / m;
	double sc = c->coord.error;
	double vm = sm * sm * (n > 3 ? 3.0 / n : 1.0);
	double wm = 1.0 / (vm + 1e-9), wc = 1.0 / (sc * sc + 1e-9);
	return (wm * m + wc * d) / (wm + wc);
}

/* Our measurement of peer p (NULL: none) over its last n samples
 * (filtered: route's or the coordinate's median), blended; else the
 * coordinate distance. */
static int estimate(const struct mf_coord_client *c, const struct mf_coord_peer *p,
		    const struct mf_coord *other, unsigned n, bool route, double *out,
		    int *measured)
{
	if (p && p->nsamples > 0) {
		double v[MF_COORD_FILTER_MAX];
		unsigned k = last_samples(p, mf_coord_config_ring(&c->cfg), n, v);
		double lo = v[0];
		for (unsigned i = 1; i < k; i++)
			lo = fmin(lo, v[i]);
		*out = blend(c, route ? p->rtt_route : p->rtt, lo, k, other);
		*measured = 1;
		return MF_OK;
	}
	*measured = 0;
	if (!other)
		return MF_ENOTFOUND;
	return mf_coord_client_distance(c, other, out);
}

int mf_coord_client_estimate(const struct mf_coord_client *c, const char *node,
			     const struct mf_coord *other, double *out,
			     int *measured)
{
	return estimate(c, find_peer(c, node), other, c->cfg.latency_filter_size, false, out,
			measured);
}

int mf_coord_client_route_estimate(const struct mf_coord_client *c, const char *node,
				   const struct mf_coord *other, double *out, int *measured)
{
	const struct mf_coord_peer *p = find_peer(c, node);
	unsigned n = p && p->route_n ? p->route_n : c->cfg.route_filter_size;
	return estimate(c, p, other, n, true, out, measured);
}

const struct mf_coord_stats *mf_coord_client_stats(const struct mf_coord_client *c)
{
	return &c->stats;
}
