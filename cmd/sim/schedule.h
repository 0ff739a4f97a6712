/*
 * cmd/sim/schedule.h — the scenario of a simulation: kills, joins,
 * partitions and heals, each at the start of a round.
 *
 * Contract: parsing and bookkeeping only; main.c applies the steps to the
 * network. Options add steps as given (mf_sim_schedule_add); node sets
 * are resolved once the network is loaded (mf_sim_schedule_resolve), so a
 * partition may name DCs of a topology file. Steps run in round order
 * and, within a round, in the order given.
 *
 *   -kill K@R         node K dies (no leave; its peers must detect it)
 *   -join K@R         node K starts afresh (incarnation 1, empty state) and
 *                     joins a random up node; a node whose first step is a
 *                     join is down from the start (a late joiner), one
 *                     killed before rejoins (a restart)
 *   -partition G1/G2[/G3...]@R
 *                     nothing passes between groups until a heal; a group
 *                     is a comma list of node indices, ranges A-B and, with
 *                     -topology, DC names; unlisted nodes form one more
 *                     group together
 *   -heal R           every partition ends
 */
#ifndef MF_SIM_SCHEDULE_H
#define MF_SIM_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/sim/topo.h"

enum mf_sim_step_kind { MF_SIM_STEP_KILL, MF_SIM_STEP_JOIN, MF_SIM_STEP_PARTITION, MF_SIM_STEP_HEAL };

struct mf_sim_step {
	enum mf_sim_step_kind kind;
	int round;   /* >= 1 */
	size_t node; /* kill, join */
	char *spec;  /* partition: the groups as given */
	int *group;  /* partition, once resolved: a group number per node */
};

struct mf_sim_schedule {
	struct mf_sim_step *steps;
	size_t n, cap;
};

/* Adds the step of one option; on a malformed value writes why into err
 * and returns MF_EINVAL. */
int mf_sim_schedule_add(struct mf_sim_schedule *s, const char *opt, const char *value,
			char *err, size_t errcap);
/* Checks node numbers against w->n and resolves partitions; MF_EINVAL with
 * err set on a node or DC that does not exist. */
int mf_sim_schedule_resolve(struct mf_sim_schedule *s, const struct mf_sim_world *w,
			    char *err, size_t errcap);
/* True when node i's first kill or join step is a join. */
bool mf_sim_schedule_starts_down(const struct mf_sim_schedule *s, size_t i);
void mf_sim_schedule_free(struct mf_sim_schedule *s);

#endif
