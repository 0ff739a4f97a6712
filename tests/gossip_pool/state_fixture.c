/* The fixture of test_state.c and test_state_probe.c (state_fixture.h). */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "gossip/codec.h"
#include "gossip/pool.h"
#include "gossip/suspicion.h"
#include "gossip/wire.h"
#include "tests/gossip_pool/state_fixture.h"

mf_pool_t *pool;
struct mf_addr peer_addr;
int events[16];     /* count per mf_event_kind */
char last_event_name[64];
void (*on_event_hook)(const struct mf_pool_event *ev);

void drain(void)
{
	struct mf_pool_out o;
	while (mf_pool_next_output(pool, &o) == 1) {
		if (o.kind == MF_OUT_EVENT) {
			events[o.event.kind]++;
			if (o.event.name)
				snprintf(last_event_name, sizeof(last_event_name), "%s", o.event.name);
			if (on_event_hook)
				on_event_hook(&o.event);
		}
	}
}

/* A pool "me" at 10.0.0.1; max_members 0: the default; d NULL: none. */
static void setup_full(int max_members, const struct mf_pool_delegate *d, const char *role)
{
	struct mf_pool_config c;
	mf_pool_config_init(&c, MF_PROFILE_LAN);
	snprintf(c.private_role, sizeof(c.private_role), "%s", role);
	if (max_members > 0)
		c.timing.max_members = max_members;
	if (d != NULL)
		c.delegate = *d;
	strcpy(c.name, "me");
	c.advertise.ip_len = 4;
	c.advertise.ip[0] = 10;
	c.advertise.ip[3] = 1;
	c.advertise.port = 7946;
	memset(events, 0, sizeof(events));
	on_event_hook = NULL;
	if (mf_pool_new(&c, 0, &pool) != 0)
		abort();
	mf_addr_parse("10.0.0.2:7946", 7946, &peer_addr);
	drain();
}

void setup_with(int max_members, const struct mf_pool_delegate *d)
{
	setup_full(max_members, d, "");
}

void setup_private(const char *role)
{
	setup_full(0, NULL, role);
}

void setup(void)
{
	setup_with(0, NULL);
}

void teardown(void)
{
	mf_pool_free(pool);
	pool = NULL;
}

void feed(msgpack_sbuffer *sb, mf_time_t now)
{
	mf_pool_udp_in(pool, now, &peer_addr, (const uint8_t *)sb->data, sb->size);
	drain();
}

void send_alive(const char *node, uint32_t inc, const char *ip, const char *meta,
		       mf_time_t now)
{
	msgpack_sbuffer sb;
	struct mf_addr a;
	struct mf_msg_alive m = { 0 };
	uint8_t vsn[MF_VSN_LEN] = MF_VSN_SERF_INIT;
	mf_addr_parse(ip, 7946, &a);
	m.incarnation = inc;
	m.node.p = (const uint8_t *)node;
	m.node.len = strlen(node);
	m.addr.p = a.ip;
	m.addr.len = 4;
	m.port = a.port;
	m.meta.p = (const uint8_t *)meta;
	m.meta.len = strlen(meta);
	memcpy(m.vsn, vsn, sizeof(vsn));
	m.has_vsn = true;
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_alive(&sb, &m), 0);
	feed(&sb, now);
	msgpack_sbuffer_destroy(&sb);
}

void send_suspect(const char *node, uint32_t inc, const char *from, mf_time_t now)
{
	msgpack_sbuffer sb;
	struct mf_msg_suspect m = { inc, { (const uint8_t *)node, strlen(node) },
				    { (const uint8_t *)from, strlen(from) } };
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_suspect(&sb, &m), 0);
	feed(&sb, now);
	msgpack_sbuffer_destroy(&sb);
}

void send_dead(const char *node, uint32_t inc, const char *from, mf_time_t now)
{
	msgpack_sbuffer sb;
	struct mf_msg_dead m = { inc, { (const uint8_t *)node, strlen(node) },
				 { (const uint8_t *)from, strlen(from) } };
	msgpack_sbuffer_init(&sb);
	CU_ASSERT_EQUAL(mf_codec_encode_dead(&sb, &m), 0);
	feed(&sb, now);
	msgpack_sbuffer_destroy(&sb);
}

enum mf_member_status status_of(const char *name)
{
	struct mf_member m;
	CU_ASSERT_EQUAL_FATAL(mf_pool_member_find(pool, name, &m), 0);
	return m.status;
}

uint32_t inc_of(const char *name)
{
	struct mf_member m;
	CU_ASSERT_EQUAL_FATAL(mf_pool_member_find(pool, name, &m), 0);
	return m.incarnation;
}

void tick_until(mf_time_t end)
{
	mf_time_t now = 0;
	while (now <= end) {
		mf_pool_tick(pool, now);
		drain();
		now += 100 * MF_MS;
	}
}
