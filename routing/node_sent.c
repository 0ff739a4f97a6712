/*
 * routing/node_sent.c — our state as its receivers hold it once it went
 * out, handed back to the engine (mf_routing_set_sent; node_internal.h,
 * contract in node.h).
 *
 * Receivers decode distances in 0.1 ms units and patch a delta onto the
 * base they hold, keeping the base's distance for routes that moved less
 * than the re-advertise margin. The engine's snapshot takes that view, so
 * push-pull, the refresh and our own DC matrix (routing/dc_matrix.h) say
 * what every other member holds for the same seq.
 */
#include "routing/advert_delta.h"
#include "routing/node_internal.h"

int mf_rn__wire_form(struct mf_routing_node *n, const struct mf_advert *a, bool delta,
		     struct mf_advert *out)
{
	msgpack_sbuffer_clear(&n->scratch);
	int rc = mf_advert_encode_full(&n->scratch, a);
	if (rc < 0)
		return rc;
	const uint8_t *buf = (const uint8_t *)n->scratch.data;
	rc = delta ? mf_advert_decode_msg(buf, n->scratch.size, out)
		   : mf_advert_decode(buf, n->scratch.size, out, NULL);
	out->epochs_bound = rc == 0 && a->epochs_bound;
	return rc;
}

void mf_rn__note_sent(struct mf_routing_node *n, const struct mf_advert *full,
		      const struct mf_advert *delta)
{
	struct mf_advert held, base, d;
	if (mf_rn__wire_form(n, full, false, delta ? &base : &held) < 0)
		return; /* the snapshot keeps its live values: as before */
	if (delta) {
		int rc = mf_rn__wire_form(n, delta, true, &d);
		if (rc == 0) {
			rc = mf_advert_patch(&base, &d, &held);
			mf_advert_free(&d);
		}
		mf_advert_free(&base);
		if (rc < 0)
			return;
	}
	/* Fails only for an advert not ours or malformed: ours, just decoded,
	 * is neither; a failure would leave the live values, as before. */
	(void)mf_routing_set_sent(n->engine, &held);
	mf_advert_free(&held);
}
