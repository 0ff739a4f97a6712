/*
 * cmd/sim/report.h — the metrics of a simulation, per reported round.
 *
 * Contract: observes only (events through mf_sim_report_event, pool views
 * through mf_sim_report_round); never changes the network. Knows which
 * nodes are really up (the caller tells it about kills and rejoins) and
 * scores every up pool's view against that truth (a partition is not part
 * of it: members declared failed across one count as false detections,
 * and views are wrong until it heals and the sides merge again);
 * coordinate errors come in from cmd/sim/coords.h. Event counts accumulate from one reported round to the
 * next, so a run may report every k rounds. Output as a text table or a
 * JSON array of one object per reported round (jansson).
 */
#ifndef MF_SIM_REPORT_H
#define MF_SIM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "cmd/sim/coords.h"
#include "cmd/sim/simnet.h"

struct mf_sim_round {
	int round;
	double time_s;
	size_t up;
	size_t right_view;   /* up pools whose view matches the truth */
	uint64_t detections; /* FAILED events about killed nodes this round */
	uint64_t false_detections; /* FAILED events about up nodes this round */
	uint64_t suspicions; /* SUSPECT events this round */
	uint64_t udp_sent;   /* datagrams this round */
	bool has_coords;     /* coordinate errors below are set */
	struct mf_sim_coord_err coords;
};

struct mf_sim_report {
	size_t n;
	bool *killed;         /* truth: node i was killed */
	double *killed_at;    /* s */
	size_t *seen_failed;  /* up pools that see node i failed */
	double *all_seen_at;  /* s, when every up pool saw i failed; < 0 not yet */
	double *first_failed; /* s, the first FAILED event about killed i; < 0 none */
	double *last_failed;  /* s, the latest one: when the last pool learned it */
	struct mf_sim_round cur;
	struct mf_sim_round *rounds;
	size_t n_rounds, cap_rounds;
	uint64_t udp_before;
	double converged_at;  /* first round end with every view right; < 0 never */
	uint64_t total_false;
	size_t slow_from;         /* nodes from this index on are slow (-slow); n: none */
	uint64_t total_false_slow; /* of total_false: about slow nodes */
};

int mf_sim_report_init(struct mf_sim_report *r, size_t n);
void mf_sim_report_free(struct mf_sim_report *r);
/* Pass as simnet's on_event (ctx = the report). */
void mf_sim_report_event(void *ctx, size_t i, mf_time_t now, const struct mf_pool_event *ev);
void mf_sim_report_killed(struct mf_sim_report *r, size_t i, mf_time_t now);
/* Node i runs (again): from now on views are right only with it alive. */
void mf_sim_report_revived(struct mf_sim_report *r, size_t i);
/* Records round `round` (counts since the last recorded one) at the
 * network's current time; ce (may be NULL) its coordinate errors. */
int mf_sim_report_round(struct mf_sim_report *r, struct mf_simnet *net, int round,
			const struct mf_sim_coord_err *ce);
void mf_sim_report_table(const struct mf_sim_report *r, FILE *out);
/* One line of totals (convergence, kills) as "# ..." comments. */
void mf_sim_report_summary(const struct mf_sim_report *r, FILE *out);
/* JSON array, one object per recorded round. */
int mf_sim_report_json(const struct mf_sim_report *r, FILE *out);

#endif
