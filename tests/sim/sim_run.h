/*
 * tests/sim/sim_run.h — running the built meshfed-sim (MF_SIM_BIN) from the
 * sim tests: its output as a string, its stderr kept, its JSON report
 * parsed. Shared by test_sim.c and test_sim_flags.c.
 */
#ifndef MF_TESTS_SIM_RUN_H
#define MF_TESTS_SIM_RUN_H

#include <jansson.h>

/* meshfed-sim with args: stdout malloc'd, exit status into *status,
 * stderr discarded (sim_run) or kept in sim_err_text (sim_run_err). */
char *sim_run(const char *args, int *status);
extern char sim_err_text[16384];
char *sim_run_err(const char *args, int *status);
/* With -format json: the parsed array, NULL on any failure. */
json_t *sim_run_json(const char *args);
/* The object of round r in a report, or NULL. */
json_t *sim_round_of(json_t *doc, int r);
double sim_num(json_t *o, const char *key);

#endif
