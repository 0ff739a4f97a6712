/* cmd/agent/agent_query.c — see cmd/agent/agent_query.h. */
#include "cmd/agent/agent_query.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cmd/agent/agent_internal.h"
#include "cmd/agent/agent_keys.h"
#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/name_hash.h"
#include "gossip/serf.h"
#include "gossip/serf_query.h"
#include "gossip/serf_query_state.h"

#define MAX_OUTS 1024 /* unflushed sends; beyond, dropped and counted */

/* One send queued while inside a pool call. */
struct out {
	bool bcast;         /* rebroadcast through gossip, else one datagram */
	char key[48];       /* broadcast key */
	struct mf_addr to;  /* datagram destination */
	uint8_t *msg;
	size_t len;
};

/* A query this agent started for a control client. */
struct pending {
	struct pending *next;
	struct mf_agent_queries *owner;
	uint64_t client_id;
	bool keys;           /* a key operation (ends early once all answered) */
	bool stream;         /* each ack and response also streamed as it comes */
	char op[16];         /* list-keys, install-key, ... or "query" */
	size_t num_nodes;    /* members when it started (memberlist NumMembers) */
	struct mf_serf_query_collector col;
	uv_timer_t timer;
	bool done;
};

struct mf_agent_queries {
	struct mf_agent_pool *ap;
	struct mf_serf_query_buffer qbuf, ebuf;
	struct out *outs;
	size_t n_outs, cap_outs;
	struct pending *pending;
	msgpack_sbuffer sb, sb2;
	struct {
		uint64_t queries, duplicates, answered, acks, relays_sent, relays_forwarded;
		uint64_t responses, events, key_ops, key_op_failures, decode_errors, dropped;
	} st;
};

static mf_time_t now_of(const struct mf_agent_queries *q)
{
	return q->ap->tr ? mf_transport_now(q->ap->tr) : (mf_time_t)uv_hrtime();
}

static const char *self_of(const struct mf_agent_queries *q)
{
	return q->ap->glue.self;
}

int mf_agent_queries_new(struct mf_agent_pool *ap, struct mf_agent_queries **out)
{
	struct mf_agent_queries *q = calloc(1, sizeof(*q));
	if (!q)
		return MF_ENOMEM;
	q->ap = ap;
	mf_serf_query_buffer_init(&q->qbuf);
	mf_serf_query_buffer_init(&q->ebuf);
	msgpack_sbuffer_init(&q->sb);
	msgpack_sbuffer_init(&q->sb2);
	*out = q;
	return 0;
}

/* --- queued sends -------------------------------------------------------------*/

static void enqueue(struct mf_agent_queries *q, bool bcast, const char *key,
		    const struct mf_addr *to, const void *msg, size_t len)
{
	if (q->n_outs >= MAX_OUTS) {
		q->st.dropped++;
		return;
	}
	if (mf_grow(&q->outs, &q->cap_outs, q->n_outs + 1, 16) < 0) {
		q->st.dropped++;
		return;
	}
	struct out *o = &q->outs[q->n_outs];
	memset(o, 0, sizeof(*o));
	if (!(o->msg = malloc(len ? len : 1))) {
		q->st.dropped++;
		return;
	}
	memcpy(o->msg, msg, len);
	o->len = len;
	o->bcast = bcast;
	if (key)
		snprintf(o->key, sizeof(o->key), "%s", key);
	if (to)
		o->to = *to;
	q->n_outs++;
}

void mf_agent_query_flush(struct mf_agent_pool *ap)
{
	struct mf_agent_queries *q = ap->queries;
	if (!q || !ap->tr || q->n_outs == 0)
		return;
	/* Take the queue first: a send drains the pool, which may queue more. */
	struct out *outs = q->outs;
	size_t n = q->n_outs;
	q->outs = NULL;
	q->n_outs = q->cap_outs = 0;
	for (size_t i = 0; i < n; i++) {
		int r = outs[i].bcast
				? mf_transport_broadcast_user(ap->tr, outs[i].key, outs[i].msg,
							      outs[i].len)
				: mf_transport_send_user_to(ap->tr, &outs[i].to, outs[i].msg,
							    outs[i].len);
		if (r < 0)
			q->st.dropped++;
		free(outs[i].msg);
	}
	free(outs);
}

/* --- answering ------------------------------------------------------------------*/

static void finish(struct pending *p);

/* An ack or response streamed to a client that asked for it, one line:
 * {"ack":NODE} or {"response":{"from":NODE,"payload":"..."}}. */
static void stream_reply(struct pending *p, const struct mf_serf_query_response *r)
{
	struct mf_control *ctl = p->owner->ap->agent->ctl;
	const char *pl = r->payload.len ? (const char *)r->payload.p : "";
	json_t *o = r->flags & MF_SERF_QUERY_FLAG_ACK
			    ? json_pack("{s:s%}", "ack", (const char *)r->from.p, r->from.len)
			    : json_pack("{s:{s:s%,s:s%}}", "response", "from", (const char *)r->from.p,
					r->from.len, "payload", pl, r->payload.len);
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (line && ctl && mf_control_stream(ctl, p->client_id, line, strlen(line), SIZE_MAX) == 0)
		(void)mf_control_stream(ctl, p->client_id, "\n", 1, SIZE_MAX);
	free(line);
	json_decref(o);
}

/* A response or ack for one of our queries (from the wire, or our own). */
static void deliver(struct mf_agent_queries *q, const struct mf_serf_query_response *r)
{
	mf_time_t now = now_of(q);
	for (struct pending *p = q->pending; p; p = p->next) {
		if (p->done || mf_serf_query_collect(&p->col, now, r) != 1)
			continue;
		q->st.responses++;
		if (p->stream)
			stream_reply(p, r);
		/* keymanager.go streamKeyResp: done when every node answered */
		if (p->keys && p->col.n_responses >= p->num_nodes)
			finish(p);
		return;
	}
}

static void query_addr(const struct mf_serf_query *qu, struct mf_addr *to)
{
	static const uint8_t v4in6[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memset(to, 0, sizeof(*to));
	if (qu->addr.len == 16 && memcmp(qu->addr.p, v4in6, 12) == 0) {
		memcpy(to->ip, qu->addr.p + 12, 4);
		to->ip_len = 4;
	} else {
		memcpy(to->ip, qu->addr.p, qu->addr.len);
		to->ip_len = (uint8_t)qu->addr.len;
	}
	to->port = qu->port;
}

static bool is_self(const struct mf_agent_queries *q, struct mf_bytes name)
{
	const char *self = self_of(q);
	return name.len == strlen(self) && memcmp(name.p, self, name.len) == 0;
}

/* query.go relayResponse: copies through up to relay_factor alive members
 * (protocol >= 5, not us), when there are at least relay_factor others. */
static void relay(struct mf_agent_queries *q, const struct mf_serf_query *qu, const uint8_t *raw,
		  size_t len)
{
	mf_pool_t *pool = q->ap->pool;
	size_t n = mf_pool_member_count(pool);
	if (qu->relay_factor == 0 || n < (size_t)qu->relay_factor + 1)
		return;
	struct mf_addr dest;
	query_addr(qu, &dest);
	msgpack_sbuffer_clear(&q->sb2);
	if (mf_serf_encode_relay(&q->sb2, &dest, qu->source_node, raw, len) < 0 ||
	    q->sb2.size > MF_SERF_QUERY_RESPONSE_SIZE_LIMIT)
		return;
	size_t picked = 0;
	/* kRandomMembers: 3n random draws, skipping repeats and the unfit */
	char chosen[UINT8_MAX][MF_NAME_MAX + 1];
	for (size_t i = 0; i < 3 * n && picked < qu->relay_factor; i++) {
		struct mf_member m;
		if (mf_pool_member_at(pool, randombytes_uniform((uint32_t)n), &m) != 0 ||
		    m.status != MF_MEMBER_ALIVE || m.vsn[1] < 5 || strcmp(m.name, self_of(q)) == 0)
			continue;
		bool dup = false;
		for (size_t j = 0; j < picked && !dup; j++)
			dup = strcmp(chosen[j], m.name) == 0;
		if (dup)
			continue;
		snprintf(chosen[picked++], MF_NAME_MAX + 1, "%s", m.name);
		enqueue(q, false, NULL, &m.addr, q->sb2.data, q->sb2.size);
		q->st.relays_sent++;
	}
}

/* Sends a response (or ack) to the querier, directly and relayed. */
static void respond(struct mf_agent_queries *q, const struct mf_serf_query *qu, uint32_t flags,
		    const uint8_t *payload, size_t len)
{
	struct mf_serf_query_response r = {
		.ltime = qu->ltime,
		.id = qu->id,
		.from = {(const uint8_t *)self_of(q), strlen(self_of(q))},
		.flags = flags,
		.payload = {payload, len},
	};
	if (is_self(q, qu->source_node)) {
		deliver(q, &r); /* our own query: no need for a round trip */
		return;
	}
	msgpack_sbuffer_clear(&q->sb);
	if (mf_serf_encode_query_response(&q->sb, &r) < 0)
		return;
	if (q->sb.size > MF_SERF_QUERY_RESPONSE_SIZE_LIMIT) {
		mf_log_warn(&q->ap->agent->log, "query %.*s: response exceeds limit of %d bytes",
			    (int)qu->name.len, (const char *)qu->name.p,
			    MF_SERF_QUERY_RESPONSE_SIZE_LIMIT);
		return;
	}
	struct mf_addr to;
	query_addr(qu, &to);
	enqueue(q, false, NULL, &to, q->sb.data, q->sb.size);
	size_t n = q->sb.size;
	uint8_t *copy = malloc(n);
	if (!copy)
		return;
	memcpy(copy, q->sb.data, n);
	relay(q, qu, copy, n);
	free(copy);
	if (!(flags & MF_SERF_QUERY_FLAG_ACK))
		q->st.answered++;
}

/* --- serf's internal key queries ---------------------------------------------------*/

static void internal_query(struct mf_agent_queries *q, const struct mf_serf_query *qu)
{
	size_t plen = strlen(MF_SERF_INTERNAL_PREFIX);
	const char *name = (const char *)qu->name.p + plen;
	size_t nlen = qu->name.len - plen;
	char op[32];
	if (nlen == 4 && memcmp(name, "ping", 4) == 0)
		return; /* the ack was all it asked for */
	snprintf(op, sizeof(op), "%.*s", (int)(nlen < sizeof(op) ? nlen : 0), name);
	if (!mf_agent_keys_is_op(op)) {
		mf_log_warn(&q->ap->agent->log, "pool %s: unhandled internal query '%.*s'",
			    q->ap->name, (int)nlen, name);
		return;
	}
	msgpack_sbuffer kb;
	msgpack_sbuffer_init(&kb);
	q->st.key_ops++;
	int r = mf_agent_keys_answer(q->ap, op, qu->payload, &kb);
	if (r < 0)
		mf_log_error(&q->ap->agent->log, "pool %s: %s: %s", q->ap->name, op, mf_strerror(r));
	else
		respond(q, qu, 0, (const uint8_t *)kb.data, kb.size);
	if (r != 1)
		q->st.key_op_failures++;
	if (kb.data)
		sodium_memzero(kb.data, kb.size);
	msgpack_sbuffer_destroy(&kb);
}

/* Our tags, for tag filters. */
static size_t own_tags(struct mf_agent_queries *q, struct mf_tag *tags, size_t max)
{
	struct mf_member m;
	size_t n = 0;
	if (mf_pool_member_find(q->ap->pool, self_of(q), &m) != 0 ||
	    mf_serf_decode_tags(m.meta, m.meta_len, tags, max, &n) < 0)
		return 0;
	return n;
}

/* serf.go handleQuery after de-duplication: filters, ack, then the answer. */
static void process_query(struct mf_agent_queries *q, const struct mf_serf_query *qu)
{
	struct mf_tag *tags = calloc(MF_CONFIG_MAX_TAGS + 2, sizeof(*tags));
	size_t nt = tags ? own_tags(q, tags, MF_CONFIG_MAX_TAGS + 2) : 0;
	bool match = mf_serf_query_filters_match(qu->filters, qu->n_filters, self_of(q), tags, nt);
	free(tags);
	if (!match)
		return;
	if (qu->flags & MF_SERF_QUERY_FLAG_ACK) {
		q->st.acks++;
		respond(q, qu, MF_SERF_QUERY_FLAG_ACK, NULL, 0);
	}
	size_t plen = strlen(MF_SERF_INTERNAL_PREFIX);
	if (qu->name.len > plen && memcmp(qu->name.p, MF_SERF_INTERNAL_PREFIX, plen) == 0)
		internal_query(q, qu);
	else
		mf_log_info(&q->ap->agent->log, "pool %s: query %.*s from %.*s (no handler)",
			    q->ap->name, (int)qu->name.len, (const char *)qu->name.p,
			    (int)qu->source_node.len, (const char *)qu->source_node.p);
}

static void on_query(struct mf_agent_queries *q, const uint8_t *msg, size_t len)
{
	struct mf_serf_query qu;
	if (mf_serf_decode_query(msg + 1, len - 1, &qu) < 0) {
		q->st.decode_errors++;
		return;
	}
	if (!mf_serf_query_buffer_admit(&q->qbuf, &q->ap->glue.query_clock, qu.ltime, qu.id)) {
		q->st.duplicates++;
		return;
	}
	q->st.queries++;
	if (!(qu.flags & MF_SERF_QUERY_FLAG_NO_BROADCAST)) {
		char key[48];
		snprintf(key, sizeof(key), "serf-query:%llu:%u", (unsigned long long)qu.ltime, qu.id);
		enqueue(q, true, key, NULL, msg, len);
	}
	process_query(q, &qu);
}

static void on_event(struct mf_agent_queries *q, const uint8_t *msg, size_t len)
{
	struct mf_serf_user_event ev;
	if (mf_serf_decode_user_event(msg + 1, len - 1, &ev) < 0) {
		q->st.decode_errors++;
		return;
	}
	/* serf.go handleUserEvent: an event is its LTime, name and payload */
	uint64_t h = mf_name_hash(ev.name.p, ev.name.len) * 31 +
		     mf_name_hash(ev.payload.p, ev.payload.len);
	if (!mf_serf_query_buffer_admit(&q->ebuf, &q->ap->glue.event_clock, ev.ltime,
					(uint32_t)(h ^ (h >> 32))))
		return;
	q->st.events++;
	char key[48];
	snprintf(key, sizeof(key), "serf-event:%llu:%08x", (unsigned long long)ev.ltime,
		 (unsigned)(h ^ (h >> 32)));
	enqueue(q, true, key, NULL, msg, len);
	mf_log_info(&q->ap->agent->log, "pool %s: user event %.*s (%zu bytes payload)",
		    q->ap->name, (int)ev.name.len, (const char *)ev.name.p, ev.payload.len);
}

void mf_agent_query_on_msg(struct mf_agent_pool *ap, const uint8_t *msg, size_t len)
{
	struct mf_agent_queries *q = ap->queries;
	if (!q || len < 1)
		return;
	switch (msg[0]) {
	case MF_SERF_MSG_QUERY:
		on_query(q, msg, len);
		break;
	case MF_SERF_MSG_QUERY_RESPONSE: {
		struct mf_serf_query_response r;
		if (mf_serf_decode_query_response(msg + 1, len - 1, &r) < 0)
			q->st.decode_errors++;
		else
			deliver(q, &r);
		break;
	}
	case MF_SERF_MSG_RELAY: {
		struct mf_serf_relay r;
		if (mf_serf_decode_relay(msg + 1, len - 1, &r) < 0) {
			q->st.decode_errors++;
			break;
		}
		/* delegate.go: forward the inner message as it is */
		q->st.relays_forwarded++;
		enqueue(q, false, NULL, &r.dest, r.inner.p, r.inner.len);
		break;
	}
	case MF_SERF_MSG_USER_EVENT:
		on_event(q, msg, len);
		break;
	default:
		break;
	}
}

/* --- queries we start ---------------------------------------------------------------*/

static json_t *query_result(struct pending *p)
{
	json_t *acks = json_array(), *resps = json_array();
	for (size_t i = 0; i < p->col.n_acks; i++)
		json_array_append_new(acks, json_string(p->col.acks[i].from));
	for (size_t i = 0; i < p->col.n_responses; i++) {
		const struct mf_serf_query_reply *r = &p->col.responses[i];
		json_array_append_new(resps,
				      json_pack("{s:s,s:s%}", "from", r->from, "payload",
						r->len ? (const char *)r->payload : "", r->len));
	}
	return json_pack("{s:b,s:I,s:o,s:o}", "ok", 1, "num_nodes", (json_int_t)p->num_nodes,
			 "acks", acks, "responses", resps);
}

static void pending_closed(uv_handle_t *h)
{
	struct pending *p = h->data;
	mf_serf_query_collector_free(&p->col);
	free(p);
}

static void unlink_pending(struct pending *p)
{
	for (struct pending **pp = &p->owner->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

static void finish(struct pending *p)
{
	if (p->done)
		return;
	p->done = true;
	json_t *res = p->keys ? mf_agent_keys_result(p->op, p->num_nodes, p->col.responses,
						    p->col.n_responses)
			      : query_result(p);
	if (!res)
		res = mf_control_error("out of memory");
	if (p->owner->ap->agent->ctl)
		mf_control_respond(p->owner->ap->agent->ctl, p->client_id, res);
	else
		json_decref(res);
	unlink_pending(p);
	uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->timer, pending_closed);
}

static void on_timeout(uv_timer_t *t)
{
	finish(t->data);
}

/* serf.go Query: our query, handled locally, then gossiped. */
static json_t *start_query(struct mf_agent_pool *ap, uint64_t client_id, bool keys, bool stream,
			   const char *op, struct mf_bytes name, struct mf_bytes payload,
			   const struct mf_bytes *filters, size_t n_filters, uint32_t flags,
			   uint8_t relay_factor, mf_time_t timeout)
{
	struct mf_agent_queries *q = ap->queries;
	struct mf_member self;
	if (!q || !ap->tr || mf_pool_member_find(ap->pool, self_of(q), &self) != 0)
		return mf_control_error("pool %s is not running", ap->name);
	size_t members = mf_pool_alive_count(ap->pool);
	if (timeout <= 0)
		timeout = mf_serf_query_default_timeout(
			mf_pool_config(ap->pool)->timing.gossip_interval, members);
	struct mf_serf_query qu = {
		.ltime = ap->glue.query_clock,
		.id = randombytes_uniform(INT32_MAX), /* rand.Int31 */
		.addr = {self.addr.ip, self.addr.ip_len},
		.port = self.addr.port,
		.source_node = {(const uint8_t *)self_of(q), strlen(self_of(q))},
		.n_filters = n_filters,
		.flags = flags,
		.relay_factor = relay_factor,
		.timeout = timeout,
		.name = name,
		.payload = payload,
	};
	for (size_t i = 0; i < n_filters; i++)
		qu.filters[i] = filters[i];
	msgpack_sbuffer raw;
	msgpack_sbuffer_init(&raw);
	if (mf_serf_encode_query(&raw, &qu) < 0) {
		msgpack_sbuffer_destroy(&raw);
		return mf_control_error("out of memory");
	}
	if (raw.size > MF_SERF_QUERY_SIZE_LIMIT) {
		msgpack_sbuffer_destroy(&raw);
		return mf_control_error("query exceeds limit of %d bytes", MF_SERF_QUERY_SIZE_LIMIT);
	}
	struct pending *p = calloc(1, sizeof(*p));
	if (!p) {
		msgpack_sbuffer_destroy(&raw);
		return mf_control_error("out of memory");
	}
	p->owner = q;
	p->client_id = client_id;
	p->keys = keys;
	p->stream = stream;
	snprintf(p->op, sizeof(p->op), "%s", op);
	p->num_nodes = members;
	mf_time_t now = now_of(q);
	mf_serf_query_collector_init(&p->col, qu.ltime, qu.id, now + timeout);
	uv_timer_init(&ap->agent->loop, &p->timer);
	p->timer.data = p;
	uv_timer_start(&p->timer, on_timeout, (uint64_t)((timeout + 999999) / 1000000), 0);
	p->next = q->pending;
	q->pending = p;
	/* handleQuery locally (witnesses the clock past our LTime), then gossip */
	if (mf_serf_query_buffer_admit(&q->qbuf, &ap->glue.query_clock, qu.ltime, qu.id))
		process_query(q, &qu);
	char key[48];
	snprintf(key, sizeof(key), "serf-query:%llu:%u", (unsigned long long)qu.ltime, qu.id);
	int r = mf_transport_broadcast_user(ap->tr, key, (const uint8_t *)raw.data, raw.size);
	msgpack_sbuffer_destroy(&raw);
	mf_agent_query_flush(ap);
	if (r < 0)
		mf_log_warn(&ap->agent->log, "pool %s: cannot gossip query: %s", ap->name,
			    mf_strerror(r));
	if (p->keys && p->col.n_responses >= p->num_nodes)
		finish(p); /* a pool of one */
	return NULL;
}

static json_t *keys_request(struct mf_agent *a, uint64_t client_id, const json_t *req)
{
	const char *pool = json_string_value(json_object_get(req, "pool"));
	struct mf_agent_pool *ap = mf_agent_find_pool(a, pool);
	if (!ap)
		return mf_control_error("no pool named %s", pool);
	json_int_t rf = json_integer_value(json_object_get(req, "relay_factor"));
	if (rf < 0 || rf > 5)
		return mf_control_error("\"relay_factor\" must be 0 to 5");
	const char *qop = NULL;
	msgpack_sbuffer pl;
	msgpack_sbuffer_init(&pl);
	json_t *res = mf_agent_keys_request(req, &pl, &qop);
	if (!res) {
		char name[32];
		snprintf(name, sizeof(name), "%s%s", MF_SERF_INTERNAL_PREFIX, qop);
		res = start_query(ap, client_id, true, false, qop,
				  (struct mf_bytes){(const uint8_t *)name, strlen(name)},
				  (struct mf_bytes){(const uint8_t *)pl.data, pl.size}, NULL, 0, 0,
				  (uint8_t)rf, 0);
	}
	if (pl.data)
		sodium_memzero(pl.data, pl.size);
	msgpack_sbuffer_destroy(&pl);
	return res;
}

/* The "name", "payload" and "pool" of a query or event request: NULL, or
 * the error to answer. */
static json_t *named_request(struct mf_agent *a, const json_t *req, const char **name,
			     struct mf_bytes *payload, struct mf_agent_pool **ap)
{
	const json_t *pj = json_object_get(req, "payload");
	const char *pool = json_string_value(json_object_get(req, "pool"));
	*name = json_string_value(json_object_get(req, "name"));
	*payload = (struct mf_bytes){(const uint8_t *)(pj ? json_string_value(pj) : ""),
				     pj ? json_string_length(pj) : 0};
	if (!*name || !**name || !payload->p)
		return mf_control_error("\"name\" (non-empty) and \"payload\" must be strings");
	if (!(*ap = mf_agent_find_pool(a, pool)))
		return mf_control_error("no pool named %s", pool);
	return NULL;
}

static json_t *user_query_request(struct mf_agent *a, uint64_t client_id, const json_t *req)
{
	const char *name;
	struct mf_bytes payload;
	struct mf_agent_pool *ap;
	json_t *err = named_request(a, req, &name, &payload, &ap);
	if (err)
		return err;
	json_int_t timeout_ms = json_integer_value(json_object_get(req, "timeout_ms"));
	json_int_t rf = json_integer_value(json_object_get(req, "relay_factor"));
	if (timeout_ms < 0 || timeout_ms > 3600 * 1000 || rf < 0 || rf > 5)
		return mf_control_error("\"timeout_ms\" must be 0 to 3600000, \"relay_factor\" 0 to 5");
	uint32_t flags = json_is_true(json_object_get(req, "ack")) ? MF_SERF_QUERY_FLAG_ACK : 0;
	/* filters: nodes, then one per tag (query.go encodeFilters) */
	msgpack_sbuffer fb[MF_SERF_QUERY_MAX_FILTERS];
	struct mf_bytes filters[MF_SERF_QUERY_MAX_FILTERS];
	size_t nf = 0;
	json_t *res = NULL;
	const json_t *nodes = json_object_get(req, "nodes");
	const json_t *tags = json_object_get(req, "tags");
	if (json_array_size(nodes) > 0) {
		size_t n = json_array_size(nodes);
		const char **names = calloc(n, sizeof(*names));
		if (!names)
			return mf_control_error("out of memory");
		for (size_t i = 0; i < n; i++)
			if (!(names[i] = json_string_value(json_array_get(nodes, i))))
				names[i] = "";
		msgpack_sbuffer_init(&fb[nf]);
		int r = mf_serf_encode_node_filter(&fb[nf++], names, n);
		free(names);
		if (r < 0) {
			res = mf_control_error("cannot encode the node filter: %s", mf_strerror(r));
			goto out;
		}
	}
	const char *tk;
	json_t *tv;
	json_object_foreach((json_t *)tags, tk, tv) {
		if (nf == MF_SERF_QUERY_MAX_FILTERS || !json_is_string(tv)) {
			res = mf_control_error("\"tags\" must map at most %d tags to expressions",
					       MF_SERF_QUERY_MAX_FILTERS - 1);
			goto out;
		}
		msgpack_sbuffer_init(&fb[nf]);
		int r = mf_serf_encode_tag_filter(&fb[nf++], tk, json_string_value(tv));
		if (r < 0) {
			res = mf_control_error("cannot encode the filter on tag %s: %s", tk, mf_strerror(r));
			goto out;
		}
	}
	for (size_t i = 0; i < nf; i++)
		filters[i] = (struct mf_bytes){(const uint8_t *)fb[i].data, fb[i].size};
	res = start_query(ap, client_id, false, json_is_true(json_object_get(req, "stream")), "query",
			  (struct mf_bytes){(const uint8_t *)name, strlen(name)},
			  payload, filters, nf, flags,
			  (uint8_t)rf, (mf_time_t)timeout_ms * 1000000);
out:
	for (size_t i = 0; i < nf; i++)
		msgpack_sbuffer_destroy(&fb[i]);
	return res;
}

static json_t *event_request(struct mf_agent *a, const json_t *req)
{
	const char *name;
	struct mf_bytes payload;
	struct mf_agent_pool *ap;
	json_t *err = named_request(a, req, &name, &payload, &ap);
	if (err)
		return err;
	if (strlen(name) + payload.len > MF_SERF_USER_EVENT_SIZE_LIMIT)
		return mf_control_error("user event exceeds limit of %d bytes before encoding",
					MF_SERF_USER_EVENT_SIZE_LIMIT);
	if (!ap->tr || !ap->queries)
		return mf_control_error("pool %s is not running", ap->name);
	/* serf.go UserEvent: LTime = eventClock.Time(), then Increment */
	struct mf_serf_user_event ev = {
		.ltime = ap->glue.event_clock,
		.name = {(const uint8_t *)name, strlen(name)},
		.payload = payload,
		.cc = !json_is_false(json_object_get(req, "coalesce")),
	};
	msgpack_sbuffer raw;
	msgpack_sbuffer_init(&raw);
	int r = mf_serf_encode_user_event(&raw, &ev);
	if (r == 0 && raw.size > MF_SERF_USER_EVENT_SIZE_LIMIT)
		r = MF_ETOOBIG;
	if (r == 0) {
		ap->glue.event_clock++;
		/* handleUserEvent locally: remembered, so the echo is not new */
		on_event(ap->queries, (const uint8_t *)raw.data, raw.size);
		mf_agent_query_flush(ap);
	}
	msgpack_sbuffer_destroy(&raw);
	if (r < 0)
		return mf_control_error("%s", r == MF_ETOOBIG
						     ? "encoded user event exceeds limit of 512 bytes"
						     : mf_strerror(r));
	return json_pack("{s:b}", "ok", 1);
}

json_t *mf_agent_query_request(struct mf_agent *a, uint64_t client_id, const char *cmd,
			       const json_t *req)
{
	if (strcmp(cmd, "keys") == 0)
		return keys_request(a, client_id, req);
	if (strcmp(cmd, "query") == 0)
		return user_query_request(a, client_id, req);
	return event_request(a, req);
}

json_t *mf_agent_queries_info(const struct mf_agent_queries *q)
{
	if (!q)
		return json_null();
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "queries",
			 (json_int_t)q->st.queries, "duplicates", (json_int_t)q->st.duplicates,
			 "answered", (json_int_t)q->st.answered, "acks", (json_int_t)q->st.acks,
			 "relays_sent", (json_int_t)q->st.relays_sent, "relays_forwarded",
			 (json_int_t)q->st.relays_forwarded, "responses",
			 (json_int_t)q->st.responses, "events", (json_int_t)q->st.events,
			 "key_ops", (json_int_t)q->st.key_ops, "key_op_failures",
			 (json_int_t)q->st.key_op_failures, "decode_errors",
			 (json_int_t)q->st.decode_errors, "dropped", (json_int_t)q->st.dropped);
}

void mf_agent_queries_close(struct mf_agent_queries *q)
{
	if (!q)
		return;
	while (q->pending) {
		struct pending *p = q->pending;
		q->pending = p->next;
		p->done = true;
		if (q->ap->agent->ctl)
			mf_control_respond(q->ap->agent->ctl, p->client_id,
					   mf_control_error("agent is shutting down"));
		uv_timer_stop(&p->timer);
		uv_close((uv_handle_t *)&p->timer, pending_closed);
	}
}

void mf_agent_queries_free(struct mf_agent_queries *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n_outs; i++)
		free(q->outs[i].msg);
	free(q->outs);
	msgpack_sbuffer_destroy(&q->sb);
	msgpack_sbuffer_destroy(&q->sb2);
	free(q);
}
