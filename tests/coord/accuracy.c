/*
 * tests/coord/accuracy.c — see accuracy.h.
 */
#include "tests/coord/accuracy.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord/client.h"
#include "coord/rng.h"
#include "gossip/err.h"

void mf_acc_matrix_free(struct mf_acc_matrix *m)
{
	free(m->rtt);
	m->rtt = NULL;
	m->n = m->stride = 0;
}

static int is_number(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end;
	strtod(s, &end);
	return end != s;
}

/* Splits line in place on commas into at most max fields. */
static unsigned split(char *line, char **f, unsigned max)
{
	unsigned n = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, ",\r\n", &save); t && n < max;
	     t = strtok_r(NULL, ",\r\n", &save))
		f[n++] = t;
	return n;
}

int mf_acc_matrix_load(struct mf_acc_matrix *m, const char *path)
{
	enum { MAXN = 4096 };
	FILE *fp = fopen(path, "r");
	if (!fp)
		return MF_EIO;
	char **f = malloc(MAXN * sizeof(*f));
	size_t cap = 0;
	char *line = NULL;
	unsigned rows = 0, cols = 0, skipcol = 0;
	int rc = MF_OK, first = 1;

	memset(m, 0, sizeof(*m));
	if (!f) {
		fclose(fp);
		return MF_ENOMEM;
	}
	while (getline(&line, &cap, fp) > 0) {
		unsigned nf = split(line, f, MAXN);
		if (nf == 0)
			continue;
		if (first) {
			first = 0;
			/* A header row has a non-numeric cell past the corner. */
			if (!is_number(f[nf - 1]))
				continue;
		}
		if (cols == 0) {
			skipcol = !is_number(f[0]);
			cols = nf - skipcol;
			m->rtt = calloc((size_t)cols * cols, sizeof(double));
			if (!m->rtt) {
				rc = MF_ENOMEM;
				break;
			}
		}
		if (nf - skipcol != cols || rows >= cols) {
			rc = MF_EMALFORMED;
			break;
		}
		for (unsigned j = 0; j < cols; j++) {
			char *end;
			double v = strtod(f[j + skipcol], &end);
			if (end == f[j + skipcol] || !isfinite(v)) {
				rc = MF_EMALFORMED;
				break;
			}
			m->rtt[(size_t)rows * cols + j] = v / 1000.0;
		}
		if (rc < 0)
			break;
		rows++;
	}
	free(line);
	free(f);
	fclose(fp);
	if (rc == MF_OK && (rows == 0 || rows != cols))
		rc = MF_EMALFORMED;
	if (rc < 0) {
		mf_acc_matrix_free(m);
		return rc;
	}
	m->n = m->stride = cols;
	return MF_OK;
}

void mf_acc_run_default(struct mf_acc_run *r)
{
	static const unsigned rounds[] = {10, 50, 100, 200, 500};
	memset(r, 0, sizeof(*r));
	mf_coord_config_default(&r->cfg);
	r->seed = 1;
	r->nrounds = sizeof(rounds) / sizeof(rounds[0]);
	memcpy(r->rounds, rounds, sizeof(rounds));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void quantiles(double *v, size_t n, double *median, double *p90)
{
	qsort(v, n, sizeof(double), cmp_double);
	*median = v[n / 2];
	*p90 = v[(size_t)(0.9 * (double)(n - 1))];
}

static int restarted(const struct mf_acc_run *r, unsigned round, unsigned i)
{
	return r->join_round > 0 && round > r->join_round && i % r->join_every == 0;
}

static size_t k_pairs(const struct mf_acc_matrix *m)
{
	return (size_t)m->n * (m->n - 1);
}

static int evaluate(const struct mf_acc_matrix *m, const struct mf_acc_run *r,
		    unsigned round, struct mf_coord_client *cl, char (*names)[16],
		    double *err, double *est, double *fresh, struct mf_acc_result *out)
{
	size_t k = 0, nf = 0;
	double *rep = malloc(m->n * sizeof(double));
	double *act = malloc(m->n * sizeof(double));
	double *row = malloc(m->n * sizeof(double));
	double *ss = r->mixed ? malloc(k_pairs(m) * sizeof(double)) : NULL;
	double *ff = r->mixed ? malloc(k_pairs(m) * sizeof(double)) : NULL;
	size_t nss = 0, nff = 0;
	double p90;
	int rc = MF_OK;

	if (!rep || !act || !row || (r->mixed && (!ss || !ff)))
		rc = MF_ENOMEM;
	for (unsigned i = 0; rc == MF_OK && i < m->n; i++) {
		size_t nrow = 0;
		for (unsigned j = 0; rc == MF_OK && j < m->n; j++) {
			if (i == j)
				continue;
			double actual = m->rtt[(size_t)i * m->stride + j];
			double d;
			rc = mf_coord_client_distance(&cl[i], &cl[j].coord, &d);
			if (rc < 0)
				break;
			err[k] = fabs(d - actual) / actual;
			row[nrow++] = err[k];
			if (r->mixed && i % 2 == 1 && j % 2 == 1)
				ss[nss++] = err[k];
			if (r->mixed && i % 2 == 0 && j % 2 == 0)
				ff[nff++] = err[k];
			if (restarted(r, round, i) || restarted(r, round, j))
				fresh[nf++] = err[k];
			if (r->measured) {
				int measured;
				rc = mf_coord_client_estimate(&cl[i], names[j], &cl[j].coord,
							      &d, &measured);
				est[k] = fabs(d - actual) / actual;
			}
			k++;
		}
		if (rc == MF_OK) {
			quantiles(row, nrow, &act[i], &p90);
			rep[i] = cl[i].coord.error;
		}
	}
	if (rc == MF_OK) {
		quantiles(err, k, &out->median, &out->p90);
		out->est_median = out->est_p90 = NAN;
		if (r->measured)
			quantiles(est, k, &out->est_median, &out->est_p90);
		out->new_median = out->new_p90 = NAN;
		if (nf > 0)
			quantiles(fresh, nf, &out->new_median, &out->new_p90);
		quantiles(rep, m->n, &out->err_reported, &p90);
		quantiles(act, m->n, &out->err_actual, &p90);
		out->serf_median = out->fit_median = NAN;
		if (nss > 0)
			quantiles(ss, nss, &out->serf_median, &p90);
		if (nff > 0)
			quantiles(ff, nff, &out->fit_median, &p90);
	}
	free(ss);
	free(ff);
	free(rep);
	free(act);
	free(row);
	return rc;
}

/* Fisher-Yates over 0..n-1. */
static void shuffle(unsigned *o, unsigned n, struct mf_coord_rng *rng)
{
	for (unsigned i = 0; i < n; i++)
		o[i] = i;
	for (unsigned i = n; i > 1; i--) {
		unsigned k = mf_coord_rng_below(rng, i);
		unsigned t = o[i - 1];
		o[i - 1] = o[k];
		o[k] = t;
	}
}

int mf_acc_run(const struct mf_acc_matrix *m, const struct mf_acc_run *r,
	       struct mf_acc_result *res)
{
	unsigned n = m->n;
	size_t pairs = (size_t)n * (n - 1);
	struct mf_coord_client *cl = calloc(n, sizeof(*cl));
	char (*names)[16] = calloc(n, sizeof(*names));
	double *err = malloc(pairs * sizeof(double));
	double *est = malloc(pairs * sizeof(double));
	double *fresh = malloc(pairs * sizeof(double));
	/* Round-robin: node i's probe order is order[i * n ..], next[i]. */
	unsigned *order = r->round_robin ? malloc((size_t)n * n * sizeof(unsigned)) : NULL;
	unsigned *next = r->round_robin ? calloc(n, sizeof(unsigned)) : NULL;
	struct mf_coord_rng rng;
	unsigned ready = 0;
	int rc = MF_OK;

	if (n < 2 || r->nrounds == 0)
		rc = MF_EINVAL;
	else if (r->join_round > 0 && r->join_every == 0)
		rc = MF_EINVAL;
	else if (!cl || !names || !err || !est || !fresh ||
		 (r->round_robin && (!order || !next)))
		rc = MF_ENOMEM;
	mf_coord_rng_seed(&rng, r->seed);
	for (unsigned i = 0; rc == MF_OK && i < n; i++) {
		struct mf_coord_config cfg = r->cfg;
		cfg.seed = mf_coord_rng_next(&rng);
		if (r->mixed && i % 2 == 1) {
			cfg.mode = MF_COORD_MODE_SERF;
			cfg.peer_table_size = n;
		}
		snprintf(names[i], sizeof(names[i]), "node_%u", i);
		rc = mf_coord_client_init(&cl[i], &cfg);
		if (rc == MF_OK)
			ready++;
	}
	unsigned k = 0;
	for (unsigned round = 1; rc == MF_OK && k < r->nrounds; round++) {
		for (unsigned i = 0; rc == MF_OK && i < n; i++) {
			unsigned j;
			if (r->round_robin) {
				/* memberlist probes members in a list it shuffles
				 * each time it has gone through it. */
				unsigned *o = order + (size_t)i * n;
				if (next[i] % n == 0)
					shuffle(o, n, &rng);
				j = o[next[i]++ % n];
			} else {
				j = mf_coord_rng_below(&rng, n);
			}
			if (j == i)
				continue;
			double rtt = m->rtt[(size_t)i * m->stride + j];
			if (r->noise > 0.0)
				rtt *= 1.0 + r->noise * (2.0 * mf_coord_rng_unit(&rng) - 1.0);
			struct mf_coord other = cl[j].coord;
			rc = mf_coord_client_update(&cl[i], names[j], &other, rtt, NULL);
		}
		if (rc == MF_OK && round == r->rounds[k])
			rc = evaluate(m, r, round, cl, names, err, est, fresh, &res[k++]);
		if (rc == MF_OK && round == r->join_round)
			for (unsigned i = 0; rc == MF_OK && i < n; i += r->join_every) {
				/* Restart: same name, fresh state; peers keep
				 * what they knew until they sample it again. */
				struct mf_coord_config cfg = cl[i].cfg;
				cfg.seed = mf_coord_rng_next(&rng);
				mf_coord_client_free(&cl[i]);
				rc = mf_coord_client_init(&cl[i], &cfg);
			}
	}
	for (unsigned i = 0; i < ready; i++)
		mf_coord_client_free(&cl[i]);
	free(cl);
	free(names);
	free(err);
	free(est);
	free(fresh);
	free(order);
	free(next);
	return rc;
}
