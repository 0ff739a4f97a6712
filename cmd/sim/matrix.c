#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/sim/matrix.h"
#include "gossip/err.h"
#include "gossip/grow.h"

/* Splits one CSV line in place; cells get NUL-terminated, trimmed. Returns
 * the count or MF_ENOMEM. */
static long split(char *line, char ***cells, size_t *cap)
{
	size_t n = 0;
	char *s = line;
	line[strcspn(line, "\r\n")] = '\0';
	if (*s == '\0')
		return 0;
	for (;;) {
		if (mf_grow(cells, cap, n + 1, 256) != 0)
			return MF_ENOMEM;
		while (*s == ' ' || *s == '\t')
			s++;
		(*cells)[n++] = s;
		char *comma = strchr(s, ',');
		char *end = comma ? comma : s + strlen(s);
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (comma == NULL) {
			*end = '\0';
			break;
		}
		*end = '\0';
		s = comma + 1;
	}
	return (long)n;
}

static bool number(const char *s, double *v)
{
	char *end;
	*v = strtod(s, &end);
	return end != s && *end == '\0';
}

int mf_sim_matrix_load(const char *path, size_t limit, double **delay_ms, size_t *n_out)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, **cells = NULL;
	size_t line_cap = 0, cells_cap = 0, n = 0, rows = 0;
	double *m = NULL;
	bool first = true;
	int rc = 0;

	if (f == NULL)
		return MF_EIO;
	while (getline(&line, &line_cap, f) > 0) {
		long k = split(line, &cells, &cells_cap);
		double v;
		if (k == 0)
			continue; /* blank line */
		if (k < 0) {
			rc = (int)k;
			break;
		}
		size_t skip = number(cells[0], &v) ? 0 : 1; /* label column */
		if (first) {
			first = false;
			bool labels = false;
			for (long c = (long)skip; c < k; c++)
				labels |= !number(cells[c], &v);
			if (labels)
				continue; /* label row */
		}
		size_t cols = (size_t)k - skip;
		if (rows == 0) {
			n = cols;
			if (limit > 0 && limit < n)
				n = limit;
			m = calloc(n * n, sizeof(*m));
			if (m == NULL) {
				rc = MF_ENOMEM;
				break;
			}
		} else if (cols < n) {
			rc = MF_EINVAL;
			break;
		}
		if (rows < n) {
			for (size_t j = 0; j < n; j++) {
				if (!number(cells[skip + j], &v) || v < 0) {
					rc = MF_EINVAL;
					break;
				}
				m[rows * n + j] = j == rows ? 0 : v / 2.0;
			}
			if (rc != 0)
				break;
		}
		rows++;
	}
	free(line);
	free(cells);
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
