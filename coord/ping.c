/*
 * coord/ping.c — serf's ping delegate over a coordinate client. See ping.h.
 */
#include "coord/ping.h"

#include "coord/wire.h"
#include "gossip/err.h"

size_t mf_coord_ping_ack_payload(const struct mf_coord_client *c, uint8_t *buf, size_t cap)
{
	struct mf_coord own;
	size_t len = 0;
	mf_coord_client_get(c, &own);
	if (mf_coord_wire_encode(&own, buf, cap, &len) < 0)
		return 0;
	return len;
}

int mf_coord_ping_complete(struct mf_coord_client *c, const char *node,
			   const uint8_t *payload, size_t len, int64_t rtt_ns,
			   struct mf_coord *peer)
{
	struct mf_coord other;
	if (!payload || len == 0)
		return 1;
	int rc = mf_coord_wire_decode(payload, len, &other);
	if (rc < 0) {
		c->stats.bad_payloads++;
		return rc;
	}
	rc = mf_coord_client_update(c, node, &other, (double)rtt_ns / 1e9, NULL);
	if (rc < 0)
		return rc;
	if (peer)
		*peer = other;
	return MF_OK;
}
