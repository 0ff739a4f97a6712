/* libFuzzer target: serf's conventions (gossip/serf.c) and the agent's
 * serf glue (gossip/serf_glue.c) fed what peers send. The first byte picks:
 *   0: node meta (tags): decode, and what decodes re-encodes to the same tags;
 *   1: a serf user message (join, leave, push-pull, anything) decoded;
 *   2: pieces fed to one glue as user messages and push-pull user state
 *      (each piece's first byte: bit 0 user message or state, bit 1 join). */
#include "gossip/serf_glue.h"
#include "gossip/err.h"
#include "gossip/serf.h"
#include "tests/fuzz/fuzz.h"

#define MAX_TAGS 64

static void tags(const uint8_t *p, size_t n)
{
	static struct mf_tag t[MAX_TAGS], t2[MAX_TAGS];
	size_t nt, nt2, len;
	uint8_t buf[4096];
	if (mf_serf_decode_tags(p, n, t, MAX_TAGS, &nt) != 0)
		return;
	MF_FUZZ_CHECK(nt <= MAX_TAGS);
	for (size_t i = 0; i < nt; i++)
		MF_FUZZ_CHECK(memchr(t[i].key, 0, sizeof(t[i].key)) &&
			      memchr(t[i].value, 0, sizeof(t[i].value)));
	if (n == 0 || p[0] != MF_SERF_TAG_MAGIC)
		return; /* legacy role meta: not what we write */
	int r = mf_serf_encode_tags(t, nt, buf, sizeof(buf), &len);
	if (r == MF_ETOOBIG || r == MF_EINVAL)
		return; /* e.g. a key with a NUL inside, cut at it */
	MF_FUZZ_CHECK(r == 0);
	MF_FUZZ_CHECK(mf_serf_decode_tags(buf, len, t2, MAX_TAGS, &nt2) == 0);
	MF_FUZZ_CHECK(nt2 == nt);
	for (size_t i = 0; i < nt; i++)
		MF_FUZZ_CHECK(strcmp(t[i].key, t2[i].key) == 0 &&
			      strcmp(t[i].value, t2[i].value) == 0);
}

static void message(const uint8_t *p, size_t n)
{
	int type = mf_serf_msg_type(p, n);
	if (type < 0)
		return;
	const uint8_t *body = p + 1;
	size_t len = n - 1;
	struct mf_serf_join j;
	struct mf_serf_leave l;
	struct mf_serf_push_pull pp;
	switch (type) {
	case MF_SERF_MSG_JOIN:
		if (mf_serf_decode_join(body, len, &j) == 0)
			MF_FUZZ_CHECK(j.node.len <= len);
		break;
	case MF_SERF_MSG_LEAVE:
		if (mf_serf_decode_leave(body, len, &l) == 0)
			MF_FUZZ_CHECK(l.node.len <= len);
		break;
	case MF_SERF_MSG_PUSH_PULL:
		if (mf_serf_decode_push_pull(body, len, &pp) == 0) {
			MF_FUZZ_CHECK(pp.n_status <= len && pp.n_left <= len);
			mf_serf_push_pull_free(&pp);
		}
		break;
	default:
		break;
	}
}

static void glue(const uint8_t *p, size_t n)
{
	struct mf_serf_glue g;
	struct mf_pool_delegate d = { 0 };
	struct mf_fuzz_cursor cur;
	uint8_t *piece, state[8192];
	size_t len;
	mf_serf_glue_init(&g, "me");
	mf_serf_glue_delegate(&g, &d);
	mf_fuzz_cursor_init(&cur, p, n);
	while ((piece = mf_fuzz_next(&cur, &len)) != NULL) {
		if (len >= 1) {
			if (piece[0] & 1)
				d.merge_remote_state(d.ctx, piece + 1, len - 1, piece[0] & 2);
			else
				d.on_user_msg(d.ctx, piece + 1, len - 1);
		}
		free(piece);
		MF_FUZZ_CHECK(g.n_entries <= MF_SERF_GLUE_MAX_ENTRIES);
		MF_FUZZ_CHECK(g.n_queue <= MF_SERF_GLUE_MAX_QUEUE);
	}
	/* Our own state still encodes after whatever we merged. */
	MF_FUZZ_CHECK(d.local_state(d.ctx, false, state, sizeof(state)) <= sizeof(state));
	mf_serf_glue_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t *rest = mf_fuzz_copy(data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		tags(rest, size - 1);
		break;
	case 1:
		message(rest, size - 1);
		break;
	default:
		glue(rest, size - 1);
		break;
	}
	free(rest);
	return 0;
}
