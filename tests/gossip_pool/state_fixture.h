/*
 * tests/gossip_pool/state_fixture.h — the fixture test_state.c and
 * test_state_probe.c share: one pool "me" at 10.0.0.1, fed crafted
 * memberlist messages from a peer at 10.0.0.2, its events counted.
 */
#ifndef MF_TESTS_GOSSIP_POOL_STATE_FIXTURE_H
#define MF_TESTS_GOSSIP_POOL_STATE_FIXTURE_H

#include <stdint.h>

#include <msgpack.h>

#include "gossip/pool.h"

#define B(s) ((struct mf_bytes){ (const uint8_t *)(s), sizeof(s) - 1 })

extern mf_pool_t *pool;
extern struct mf_addr peer_addr;
extern int events[16];     /* count per mf_event_kind */
extern char last_event_name[64];
/* Called with each event drain() takes, when set (a test of something
 * that watches the pool's events, e.g. the serf glue). setup() clears it. */
extern void (*on_event_hook)(const struct mf_pool_event *ev);

/* Takes the pool's outputs, counting its events. */
void drain(void);
/* A pool "me" at 10.0.0.1; max_members 0: the default; d NULL: none. */
void setup_with(int max_members, const struct mf_pool_delegate *d);
/* The same with cfg.private_role set to role. */
void setup_private(const char *role);
void setup(void);
void teardown(void);
/* One datagram from the peer. */
void feed(msgpack_sbuffer *sb, mf_time_t now);
void send_alive(const char *node, uint32_t inc, const char *ip, const char *meta, mf_time_t now);
void send_suspect(const char *node, uint32_t inc, const char *from, mf_time_t now);
void send_dead(const char *node, uint32_t inc, const char *from, mf_time_t now);
enum mf_member_status status_of(const char *name);
uint32_t inc_of(const char *name);
/* Ticks from 0 to end every 100 ms. */
void tick_until(mf_time_t end);

#endif
