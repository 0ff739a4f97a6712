/* gossip/serf_query_state.c — see gossip/serf_query_state.h. */
#include "gossip/serf_query_state.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"
#include "gossip/grow.h"
#include "gossip/mp.h"

void mf_serf_query_buffer_init(struct mf_serf_query_buffer *b)
{
	memset(b, 0, sizeof(*b));
}

bool mf_serf_query_buffer_admit(struct mf_serf_query_buffer *b, uint64_t *clock, uint64_t ltime,
				uint32_t id)
{
	/* serf lamport.go Witness */
	if (ltime >= *clock)
		*clock = ltime + 1;
	if (ltime < b->min_time)
		return false;
	uint64_t cur = *clock;
	if (cur > MF_SERF_QUERY_BUFFER && ltime < cur - MF_SERF_QUERY_BUFFER)
		return false; /* "received old query" */
	struct mf_serf_query_seen *s = &b->slots[ltime % MF_SERF_QUERY_BUFFER];
	if (s->used && s->ltime == ltime) {
		for (uint8_t i = 0; i < s->n; i++)
			if (s->ids[i] == id)
				return false;
	} else {
		s->used = true;
		s->ltime = ltime;
		s->n = 0;
	}
	if (s->n == MF_SERF_QUERY_IDS_PER_SLOT) {
		memmove(s->ids, s->ids + 1, sizeof(s->ids) - sizeof(s->ids[0]));
		s->n--;
	}
	s->ids[s->n++] = id;
	return true;
}

static bool node_filter_match(const uint8_t *p, size_t len, const char *self)
{
	struct mf_mp mp;
	bool found = false;
	size_t slen = strlen(self);
	if (mf_mp_unpack(p, len, &mp, NULL) == 0 && mp.root->type == MSGPACK_OBJECT_ARRAY)
		for (uint32_t i = 0; i < mp.root->via.array.size && !found; i++)
			found = mf_mp_eq(&mp.root->via.array.ptr[i], self, slen);
	mf_mp_done(&mp);
	return found;
}

/* Copies a str/bin field into a NUL-terminated buffer. */
static bool field_str(const msgpack_object *m, const char *k, char *buf, size_t cap)
{
	const msgpack_object *o = mf_mp_get(m, k);
	struct mf_bytes b;
	if (!o || mf_mp_bytes(o, &b) != 0 || b.len >= cap)
		return false;
	if (b.len)
		memcpy(buf, b.p, b.len);
	buf[b.len] = '\0';
	return true;
}

static bool tag_filter_match(const uint8_t *p, size_t len, const struct mf_tag *tags,
			     size_t n_tags)
{
	struct mf_mp mp;
	char tag[MF_TAG_KEY_MAX], expr[1024];
	bool ok = mf_mp_unpack(p, len, &mp, NULL) == 0 && mp.root->type == MSGPACK_OBJECT_MAP &&
		  field_str(mp.root, "Tag", tag, sizeof(tag)) &&
		  field_str(mp.root, "Expr", expr, sizeof(expr));
	mf_mp_done(&mp);
	if (!ok)
		return false;
	const char *value = ""; /* serf: tags[filt.Tag] of a missing tag is "" */
	for (size_t i = 0; i < n_tags; i++)
		if (strcmp(tags[i].key, tag) == 0)
			value = tags[i].value;
	regex_t re;
	if (regcomp(&re, expr, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	bool m = regexec(&re, value, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

bool mf_serf_query_filters_match(const struct mf_bytes *filters, size_t n, const char *self,
				 const struct mf_tag *tags, size_t n_tags)
{
	for (size_t i = 0; i < n; i++) {
		const struct mf_bytes *f = &filters[i];
		if (f->len == 0)
			return false;
		if (f->p[0] == MF_SERF_FILTER_NODE) {
			if (!node_filter_match(f->p + 1, f->len - 1, self))
				return false;
		} else if (f->p[0] == MF_SERF_FILTER_TAG) {
			if (!tag_filter_match(f->p + 1, f->len - 1, tags, n_tags))
				return false;
		} else {
			return false; /* "query has unrecognized filter type" */
		}
	}
	return true;
}

void mf_serf_query_collector_init(struct mf_serf_query_collector *c, uint64_t ltime, uint32_t id,
				  mf_time_t deadline)
{
	memset(c, 0, sizeof(*c));
	c->ltime = ltime;
	c->id = id;
	c->deadline = deadline;
}

static void free_replies(struct mf_serf_query_reply *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].from);
		free(r[i].payload);
	}
	free(r);
}

void mf_serf_query_collector_free(struct mf_serf_query_collector *c)
{
	free_replies(c->acks, c->n_acks);
	free_replies(c->responses, c->n_responses);
	memset(c, 0, sizeof(*c));
}

bool mf_serf_query_collector_done(const struct mf_serf_query_collector *c, mf_time_t now)
{
	return now >= c->deadline;
}

static bool has_from(const struct mf_serf_query_reply *r, size_t n, struct mf_bytes from)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(r[i].from) == from.len && memcmp(r[i].from, from.p, from.len) == 0)
			return true;
	return false;
}

int mf_serf_query_collect(struct mf_serf_query_collector *c, mf_time_t now,
			  const struct mf_serf_query_response *r)
{
	if (r->ltime != c->ltime || r->id != c->id || r->from.len == 0 ||
	    memchr(r->from.p, '\0', r->from.len)) {
		c->mismatched++;
		return 0;
	}
	if (mf_serf_query_collector_done(c, now)) {
		c->late++;
		return 0;
	}
	bool ack = (r->flags & MF_SERF_QUERY_FLAG_ACK) != 0;
	struct mf_serf_query_reply **arr = ack ? &c->acks : &c->responses;
	size_t *n = ack ? &c->n_acks : &c->n_responses;
	size_t *cap = ack ? &c->cap_acks : &c->cap_responses;
	if (has_from(*arr, *n, r->from)) {
		c->duplicates++;
		return 0;
	}
	if (*n >= MF_SERF_QUERY_MAX_REPLIES)
		return 0;
	if (mf_grow(arr, cap, *n + 1, 16) < 0)
		return MF_ENOMEM;
	struct mf_serf_query_reply rep = {0};
	rep.from = malloc(r->from.len + 1);
	if (!rep.from)
		return MF_ENOMEM;
	memcpy(rep.from, r->from.p, r->from.len);
	rep.from[r->from.len] = '\0';
	if (!ack) {
		rep.payload = malloc(r->payload.len ? r->payload.len : 1);
		if (!rep.payload) {
			free(rep.from);
			return MF_ENOMEM;
		}
		if (r->payload.len)
			memcpy(rep.payload, r->payload.p, r->payload.len);
		rep.len = r->payload.len;
	}
	(*arr)[(*n)++] = rep;
	return 1;
}
