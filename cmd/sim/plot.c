#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/sim/plot.h"

/* Title text safe inside a gnuplot double-quoted string. */
static void quote(char *dst, size_t cap, const char *s)
{
	size_t k = 0;
	for (; *s && k + 1 < cap; s++)
		if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			dst[k++] = *s;
	dst[k] = '\0';
}

int mf_sim_plot(const struct mf_sim_report *r, const char *png, const char *title)
{
	char data[] = "/tmp/meshfed-sim-plot-XXXXXX";
	char t[256], p[1024];
	int fd = mkstemp(data), rc = 0;
	FILE *f;

	if (fd < 0)
		return MF_EIO;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(data);
		return MF_EIO;
	}
	fprintf(f, "# time_s round median p90 best_median best_p90\n");
	for (size_t i = 0; i < r->n_rounds; i++) {
		const struct mf_sim_round *x = &r->rounds[i];
		if (x->has_coords)
			fprintf(f, "%.3f %d %.6f %.6f %.6f %.6f\n", x->time_s, x->round,
				x->coords.median, x->coords.p90, x->coords.best_median,
				x->coords.best_p90);
	}
	fclose(f);
	quote(t, sizeof(t), title ? title : "meshfed-sim");
	quote(p, sizeof(p), png);
	FILE *g = popen("gnuplot", "w");
	if (g == NULL) {
		unlink(data);
		return MF_EIO;
	}
	fprintf(g,
		"set terminal pngcairo size 900,560\n"
		"set output \"%s\"\n"
		"set title \"%s\"\n"
		"set xlabel \"time (s, virtual)\"\n"
		"set ylabel \"relative error |est - rtt| / rtt\"\n"
		"set logscale y\n"
		"set grid\n"
		"set key top right\n"
		"plot \"%s\" using 1:3 with lines lw 2 title \"median (coordinates)\", "
		"\"%s\" using 1:4 with lines lw 2 title \"p90 (coordinates)\", "
		"\"%s\" using 1:5 with lines dt 2 title \"median (best estimate)\", "
		"\"%s\" using 1:6 with lines dt 2 title \"p90 (best estimate)\"\n",
		p, t, data, data, data, data);
	if (pclose(g) != 0)
		rc = MF_EIO;
	unlink(data);
	return rc;
}
