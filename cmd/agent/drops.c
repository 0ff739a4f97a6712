/* cmd/agent/drops.c — see cmd/agent/drops.h. */
#include "cmd/agent/drops.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const other_names[MF_DROP_OTHER_COUNT_] = {
	[MF_DROP_INC_WINDOW] = "incarnation out of window",
	[MF_DROP_MEMBERS_REFUSED] = "members refused (pool full)",
	[MF_DROP_UDP_RECV_ERRORS] = "udp receive errors",
	[MF_DROP_UDP_SEND_ERRORS] = "udp sends dropped",
	[MF_DROP_STREAMS_REJECTED] = "streams refused (too many)",
	[MF_DROP_STREAMS_REJECTED_ADDR] = "streams refused (too many from one address)",
	[MF_DROP_STREAMS_OVER_BUDGET] = "streams dropped (buffer budget)",
	[MF_DROP_STREAMS_OVERSIZE] = "streams oversize",
	[MF_DROP_STREAMS_BAD] = "streams unframed",
	[MF_DROP_SERF_DECODE_ERRORS] = "serf messages undecodable",
	[MF_DROP_SERF_QUEUE_DROPS] = "serf broadcasts dropped",
};

void mf_drops_take(struct mf_drops *d, const struct mf_pool_stats *ps,
		   const struct mf_transport_stats *ts, const struct mf_serf_glue_stats *g)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->by_cause, ps->bad_by_cause, sizeof(d->by_cause));
	d->other[MF_DROP_INC_WINDOW] = ps->inc_out_of_window;
	d->other[MF_DROP_MEMBERS_REFUSED] = ps->members_refused;
	if (ts) {
		d->other[MF_DROP_UDP_RECV_ERRORS] = ts->udp_recv_errors;
		d->other[MF_DROP_UDP_SEND_ERRORS] = ts->udp_send_errors;
		d->other[MF_DROP_STREAMS_REJECTED] = ts->streams_rejected;
		d->other[MF_DROP_STREAMS_REJECTED_ADDR] = ts->streams_rejected_addr;
		d->other[MF_DROP_STREAMS_OVER_BUDGET] = ts->streams_over_budget;
		d->other[MF_DROP_STREAMS_OVERSIZE] = ts->streams_oversize;
		d->other[MF_DROP_STREAMS_BAD] = ts->streams_bad;
	}
	if (g) {
		d->other[MF_DROP_SERF_DECODE_ERRORS] = g->decode_errors;
		d->other[MF_DROP_SERF_QUEUE_DROPS] = g->queue_drops;
	}
}

/* Appends "name n" (with ", " before all but the first) at *at. */
static void add(char *buf, size_t cap, size_t *at, bool *cut, size_t moved, const char *name,
		uint64_t n)
{
	if (*cut)
		return;
	int w = snprintf(buf + *at, cap - *at, "%s%s %llu", moved > 1 ? ", " : "", name,
			 (unsigned long long)n);
	if (w < 0 || (size_t)w >= cap - *at) {
		*cut = true; /* the end says so */
		if (cap >= 4)
			memcpy(buf + cap - 4, "...", 4);
		return;
	}
	*at += (size_t)w;
}

size_t mf_drops_format(const struct mf_drops *then, const struct mf_drops *now, char *buf,
		       size_t cap)
{
	size_t moved = 0, at = 0;
	bool cut = false;
	if (cap == 0)
		return 0;
	buf[0] = '\0';
	for (int i = 1; i < MF_ERR_COUNT_; i++) {
		uint64_t was = now->by_cause[i] >= then->by_cause[i] ? then->by_cause[i] : 0;
		if (now->by_cause[i] > was)
			add(buf, cap, &at, &cut, ++moved, mf_strerror(-i), now->by_cause[i] - was);
	}
	for (int i = 0; i < MF_DROP_OTHER_COUNT_; i++) {
		uint64_t was = now->other[i] >= then->other[i] ? then->other[i] : 0;
		if (now->other[i] > was)
			add(buf, cap, &at, &cut, ++moved, other_names[i], now->other[i] - was);
	}
	return moved;
}
