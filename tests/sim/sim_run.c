/*
 * tests/sim/sim_run.c — running the built meshfed-sim from the sim tests
 * (sim_run.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/run_cmd.h"
#include "tests/sim/sim_run.h"

/* Runs meshfed-sim with args; stdout into a malloc'd string, exit status
 * into *status, stderr discarded. */
char *sim_run(const char *args, int *status)
{
	return mf_test_run_cmd(MF_SIM_BIN, args, NULL, 0, status);
}

char sim_err_text[16384];

/* As sim_run(), with stderr kept in sim_err_text. */
char *sim_run_err(const char *args, int *status)
{
	return mf_test_run_cmd(MF_SIM_BIN, args, sim_err_text, sizeof(sim_err_text), status);
}

/* Runs with -format json; the parsed array (NULL on any failure). */
json_t *sim_run_json(const char *args)
{
	char full[2048];
	int status;
	snprintf(full, sizeof(full), "%s -format json", args);
	char *out = sim_run(full, &status);
	json_t *doc = out && status == 0 ? json_loads(out, 0, NULL) : NULL;
	free(out);
	if (doc != NULL && !json_is_array(doc)) {
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

/* The object of round r, or NULL. */
json_t *sim_round_of(json_t *doc, int r)
{
	size_t i;
	json_t *o;
	json_array_foreach(doc, i, o) {
		if (json_integer_value(json_object_get(o, "round")) == r)
			return o;
	}
	return NULL;
}

double sim_num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}
