#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/suspicion.h"

int64_t mf_suspicion_min_timeout(int suspicion_mult, size_t n, int64_t probe_interval)
{
	double scale = fmax(1.0, log10(fmax(1.0, (double)n)));
	/* Go: Duration(mult) * Duration(scale*1000) * interval / 1000 */
	return (int64_t)suspicion_mult * (int64_t)(scale * 1000.0) * probe_interval / 1000;
}

int64_t mf_suspicion_timeout(int confirmations, int k, int64_t min, int64_t max)
{
	if (k < 1)
		return min;
	double frac = log((double)confirmations + 1.0) / log((double)k + 1.0);
	double raw = (double)max / 1e9 - frac * ((double)max / 1e9 - (double)min / 1e9);
	int64_t t = (int64_t)floor(1000.0 * raw) * 1000000; /* whole ms */
	return t < min ? min : t;
}

/* One slot at a time: at most k (a few) confirmers are ever remembered. */
static int remember(struct mf_suspicion *s, const char *from, size_t len)
{
	char *copy = malloc(len + 1);
	char **grown = realloc(s->from, (s->n_from + 1) * sizeof(*s->from));
	if (copy == NULL || grown == NULL) {
		free(copy);
		if (grown != NULL)
			s->from = grown;
		return MF_ENOMEM;
	}
	if (len > 0)
		memcpy(copy, from, len);
	copy[len] = '\0';
	s->from = grown;
	s->from[s->n_from++] = copy;
	return 0;
}

int mf_suspicion_start(struct mf_suspicion *s, const char *from, size_t from_len, int k,
		       int64_t min, int64_t max, int64_t now)
{
	struct mf_member_record *rec = s->rec; /* where it is held stays */
	memset(s, 0, sizeof(*s));
	s->rec = rec;
	s->k = k;
	s->min = min;
	s->max = max;
	s->start = now;
	s->deadline = now + (k < 1 ? min : max);
	return remember(s, from, from_len);
}

int mf_suspicion_confirm(struct mf_suspicion *s, const char *from, size_t from_len, int64_t now)
{
	int rc;

	if (s->n >= s->k)
		return 0;
	/* An empty name (a message whose From is "") may come as NULL: no
	 * memcmp on it, even of 0 bytes. */
	for (size_t i = 0; i < s->n_from; i++)
		if (strlen(s->from[i]) == from_len &&
		    (from_len == 0 || memcmp(s->from[i], from, from_len) == 0))
			return 0;
	if ((rc = remember(s, from, from_len)) != 0)
		return rc;
	s->n++;
	/* memberlist resets the timer to (timeout - elapsed) from now, which is
	 * start + timeout; an already-passed deadline fires at once. */
	int64_t d = s->start + mf_suspicion_timeout(s->n, s->k, s->min, s->max);
	s->deadline = d < now ? now : d;
	return 1;
}

void mf_suspicion_free(struct mf_suspicion *s)
{
	for (size_t i = 0; i < s->n_from; i++)
		free(s->from[i]);
	free(s->from);
	s->from = NULL;
	s->n_from = 0;
}
