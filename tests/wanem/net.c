#include "tests/wanem/net.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/err.h"

static struct mf_wanem_link *link_at(const struct mf_wanem_net *n, size_t a,
				     size_t b)
{
	return &n->links[a * n->n_dcs + b];
}

static void set_rtt(struct mf_wanem_link *l, double rtt_ms)
{
	l->rtt_ms = rtt_ms;
	l->one_way_ns = (int64_t)(rtt_ms * 1e6 / 2 + 0.5);
}

static void set_loss(struct mf_wanem_link *l, double p)
{
	l->loss = p;
	double b = p * 4294967296.0;
	l->loss_below = b >= 4294967295.0 ? UINT32_MAX : (uint32_t)b;
}

int mf_wanem_net_init(struct mf_wanem_net *n, const struct mf_topology *t)
{
	memset(n, 0, sizeof *n);
	n->n_dcs = t->n_dcs;
	n->names = calloc(t->n_dcs, sizeof *n->names);
	n->links = calloc(t->n_dcs * t->n_dcs, sizeof *n->links);
	if (!n->names || !n->links) {
		mf_wanem_net_free(n);
		return MF_ENOMEM;
	}
	for (size_t a = 0; a < t->n_dcs; a++) {
		memcpy(n->names[a], t->dcs[a].name, MF_TOPOLOGY_NAME_MAX);
		for (size_t b = 0; b < t->n_dcs; b++) {
			struct mf_wanem_link *l = link_at(n, a, b);
			l->exists = mf_topology_linked(t, a, b);
			set_rtt(l, l->exists ? mf_topology_rtt(t, a, b) : 0);
			set_loss(l, mf_topology_loss(t, a, b));
		}
	}
	n->intra_ns = (int64_t)(t->intra_dc_rtt_ms * 1e6 / 2 + 0.5);
	n->jitter_ns = (int64_t)(t->jitter_ms * 1e6 + 0.5);
	return 0;
}

void mf_wanem_net_free(struct mf_wanem_net *n)
{
	free(n->names);
	free(n->links);
	memset(n, 0, sizeof *n);
}

int64_t mf_wanem_net_verdict(const struct mf_wanem_net *n, size_t src,
			     size_t dst, uint32_t r_loss, uint32_t r_jitter)
{
	if (src == dst)
		return n->intra_ns;
	const struct mf_wanem_link *l = link_at(n, src, dst);
	if (!l->exists)
		return MF_WANEM_DROP_NOLINK;
	if (l->down || l->cut)
		return MF_WANEM_DROP_DOWN;
	if (r_loss < l->loss_below)
		return MF_WANEM_DROP_LOSS;
	int64_t d = l->one_way_ns;
	if (n->jitter_ns > 0) {
		/* uniform in [-jitter/2, +jitter/2]: the mean RTT stays put */
		d += (int64_t)((double)r_jitter / 4294967296.0 *
			       (double)n->jitter_ns) - n->jitter_ns / 2;
		if (d < 0)
			d = 0;
	}
	return d;
}

bool mf_wanem_net_passes(const struct mf_wanem_net *n, size_t src, size_t dst)
{
	if (src == dst)
		return true;
	const struct mf_wanem_link *l = link_at(n, src, dst);
	return l->exists && !l->down && !l->cut;
}

static int reply_err(char *reply, size_t len, const char *fmt, ...)
{
	int w = snprintf(reply, len, "error: ");
	va_list ap;
	va_start(ap, fmt);
	if (w >= 0 && (size_t)w < len)
		vsnprintf(reply + w, len - (size_t)w, fmt, ap);
	va_end(ap);
	return MF_EINVAL;
}

static int dc_index(const struct mf_wanem_net *n, const char *name)
{
	for (size_t i = 0; i < n->n_dcs; i++)
		if (strcmp(n->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Resolves two DC names to a configured link; both directions. */
static int pair(struct mf_wanem_net *n, const char *an, const char *bn,
		struct mf_wanem_link **ab, struct mf_wanem_link **ba,
		char *reply, size_t len)
{
	int a = an ? dc_index(n, an) : -1, b = bn ? dc_index(n, bn) : -1;
	if (!an || !bn)
		return reply_err(reply, len, "two datacenters needed");
	if (a < 0)
		return reply_err(reply, len, "unknown datacenter \"%s\"", an);
	if (b < 0)
		return reply_err(reply, len, "unknown datacenter \"%s\"", bn);
	if (a == b)
		return reply_err(reply, len, "\"%s\" twice: a link joins two datacenters", an);
	*ab = link_at(n, (size_t)a, (size_t)b);
	*ba = link_at(n, (size_t)b, (size_t)a);
	if (!(*ab)->exists)
		return reply_err(reply, len,
				 "no link between %s and %s in the topology (rtt_ms/areas)",
				 an, bn);
	return 0;
}

static int number(const char *s, double max, double *out)
{
	char *end;
	if (!s)
		return MF_EINVAL;
	double d = strtod(s, &end);
	if (end == s || *end || !(d >= 0) || d > max)
		return MF_EINVAL;
	*out = d;
	return 0;
}

/* "dc1,dc2" -> mask of DC indexes. */
static int group(const struct mf_wanem_net *n, char *list, bool *mask,
		 char *reply, size_t len)
{
	if (!list)
		return reply_err(reply, len, "two groups needed: partition DC[,DC...] DC[,DC...]");
	char *save = NULL;
	for (char *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int i = dc_index(n, tok);
		if (i < 0)
			return reply_err(reply, len, "unknown datacenter \"%s\"", tok);
		mask[i] = true;
	}
	return 0;
}

static int partition(struct mf_wanem_net *n, char *g1, char *g2,
		     char *reply, size_t len)
{
	bool *m = calloc(2 * n->n_dcs, sizeof *m);
	if (!m)
		return reply_err(reply, len, "out of memory");
	bool *m1 = m, *m2 = m + n->n_dcs;
	int rc = group(n, g1, m1, reply, len);
	if (!rc)
		rc = group(n, g2, m2, reply, len);
	for (size_t i = 0; !rc && i < n->n_dcs; i++)
		if (m1[i] && m2[i])
			rc = reply_err(reply, len, "\"%s\" is in both groups", n->names[i]);
	if (!rc) {
		for (size_t a = 0; a < n->n_dcs; a++)
			for (size_t b = 0; b < n->n_dcs; b++)
				if (m1[a] && m2[b]) {
					link_at(n, a, b)->cut = true;
					link_at(n, b, a)->cut = true;
				}
		snprintf(reply, len, "ok");
	}
	free(m);
	return rc;
}

static void show(const struct mf_wanem_net *n, char *reply, size_t len)
{
	size_t w = 0;
	w += (size_t)snprintf(reply, len, "ok");
	for (size_t a = 0; a < n->n_dcs && w < len; a++)
		for (size_t b = a + 1; b < n->n_dcs && w < len; b++) {
			const struct mf_wanem_link *l = link_at(n, a, b), *r = link_at(n, b, a);
			if (!l->exists)
				continue;
			w += (size_t)snprintf(reply + w, len - w,
					      " %s-%s:rtt=%g,loss=%g%%,%s", n->names[a],
					      n->names[b], l->rtt_ms, l->loss * 100,
					      l->down && r->down ? "down"
					      : l->down	   ? "down-forward"
					      : r->down	   ? "down-back"
					      : l->cut	   ? "cut"
							   : "up");
		}
}

int mf_wanem_net_command(struct mf_wanem_net *n, const char *line,
			 char *reply, size_t replylen)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s", line);
	buf[strcspn(buf, "\r\n")] = '\0';
	char *save = NULL, *w[5] = {0};
	int nw = 0;
	for (char *tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (nw == 5)
			return reply_err(reply, replylen, "too many words");
		w[nw++] = tok;
	}
	if (nw == 0)
		return reply_err(reply, replylen, "empty command");

	struct mf_wanem_link *ab, *ba;
	double v;
	int rc;
	if (strcmp(w[0], "link") == 0) {
		bool oneway = nw == 5 && strcmp(w[4], "oneway") == 0;
		if ((nw != 4 && !oneway) || (strcmp(w[3], "down") && strcmp(w[3], "up")))
			return reply_err(reply, replylen, "usage: link DC_A DC_B down|up [oneway]");
		if ((rc = pair(n, w[1], w[2], &ab, &ba, reply, replylen)))
			return rc;
		ab->down = strcmp(w[3], "down") == 0;
		if (!oneway)
			ba->down = ab->down;
	} else if (strcmp(w[0], "delay") == 0) {
		if (nw != 4)
			return reply_err(reply, replylen, "usage: delay DC_A DC_B RTT_MS");
		if ((rc = pair(n, w[1], w[2], &ab, &ba, reply, replylen)))
			return rc;
		if (number(w[3], 1e7, &v))
			return reply_err(reply, replylen, "delay: \"%s\" is not a non-negative number of ms", w[3]);
		set_rtt(ab, v);
		set_rtt(ba, v);
	} else if (strcmp(w[0], "loss") == 0) {
		if (nw != 4)
			return reply_err(reply, replylen, "usage: loss DC_A DC_B PERCENT");
		if ((rc = pair(n, w[1], w[2], &ab, &ba, reply, replylen)))
			return rc;
		if (number(w[3], 100, &v))
			return reply_err(reply, replylen, "loss: \"%s\" is not a percentage 0..100", w[3]);
		set_loss(ab, v / 100);
		set_loss(ba, v / 100);
	} else if (strcmp(w[0], "partition") == 0) {
		if (nw != 3)
			return reply_err(reply, replylen, "usage: partition DC[,DC...] DC[,DC...]");
		return partition(n, w[1], w[2], reply, replylen);
	} else if (strcmp(w[0], "heal") == 0) {
		if (nw != 1)
			return reply_err(reply, replylen, "usage: heal");
		for (size_t i = 0; i < n->n_dcs * n->n_dcs; i++)
			n->links[i].cut = n->links[i].down = false;
	} else if (strcmp(w[0], "show") == 0) {
		show(n, reply, replylen);
		return 0;
	} else {
		return reply_err(reply, replylen, "unknown command \"%s\"", w[0]);
	}
	snprintf(reply, replylen, "ok");
	return 0;
}
