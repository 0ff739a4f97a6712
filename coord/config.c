/*
 * coord/config.c — defaults and sanity checks. See config.h.
 */
#include "coord/config.h"

#include <math.h>
#include <string.h>

#include "gossip/err.h"

void mf_coord_config_default(struct mf_coord_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	/* serf coordinate/config.go DefaultConfig */
	cfg->dimensionality = 8;
	cfg->vivaldi_error_max = 1.5;
	cfg->vivaldi_ce = 0.25;
	cfg->vivaldi_cc = 0.25;
	cfg->adjustment_window = 20;
	cfg->height_min = 10.0e-6;
	cfg->latency_filter_size = 3;
	cfg->gravity_rho = 150.0;
	/* meshfed */
	cfg->mode = MF_COORD_MODE_FIT;
	cfg->route_filter_size = 8;
	cfg->peer_table_size = 128;
	cfg->fit_budget = 0;
	cfg->fit_iterations = 4;
	cfg->fit_min_samples = 4;
	cfg->sample_age_power = 1.0;
	cfg->fit_confidence_floor = 0.05;
	cfg->fit_rtt_power = 1.5;
	cfg->fit_rtt_floor = 0.05;
	cfg->fit_mate_rtt = 0.005;
	cfg->fit_robust_delta = 0.1;
	cfg->seed = 1;
}

static int positive(double v)
{
	return isfinite(v) && v > 0.0;
}

static int nonneg(double v)
{
	return isfinite(v) && v >= 0.0;
}

int mf_coord_config_check(const struct mf_coord_config *cfg)
{
	if (cfg->dimensionality == 0 || cfg->dimensionality > MF_COORD_DIM_MAX)
		return MF_EINVAL;
	if (!positive(cfg->vivaldi_error_max) || !positive(cfg->vivaldi_ce) ||
	    !positive(cfg->vivaldi_cc) || !positive(cfg->gravity_rho))
		return MF_EINVAL;
	if (!isfinite(cfg->height_min) || cfg->height_min < 0.0)
		return MF_EINVAL;
	if (cfg->latency_filter_size == 0 || cfg->latency_filter_size > MF_COORD_FILTER_MAX)
		return MF_EINVAL;
	if (cfg->route_filter_size == 0 || cfg->route_filter_size > MF_COORD_FILTER_MAX)
		return MF_EINVAL;
	if (cfg->adjustment_window > 1024)
		return MF_EINVAL;
	if (cfg->mode != MF_COORD_MODE_SERF && cfg->mode != MF_COORD_MODE_FIT)
		return MF_EINVAL;
	if (cfg->peer_table_size == 0 || cfg->peer_table_size > 65536)
		return MF_EINVAL;
	if (cfg->mode == MF_COORD_MODE_FIT &&
	    (cfg->fit_iterations > 1000 || !nonneg(cfg->sample_age_power) ||
	     !positive(cfg->fit_confidence_floor) || !nonneg(cfg->fit_rtt_power) ||
	     cfg->fit_rtt_power > 4.0 || !nonneg(cfg->fit_rtt_floor) ||
	     cfg->fit_rtt_floor > 1.0 || !nonneg(cfg->fit_mate_rtt) || cfg->fit_mate_rtt > 1.0 ||
	     !nonneg(cfg->fit_robust_delta)))
		return MF_EINVAL;
	return MF_OK;
}

unsigned mf_coord_config_ring(const struct mf_coord_config *cfg)
{
	return cfg->latency_filter_size > cfg->route_filter_size ? cfg->latency_filter_size
								 : cfg->route_filter_size;
}
