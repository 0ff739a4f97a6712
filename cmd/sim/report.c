#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/sim/report.h"
#include "gossip/grow.h"

int mf_sim_report_init(struct mf_sim_report *r, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->slow_from = n;
	r->killed = calloc(n, sizeof(*r->killed));
	r->killed_at = calloc(n, sizeof(*r->killed_at));
	r->seen_failed = calloc(n, sizeof(*r->seen_failed));
	r->all_seen_at = calloc(n, sizeof(*r->all_seen_at));
	r->first_failed = calloc(n, sizeof(*r->first_failed));
	r->last_failed = calloc(n, sizeof(*r->last_failed));
	if (!r->killed || !r->killed_at || !r->seen_failed || !r->all_seen_at || !r->first_failed ||
	    !r->last_failed) {
		mf_sim_report_free(r);
		return MF_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		r->all_seen_at[i] = r->first_failed[i] = r->last_failed[i] = -1;
	r->converged_at = -1;
	return 0;
}

void mf_sim_report_free(struct mf_sim_report *r)
{
	free(r->killed);
	free(r->killed_at);
	free(r->seen_failed);
	free(r->all_seen_at);
	free(r->first_failed);
	free(r->last_failed);
	free(r->rounds);
	memset(r, 0, sizeof(*r));
}

static long index_of(const struct mf_sim_report *r, const char *name)
{
	char *end;
	if (name == NULL || name[0] != 'n' || name[1] < '0' || name[1] > '9')
		return -1;
	long i = strtol(name + 1, &end, 10);
	if (*end != '\0' || i < 0 || (size_t)i >= r->n)
		return -1;
	return i;
}

void mf_sim_report_event(void *ctx, size_t i, mf_time_t now, const struct mf_pool_event *ev)
{
	struct mf_sim_report *r = ctx;
	if (ev->kind != MF_EV_FAILED && ev->kind != MF_EV_SUSPECT)
		return; /* N^2 joins: no name parsed for them */
	long t = index_of(r, ev->name);
	if (t < 0)
		return;
	if (ev->kind == MF_EV_FAILED) {
		if (r->killed[t]) {
			r->cur.detections++;
			double at = (double)now / MF_SEC;
			if (r->first_failed[t] < 0)
				r->first_failed[t] = at;
			r->last_failed[t] = at;
		} else {
			r->cur.false_detections++;
			r->total_false++;
			r->total_false_slow += (size_t)t >= r->slow_from;
		}
	} else if (ev->kind == MF_EV_SUSPECT) {
		r->cur.suspicions++;
	}
}

void mf_sim_report_killed(struct mf_sim_report *r, size_t i, mf_time_t now)
{
	if (i >= r->n)
		return;
	r->killed[i] = true;
	r->killed_at[i] = (double)now / MF_SEC;
	r->all_seen_at[i] = r->first_failed[i] = r->last_failed[i] = -1;
}

void mf_sim_report_revived(struct mf_sim_report *r, size_t i)
{
	if (i < r->n)
		r->killed[i] = false;
}

/* Does pool p see every up node alive and every killed node failed, left
 * or forgotten? Cheap form of the check: if no killed node is alive in the
 * view, the alive members are a subset of the up nodes, so an equal count
 * (self included on both sides) means the same set. */
/* Whether node j was killed and p knows it; its status in p then. */
static bool killed_seen(const struct mf_sim_report *r, mf_pool_t *p, size_t j,
			enum mf_member_status *st)
{
	struct mf_member m;
	char name[32];
	if (!r->killed[j])
		return false;
	snprintf(name, sizeof(name), "n%03zu", j);
	if (mf_pool_member_find(p, name, &m) != 0)
		return false;
	*st = m.status;
	return true;
}

static bool view_right(const struct mf_sim_report *r, mf_pool_t *p, size_t up)
{
	enum mf_member_status st;
	if (mf_pool_alive_count(p) != up)
		return false;
	for (size_t j = 0; j < r->n; j++)
		if (killed_seen(r, p, j, &st) && (st == MF_MEMBER_ALIVE || st == MF_MEMBER_SUSPECT))
			return false;
	return true;
}

int mf_sim_report_round(struct mf_sim_report *r, struct mf_simnet *net, int round,
			const struct mf_sim_coord_err *ce)
{
	struct mf_simnet_stats st;
	mf_time_t now = mf_simnet_now(net);

	r->cur.round = round;
	r->cur.time_s = (double)now / MF_SEC;
	r->cur.up = 0;
	r->cur.right_view = 0;
	memset(r->seen_failed, 0, r->n * sizeof(*r->seen_failed));
	for (size_t i = 0; i < r->n; i++)
		r->cur.up += mf_simnet_is_up(net, i);
	for (size_t i = 0; i < r->n; i++) {
		mf_pool_t *p = mf_simnet_pool(net, i);
		if (p == NULL)
			continue;
		if (view_right(r, p, r->cur.up))
			r->cur.right_view++;
		for (size_t j = 0; j < r->n; j++) {
			enum mf_member_status ms;
			if (killed_seen(r, p, j, &ms) &&
			    (ms == MF_MEMBER_FAILED || ms == MF_MEMBER_LEFT))
				r->seen_failed[j]++;
		}
	}
	for (size_t j = 0; j < r->n; j++)
		if (r->killed[j] && r->all_seen_at[j] < 0 && r->seen_failed[j] == r->cur.up)
			r->all_seen_at[j] = r->cur.time_s;
	if (r->converged_at < 0 && r->cur.right_view == r->cur.up)
		r->converged_at = r->cur.time_s;
	mf_simnet_get_stats(net, &st);
	r->cur.udp_sent = st.udp_sent - r->udp_before;
	r->udp_before = st.udp_sent;
	r->cur.has_coords = ce != NULL;
	if (ce != NULL)
		r->cur.coords = *ce;

	if (mf_grow(&r->rounds, &r->cap_rounds, r->n_rounds + 1, 64) != 0)
		return MF_ENOMEM;
	r->rounds[r->n_rounds++] = r->cur;
	memset(&r->cur, 0, sizeof(r->cur));
	return 0;
}

void mf_sim_report_table(const struct mf_sim_report *r, FILE *out)
{
	bool dcs = r->n_rounds > 0 && r->rounds[r->n_rounds - 1].coords.dc_pairs > 0;
	fprintf(out, "%6s %8s %5s %6s %6s %5s %7s %8s | %6s %6s %6s %6s %6s %6s %5s%s\n", "round",
		"time_s", "up", "view", "detect", "false", "suspect", "udp", "med", "p90",
		"b_med", "b_p90", "v_med", "v_p90", "cover",
		dcs ? " | dc_med dc_p90 dcbmed dcbp90 dc_max dpmax" : "");
	for (size_t i = 0; i < r->n_rounds; i++) {
		const struct mf_sim_round *x = &r->rounds[i];
		fprintf(out, "%6d %8.1f %5zu %6zu %6llu %5llu %7llu %8llu", x->round, x->time_s,
			x->up, x->right_view, (unsigned long long)x->detections,
			(unsigned long long)x->false_detections, (unsigned long long)x->suspicions,
			(unsigned long long)x->udp_sent);
		if (x->has_coords)
			fprintf(out, " | %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f %5.2f", x->coords.median,
				x->coords.p90, x->coords.best_median, x->coords.best_p90,
				x->coords.view_median, x->coords.view_p90, x->coords.coverage);
		if (x->has_coords && x->coords.dc_pairs > 0)
			fprintf(out, " | %6.3f %6.3f %6.3f %6.3f %6.3f %5.3f", x->coords.dc_median,
				x->coords.dc_p90, x->coords.dc_best_median, x->coords.dc_best_p90,
				x->coords.dc_max, x->coords.dc_pair_pairs ? x->coords.dc_pair_max : NAN);
		fputc('\n', out);
	}
}

void mf_sim_report_summary(const struct mf_sim_report *r, FILE *out)
{
	fprintf(out, "# converged_at_s %.1f, false_detections %llu\n", r->converged_at,
		(unsigned long long)r->total_false);
	for (size_t j = 0; j < r->n; j++)
		if (r->killed[j])
			fprintf(out, "# n%03zu killed at %.1f s, all saw it failed at %.1f s (%+.1f s); "
				"first declared failed at %.3f s, last pool at %.3f s\n", j,
				r->killed_at[j], r->all_seen_at[j],
				r->all_seen_at[j] < 0 ? -1.0 : r->all_seen_at[j] - r->killed_at[j],
				r->first_failed[j], r->last_failed[j]);
}

/* NaN (no pair) as null. */
static json_t *real_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

int mf_sim_report_json(const struct mf_sim_report *r, FILE *out)
{
	json_t *rounds = json_array();
	int rc;

	for (size_t i = 0; i < r->n_rounds; i++) {
		const struct mf_sim_round *x = &r->rounds[i];
		json_t *o = json_pack("{s:i,s:f,s:I,s:I,s:b,s:I,s:I,s:I,s:I}",
			"round", x->round, "time_s", x->time_s, "up", (json_int_t)x->up,
			"right_view", (json_int_t)x->right_view,
			"converged", x->right_view == x->up,
			"detections", (json_int_t)x->detections,
			"false_detections", (json_int_t)x->false_detections,
			"suspicions", (json_int_t)x->suspicions, "udp_sent", (json_int_t)x->udp_sent);
		if (x->has_coords) {
			const struct mf_sim_coord_err *c = &x->coords;
			json_object_set_new(o, "median_rel_err", real_or_null(c->median));
			json_object_set_new(o, "p90_rel_err", real_or_null(c->p90));
			json_object_set_new(o, "best_median_rel_err", real_or_null(c->best_median));
			json_object_set_new(o, "best_p90_rel_err", real_or_null(c->best_p90));
			json_object_set_new(o, "view_median_rel_err", real_or_null(c->view_median));
			json_object_set_new(o, "view_p90_rel_err", real_or_null(c->view_p90));
			json_object_set_new(o, "view_coverage", json_real(c->coverage));
			json_object_set_new(o, "pairs", json_integer((json_int_t)c->pairs));
			json_object_set_new(o, "coord_rejected", json_integer((json_int_t)c->rejected));
			if (c->dc_pairs > 0) {
				json_object_set_new(o, "dc_median_rel_err", real_or_null(c->dc_median));
				json_object_set_new(o, "dc_p90_rel_err", real_or_null(c->dc_p90));
				json_object_set_new(o, "dc_best_median_rel_err",
						    real_or_null(c->dc_best_median));
				json_object_set_new(o, "dc_best_p90_rel_err", real_or_null(c->dc_best_p90));
				json_object_set_new(o, "dc_pairs", json_integer((json_int_t)c->dc_pairs));
				json_object_set_new(o, "dc_max_rel_err", real_or_null(c->dc_max));
				if (c->dc_pair_pairs > 0) {
					json_object_set_new(o, "dc_pair_max_rel_err",
							    real_or_null(c->dc_pair_max));
					json_object_set_new(o, "dc_pair_median_rel_err",
							    real_or_null(c->dc_pair_median));
				}
				if (c->serf_pairs > 0)
					json_object_set_new(o, "serf_view_max_rel_err",
							    real_or_null(c->serf_view_max));
			}
		}
		json_array_append_new(rounds, o);
	}
	rc = json_dumpf(rounds, out, JSON_INDENT(1)) == 0 ? 0 : MF_EIO;
	fputc('\n', out);
	json_decref(rounds);
	return rc;
}
