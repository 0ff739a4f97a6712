/* cmd/agent/snapshot.c — see cmd/agent/snapshot.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/agent/snapshot.h"
#include "gossip/grow.h"
#include "gossip/msg.h"
#include "gossip/pool.h"

void mf_snapshot_init(struct mf_snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

void mf_snapshot_free(struct mf_snapshot *s)
{
	for (size_t i = 0; i < s->n_alive; i++)
		free(s->alive[i].name);
	free(s->alive);
	mf_snapshot_init(s);
}

static ptrdiff_t find(const struct mf_snapshot *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n_alive; i++)
		if (strlen(s->alive[i].name) == len && memcmp(s->alive[i].name, name, len) == 0)
			return (ptrdiff_t)i;
	return -1;
}

/* name[0..nlen) alive at addr[0..alen); MF_EINVAL when either is unusable. */
static int put_alive(struct mf_snapshot *s, const char *name, size_t nlen, const char *addr,
		     size_t alen)
{
	char a[MF_SNAPSHOT_ADDR_MAX];
	struct mf_addr parsed;
	if (nlen == 0 || nlen > MF_NAME_MAX || alen == 0 || alen >= sizeof(a) ||
	    memchr(name, '\n', nlen))
		return MF_EINVAL;
	memcpy(a, addr, alen);
	a[alen] = '\0';
	if (mf_addr_parse(a, 0, &parsed) < 0 || parsed.port == 0)
		return MF_EINVAL;
	ptrdiff_t i = find(s, name, nlen);
	if (i >= 0) {
		memcpy(s->alive[i].addr, a, alen + 1);
		return 0;
	}
	if (s->n_alive >= MF_SNAPSHOT_MAX_MEMBERS)
		return MF_EINVAL;
	if (mf_grow(&s->alive, &s->cap_alive, s->n_alive + 1, 16) < 0)
		return MF_ENOMEM;
	char *n = malloc(nlen + 1);
	if (!n)
		return MF_ENOMEM;
	memcpy(n, name, nlen);
	n[nlen] = '\0';
	s->alive[s->n_alive].name = n;
	memcpy(s->alive[s->n_alive].addr, a, alen + 1);
	s->n_alive++;
	s->left = false;
	return 0;
}

static void drop_alive(struct mf_snapshot *s, const char *name, size_t len)
{
	ptrdiff_t i = find(s, name, len);
	if (i < 0)
		return;
	free(s->alive[i].name);
	memmove(&s->alive[i], &s->alive[i + 1], (s->n_alive - (size_t)i - 1) * sizeof(*s->alive));
	s->n_alive--;
}

static bool prefix(const char *line, size_t len, const char *p, const char **rest,
		   size_t *rlen)
{
	size_t pl = strlen(p);
	if (len < pl || memcmp(line, p, pl) != 0)
		return false;
	*rest = line + pl;
	*rlen = len - pl;
	return true;
}

static bool parse_u64(const char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		uint64_t d = (uint64_t)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* One line without its newline: 1 applied, 0 not a record, MF_ENOMEM. */
static int apply_line(struct mf_snapshot *s, const char *line, size_t len)
{
	const char *r;
	size_t rl;
	uint64_t v;
	if (len == 0 || line[0] == '#')
		return 1; /* blank or comment: harmless */
	if (prefix(line, len, "alive: ", &r, &rl)) {
		const char *sp = NULL; /* the address follows the last space (names may hold spaces) */
		for (size_t i = rl; i-- > 0;)
			if (r[i] == ' ') {
				sp = r + i;
				break;
			}
		if (!sp)
			return 0;
		int e = put_alive(s, r, (size_t)(sp - r), sp + 1, rl - (size_t)(sp - r) - 1);
		return e == MF_ENOMEM ? e : e == 0;
	}
	if (prefix(line, len, "not-alive: ", &r, &rl)) {
		if (rl == 0)
			return 0;
		drop_alive(s, r, rl);
		return 1;
	}
	uint64_t *clk = NULL;
	if (prefix(line, len, "clock: ", &r, &rl))
		clk = &s->clock;
	else if (prefix(line, len, "event-clock: ", &r, &rl))
		clk = &s->event_clock;
	else if (prefix(line, len, "query-clock: ", &r, &rl))
		clk = &s->query_clock;
	if (clk) {
		if (!parse_u64(r, rl, &v))
			return 0;
		*clk = v;
		return 1;
	}
	if (len == 5 && memcmp(line, "leave", 5) == 0) {
		mf_snapshot_leave(s);
		return 1;
	}
	if (prefix(line, len, "coordinate: ", &r, &rl))
		return 1; /* serf writes them; ours live in the tracker */
	return 0;
}

int mf_snapshot_replay(struct mf_snapshot *s, const char *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		if (!nl) {
			s->truncated = len - off;
			break;
		}
		size_t l = (size_t)(nl - (buf + off));
		if (l && buf[off + l - 1] == '\r')
			l--;
		int r = memchr(buf + off, '\0', l) ? 0 : apply_line(s, buf + off, l);
		if (r < 0)
			return r;
		if (r)
			s->records++;
		else
			s->bad_lines++;
		off += (size_t)(nl - (buf + off)) + 1;
	}
	return 0;
}

static size_t fmt(char *buf, size_t cap, int n)
{
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

size_t mf_snapshot_fmt_alive(char *buf, size_t cap, const char *name, const char *addr)
{
	if (!*name || strchr(name, '\n') || strchr(name, '\r') || strchr(addr, ' '))
		return 0;
	return fmt(buf, cap, snprintf(buf, cap, "alive: %s %s\n", name, addr));
}

size_t mf_snapshot_fmt_not_alive(char *buf, size_t cap, const char *name)
{
	if (!*name || strchr(name, '\n') || strchr(name, '\r'))
		return 0;
	return fmt(buf, cap, snprintf(buf, cap, "not-alive: %s\n", name));
}

size_t mf_snapshot_fmt_clock(char *buf, size_t cap, const char *kind, uint64_t v)
{
	return fmt(buf, cap, snprintf(buf, cap, "%s: %" PRIu64 "\n", kind, v));
}

size_t mf_snapshot_fmt_leave(char *buf, size_t cap)
{
	return fmt(buf, cap, snprintf(buf, cap, "leave\n"));
}

int mf_snapshot_alive(struct mf_snapshot *s, const char *name, const char *addr)
{
	int r = put_alive(s, name, strlen(name), addr, strlen(addr));
	return r == MF_ENOMEM ? r : 0;
}

void mf_snapshot_not_alive(struct mf_snapshot *s, const char *name)
{
	drop_alive(s, name, strlen(name));
}

void mf_snapshot_leave(struct mf_snapshot *s)
{
	while (s->n_alive)
		drop_alive(s, s->alive[0].name, strlen(s->alive[0].name));
	s->left = true;
}

int mf_snapshot_compact(const struct mf_snapshot *s, char **out, size_t *len)
{
	size_t cap = 128 + (s->left ? 8 : 0);
	for (size_t i = 0; i < s->n_alive; i++)
		cap += strlen(s->alive[i].name) + MF_SNAPSHOT_ADDR_MAX + 16;
	char *b = malloc(cap);
	if (!b)
		return MF_ENOMEM;
	size_t n = 0;
	n += mf_snapshot_fmt_clock(b + n, cap - n, "clock", s->clock);
	n += mf_snapshot_fmt_clock(b + n, cap - n, "event-clock", s->event_clock);
	n += mf_snapshot_fmt_clock(b + n, cap - n, "query-clock", s->query_clock);
	for (size_t i = 0; i < s->n_alive; i++)
		n += mf_snapshot_fmt_alive(b + n, cap - n, s->alive[i].name, s->alive[i].addr);
	if (s->left)
		n += mf_snapshot_fmt_leave(b + n, cap - n);
	*out = b;
	*len = n;
	return 0;
}
