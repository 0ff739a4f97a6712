#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/sim/matrix.h"
#include "gossip/err.h"

/* Parses one CSV line of numbers into row (growing); returns count or < 0. */
static long parse_row(char *line, double **row, size_t *cap)
{
	size_t n = 0;
	char *s = line;
	while (*s != '\0' && *s != '\n' && *s != '\r') {
		char *end;
		double v = strtod(s, &end);
		if (end == s || v < 0)
			return MF_EINVAL;
		if (n == *cap) {
			size_t c = *cap ? *cap * 2 : 256;
			double *r = realloc(*row, c * sizeof(*r));
			if (r == NULL)
				return MF_ENOMEM;
			*row = r;
			*cap = c;
		}
		(*row)[n++] = v;
		s = end;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == ',')
			s++;
	}
	return (long)n;
}

int mf_sim_matrix_load(const char *path, size_t limit, double **delay_ms, size_t *n_out)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t line_cap = 0, row_cap = 0, n = 0, rows = 0;
	double *row = NULL, *m = NULL;
	int rc = 0;

	if (f == NULL)
		return MF_EIO;
	while (getline(&line, &line_cap, f) > 0) {
		long k = parse_row(line, &row, &row_cap);
		if (k == 0)
			continue; /* blank line */
		if (k < 0) {
			rc = (int)k;
			break;
		}
		if (rows == 0) {
			n = (size_t)k;
			if (limit > 0 && limit < n)
				n = limit;
			m = calloc(n * n, sizeof(*m));
			if (m == NULL) {
				rc = MF_ENOMEM;
				break;
			}
		} else if ((size_t)k < n) {
			rc = MF_EINVAL;
			break;
		}
		if (rows < n)
			for (size_t j = 0; j < n; j++)
				m[rows * n + j] = j == rows ? 0 : row[j] / 2.0;
		rows++;
	}
	free(line);
	free(row);
	fclose(f);
	if (rc == 0 && (rows < n || n == 0))
		rc = MF_EINVAL;
	if (rc != 0) {
		free(m);
		return rc;
	}
	*delay_ms = m;
	*n_out = n;
	return 0;
}
