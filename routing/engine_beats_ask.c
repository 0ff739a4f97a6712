/*
 * routing/engine_beats_ask.c — asks (config ask_age): a DC whose held
 * epoch nears max_age is listed for a hurried beat, and such an entry is
 * answered by whoever holds a newer epoch (engine_internal.h; contract in
 * engine.h; docs/routing.md, "Beats every 30 s made safe").
 *
 * Why: a rise reaches a member by relays, a push epidemic of fanout ~3
 * that misses a member a few % of the time, and by a listing of every DC
 * once a minute. With rises every 30 s only three fall within max_age
 * (120 s) before the fourth races the deadline, and a DC's servers relay
 * to each other, so when one misses a rise its mate often has too: a live
 * DC then went stale at a server. Asking before the deadline turns "missed
 * three relays" into "missed three relays and every answer".
 */
#include "routing/engine_internal.h"

/* Lists for a hurried beat (as a dating moved back: it goes within
 * hurry_min's gap) every DC whose held epoch was raised ask_age or more
 * ago and is not stale, at most once per ask_gap each; sets when to look
 * again (at most ask_gap on, so a dating moved back is seen in time). */
void mf_rt__mark_asks(struct mf_routing *r)
{
	uint64_t gap = r->cfg.ask_gap ? r->cfg.ask_gap : r->cfg.ask_age;
	uint64_t next = r->now + gap;
	for (uint32_t t = 0; t < r->names.n; t++) {
		if (t == r->self || !r->beat[t] || mf_rt__stale(r, t))
			continue;
		uint64_t due = r->beat_at[t] + r->cfg.ask_age;
		if (r->ask_at[t] && r->ask_at[t] + gap > due)
			due = r->ask_at[t] + gap;
		if (due > r->now) {
			next = due < next ? due : next;
			continue;
		}
		r->ask_at[t] = r->now;
		if (r->hurry[t] != HURRY_BACK) {
			r->n_hurry += !r->hurry[t];
			r->n_hurry_back++;
			r->hurry[t] = HURRY_BACK;
		}
		r->stats.asks++;
	}
	r->next_ask = next;
}

/* Whether a beat entry of DC id, epoch epoch16 raised `age` ago as its
 * sender holds it, asks for our newer epoch: it is at least ask_age old
 * and older than ours (serial arithmetic, as widen_epoch). */
bool mf_rt__asked(const struct mf_routing *r, uint32_t id, uint16_t epoch16, uint64_t age)
{
	int16_t d = (int16_t)(uint16_t)(epoch16 - (uint16_t)r->beat[id]);
	return r->cfg.ask_age && age >= r->cfg.ask_age && d < 0;
}
