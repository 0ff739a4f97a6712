/*
 * cmd/sim/schedule.c — kills, joins, partitions and heals. See schedule.h.
 */
#include "cmd/sim/schedule.h"
#include "gossip/grow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

/* A round number >= 1 filling all of text. */
static bool parse_round(const char *text, int *round)
{
	char *end;
	errno = 0;
	long r = strtol(text, &end, 10);
	if (end == text || *end != '\0' || errno != 0 || r < 1 || r > 1000000000L)
		return false;
	*round = (int)r;
	return true;
}

static bool parse_node(const char *text, const char *stop, size_t *node)
{
	char *end;
	if (text == stop || *text < '0' || *text > '9')
		return false;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (end != stop || errno != 0)
		return false;
	*node = v;
	return true;
}

static struct mf_sim_step *push(struct mf_sim_schedule *s)
{
	if (mf_grow(&s->steps, &s->cap, s->n + 1, 16) != 0)
		return NULL;
	struct mf_sim_step *st = &s->steps[s->n++];
	memset(st, 0, sizeof(*st));
	return st;
}

int mf_sim_schedule_add(struct mf_sim_schedule *s, const char *opt, const char *value,
			char *err, size_t errcap)
{
	struct mf_sim_step step = {0};
	if (strcmp(opt, "-heal") == 0) {
		step.kind = MF_SIM_STEP_HEAL;
		if (!parse_round(value, &step.round)) {
			snprintf(err, errcap, "-heal wants ROUND (>= 1), not \"%s\"", value);
			return MF_EINVAL;
		}
	} else {
		const char *at = strrchr(value, '@');
		bool partition = strcmp(opt, "-partition") == 0;
		step.kind = partition ? MF_SIM_STEP_PARTITION :
			    strcmp(opt, "-join") == 0 ? MF_SIM_STEP_JOIN : MF_SIM_STEP_KILL;
		bool ok = at != NULL && parse_round(at + 1, &step.round);
		if (ok && partition)
			ok = at != value;
		else if (ok)
			ok = parse_node(value, at, &step.node);
		if (!ok) {
			snprintf(err, errcap, "%s wants %s@ROUND (ROUND >= 1), not \"%s\"", opt,
				 partition ? "GROUP/GROUP[/...]" : "NODE", value);
			return MF_EINVAL;
		}
		if (partition && (step.spec = strndup(value, (size_t)(at - value))) == NULL)
			return MF_ENOMEM;
	}
	struct mf_sim_step *st = push(s);
	if (st == NULL) {
		free(step.spec);
		return MF_ENOMEM;
	}
	*st = step;
	return MF_OK;
}

/* Puts every node that `item` names into group g: a DC name (topology
 * runs), a node index or a range A-B. */
static int resolve_item(const char *item, const struct mf_sim_world *w, int g, int *group,
			char *err, size_t errcap)
{
	bool any = false;
	for (size_t d = 0; d < w->n_dcs; d++) {
		if (strcmp(item, w->dc_names[d]) != 0)
			continue;
		for (size_t i = 0; i < w->n; i++)
			if (w->dc[i] == (int)d) {
				group[i] = g;
				any = true;
			}
		return any ? MF_OK : (snprintf(err, errcap, "-partition: DC %s has no servers",
					       item), MF_EINVAL);
	}
	size_t a, b;
	const char *dash = strchr(item, '-');
	const char *end = item + strlen(item);
	bool ok = dash ? parse_node(item, dash, &a) && parse_node(dash + 1, end, &b) :
			 parse_node(item, end, &a);
	if (!dash)
		b = a;
	if (!ok || a > b || b >= w->n) {
		snprintf(err, errcap, "-partition: \"%s\" is not a DC, a node below %zu or a "
			 "range A-B of them", item, w->n);
		return MF_EINVAL;
	}
	for (size_t i = a; i <= b; i++)
		group[i] = g;
	return MF_OK;
}

static int resolve_partition(struct mf_sim_step *st, const struct mf_sim_world *w, char *err,
			     size_t errcap)
{
	char *copy = strdup(st->spec);
	st->group = calloc(w->n ? w->n : 1, sizeof(int));
	if (copy == NULL || st->group == NULL) {
		free(copy);
		return MF_ENOMEM;
	}
	int rc = MF_OK, g = 0;
	char *gs, *gsave = NULL;
	for (gs = strtok_r(copy, "/", &gsave); gs && rc == MF_OK; gs = strtok_r(NULL, "/", &gsave)) {
		char *item, *isave = NULL;
		g++; /* unlisted nodes keep group 0 */
		for (item = strtok_r(gs, ",", &isave); item && rc == MF_OK;
		     item = strtok_r(NULL, ",", &isave))
			rc = resolve_item(item, w, g, st->group, err, errcap);
	}
	if (rc == MF_OK && g < 1) {
		snprintf(err, errcap, "-partition: no group in \"%s\"", st->spec);
		rc = MF_EINVAL;
	}
	free(copy);
	return rc;
}

int mf_sim_schedule_resolve(struct mf_sim_schedule *s, const struct mf_sim_world *w,
			    char *err, size_t errcap)
{
	for (size_t k = 0; k < s->n; k++) {
		struct mf_sim_step *st = &s->steps[k];
		if ((st->kind == MF_SIM_STEP_KILL || st->kind == MF_SIM_STEP_JOIN) && st->node >= w->n) {
			snprintf(err, errcap, "%s %zu: only %zu nodes",
				 st->kind == MF_SIM_STEP_KILL ? "-kill" : "-join", st->node, w->n);
			return MF_EINVAL;
		}
		if (st->kind == MF_SIM_STEP_PARTITION) {
			int rc = resolve_partition(st, w, err, errcap);
			if (rc != MF_OK)
				return rc;
		}
	}
	return MF_OK;
}

bool mf_sim_schedule_starts_down(const struct mf_sim_schedule *s, size_t i)
{
	const struct mf_sim_step *first = NULL;
	for (size_t k = 0; k < s->n; k++) {
		const struct mf_sim_step *st = &s->steps[k];
		if ((st->kind == MF_SIM_STEP_KILL || st->kind == MF_SIM_STEP_JOIN) && st->node == i &&
		    (first == NULL || st->round < first->round))
			first = st;
	}
	return first != NULL && first->kind == MF_SIM_STEP_JOIN;
}

void mf_sim_schedule_free(struct mf_sim_schedule *s)
{
	for (size_t k = 0; k < s->n; k++) {
		free(s->steps[k].spec);
		free(s->steps[k].group);
	}
	free(s->steps);
	memset(s, 0, sizeof(*s));
}
