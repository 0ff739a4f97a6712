/* Unit tests of cmd/haproxy/haproxy_plan.c and cmd/haproxy/haproxy_state.c: a route table
 * becomes map entries and slot servers; the commands, applied by a small
 * model of HAProxy's runtime API, reach exactly the planned state; a change
 * costs only the commands for what changed; exhaustion is reported. */
#define _GNU_SOURCE /* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cmd/haproxy/haproxy_plan.h"
#include "cmd/haproxy/haproxy_state.h"
#include "gossip/err.h"
#include "tests/cunit_main.h"

#define MAP "/etc/haproxy/meshfed-dc.map"

/* --- builders -------------------------------------------------------------- */

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", MF_HAP_FIXTURES, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = malloc(1 << 16);
	*len = b ? fread(b, 1, (1 << 16) - 1, f) : 0;
	fclose(f);
	if (b)
		b[*len] = '\0';
	return b;
}

/* The fresh HAProxy of the fixture: two slots of s1-s3 and b1-b2. */
static void fresh(struct mf_hap_state *s)
{
	size_t len;
	char *csv = slurp("show_stat_fresh.csv", &len);
	memset(s, 0, sizeof(*s));
	CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
	CU_ASSERT_EQUAL_FATAL(mf_hap_parse_stat(csv, len, "be_dc_slot", s), 0);
	free(csv);
}

/* A table of DC `dc` from "target status [addr ...] [/ addr ...]...;...":
 * the addresses are the route's gateways, each '/' opens an alternate. */
static void tbl(struct mf_table *t, const char *dc, const char *spec)
{
	memset(t, 0, sizeof(*t));
	t->datacenter = strdup(dc);
	t->routes = calloc(16, sizeof(*t->routes));
	char *copy = strdup(spec), *save = NULL;
	for (char *r = strtok_r(copy, ";", &save); r; r = strtok_r(NULL, ";", &save)) {
		struct mf_table_route *rt = &t->routes[t->n_routes++];
		char *s2 = NULL, *w = strtok_r(r, " ", &s2);
		rt->target = strdup(w);
		CU_ASSERT_EQUAL_FATAL(mf_route_status_parse(strtok_r(NULL, " ", &s2), &rt->status), 0);
		rt->endpoints = calloc(8, sizeof(*rt->endpoints));
		rt->alternates = calloc(4, sizeof(*rt->alternates));
		while ((w = strtok_r(NULL, " ", &s2))) {
			if (strcmp(w, "/") == 0) {
				struct mf_table_alternate *a = &rt->alternates[rt->n_alternates++];
				a->next_hop = strdup("alt");
				a->endpoints = calloc(8, sizeof(*a->endpoints));
				continue;
			}
			struct mf_table_endpoint *e = &rt->endpoints[rt->n_endpoints++];
			if (rt->n_alternates) {
				rt->n_endpoints--;
				struct mf_table_alternate *a = &rt->alternates[rt->n_alternates - 1];
				e = &a->endpoints[a->n_endpoints++];
			}
			e->gateway = strdup("gw");
			e->addr = strdup(w);
		}
		if (rt->status == MF_ROUTE_DIRECT || rt->status == MF_ROUTE_VIA)
			rt->next_hop = strdup(rt->target);
	}
	free(copy);
}

/* --- a model of HAProxy's runtime API -------------------------------------- */

static struct mf_hap_server *server(struct mf_hap_state *s, const char *bs)
{
	char be[64], sv[64];
	if (sscanf(bs, "%63[^/]/%63s", be, sv) != 2)
		return NULL;
	for (size_t i = 0; i < s->n_slots; i++)
		for (size_t j = 0; strcmp(s->slots[i].backend, be) == 0 && j < s->slots[i].n_servers; j++)
			if (strcmp(s->slots[i].servers[j].name, sv) == 0)
				return &s->slots[i].servers[j];
	return NULL;
}

static struct mf_hap_entry *entry(struct mf_hap_state *s, const char *key)
{
	for (size_t i = 0; i < s->n_entries; i++)
		if (strcmp(s->entries[i].key, key) == 0)
			return &s->entries[i];
	return NULL;
}

/* Applies one command as HAProxy 2.6 does; 0, or -1 where HAProxy would
 * answer with an error (unknown server, set map of a missing key, ...). */
static int apply(struct mf_hap_state *s, const char *cmd)
{
	char a[64], b[128], c[64], d[64];
	unsigned port;
	struct mf_hap_server *v;
	struct mf_hap_entry *e;
	if (sscanf(cmd, "set server %127s addr %63s port %u", b, c, &port) == 3) {
		if (!(v = server(s, b)))
			return -1;
		free(v->addr);
		if (asprintf(&v->addr, strchr(c, ':') ? "[%s]:%u" : "%s:%u", c, port) < 0)
			return -1;
		return 0;
	}
	if (sscanf(cmd, "enable server %127s", b) == 1 || sscanf(cmd, "disable server %127s", b) == 1) {
		if (!(v = server(s, b)))
			return -1;
		v->enabled = cmd[0] == 'e';
		return 0;
	}
	if (sscanf(cmd, "%63s map " MAP " %63s %63s", a, c, d) >= 2) {
		e = entry(s, c);
		if (strcmp(a, "add") == 0) {
			if (e)
				return -1; /* HAProxy would hold the key twice */
			s->entries = realloc(s->entries, (s->n_entries + 1) * sizeof(*e));
			e = &s->entries[s->n_entries++];
			e->key = strdup(c);
			e->value = strdup(d);
			return 0;
		}
		if (!e)
			return -1;
		if (strcmp(a, "set") == 0) {
			free(e->value);
			e->value = strdup(d);
			return 0;
		}
		free(e->key);
		free(e->value);
		*e = s->entries[--s->n_entries];
		return 0;
	}
	return -1;
}

static char *render(const struct mf_hap_state *s)
{
	char *m = NULL, *out = NULL;
	size_t len;
	struct mf_hap_state sorted;
	if (mf_hap_state_copy(s, &sorted) < 0)
		return NULL;
	mf_hap_state_sort(&sorted); /* the model appends new entries */
	mf_hap_map_render(&sorted, &m, &len);
	size_t cap = 4096;
	out = calloc(1, cap);
	strcat(out, m);
	for (size_t i = 0; i < sorted.n_slots; i++)
		for (size_t j = 0; j < sorted.slots[i].n_servers; j++) {
			const struct mf_hap_server *v = &sorted.slots[i].servers[j];
			if (v->enabled)
				snprintf(out + strlen(out), cap - strlen(out), "%s/%s %s\n",
					 sorted.slots[i].backend, v->name, v->addr);
		}
	free(m);
	mf_hap_state_free(&sorted);
	return out;
}

/* Plans cur -> t, checks that the commands take the model of HAProxy to
 * exactly the planned state, and leaves that state in *cur. Returns the
 * commands joined by '\n' (free it). */
static char *step(struct mf_hap_state *cur, const struct mf_table *t, struct mf_hap_plan *p)
{
	CU_ASSERT_EQUAL_FATAL(mf_hap_plan(cur, t, MAP, p), 0);
	size_t n = 1;
	for (size_t i = 0; i < p->n_cmds; i++) {
		n += strlen(p->cmds[i]) + 1;
		CU_ASSERT_EQUAL(apply(cur, p->cmds[i]), 0);
	}
	char *got = render(cur), *want = render(&p->want);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	free(want);
	char *cmds = calloc(1, n);
	for (size_t i = 0; i < p->n_cmds; i++) {
		strcat(cmds, p->cmds[i]);
		strcat(cmds, "\n");
	}
	return cmds;
}

/* The table of dc1 from spec (see tbl), one step from *cur (see step);
 * checks the commands are `want`. The plan is left in *p (free it). */
static void expect(struct mf_hap_state *cur, const char *spec, const char *want,
		   struct mf_hap_plan *p)
{
	struct mf_table t;
	tbl(&t, "dc1", spec);
	char *cmds = step(cur, &t, p);
	CU_ASSERT_STRING_EQUAL(cmds, want);
	free(cmds);
	mf_table_free(&t);
}

/* The same, for tests that look only at the commands. */
static void expect_cmds(struct mf_hap_state *cur, const char *spec, const char *want)
{
	struct mf_hap_plan p;
	expect(cur, spec, want, &p);
	mf_hap_plan_free(&p);
}

#define LINE_DC1 "dc1 local;dc2 direct 127.0.2.1:8443 127.0.2.2:8443;dc3 via 127.0.2.2:8443 127.0.2.1:8443;dc4 unreachable"
#define SETUP_DC1                                                                          \
	"set server be_dc_slot0/s1 addr 127.0.2.1 port 8443\n"                                 \
	"enable server be_dc_slot0/s1\n"                                                        \
	"set server be_dc_slot0/s2 addr 127.0.2.2 port 8443\n"                                 \
	"enable server be_dc_slot0/s2\n"                                                        \
	"add map " MAP " dc1 local\n"                                                           \
	"add map " MAP " dc2 be_dc_slot0\n"                                                     \
	"add map " MAP " dc3 be_dc_slot0\n"

/* --- tests ----------------------------------------------------------------- */

static void test_show_stat_gives_slots_servers_and_maintenance(void)
{
	struct mf_hap_state s;
	fresh(&s);
	CU_ASSERT_EQUAL_FATAL(s.n_slots, 2);
	CU_ASSERT_STRING_EQUAL(s.slots[0].backend, "be_dc_slot0");
	CU_ASSERT_STRING_EQUAL(s.slots[1].backend, "be_dc_slot1");
	CU_ASSERT_EQUAL_FATAL(s.slots[0].n_servers, 5);
	static const char *names[] = {"s1", "s2", "s3", "b1", "b2"};
	for (size_t i = 0; i < 5; i++) {
		CU_ASSERT_STRING_EQUAL(s.slots[0].servers[i].name, names[i]);
		CU_ASSERT_EQUAL(s.slots[0].servers[i].backup, i >= 3);
		CU_ASSERT_FALSE(s.slots[0].servers[i].enabled);
		CU_ASSERT_STRING_EQUAL(s.slots[0].servers[i].addr, "127.0.0.1:1");
	}
	mf_hap_state_free(&s);
}

static void test_show_stat_orders_slots_by_number_and_needs_its_columns(void)
{
	static const char csv[] = "# pxname,svname,status,bck,addr,\n"
				  "be_dc_slot10,s1,UP,0,10.0.0.1:1,\n"
				  "be_dc_slot2,s1,MAINT,0,10.0.0.2:1,\n"
				  "be_dc_slotx,s1,UP,0,10.0.0.3:1,\n"
				  "be_dc_slot2,BACKEND,UP,0,,\n"
				  "be_local_web,w1,UP,0,10.0.0.4:1,\n";
	struct mf_hap_state s = {0};
	CU_ASSERT_EQUAL_FATAL(mf_hap_parse_stat(csv, strlen(csv), "be_dc_slot", &s), 0);
	CU_ASSERT_EQUAL_FATAL(s.n_slots, 2);
	CU_ASSERT_STRING_EQUAL(s.slots[0].backend, "be_dc_slot2");
	CU_ASSERT_FALSE(s.slots[0].servers[0].enabled);
	CU_ASSERT_STRING_EQUAL(s.slots[1].backend, "be_dc_slot10");
	CU_ASSERT_TRUE(s.slots[1].servers[0].enabled);
	static const char nobck[] = "# pxname,svname,status,addr\nbe_dc_slot0,s1,UP,1.2.3.4:5\n";
	CU_ASSERT_EQUAL(mf_hap_parse_stat(nobck, strlen(nobck), "be_dc_slot", &s), MF_EMALFORMED);
	CU_ASSERT_EQUAL(s.n_slots, 2); /* unchanged on failure */
	mf_hap_state_free(&s);
}

static void test_show_map_gives_sorted_entries(void)
{
	static const char out[] = "0x55d0 dc3 be_dc_slot0\n0x55d1 dc2 local\n0x55d2 dc3 be_dc_slot1\n\n";
	struct mf_hap_state s = {0};
	CU_ASSERT_EQUAL_FATAL(mf_hap_parse_map(out, strlen(out), &s), 0);
	CU_ASSERT_EQUAL_FATAL(s.n_entries, 2);
	CU_ASSERT_STRING_EQUAL(s.entries[0].key, "dc2");
	CU_ASSERT_STRING_EQUAL(s.entries[1].key, "dc3");
	CU_ASSERT_STRING_EQUAL(s.entries[1].value, "be_dc_slot0"); /* the first of a repeated key */
	static const char bad[] = "Unknown map identifier. Please use #<id> or <file>.\n";
	CU_ASSERT_EQUAL(mf_hap_parse_map(bad, strlen(bad), &s), MF_EMALFORMED);
	mf_hap_state_free(&s);
}

static void test_table_becomes_map_entries_and_slot_servers(void)
{
	struct mf_hap_state cur;
	struct mf_hap_plan p;
	fresh(&cur);
	/* dc2 and dc3 want the same gateways: one slot; dc4 unreachable: none. */
	expect(&cur, LINE_DC1, SETUP_DC1, &p);
	CU_ASSERT_EQUAL(p.n_unslotted, 0);
	CU_ASSERT_EQUAL(p.n_truncated, 0);
	char *map;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(mf_hap_map_render(&p.want, &map, &len), 0);
	CU_ASSERT_STRING_EQUAL(strchr(map, '\n') + 1, "dc1 local\ndc2 be_dc_slot0\ndc3 be_dc_slot0\n");
	CU_ASSERT_EQUAL(len, strlen(map));
	free(map);
	mf_hap_plan_free(&p);
	mf_hap_state_free(&cur);
}

static void test_same_table_again_costs_no_command(void)
{
	struct mf_hap_state cur;
	fresh(&cur);
	expect_cmds(&cur, LINE_DC1, SETUP_DC1);
	expect_cmds(&cur, LINE_DC1, "");
	mf_hap_state_free(&cur);
}

static void test_route_change_costs_only_what_changed(void)
{
	struct mf_hap_state cur;
	fresh(&cur);
	expect_cmds(&cur, LINE_DC1, SETUP_DC1);
	/* dc3 now goes through dc5: a second slot, set up before the map moves. */
	expect_cmds(&cur,
		    "dc1 local;dc2 direct 127.0.2.1:8443 127.0.2.2:8443;dc3 via 127.0.5.1:8443;"
		    "dc4 unreachable;dc5 direct 127.0.5.1:8443",
		    "set server be_dc_slot1/s1 addr 127.0.5.1 port 8443\n"
		    "enable server be_dc_slot1/s1\n"
		    "set map " MAP " dc3 be_dc_slot1\n"
		    "add map " MAP " dc5 be_dc_slot1\n");
	/* dc2 gains a gateway: one server more, in place. */
	expect_cmds(&cur,
		    "dc1 local;dc2 direct 127.0.2.1:8443 127.0.2.2:8443 127.0.2.3:8443;"
		    "dc3 via 127.0.5.1:8443;dc4 unreachable;dc5 direct 127.0.5.1:8443",
		    "set server be_dc_slot0/s3 addr 127.0.2.3 port 8443\n"
		    "enable server be_dc_slot0/s3\n");
	/* ... and loses its first: that server goes to maintenance, the other
	 * two stay where they are (their connections untouched). */
	expect_cmds(&cur,
		    "dc1 local;dc2 direct 127.0.2.2:8443 127.0.2.3:8443;"
		    "dc3 via 127.0.5.1:8443;dc4 unreachable;dc5 direct 127.0.5.1:8443",
		    "disable server be_dc_slot0/s1\n");
	/* dc5 unreachable, dc3 back through dc2: slot1 emptied after the map. */
	expect_cmds(&cur,
		    "dc1 local;dc2 direct 127.0.2.2:8443 127.0.2.3:8443;"
		    "dc3 via 127.0.2.3:8443 127.0.2.2:8443;dc4 unreachable;dc5 unreachable",
		    "set map " MAP " dc3 be_dc_slot0\n"
		    "del map " MAP " dc5\n"
		    "disable server be_dc_slot1/s1\n");
	mf_hap_state_free(&cur);
}

static void test_slot_exhaustion_is_reported_and_leaves_no_entry(void)
{
	struct mf_hap_state cur;
	struct mf_hap_plan p;
	fresh(&cur);
	expect(&cur, "dc2 direct 127.0.2.1:8443;dc3 direct 127.0.3.1:8443;dc4 direct 127.0.4.1:8443",
	       "set server be_dc_slot0/s1 addr 127.0.2.1 port 8443\n"
	       "enable server be_dc_slot0/s1\n"
	       "set server be_dc_slot1/s1 addr 127.0.3.1 port 8443\n"
	       "enable server be_dc_slot1/s1\n"
	       "add map " MAP " dc2 be_dc_slot0\n"
	       "add map " MAP " dc3 be_dc_slot1\n",
	       &p);
	CU_ASSERT_EQUAL_FATAL(p.n_unslotted, 1);
	CU_ASSERT_STRING_EQUAL(p.unslotted[0], "dc4");
	mf_hap_plan_free(&p);
	/* dc2 goes away: its slot is free for dc4 at the next plan. */
	expect(&cur, "dc2 unreachable;dc3 direct 127.0.3.1:8443;dc4 direct 127.0.4.1:8443",
	       "set server be_dc_slot0/s1 addr 127.0.4.1 port 8443\n"
	       "add map " MAP " dc4 be_dc_slot0\n"
	       "del map " MAP " dc2\n",
	       &p);
	CU_ASSERT_EQUAL(p.n_unslotted, 0);
	mf_hap_plan_free(&p);
	mf_hap_state_free(&cur);
}

static void test_more_gateways_than_servers_is_reported(void)
{
	struct mf_hap_state cur;
	struct mf_hap_plan p;
	fresh(&cur);
	expect(&cur, "dc2 direct 127.0.2.1:1 127.0.2.2:1 127.0.2.3:1 127.0.2.4:1",
	       "set server be_dc_slot0/s1 addr 127.0.2.1 port 1\n"
	       "enable server be_dc_slot0/s1\n"
	       "set server be_dc_slot0/s2 addr 127.0.2.2 port 1\n"
	       "enable server be_dc_slot0/s2\n"
	       "set server be_dc_slot0/s3 addr 127.0.2.3 port 1\n"
	       "enable server be_dc_slot0/s3\n"
	       "add map " MAP " dc2 be_dc_slot0\n", /* still routed, on three of four */
	       &p);
	CU_ASSERT_EQUAL_FATAL(p.n_truncated, 1);
	CU_ASSERT_STRING_EQUAL(p.truncated[0], "dc2");
	mf_hap_plan_free(&p);
	mf_hap_state_free(&cur);
}

static void test_keys_are_lower_case_single_labels(void)
{
	/* DC2 and dc2 are one key: the first one wins; a.b is no label. */
	struct mf_hap_state cur;
	fresh(&cur);
	expect_cmds(&cur, "DC1 local;DC2 direct 127.0.2.1:8443;dc2 direct 127.0.9.1:8443;a.b direct 127.0.3.1:8443",
		    "set server be_dc_slot0/s1 addr 127.0.2.1 port 8443\n"
		    "enable server be_dc_slot0/s1\n"
		    "add map " MAP " dc1 local\n"
		    "add map " MAP " dc2 be_dc_slot0\n");
	mf_hap_state_free(&cur);
}

static void test_after_a_reload_the_slot_holding_the_servers_is_reused(void)
{
	/* A reload kept slot1's servers (server-state-file) but the map came
	 * back empty: the plan only adds entries, pointing at slot1. */
	struct mf_hap_state cur;
	fresh(&cur);
	CU_ASSERT_EQUAL(apply(&cur, "set server be_dc_slot1/s2 addr 127.0.2.1 port 8443"), 0);
	CU_ASSERT_EQUAL(apply(&cur, "enable server be_dc_slot1/s2"), 0);
	expect_cmds(&cur, "dc2 direct 127.0.2.1:8443", "add map " MAP " dc2 be_dc_slot1\n");
	mf_hap_state_free(&cur);
}

static void test_stale_entries_and_servers_of_another_run_are_cleaned(void)
{
	struct mf_hap_state cur;
	fresh(&cur);
	CU_ASSERT_EQUAL(apply(&cur, "add map " MAP " dc9 be_dc_slot1"), 0);
	CU_ASSERT_EQUAL(apply(&cur, "enable server be_dc_slot1/b1"), 0);
	expect_cmds(&cur, "dc1 local",
		    "add map " MAP " dc1 local\n"
		    "del map " MAP " dc9\n"
		    "disable server be_dc_slot1/b1\n");
	mf_hap_state_free(&cur);
}

static void test_alternates_gateways_are_backups_in_order(void)
{
	struct mf_hap_state cur;
	fresh(&cur);
	/* dc3 via dc2, alternates dc4 (two gateways) then dc5; dc2's own
	 * gateway repeated by an alternate is not a backup of itself. */
	expect_cmds(&cur, "dc3 via 127.0.2.1:1 / 127.0.4.1:1 127.0.2.1:1 / 127.0.5.1:1",
		    "set server be_dc_slot0/s1 addr 127.0.2.1 port 1\n"
		    "enable server be_dc_slot0/s1\n"
		    "set server be_dc_slot0/b1 addr 127.0.4.1 port 1\n"
		    "enable server be_dc_slot0/b1\n"
		    "set server be_dc_slot0/b2 addr 127.0.5.1 port 1\n"
		    "enable server be_dc_slot0/b2\n"
		    "add map " MAP " dc3 be_dc_slot0\n");
	/* Same next hop, other alternates: another set of servers, so dc2
	 * (no alternates) gets its own slot. */
	expect_cmds(&cur, "dc2 direct 127.0.2.1:1;dc3 via 127.0.2.1:1 / 127.0.4.1:1 127.0.2.1:1 / 127.0.5.1:1",
		    "set server be_dc_slot1/s1 addr 127.0.2.1 port 1\n"
		    "enable server be_dc_slot1/s1\n"
		    "add map " MAP " dc2 be_dc_slot1\n");
	/* The alternates' order flips: the backups follow, in place. */
	expect_cmds(&cur, "dc2 direct 127.0.2.1:1;dc3 via 127.0.2.1:1 / 127.0.5.1:1 / 127.0.4.1:1",
		    "set server be_dc_slot0/b1 addr 127.0.5.1 port 1\n"
		    "set server be_dc_slot0/b2 addr 127.0.4.1 port 1\n");
	/* The next hop loses its gateways: the alternates alone still carry dc3. */
	expect_cmds(&cur, "dc2 direct 127.0.2.1:1;dc3 via / 127.0.5.1:1 / 127.0.4.1:1",
		    "disable server be_dc_slot0/s1\n");
	mf_hap_state_free(&cur);
}

static void test_no_gateway_and_down_routes_get_no_entry(void)
{
	struct mf_hap_state cur;
	struct mf_table t;
	struct mf_hap_plan p;
	fresh(&cur);
	tbl(&t, "dc1", "dc2 direct 127.0.2.1:1;dc3 no-gateway;dc4 direct");
	t.routes[0].down = true;
	free(step(&cur, &t, &p));
	CU_ASSERT_EQUAL(p.want.n_entries, 0);
	CU_ASSERT_EQUAL(p.n_cmds, 0);
	mf_hap_plan_free(&p);
	mf_table_free(&t);
	mf_hap_state_free(&cur);
}

static void test_bad_gateway_address_is_refused(void)
{
	struct mf_hap_state cur;
	struct mf_table t;
	struct mf_hap_plan p;
	fresh(&cur);
	tbl(&t, "dc1", "dc2 direct gw.example:8443");
	CU_ASSERT_EQUAL(mf_hap_plan(&cur, &t, MAP, &p), MF_EINVAL);
	CU_ASSERT_EQUAL(p.n_cmds, 0);
	mf_table_free(&t);
	mf_hap_state_free(&cur);
}

int main(void)
{
	static const struct test_case cases[] = {
		{"show stat gives slots, servers and maintenance", test_show_stat_gives_slots_servers_and_maintenance},
		{"show stat orders slots by number and needs its columns",
		 test_show_stat_orders_slots_by_number_and_needs_its_columns},
		{"show map gives sorted entries", test_show_map_gives_sorted_entries},
		{"a table becomes map entries and slot servers", test_table_becomes_map_entries_and_slot_servers},
		{"the same table again costs no command", test_same_table_again_costs_no_command},
		{"a route change costs only what changed", test_route_change_costs_only_what_changed},
		{"slot exhaustion is reported and leaves no entry", test_slot_exhaustion_is_reported_and_leaves_no_entry},
		{"more gateways than servers is reported", test_more_gateways_than_servers_is_reported},
		{"keys are lower-case single labels", test_keys_are_lower_case_single_labels},
		{"after a reload the slot holding the servers is reused",
		 test_after_a_reload_the_slot_holding_the_servers_is_reused},
		{"stale entries and servers of another run are cleaned",
		 test_stale_entries_and_servers_of_another_run_are_cleaned},
		{"alternates' gateways are backups, in order", test_alternates_gateways_are_backups_in_order},
		{"no-gateway and down routes get no entry", test_no_gateway_and_down_routes_get_no_entry},
		{"a bad gateway address is refused", test_bad_gateway_address_is_refused},
	};
	return RUN_SUITE("haproxy_plan", cases);
}
