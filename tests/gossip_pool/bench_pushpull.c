/* bench-pushpull N [K] — one pool (with a serf glue, as the agent has) of N
 * members learned by one push-pull, then K push-pulls of the same state
 * answered (every member known, as in an idle pool's anti-entropy). Not a
 * test: scripts/bench-pushpull runs it under callgrind with collection on
 * inside answer_known() only and reports instructions per member of an
 * exchange: decoding the peer's state, merging it, encoding ours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/codec.h"
#include "gossip/pool.h"
#include "gossip/serf_glue.h"

static void drain(mf_pool_t *p, struct mf_serf_glue *g)
{
	struct mf_pool_out o;
	while (mf_pool_next_output(p, &o) == 1)
		if (o.kind == MF_OUT_EVENT)
			mf_serf_glue_on_event(g, &o.event);
}

/* The K answers callgrind counts (--toggle-collect=answer_known). */
__attribute__((noinline)) static int answer_known(mf_pool_t *p, struct mf_serf_glue *g,
						  const struct mf_addr *from,
						  const msgpack_sbuffer *sb, int k)
{
	int bad = 0;
	for (int i = 0; i < k; i++) {
		bad += mf_pool_stream_in(p, 0, 2 + (uint64_t)i, from, (const uint8_t *)sb->data,
					 sb->size) != 0;
		drain(p, g);
	}
	return bad;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 512, k = argc > 2 ? atoi(argv[2]) : 10;
	static const char meta[] = "\x83\xa2" "dc\xa3" "dc1\xa4role\xa7meshfed\xa4port\xa4" "7000";
	uint8_t ip[4] = {127, 213, 0, 2}, vsn[MF_VSN_LEN] = MF_VSN_SERF_INIT;
	struct mf_pool_config c;
	struct mf_serf_glue g;
	mf_pool_t *p;
	if (n < 1 || k < 1)
		return 2;
	mf_pool_config_init(&c, MF_PROFILE_LAN);
	snprintf(c.name, sizeof(c.name), "me");
	c.advertise.ip_len = 4;
	c.advertise.ip[0] = 127;
	c.advertise.ip[1] = 213;
	c.advertise.ip[3] = 1;
	c.advertise.port = 7946;
	mf_serf_glue_init(&g, "me");
	mf_serf_glue_delegate(&g, &c.delegate);
	if (mf_pool_new(&c, 0, &p) != 0)
		return 1;
	struct mf_msg_push_node_state *st = calloc((size_t)n, sizeof(*st));
	char (*names)[32] = calloc((size_t)n, 32);
	if (!st || !names)
		return 1;
	for (int i = 0; i < n; i++) {
		snprintf(names[i], 32, "f%04d", i);
		st[i] = (struct mf_msg_push_node_state){
			.name = {(const uint8_t *)names[i], strlen(names[i])},
			.addr = {ip, 4},
			.port = (uint16_t)(21000 + i),
			.meta = {(const uint8_t *)meta, sizeof(meta) - 1},
			.incarnation = 1,
			.has_vsn = true,
		};
		memcpy(st[i].vsn, vsn, MF_VSN_LEN);
	}
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct mf_addr from;
	if (mf_codec_encode_push_pull(&sb, false, st, (size_t)n, NULL, 0) != 0 ||
	    mf_addr_parse("127.213.0.2:7946", 7946, &from) != 0 ||
	    mf_pool_stream_in(p, 0, 1, &from, (const uint8_t *)sb.data, sb.size) != 0)
		return 1;
	drain(p, &g);
	int bad = answer_known(p, &g, &from, &sb, k);
	printf("members %zu, %d push-pulls answered, %d refused\n", mf_pool_member_count(p), k,
	       bad);
	msgpack_sbuffer_destroy(&sb);
	mf_pool_free(p);
	mf_serf_glue_free(&g);
	free(st);
	free(names);
	return bad != 0;
}
