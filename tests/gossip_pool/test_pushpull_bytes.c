/* The pool's push-pull state, written straight into its buffer
 * (gossip/codec_pushpull.c), is byte for byte what msgpack-c's packers wrote
 * before (the reference below is the encoder as it was), and says what the
 * pool holds, after each of a sequence of member changes: joins with metas
 * and names across msgpack's length boundaries, suspicion, death, a
 * return, a meta change, a leave, a large incarnation, our own meta. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/mp.h"
#include "gossip/pool_internal.h"
#include "tests/cunit_main.h"
#include "tests/gossip_pool/state_fixture.h"

static const char user_state[] = "\x02serf-state";

static size_t give_user_state(void *ctx, bool join, uint8_t *buf, size_t cap)
{
	(void)ctx, (void)join;
	if (cap >= sizeof(user_state) - 1)
		memcpy(buf, user_state, sizeof(user_state) - 1);
	return sizeof(user_state) - 1;
}

/* The encoder before the direct writes: msgpack-c's packers throughout. */
static void ref_pack_state(msgpack_packer *pk, const struct mf_msg_push_node_state *s)
{
	msgpack_pack_map(pk, 7);
	mf_mp_pack_key(pk, "Addr");
	mf_mp_pack_bytes(pk, s->addr);
	mf_mp_pack_key(pk, "Incarnation");
	msgpack_pack_uint32(pk, s->incarnation);
	mf_mp_pack_key(pk, "Meta");
	mf_mp_pack_bytes(pk, s->meta);
	mf_mp_pack_key(pk, "Name");
	mf_mp_pack_raw(pk, s->name.p, s->name.len);
	mf_mp_pack_key(pk, "Port");
	msgpack_pack_uint16(pk, s->port);
	mf_mp_pack_key(pk, "State");
	msgpack_pack_uint8(pk, s->state);
	mf_mp_pack_key(pk, "Vsn");
	if (s->has_vsn)
		mf_mp_pack_raw(pk, s->vsn, MF_VSN_LEN);
	else
		msgpack_pack_nil(pk);
}

static void ref_encode(msgpack_sbuffer *out, const struct mf_push_pull *pp)
{
	msgpack_packer pk;
	mf_mp_put_type(out, MF_MSG_PUSH_PULL);
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	mf_mp_pack_key(&pk, "Join");
	msgpack_pack_false(&pk);
	mf_mp_pack_key(&pk, "Nodes");
	msgpack_pack_uint64(&pk, pp->n_states);
	mf_mp_pack_key(&pk, "UserStateLen");
	msgpack_pack_uint64(&pk, pp->user_state.len);
	for (size_t i = 0; i < pp->n_states; i++)
		ref_pack_state(&pk, &pp->states[i]);
	msgpack_sbuffer_write(out, (const char *)pp->user_state.p, pp->user_state.len);
}

/* Encodes the pool's state; it must decode to the pool's members and
 * re-encode, by the reference, to the same bytes. */
static void check_state(const char *after)
{
	struct mf_push_pull pp;
	msgpack_sbuffer ref;
	CU_ASSERT_EQUAL_FATAL(mf_pool__encode_local_state(pool, false), 0);
	const uint8_t *ours = (const uint8_t *)pool->extra_buf.data;
	size_t len = pool->extra_buf.size;
	CU_ASSERT_EQUAL_FATAL(ours[0], MF_MSG_PUSH_PULL);
	CU_ASSERT_EQUAL_FATAL(mf_codec_decode_push_pull(ours + 1, len - 1, &pp), 0);
	CU_ASSERT_EQUAL(pp.n_states, mf_pool_member_count(pool));
	CU_ASSERT(pp.user_state.len == sizeof(user_state) - 1 &&
		  memcmp(pp.user_state.p, user_state, pp.user_state.len) == 0);
	size_t wrong = 0;
	for (size_t i = 0; i < pp.n_states; i++) {
		const struct mf_msg_push_node_state *s = &pp.states[i];
		char name[MF_NAME_MAX + 1];
		struct mf_member m;
		memcpy(name, s->name.p, s->name.len);
		name[s->name.len] = '\0';
		if (mf_pool_member_find(pool, name, &m) != 0) {
			wrong++;
			continue;
		}
		wrong += s->incarnation != m.incarnation || s->state != (uint8_t)m.status ||
			 s->meta.len != m.meta_len ||
			 (m.meta_len > 0 && memcmp(s->meta.p, m.meta, m.meta_len) != 0) ||
			 s->addr.len != m.addr.ip_len || memcmp(s->addr.p, m.addr.ip, m.addr.ip_len) ||
			 s->port != m.addr.port || !s->has_vsn || memcmp(s->vsn, m.vsn, MF_VSN_LEN);
	}
	if (wrong)
		fprintf(stderr, "\n  after %s: %zu states unlike the pool's\n", after, wrong);
	CU_ASSERT_EQUAL(wrong, 0);
	msgpack_sbuffer_init(&ref);
	ref_encode(&ref, &pp);
	bool same = ref.size == len && memcmp(ref.data, ours, len) == 0;
	if (!same)
		fprintf(stderr, "\n  after %s: %zu bytes, msgpack-c's %zu, unlike\n", after, len,
			ref.size);
	CU_ASSERT(same);
	msgpack_sbuffer_destroy(&ref);
	mf_codec_push_pull_free(&pp);
	mf_pool__extra_buf_trim(pool);
}

static void fill(char *buf, size_t n, char c)
{
	memset(buf, c, n);
	buf[n] = '\0';
}

static void test_state_bytes_are_msgpack_c_bytes_through_member_changes(void)
{
	char meta40[41], meta300[301], name40[41], name31[32];
	fill(meta40, 40, 'm');
	fill(meta300, 300, 'M');
	fill(name40, 40, 'n');
	fill(name31, 31, 'o');
	check_state("nothing (ourselves alone)");
	send_alive("b", 1, "10.0.0.2", meta40, 0);
	send_alive("c", 1, "10.0.0.3", "", 0);
	send_alive("d", 1, "10.0.0.4", meta300, 0);
	send_alive(name40, 1, "10.0.0.5", "x", 0);
	send_alive(name31, 127, "10.0.0.6", "y", 0);
	check_state("joins");
	send_suspect("c", 1, "b", 0);
	check_state("a suspicion");
	send_dead("d", 1, "b", 0);
	check_state("a death");
	send_alive("d", 2, "10.0.0.4", "", 0);
	check_state("a return");
	send_alive("b", 2, "10.0.0.2", meta300, 0);
	check_state("a meta change");
	send_alive("e", 1, "10.0.0.7", meta40, 0);
	send_dead("e", 1, "e", 0);
	check_state("a leave");
	send_alive("f", 70000, "10.0.0.8", "", 0);
	send_alive("g", 200, "10.0.0.9", "", 0);
	check_state("large incarnations");
	CU_ASSERT_EQUAL(mf_pool_set_meta(pool, 0, (const uint8_t *)meta40, 40), 0);
	drain();
	check_state("our own meta");
}

static void bytes_setup(void)
{
	struct mf_pool_delegate d = {.local_state = give_user_state};
	setup_with(0, &d);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_state_bytes_are_msgpack_c_bytes_through_member_changes),
	};
	return RUN_SUITE_WITH("gossip_pool_pushpull_bytes", bytes_setup, teardown, tests);
}
