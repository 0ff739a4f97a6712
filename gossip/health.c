#include "gossip/health.h"

void mf_health_init(struct mf_health *h, int max)
{
	h->max = max < 1 ? 1 : max;
	h->score = 0;
}

void mf_health_apply(struct mf_health *h, int delta)
{
	h->score += delta;
	if (h->score < 0)
		h->score = 0;
	else if (h->score > h->max - 1)
		h->score = h->max - 1;
}

int64_t mf_health_scale(const struct mf_health *h, int64_t timeout)
{
	return timeout * (int64_t)(h->score + 1);
}
