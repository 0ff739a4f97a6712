/* libFuzzer target: a routing node (routing/node.c) of dc1 over a lone
 * pool, fed what peers send it: user messages (adverts in gossip, [0xc8][1]
 * [fragment]) and push-pull user state (the serf push-pull map with
 * "MeshfedRoutes"). Pieces (tests/fuzz/fuzz.h); a piece's first byte: 0 a
 * user message, 1 push-pull state, else a tick 300 ms later. Checks: the
 * table stays bounded and our own DC is never routed through another. */
#include "gossip/pool.h"
#include "routing/node.h"
#include "routing/table.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_pool_config pc;
	struct mf_routing_node_config c;
	struct mf_routing_node *node;
	struct mf_routing_node_slot *slot;
	mf_pool_t *pool;
	char err[200];
	mf_time_t now = 1000 * MF_SEC;
	mf_pool_config_init(&pc, MF_PROFILE_LAN);
	snprintf(pc.name, sizeof(pc.name), "dc1-s1");
	/* serf tags {"dc": "dc1"} */
	static const uint8_t meta[] = { 0xff, 0x81, 0xa2, 'd', 'c', 0xa3, 'd', 'c', '1' };
	memcpy(pc.meta, meta, sizeof(meta));
	pc.meta_len = sizeof(meta);
	MF_FUZZ_CHECK(mf_pool_new(&pc, now, &pool) == 0);
	mf_routing_node_config_default(&c);
	c.datacenter = "dc1";
	c.node = "dc1-s1";
	MF_FUZZ_CHECK(mf_routing_node_new(&c, &node, err, sizeof(err)) == 0);
	MF_FUZZ_CHECK(mf_routing_node_add_pool(node, pool, NULL, NULL, 0, &slot) == 0);

	struct mf_fuzz_cursor cur;
	uint8_t *piece;
	size_t len;
	mf_fuzz_cursor_init(&cur, data, size);
	while ((piece = mf_fuzz_next(&cur, &len)) != NULL) {
		if (len >= 1 && piece[0] == 0) {
			mf_routing_node_on_user_msg(slot, piece + 1, len - 1);
		} else if (len >= 1 && piece[0] == 1) {
			mf_routing_node_merge_remote_state(slot, piece + 1, len - 1, false);
		} else {
			now += 300 * MF_MS;
			(void)mf_routing_node_tick(node, now, NULL);
		}
		free(piece);
		struct mf_pool_out o;
		while (mf_pool_next_output(pool, &o) == 1)
			;
	}
	now += 300 * MF_MS;
	(void)mf_routing_node_tick(node, now, NULL);
	struct mf_table t;
	if (mf_routing_node_table(node, &t) == 0) {
		for (size_t i = 0; i < t.n_routes; i++)
		{
			MF_FUZZ_CHECK(t.routes[i].target != NULL);
			if (strcmp(t.routes[i].target, "dc1") == 0)
				MF_FUZZ_CHECK(t.routes[i].next_hop == NULL);
		}
		mf_table_free(&t);
	}
	mf_routing_node_free(node);
	mf_pool_free(pool);
	return 0;
}
