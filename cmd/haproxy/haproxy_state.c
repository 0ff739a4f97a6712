/* cmd/haproxy/haproxy_state.c — see cmd/haproxy/haproxy_state.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/haproxy/haproxy_state.h"
#include "gossip/err.h"
#include "gossip/grow.h"

#define MAX_FIELDS 128

/* Splits one line in place at `sep`; returns the number of fields. */
static size_t split(char *line, char sep, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		f[n++] = p;
		char *q = strchr(p, sep);
		if (!q)
			break;
		*q = '\0';
		p = q + 1;
	}
	return n;
}

/* Calls fn on each line of text[0..len) (copied, NUL-terminated, no '\n'). */
static int each_line(const char *text, size_t len, int (*fn)(char *line, void *arg), void *arg)
{
	char *buf = malloc(len + 1);
	if (!buf)
		return MF_ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	int r = 0;
	for (char *p = buf, *nl; r == 0 && p < buf + len; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = buf + len;
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		r = fn(p, arg);
	}
	free(buf);
	return r;
}

/* --- show stat ------------------------------------------------------------- */

/* What the parse keeps per slot beside the slot itself. */
struct slot_meta {
	long number;        /* its <digits> */
	size_t cap_servers; /* room in the slot's servers */
};

struct stat_ctx {
	const char *prefix;
	int col_px, col_sv, col_status, col_bck, col_addr;
	struct mf_hap_state *s;
	size_t cap_slots;
	struct slot_meta *meta; /* per slot */
	size_t cap_meta;
};

static int slot_number(const char *prefix, const char *px, long *num)
{
	size_t pl = strlen(prefix);
	if (strncmp(px, prefix, pl) != 0 || !px[pl])
		return -1;
	char *end;
	long n = strtol(px + pl, &end, 10);
	if (*end || n < 0 || px[pl] == '-' || px[pl] == '+')
		return -1;
	*num = n;
	return 0;
}

static int stat_line(char *line, void *arg)
{
	struct stat_ctx *c = arg;
	char *f[MAX_FIELDS];
	if (line[0] == '#') {
		size_t n = split(line + 1 + (line[1] == ' '), ',', f, MAX_FIELDS);
		for (size_t i = 0; i < n; i++) {
			int *col = strcmp(f[i], "pxname") == 0   ? &c->col_px
				   : strcmp(f[i], "svname") == 0 ? &c->col_sv
				   : strcmp(f[i], "status") == 0 ? &c->col_status
				   : strcmp(f[i], "bck") == 0    ? &c->col_bck
				   : strcmp(f[i], "addr") == 0   ? &c->col_addr
								 : NULL;
			if (col)
				*col = (int)i;
		}
		return 0;
	}
	if (!line[0])
		return 0;
	if (c->col_px < 0 || c->col_sv < 0 || c->col_status < 0 || c->col_bck < 0 || c->col_addr < 0)
		return MF_EMALFORMED;
	size_t n = split(line, ',', f, MAX_FIELDS);
	if ((int)n <= c->col_px || (int)n <= c->col_sv || (int)n <= c->col_status ||
	    (int)n <= c->col_bck || (int)n <= c->col_addr)
		return MF_EMALFORMED;
	const char *px = f[c->col_px], *sv = f[c->col_sv];
	long num;
	if (slot_number(c->prefix, px, &num) < 0 || strcmp(sv, "FRONTEND") == 0 ||
	    strcmp(sv, "BACKEND") == 0)
		return 0;
	struct mf_hap_state *s = c->s;
	size_t i = 0;
	while (i < s->n_slots && strcmp(s->slots[i].backend, px) != 0)
		i++;
	if (i == s->n_slots) {
		if (mf_grow(&s->slots, &c->cap_slots, i + 1, 4) < 0 ||
		    mf_grow(&c->meta, &c->cap_meta, i + 1, 4) < 0)
			return MF_ENOMEM;
		memset(&s->slots[i], 0, sizeof(s->slots[i]));
		c->meta[i] = (struct slot_meta){.number = num};
		s->n_slots++;
		if (!(s->slots[i].backend = strdup(px)))
			return MF_ENOMEM;
	}
	struct mf_hap_slot *sl = &s->slots[i];
	if (mf_grow(&sl->servers, &c->meta[i].cap_servers, sl->n_servers + 1, 8) < 0)
		return MF_ENOMEM;
	struct mf_hap_server *v = &sl->servers[sl->n_servers++];
	memset(v, 0, sizeof(*v));
	v->backup = strcmp(f[c->col_bck], "1") == 0;
	v->enabled = strncmp(f[c->col_status], "MAINT", 5) != 0;
	v->name = strdup(sv);
	v->addr = f[c->col_addr][0] ? strdup(f[c->col_addr]) : NULL;
	if (!v->name || (f[c->col_addr][0] && !v->addr))
		return MF_ENOMEM;
	return 0;
}

int mf_hap_parse_stat(const char *csv, size_t len, const char *prefix, struct mf_hap_state *s)
{
	struct mf_hap_state fresh = {0};
	struct stat_ctx c = {prefix, -1, -1, -1, -1, -1, &fresh, 0, NULL, 0};
	int r = each_line(csv, len, stat_line, &c);
	if (r == 0 && c.col_px < 0)
		r = MF_EMALFORMED;
	if (r < 0) {
		free(c.meta);
		mf_hap_state_free(&fresh);
		return r;
	}
	/* Insertion sort by slot number: a handful of slots. */
	for (size_t i = 1; i < fresh.n_slots; i++)
		for (size_t j = i; j > 0 && c.meta[j - 1].number > c.meta[j].number; j--) {
			struct mf_hap_slot t = fresh.slots[j];
			struct slot_meta tm = c.meta[j];
			fresh.slots[j] = fresh.slots[j - 1];
			c.meta[j] = c.meta[j - 1];
			fresh.slots[j - 1] = t;
			c.meta[j - 1] = tm;
		}
	free(c.meta);
	struct mf_hap_state old = *s;
	old.n_entries = 0;
	old.entries = NULL;
	mf_hap_state_free(&old);
	s->slots = fresh.slots;
	s->n_slots = fresh.n_slots;
	return 0;
}

/* --- show map -------------------------------------------------------------- */

struct map_ctx {
	struct mf_hap_state *s;
	size_t cap_entries;
};

static int map_line(char *line, void *arg)
{
	struct map_ctx *c = arg;
	struct mf_hap_state *s = c->s;
	if (!line[0])
		return 0;
	char *f[4];
	if (split(line, ' ', f, 4) != 3 || !f[1][0] || !f[2][0])
		return MF_EMALFORMED;
	for (size_t i = 0; i < s->n_entries; i++)
		if (strcmp(s->entries[i].key, f[1]) == 0)
			return 0;
	if (mf_grow(&s->entries, &c->cap_entries, s->n_entries + 1, 16) < 0)
		return MF_ENOMEM;
	struct mf_hap_entry *e = &s->entries[s->n_entries++];
	e->key = strdup(f[1]);
	e->value = strdup(f[2]);
	return e->key && e->value ? 0 : MF_ENOMEM;
}

int mf_hap_parse_map(const char *text, size_t len, struct mf_hap_state *s)
{
	struct mf_hap_state fresh = {0};
	struct map_ctx c = {&fresh, 0};
	int r = each_line(text, len, map_line, &c);
	if (r < 0) {
		mf_hap_state_free(&fresh);
		return r;
	}
	mf_hap_state_sort(&fresh);
	struct mf_hap_state old = {0, NULL, s->n_entries, s->entries};
	mf_hap_state_free(&old);
	s->entries = fresh.entries;
	s->n_entries = fresh.n_entries;
	return 0;
}
