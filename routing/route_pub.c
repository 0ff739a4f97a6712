/* routing/route_pub.c — see routing/route_pub.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gossip/grow.h"
#include "gossip/err.h"
#include "routing/route_proto.h"
#include "routing/route_pub.h"
#include "routing/table_format.h"

/* One encoded delta leading to a table, from the table of version `base`. */
struct delta_line {
	uint64_t base;
	char *line;
	size_t len;
};

/* A published table, immutable, shared by reference count. */
struct ptable {
	struct ptable *prev, *next; /* every table held */
	unsigned refs;
	struct mf_table t;
	json_t *json;               /* t rendered once, on first use: every delta
				     * from or to it compares these */
	char *snap;                 /* snapshot line, encoded on first use */
	size_t snap_len;
	struct delta_line *deltas;  /* delta lines to this table, by base */
	size_t n_deltas, cap_deltas;
};

struct sub {
	uint64_t id;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool deltas;               /* false: a snapshot per version */
	bool want_snapshot;        /* nack or failed resume: next update is one */
	bool dead;                 /* dropped; removed at the end of the call */
	struct ptable *applied;    /* last acked (NULL: none) */
	struct ptable *inflight;   /* sent, not acked (NULL: none) */
	mf_time_t inflight_at;
	mf_time_t last_sent;
	unsigned malformed_run;    /* malformed lines in a row */
	uint64_t malformed;
	bool registered;
	struct mf_gateway gw;      /* owned when registered */
	mf_time_t health_at;
	bool health_ok;
	bool healthy;              /* as last reported through hooks.gateways */
};

struct mf_route_pub {
	char *dc, *node;
	uint64_t epoch;
	struct mf_route_pub_hooks hooks;
	struct ptable *tables;     /* every table held */
	struct ptable *cur;        /* newest, NULL before the first */
	struct ptable *recent[MF_ROUTE_PUB_KEEP]; /* ring, for resume */
	size_t recent_next;
	struct sub **subs;         /* by increasing id (= connection order) */
	size_t n_subs, cap_subs;
	bool gw_dirty;             /* the healthy set may have changed */
	struct mf_route_pub_stats st;
};

/* --- tables -----------------------------------------------------------------*/

static struct ptable *tref(struct ptable *t)
{
	if (t)
		t->refs++;
	return t;
}

static void tunref(struct mf_route_pub *p, struct ptable *t)
{
	if (!t || --t->refs > 0)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		p->tables = t->next;
	if (t->next)
		t->next->prev = t->prev;
	mf_table_free(&t->t);
	json_decref(t->json);
	free(t->snap);
	for (size_t i = 0; i < t->n_deltas; i++)
		free(t->deltas[i].line);
	free(t->deltas);
	free(t);
}

static struct ptable *find_table(struct mf_route_pub *p, uint64_t version)
{
	for (struct ptable *t = p->tables; t; t = t->next)
		if (t->t.version == version)
			return t;
	return NULL;
}

static const json_t *table_json(struct ptable *t)
{
	if (!t->json)
		t->json = mf_table_to_json(&t->t);
	return t->json;
}

static int snapshot_line(struct mf_route_pub *p, struct ptable *t, const char **line, size_t *len)
{
	if (!t->snap) {
		const json_t *j = table_json(t);
		int r = j ? mf_rp_encode_snapshot_json(p->epoch, j, &t->snap, &t->snap_len)
			  : MF_ENOMEM;
		if (r < 0)
			return r;
	}
	*line = t->snap;
	*len = t->snap_len;
	return 0;
}

static int delta_line(struct mf_route_pub *p, struct ptable *base, struct ptable *t,
		      const char **line, size_t *len)
{
	for (size_t i = 0; i < t->n_deltas; i++) {
		if (t->deltas[i].base == base->t.version) {
			*line = t->deltas[i].line;
			*len = t->deltas[i].len;
			return 0;
		}
	}
	if (mf_grow(&t->deltas, &t->cap_deltas, t->n_deltas + 1, 4) < 0)
		return MF_ENOMEM;
	struct delta_line *d = &t->deltas[t->n_deltas];
	const json_t *bj = table_json(base), *tj = table_json(t);
	int r = bj && tj ? mf_rp_encode_delta_json(p->epoch, bj, tj, &d->line, &d->len) : MF_ENOMEM;
	if (r < 0)
		return r;
	d->base = base->t.version;
	t->n_deltas++;
	*line = d->line;
	*len = d->len;
	return 0;
}

/* --- subscribers ------------------------------------------------------------*/

static struct sub *find_sub(struct mf_route_pub *p, uint64_t id)
{
	size_t lo = 0, hi = p->n_subs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->subs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->n_subs && p->subs[lo]->id == id && !p->subs[lo]->dead)
		return p->subs[lo];
	return NULL;
}

/* Forgets s (removed from the array by sweep); tells the shell when
 * `reason` is set. */
static void drop(struct mf_route_pub *p, struct sub *s, uint64_t *counter, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void drop(struct mf_route_pub *p, struct sub *s, uint64_t *counter, const char *fmt, ...)
{
	if (s->dead)
		return;
	s->dead = true;
	p->st.disconnects++;
	if (counter)
		(*counter)++;
	tunref(p, s->applied);
	tunref(p, s->inflight);
	s->applied = s->inflight = NULL;
	/* A healthy gateway going is seen by report_gateways (dead = unhealthy). */
	if (fmt && p->hooks.close) {
		char reason[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(reason, sizeof(reason), fmt, ap);
		va_end(ap);
		p->hooks.close(p->hooks.ctx, s->id, reason);
	}
}

static void sub_free(struct sub *s)
{
	if (s->registered)
		mf_gateway_free(&s->gw);
	free(s);
}

static void sweep(struct mf_route_pub *p)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n_subs; i++) {
		if (p->subs[i]->dead)
			sub_free(p->subs[i]);
		else
			p->subs[k++] = p->subs[i];
	}
	p->n_subs = k;
}

/* Sends one line. A refusal drops s and returns MF_EIO, which finish()
 * does not report: it ends that subscriber, not the call. */
static int send_line(struct mf_route_pub *p, struct sub *s, const char *line, size_t len,
		     mf_time_t now)
{
	if (s->dead)
		return MF_ESTATE;
	int r = p->hooks.send(p->hooks.ctx, s->id, line, len);
	if (r < 0) {
		drop(p, s, &p->st.closed_slow, "cannot send: %s", mf_strerror(r));
		return MF_EIO;
	}
	p->st.bytes += len;
	s->last_sent = now;
	return 0;
}

/* Sends an owned line and frees it. */
static int send_owned(struct mf_route_pub *p, struct sub *s, char *line, size_t len, int enc,
		      mf_time_t now)
{
	int r = enc < 0 ? enc : send_line(p, s, line, len, now);
	free(line);
	return r;
}

static int send_error(struct mf_route_pub *p, struct sub *s, const char *msg, mf_time_t now)
{
	char *line = NULL;
	size_t len = 0;
	int enc = mf_rp_encode_error(msg, &line, &len);
	return send_owned(p, s, line, len, enc, now);
}

/* With nothing in flight: brings s to the current table, if it is not
 * there already, with a delta from what it applied or a snapshot. */
static int send_update(struct mf_route_pub *p, struct sub *s, mf_time_t now)
{
	struct ptable *cur = p->cur;
	if (s->dead || s->inflight || !cur || (s->applied == cur && !s->want_snapshot))
		return 0;
	const char *line;
	size_t len;
	bool snap = !s->deltas || !s->applied || s->want_snapshot;
	int r = snap ? snapshot_line(p, cur, &line, &len) : delta_line(p, s->applied, cur, &line, &len);
	if (r == 0)
		r = send_line(p, s, line, len, now);
	if (r < 0)
		return r;
	s->inflight = tref(cur);
	s->inflight_at = now;
	s->want_snapshot = false;
	p->st.updates++;
	if (snap)
		p->st.snapshots++;
	else
		p->st.deltas++;
	return 0;
}

static bool is_healthy(const struct sub *s, mf_time_t now)
{
	return !s->dead && s->registered && s->health_ok &&
	       now - s->health_at < MF_ROUTE_PUB_HEALTH_TIMEOUT;
}

static int cmp_gw(const void *a, const void *b)
{
	return strcmp(((const struct mf_gateway *)a)->name, ((const struct mf_gateway *)b)->name);
}

/* Re-evaluates health; tells hooks.gateways when the healthy set changed. */
static int report_gateways(struct mf_route_pub *p, mf_time_t now)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_subs; i++) {
		struct sub *s = p->subs[i];
		bool h = is_healthy(s, now);
		if (h != s->healthy) {
			s->healthy = h;
			p->gw_dirty = true;
		}
		n += h;
	}
	if (!p->gw_dirty)
		return 0;
	p->gw_dirty = false;
	if (!p->hooks.gateways)
		return 0;
	struct mf_gateway *g = calloc(n ? n : 1, sizeof(*g));
	if (!g) {
		p->gw_dirty = true; /* try again next call */
		return MF_ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < p->n_subs; i++)
		if (p->subs[i]->healthy)
			g[k++] = p->subs[i]->gw;
	qsort(g, k, sizeof(*g), cmp_gw);
	p->hooks.gateways(p->hooks.ctx, g, k);
	free(g);
	return 0;
}

/* Every public call that may drop or change subscribers ends here. */
static int finish(struct mf_route_pub *p, int r, mf_time_t now)
{
	if (r == MF_EIO)
		r = 0;
	int g = report_gateways(p, now);
	sweep(p);
	return r < 0 ? r : g;
}

/* --- lifecycle --------------------------------------------------------------*/

int mf_route_pub_new(const struct mf_route_pub_config *c, struct mf_route_pub **out)
{
	*out = NULL;
	if (!c->datacenter || !c->node || !c->hooks.send || c->epoch > (uint64_t)INT64_MAX)
		return MF_EINVAL;
	struct mf_route_pub *p = calloc(1, sizeof(*p));
	if (!p)
		return MF_ENOMEM;
	p->dc = strdup(c->datacenter);
	p->node = strdup(c->node);
	if (!p->dc || !p->node) {
		mf_route_pub_free(p);
		return MF_ENOMEM;
	}
	p->epoch = c->epoch;
	p->hooks = c->hooks;
	*out = p;
	return 0;
}

void mf_route_pub_free(struct mf_route_pub *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_subs; i++) {
		struct sub *s = p->subs[i];
		tunref(p, s->applied);
		tunref(p, s->inflight);
		sub_free(s);
	}
	free(p->subs);
	for (size_t i = 0; i < MF_ROUTE_PUB_KEEP; i++)
		tunref(p, p->recent[i]);
	tunref(p, p->cur);
	free(p->dc);
	free(p->node);
	free(p);
}

int mf_route_pub_publish(struct mf_route_pub *p, struct mf_table *t, mf_time_t now)
{
	if (p->cur && t->version <= p->cur->t.version) {
		mf_table_free(t);
		return 0;
	}
	struct ptable *pt = calloc(1, sizeof(*pt));
	if (!pt) {
		mf_table_free(t);
		return MF_ENOMEM;
	}
	pt->t = *t;
	memset(t, 0, sizeof(*t));
	pt->refs = 1; /* p->cur's */
	pt->next = p->tables;
	if (p->tables)
		p->tables->prev = pt;
	p->tables = pt;
	tunref(p, p->cur);
	p->cur = pt;
	tunref(p, p->recent[p->recent_next]);
	p->recent[p->recent_next] = tref(pt);
	p->recent_next = (p->recent_next + 1) % MF_ROUTE_PUB_KEEP;
	int r = 0;
	for (size_t i = 0; i < p->n_subs; i++) {
		int x = send_update(p, p->subs[i], now);
		if (x < 0 && x != MF_EIO && r == 0)
			r = x;
	}
	return finish(p, r, now);
}

int mf_route_pub_connect(struct mf_route_pub *p, uint64_t id, pid_t pid, uid_t uid, gid_t gid,
			 mf_time_t now)
{
	if (p->n_subs && p->subs[p->n_subs - 1]->id >= id)
		return MF_EINVAL; /* ids must grow: the array stays sorted */
	if (mf_grow(&p->subs, &p->cap_subs, p->n_subs + 1, 16) < 0)
		return MF_ENOMEM;
	struct sub *s = calloc(1, sizeof(*s));
	if (!s)
		return MF_ENOMEM;
	s->id = id;
	s->pid = pid;
	s->uid = uid;
	s->gid = gid;
	s->deltas = true;
	s->last_sent = now;
	p->subs[p->n_subs++] = s;
	p->st.connects++;
	char *line = NULL;
	size_t len = 0;
	int enc = mf_rp_encode_hello(p->dc, p->node, p->epoch, &line, &len);
	int r = send_owned(p, s, line, len, enc, now);
	if (r == 0)
		r = send_update(p, s, now);
	return finish(p, r, now);
}

int mf_route_pub_disconnect(struct mf_route_pub *p, uint64_t id, mf_time_t now)
{
	struct sub *s = find_sub(p, id);
	if (!s)
		return MF_ENOTFOUND;
	drop(p, s, NULL, NULL);
	return finish(p, 0, now);
}

int mf_route_pub_oversize(struct mf_route_pub *p, uint64_t id, mf_time_t now)
{
	struct sub *s = find_sub(p, id);
	if (!s)
		return MF_ENOTFOUND;
	char msg[80];
	snprintf(msg, sizeof(msg), "line longer than %d bytes", MF_RP_MAX_LINE);
	p->st.oversize++;
	p->st.malformed++;
	s->malformed++;
	(void)send_error(p, s, msg, now);
	drop(p, s, &p->st.closed_garbage, "sent a line longer than %d bytes", MF_RP_MAX_LINE);
	return finish(p, 0, now);
}

/* --- requests ---------------------------------------------------------------*/

static int on_ack(struct mf_route_pub *p, struct sub *s, const struct mf_rp_request *q,
		  mf_time_t now)
{
	if (!s->inflight || s->inflight->t.version != q->version) {
		char msg[120];
		snprintf(msg, sizeof(msg), "ack: version %llu is not the update in flight",
			 (unsigned long long)q->version);
		return send_error(p, s, msg, now);
	}
	p->st.acks++;
	tunref(p, s->applied);
	s->applied = s->inflight;
	s->inflight = NULL;
	return send_update(p, s, now);
}

static int on_nack(struct mf_route_pub *p, struct sub *s, const struct mf_rp_request *q,
		   mf_time_t now)
{
	p->st.nacks++;
	s->want_snapshot = true;
	if (s->inflight && s->inflight->t.version == q->version) {
		tunref(p, s->inflight);
		s->inflight = NULL;
	}
	return send_update(p, s, now);
}

static int on_resume(struct mf_route_pub *p, struct sub *s, const struct mf_rp_request *q,
		     mf_time_t now)
{
	p->st.resumes++;
	struct ptable *t = q->epoch == p->epoch ? find_table(p, q->version) : NULL;
	tunref(p, s->applied);
	s->applied = tref(t);
	s->want_snapshot = !t;
	return send_update(p, s, now);
}

static int on_register(struct mf_route_pub *p, struct sub *s, struct mf_rp_request *q,
		       mf_time_t now)
{
	for (size_t i = 0; i < p->n_subs; i++) {
		struct sub *o = p->subs[i];
		if (o != s && !o->dead && o->registered && strcmp(o->gw.name, q->gw.name) == 0) {
			char msg[400];
			snprintf(msg, sizeof(msg),
				 "register: gateway.name: \"%s\" is registered by another subscriber",
				 q->gw.name);
			return send_error(p, s, msg, now);
		}
	}
	if (s->registered)
		mf_gateway_free(&s->gw);
	s->gw = q->gw; /* moved out of the request */
	memset(&q->gw, 0, sizeof(q->gw));
	s->registered = true;
	s->health_ok = true; /* a gateway registers once it serves */
	s->health_at = now;
	p->gw_dirty = true;  /* its addresses may be new */
	p->st.registrations++;
	char *line = NULL;
	size_t len = 0;
	int enc = mf_rp_encode_registered(s->gw.name, &line, &len);
	return send_owned(p, s, line, len, enc, now);
}

static int on_health(struct mf_route_pub *p, struct sub *s, const struct mf_rp_request *q,
		     mf_time_t now)
{
	if (!s->registered)
		return send_error(p, s, "health: no gateway registered on this connection", now);
	s->health_ok = q->ok;
	s->health_at = now;
	return 0;
}

int mf_route_pub_line(struct mf_route_pub *p, uint64_t id, const char *line, size_t len,
		      mf_time_t now)
{
	struct sub *s = find_sub(p, id);
	if (!s)
		return MF_ENOTFOUND;
	struct mf_rp_request q;
	char err[300];
	memset(&q, 0, sizeof(q));
	int r = mf_rp_parse_request(line, len, &q, err, sizeof(err));
	if (r == MF_ENOMEM)
		return finish(p, r, now);
	if (r < 0) {
		p->st.malformed++;
		s->malformed++;
		s->malformed_run++;
		(void)send_error(p, s, err, now);
		if (s->malformed_run > MF_ROUTE_PUB_MAX_MALFORMED)
			drop(p, s, &p->st.closed_garbage, "%u malformed lines in a row (last: %s)",
			     s->malformed_run, err);
		return finish(p, 0, now);
	}
	s->malformed_run = 0;
	switch (q.type) {
	case MF_RP_ACK:
		r = on_ack(p, s, &q, now);
		break;
	case MF_RP_NACK:
		r = on_nack(p, s, &q, now);
		break;
	case MF_RP_RESUME:
		r = on_resume(p, s, &q, now);
		break;
	case MF_RP_SUBSCRIBE:
		s->deltas = q.deltas;
		r = send_update(p, s, now);
		break;
	case MF_RP_REGISTER:
		r = on_register(p, s, &q, now);
		break;
	case MF_RP_HEALTH:
		r = on_health(p, s, &q, now);
		break;
	default:
		r = send_error(p, s, "unknown request type", now);
		break;
	}
	mf_rp_request_free(&q);
	return finish(p, r, now);
}

int mf_route_pub_tick(struct mf_route_pub *p, mf_time_t now)
{
	uint64_t version = p->cur ? p->cur->t.version : 0;
	for (size_t i = 0; i < p->n_subs; i++) {
		struct sub *s = p->subs[i];
		if (s->dead)
			continue;
		bool waits = p->cur && (s->inflight != p->cur || s->want_snapshot);
		if (s->inflight && waits && now - s->inflight_at >= MF_ROUTE_PUB_ACK_TIMEOUT) {
			drop(p, s, &p->st.closed_slow,
			     "version %llu unacknowledged for %llds while version %llu waits",
			     (unsigned long long)s->inflight->t.version,
			     (long long)((now - s->inflight_at) / MF_SEC),
			     (unsigned long long)version);
			continue;
		}
		if (now - s->last_sent >= MF_ROUTE_PUB_HEARTBEAT) {
			char *line = NULL;
			size_t len = 0;
			int enc = mf_rp_encode_heartbeat(version, &line, &len);
			if (send_owned(p, s, line, len, enc, now) == 0)
				p->st.heartbeats++;
		}
	}
	return finish(p, 0, now);
}

/* --- reading ----------------------------------------------------------------*/

const struct mf_route_pub_stats *mf_route_pub_stats(const struct mf_route_pub *p)
{
	return &p->st;
}

uint64_t mf_route_pub_epoch(const struct mf_route_pub *p)
{
	return p->epoch;
}

uint64_t mf_route_pub_version(const struct mf_route_pub *p)
{
	return p->cur ? p->cur->t.version : 0;
}

size_t mf_route_pub_count(const struct mf_route_pub *p)
{
	return p->n_subs;
}

int mf_route_pub_sub_at(const struct mf_route_pub *p, size_t i, struct mf_route_pub_sub_info *out)
{
	if (i >= p->n_subs)
		return MF_ENOTFOUND;
	const struct sub *s = p->subs[i];
	memset(out, 0, sizeof(*out));
	out->id = s->id;
	out->pid = s->pid;
	out->uid = s->uid;
	out->gid = s->gid;
	out->has_applied = s->applied != NULL;
	out->applied = s->applied ? s->applied->t.version : 0;
	out->has_inflight = s->inflight != NULL;
	out->inflight = s->inflight ? s->inflight->t.version : 0;
	out->deltas = s->deltas;
	out->malformed = s->malformed;
	out->gateway = s->registered ? s->gw.name : NULL;
	out->healthy = s->healthy;
	return 0;
}

uint64_t mf_route_pub_max_lag(const struct mf_route_pub *p, uint64_t *id)
{
	uint64_t worst = 0, wid = 0, cur = mf_route_pub_version(p);
	for (size_t i = 0; i < p->n_subs; i++) {
		const struct sub *s = p->subs[i];
		uint64_t lag = cur - (s->applied ? s->applied->t.version : 0);
		if (lag > worst || wid == 0) {
			worst = lag;
			wid = s->id;
		}
	}
	if (id)
		*id = wid;
	return worst;
}

size_t mf_route_pub_tables_held(const struct mf_route_pub *p)
{
	size_t n = 0;
	for (const struct ptable *t = p->tables; t; t = t->next)
		n++;
	return n;
}
