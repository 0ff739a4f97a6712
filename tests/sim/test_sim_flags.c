/*
 * tests/sim/test_sim_flags.c — meshfed-sim's run-shaping flags end to end
 * (-cut, -max-wall, -tables, -progress: each test fails if its flag
 * becomes a no-op) and the arguments it must refuse.
 */
#include <CUnit/Basic.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/cunit_main.h"
#include "tests/sim/sim_run.h"

#define MATRIX MF_SIM_FIXTURES "/wondernetwork_36_labelled.csv"
#define TOPOLOGY MF_SIM_FIXTURES "/three_dcs.json"
#define FOUR_DCS MF_SIM_FIXTURES "/four_dcs.json"

/* Times "needle" occurs in hay. */
static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* A -routes run's tables (stdout) as a JSON object, stderr in sim_err_text;
 * NULL unless it printed one. */
static json_t *routes_run(const char *args, int *status)
{
	char *out = sim_run_err(args, status);
	json_t *doc = out ? json_loads(out, 0, NULL) : NULL;
	free(out);
	if (doc != NULL && !json_is_object(doc)) {
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

/* DC from's route status to target ("" when absent). */
static const char *route_status(json_t *doc, const char *from, const char *target)
{
	json_t *r;
	size_t i;
	json_array_foreach(json_object_get(json_object_get(doc, from), "routes"), i, r) {
		if (strcmp(json_string_value(json_object_get(r, "target")), target) == 0)
			return json_string_value(json_object_get(r, "status"));
	}
	return "";
}

#define ROUTES_RUN "-topology " FOUR_DCS " -routes -profile lan -rounds 60"

/* -cut R: at round R the DCs split into the file's halves (dc1 dc2 | dc3
 * dc4); the routes across, held before it, are gone within 30 rounds and
 * the run waits for that; each half keeps its own. Without -cut dc1
 * reaches dc3 directly and no cut is reported. */
static void test_cut_withdraws_the_routes_across_the_halves(void)
{
	int status, held = 0, after = 0;
	json_t *doc = routes_run(ROUTES_RUN " -cut 10", &status);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	const char *p = strstr(sim_err_text, "cut at round 10: ");
	CU_ASSERT_TRUE_FATAL(p != NULL);
	CU_ASSERT_EQUAL(sscanf(p, "cut at round 10: %d routes across held before it", &held), 1);
	CU_ASSERT(held > 0);
	p = strstr(sim_err_text, "cut at round 10: routes across withdrawn after ");
	CU_ASSERT_TRUE_FATAL(p != NULL);
	CU_ASSERT_EQUAL(sscanf(p, "cut at round 10: routes across withdrawn after %d", &after), 1);
	CU_ASSERT(after >= 1 && after <= 30);
	CU_ASSERT_STRING_EQUAL(route_status(doc, "dc1", "dc3"), "unreachable");
	CU_ASSERT_STRING_EQUAL(route_status(doc, "dc1", "dc4"), "unreachable");
	CU_ASSERT_STRING_EQUAL(route_status(doc, "dc4", "dc2"), "unreachable");
	CU_ASSERT_STRING_EQUAL(route_status(doc, "dc1", "dc2"), "direct");
	CU_ASSERT_STRING_EQUAL(route_status(doc, "dc3", "dc4"), "direct");
	json_decref(doc);
	doc = routes_run(ROUTES_RUN, &status);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_STRING_EQUAL(route_status(doc, "dc1", "dc3"), "direct");
	CU_ASSERT_PTR_NULL(strstr(sim_err_text, "cut at round"));
	json_decref(doc);
}

/* -max-wall S: the run stops after the first round that ends past S s of
 * wall time (here any), and fails as not converged; without it the same
 * run converges (9 rounds for seed 1). */
static void test_max_wall_stops_the_run_after_the_round_that_passes_it(void)
{
	int status, rounds = 0;
	json_t *doc = routes_run(ROUTES_RUN " -max-wall 1e-9", &status);
	CU_ASSERT_EQUAL(status, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sim_err_text, "stopped after round 1: -max-wall"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sim_err_text, "not converged after 1 rounds"));
	json_decref(doc);
	doc = routes_run(ROUTES_RUN, &status);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_PTR_NULL(strstr(sim_err_text, "-max-wall"));
	const char *p = strstr(sim_err_text, "converged after ");
	CU_ASSERT_TRUE_FATAL(p != NULL);
	CU_ASSERT_EQUAL(sscanf(p, "converged after %d rounds", &rounds), 1);
	CU_ASSERT(rounds > 1);
	json_decref(doc);
}

/* -tables off: nothing on stdout; the run and its scores on stderr are
 * the same as with the tables printed (-tables on, the default). */
static void test_tables_off_prints_no_tables_and_the_same_scores(void)
{
	int status;
	char on_err[sizeof(sim_err_text)];
	json_t *doc = routes_run(ROUTES_RUN " -tables on", &status);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_PTR_NOT_NULL(doc);
	CU_ASSERT_EQUAL(json_object_size(doc), 4);
	json_decref(doc);
	CU_ASSERT_PTR_NOT_NULL(strstr(sim_err_text, "routes vs true RTTs: "));
	memcpy(on_err, sim_err_text, sizeof(on_err));
	char *out = sim_run_err(ROUTES_RUN " -tables off", &status);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	/* the CPU line differs between runs: compare what comes before it */
	char *cpu_on = strstr(on_err, "CPU: "), *cpu_off = strstr(sim_err_text, "CPU: ");
	CU_ASSERT_TRUE_FATAL(cpu_on != NULL && cpu_off != NULL);
	*cpu_on = *cpu_off = '\0';
	CU_ASSERT_STRING_EQUAL(sim_err_text, on_err);
}

/* -progress: a line on stderr after every round and every 100 joins,
 * and the run itself unchanged. */
static void test_progress_reports_rounds_and_joins_on_stderr(void)
{
	int status;
	char *with = sim_run_err("-n 101 -profile lan -rounds 3 -serf-glue off -format json -progress",
			     &status);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(with);
	CU_ASSERT_EQUAL(count(sim_err_text, "# progress round "), 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(sim_err_text, "# progress round 3: "));
	CU_ASSERT_EQUAL(count(sim_err_text, "# progress joins "), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sim_err_text, "# progress joins 1: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(sim_err_text, " s CPU, peak RSS "));
	CU_ASSERT_PTR_NOT_NULL(strstr(sim_err_text, " GB, queued ")); /* the backlog */
	char *without = sim_run_err("-n 101 -profile lan -rounds 3 -serf-glue off -format json",
				&status);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(without);
	CU_ASSERT_EQUAL(count(sim_err_text, "# progress"), 0);
	CU_ASSERT_TRUE(strlen(with) > 100);
	CU_ASSERT_STRING_EQUAL(with, without);
	free(with);
	free(without);
}

/* -progress with the serf glue: every 10th round's line adds the serf
 * check so far and the queue's two parts; at the last round it is the
 * check the run ends with. */
static void test_progress_checks_serf_every_10th_round(void)
{
	int status;
	char *out = sim_run_err("-n 100 -profile lan -rounds 10 -format json -progress", &status);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	free(out);
	const char *r9 = strstr(sim_err_text, "# progress round 9: ");
	const char *r10 = strstr(sim_err_text, "# progress round 10: ");
	CU_ASSERT_TRUE_FATAL(r9 != NULL && r10 != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r9, "membership "));
	const char *p9 = strstr(r9, "; serf "), *p10 = strstr(r10, "; serf ");
	CU_ASSERT_TRUE(p9 == p10); /* round 9 has none: the first is round 10's */
	unsigned long long miss, stale, pairs, end_miss, end_stale, end_pairs;
	CU_ASSERT_TRUE_FATAL(p10 != NULL &&
			     sscanf(p10, "; serf %llu missing, %llu stale of %llu pairs", &miss,
				    &stale, &pairs) == 3);
	const char *end = strstr(sim_err_text, "# serf: ");
	CU_ASSERT_TRUE_FATAL(end != NULL &&
			     sscanf(end, "# serf: %*u nodes, %llu pairs, %llu missing, %llu stale",
				    &end_pairs, &end_miss, &end_stale) == 3);
	CU_ASSERT_EQUAL(pairs, 100ULL * 99);
	CU_ASSERT_EQUAL(pairs, end_pairs);
	CU_ASSERT_EQUAL(miss, end_miss);
	CU_ASSERT_EQUAL(stale, end_stale);
}

/* -progress with a kill: once detected, every round's line carries the
 * kill's first and latest failure so far, the summary's figures (a run
 * cut by its time slot prints no summary). */
static void test_progress_reports_detection_so_far(void)
{
	int status;
	char *out = sim_run_err("-n 40 -profile lan -rounds 20 -kill 3@5 -progress", &status);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	double first, last, p_first, p_last;
	const char *sum = strstr(out, "first declared failed at ");
	CU_ASSERT_TRUE_FATAL(sum != NULL && sscanf(sum, "first declared failed at %lf s, last pool at %lf s",
						   &first, &last) == 2);
	const char *r20 = strstr(sim_err_text, "# progress round 20: ");
	const char *k = r20 ? strstr(r20, "; n003 killed at 4.0 s: ") : NULL;
	CU_ASSERT_TRUE_FATAL(k != NULL && sscanf(k, "; n003 killed at 4.0 s: first declared failed at %lf s, "
						 "latest so far at %lf s", &p_first, &p_last) == 2);
	CU_ASSERT_DOUBLE_EQUAL(p_first, first, 0.0005);
	CU_ASSERT_DOUBLE_EQUAL(p_last, last, 0.0005);
	const char *r4 = strstr(sim_err_text, "# progress round 4: ");
	CU_ASSERT_TRUE(r4 != NULL && strstr(r4, "killed at") > strstr(r4, "\n")); /* not before */
	free(out);
}

/* Runs with args and checks the exit status. */
static void expect_status(const char *args, int want)
{
	int status;
	free(sim_run(args, &status));
	CU_ASSERT_EQUAL(status, want);
}

static void test_bad_arguments_fail(void)
{
	expect_status("-matrix /nonexistent/m.csv -rounds 2", 1);
	expect_status("-matrix " MATRIX " -noise 1.5", 2);
	expect_status("-matrix " MATRIX " -topology " TOPOLOGY, 2);
	expect_status("-matrix " MATRIX " -kill 99@2", 2);
	expect_status("-matrix " MATRIX " -join 99@2", 2);
	expect_status("-topology " TOPOLOGY " -partition dc9/dc1@2", 2);
	expect_status("-matrix " MATRIX " -partition 0-3@x", 2);
	expect_status("-matrix " MATRIX " -heal 0", 2);
	/* The choice options take only their names. */
	expect_status("-matrix " MATRIX " -format xml", 2);
	expect_status("-matrix " MATRIX " -coords vivaldi", 2);
	expect_status("-topology " TOPOLOGY " -routes -link-estimate worst", 2);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_bad_arguments_fail),
		TEST(test_cut_withdraws_the_routes_across_the_halves),
		TEST(test_max_wall_stops_the_run_after_the_round_that_passes_it),
		TEST(test_tables_off_prints_no_tables_and_the_same_scores),
		TEST(test_progress_reports_rounds_and_joins_on_stderr),
		TEST(test_progress_checks_serf_every_10th_round),
		TEST(test_progress_reports_detection_so_far),
	};
	return RUN_SUITE("sim_flags", tests);
}
