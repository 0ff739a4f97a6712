/*
 * cmd/sim/plot.h — the coordinate error of a run against time, as a PNG
 * drawn by gnuplot (Debian gnuplot-nox).
 *
 * Contract: writes the recorded rounds to a temporary data file, runs
 * `gnuplot` on a script fed through a pipe, removes the data file. Nothing
 * else is touched. 0, or MF_EIO when gnuplot is missing or fails (the
 * simulation's results are still printed).
 */
#ifndef MF_SIM_PLOT_H
#define MF_SIM_PLOT_H

#include "cmd/sim/report.h"

int mf_sim_plot(const struct mf_sim_report *r, const char *png, const char *title);

#endif
