/* cmd/agent/agent_keys.c — see cmd/agent/agent_keys.h. */
#include "cmd/agent/agent_keys.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "cmd/agent/agent_internal.h"
#include "cmd/config/keyring_file.h"
#include "gossip/err.h"
#include "gossip/serf.h"
#include "gossip/serf_query.h"

static const char *const ops[][2] = {{"list", "list-keys"},
				     {"install", "install-key"},
				     {"use", "use-key"},
				     {"remove", "remove-key"}};

bool mf_agent_keys_is_op(const char *op)
{
	for (size_t i = 0; i < 4; i++)
		if (strcmp(op, ops[i][1]) == 0)
			return true;
	return false;
}

static const char *keyring_path(const struct mf_agent_pool *ap)
{
	const char *p = ap->area ? ap->area->keyring_file : ap->agent->cfg->keyring_file;
	return p[0] ? p : NULL;
}

/* internal_query.go handleInstallKey / handleUseKey / handleRemoveKey /
 * handleListKeys: fills r (message in msg, keys in b64) as serf would. */
static void key_query(struct mf_agent_pool *ap, const char *op, struct mf_bytes payload,
		      struct mf_serf_key_response *r, char *msg, size_t msgcap,
		      char (*b64)[64])
{
	struct mf_log *log = &ap->agent->log;
	bool list = strcmp(op, "list-keys") == 0;
	memset(r, 0, sizeof(*r));
	r->keys_nil = true;
	msg[0] = '\0';
	r->message = (struct mf_bytes){(const uint8_t *)msg, 0};
	struct mf_bytes key = {0};
	if (!list && (payload.len < 1 || payload.p[0] != MF_SERF_MSG_KEY_REQUEST ||
		      mf_serf_decode_key_request(payload.p + 1, payload.len - 1, &key) < 0)) {
		mf_log_error(log, "pool %s: failed to decode key request", ap->name);
		goto done;
	}
	if (ap->keyring.n == 0) {
		snprintf(msg, msgcap, "%s", list ? "Keyring is empty (encryption not enabled)"
						 : "No keyring to modify (encryption not enabled)");
		mf_log_error(log, "pool %s: %s", ap->name, msg);
		goto done;
	}
	mf_log_info(log, "pool %s: received %s query", ap->name, op);
	if (list) {
		r->keys_nil = false;
		for (size_t i = 0; i < ap->keyring.n && i < MF_SERF_KEY_RESPONSE_MAX_KEYS; i++) {
			mf_keyring_encode_b64(ap->keyring.keys[i], b64[i], 64);
			r->keys[r->n_keys++] = (struct mf_bytes){(const uint8_t *)b64[i],
								 strlen(b64[i])};
		}
		r->primary = r->keys[0];
		r->result = true;
		goto done;
	}
	int e;
	if (key.len != 16 && key.len != 24 && key.len != 32) {
		snprintf(msg, msgcap, "key size must be 16, 24 or 32 bytes"); /* memberlist */
		goto done;
	}
	if (strcmp(op, "install-key") == 0) {
		e = key.len != MF_KEY_LEN ? MF_EKEYSIZE : mf_keyring_add(&ap->keyring, key.p, key.len);
		if (e == MF_EKEYSIZE)
			snprintf(msg, msgcap, "meshfed supports only 32-byte keys (AES-256)");
		else if (e == MF_ETOOBIG)
			snprintf(msg, msgcap, "keyring is full (%d keys)", MF_KEYRING_MAX);
	} else if (strcmp(op, "use-key") == 0) {
		e = key.len != MF_KEY_LEN ? MF_ENOTFOUND : mf_keyring_use(&ap->keyring, key.p, key.len);
		if (e == MF_ENOTFOUND)
			snprintf(msg, msgcap, "Requested key is not in the keyring");
	} else {
		/* keyring.go RemoveKey: only the primary is refused; a key that is
		 * not there is already removed */
		e = key.len != MF_KEY_LEN ? 0 : mf_keyring_remove(&ap->keyring, key.p, key.len);
		if (e == MF_ENOTFOUND)
			e = 0;
		if (e == MF_ESTATE)
			snprintf(msg, msgcap, "Removing the primary key is not allowed");
	}
	if (e < 0) {
		if (!msg[0])
			snprintf(msg, msgcap, "%s", mf_strerror(e));
		mf_log_error(log, "pool %s: %s failed: %s", ap->name, op, msg);
		goto done;
	}
	const char *path = keyring_path(ap);
	if (path && mf_keyring_file_write(path, &ap->keyring) < 0) {
		snprintf(msg, msgcap, "failed to write keyring file: %s", strerror(errno));
		mf_log_error(log, "pool %s: %s", ap->name, msg);
		goto done;
	}
	r->result = true;
done:
	r->message.len = strlen(msg);
}

int mf_agent_keys_answer(struct mf_agent_pool *ap, const char *op, struct mf_bytes payload,
			 msgpack_sbuffer *out)
{
	struct mf_serf_key_response r;
	char msg[256], b64[MF_KEYRING_MAX][64];
	key_query(ap, op, payload, &r, msg, sizeof(msg), b64);
	int e = mf_serf_encode_key_response(out, &r);
	sodium_memzero(b64, sizeof(b64));
	return e < 0 ? e : r.result ? 1 : 0;
}

json_t *mf_agent_keys_request(const json_t *req, msgpack_sbuffer *out, const char **qop)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	*qop = NULL;
	for (size_t i = 0; op && i < 4; i++)
		if (strcmp(op, ops[i][0]) == 0)
			*qop = ops[i][1];
	if (!*qop)
		return mf_control_error("\"op\" must be list, install, use or remove");
	uint8_t key[MF_KEY_LEN + 3];
	size_t klen = 0;
	if (strcmp(op, "list") != 0) {
		const char *b64 = json_string_value(json_object_get(req, "key"));
		int bad = !b64 || sodium_base642bin(key, sizeof(key), b64, strlen(b64), NULL, &klen,
						    NULL, sodium_base64_VARIANT_ORIGINAL) != 0;
		if (b64) /* the request's copy: wiped in place before jansson frees it */
			sodium_memzero((char *)b64, strlen(b64));
		if (bad) {
			sodium_memzero(key, sizeof(key));
			return mf_control_error("illegal base64 data in the key");
		}
	}
	/* keymanager.go handleKeyRequest: list sends an empty (not nil) Key */
	int r = mf_serf_encode_key_request(out, klen ? key : (const uint8_t *)"", klen);
	sodium_memzero(key, sizeof(key));
	return r < 0 ? mf_control_error("out of memory") : NULL;
}

json_t *mf_agent_keys_result(const char *op, size_t num_nodes,
			     const struct mf_serf_query_reply *r, size_t n)
{
	json_t *messages = json_object(), *keys = json_object(), *primaries = json_object();
	size_t n_err = 0;
	for (size_t i = 0; i < n; i++) {
		const struct mf_serf_query_reply *rep = &r[i];
		struct mf_serf_key_response kr;
		char buf[300];
		if (rep->len < 1 || rep->payload[0] != MF_SERF_MSG_KEY_RESPONSE) {
			json_object_set_new(messages, rep->from,
					    json_string("Invalid key query response type"));
			n_err++;
			continue;
		}
		if (mf_serf_decode_key_response(rep->payload + 1, rep->len - 1, &kr) < 0) {
			json_object_set_new(messages, rep->from,
					    json_string("Failed to decode key query response"));
			n_err++;
			continue;
		}
		snprintf(buf, sizeof(buf), "%.*s", (int)kr.message.len,
			 kr.message.p ? (const char *)kr.message.p : "");
		if (!kr.result)
			n_err++;
		if (!kr.result || buf[0])
			json_object_set_new(messages, rep->from, json_string(buf));
		for (size_t k = 0; k < kr.n_keys; k++) {
			snprintf(buf, sizeof(buf), "%.*s", (int)kr.keys[k].len,
				 (const char *)kr.keys[k].p);
			json_int_t c = json_integer_value(json_object_get(keys, buf));
			json_object_set_new(keys, buf, json_integer(c + 1));
		}
		/* keymanager.go counts PrimaryKeys[""] too for failed nodes */
		snprintf(buf, sizeof(buf), "%.*s", (int)kr.primary.len,
			 kr.primary.p ? (const char *)kr.primary.p : "");
		json_int_t c = json_integer_value(json_object_get(primaries, buf));
		json_object_set_new(primaries, buf, json_integer(c + 1));
	}
	return json_pack("{s:b,s:s,s:I,s:I,s:I,s:o,s:o,s:o}", "ok", 1, "op", op, "num_nodes",
			 (json_int_t)num_nodes, "num_resp", (json_int_t)n,
			 "num_err", (json_int_t)n_err, "messages", messages, "keys", keys,
			 "primary_keys", primaries);
}

