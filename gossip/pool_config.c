/* gossip/pool_config.c — defaults: memberlist config.go profiles, serf's
 * reconnect/reap timings (serf/config.go DefaultConfig), status names. */
#include <string.h>

#include "gossip/pool.h"

void mf_pool_timing_profile(struct mf_pool_timing *t, enum mf_profile p)
{
	/* DefaultLANConfig */
	t->probe_interval = 1 * MF_SEC;
	t->probe_timeout = 500 * MF_MS;
	t->gossip_interval = 200 * MF_MS;
	t->push_pull_interval = 30 * MF_SEC;
	t->tcp_timeout = 10 * MF_SEC;
	t->gossip_to_the_dead = 30 * MF_SEC;
	t->indirect_checks = 3;
	t->retransmit_mult = 4;
	t->suspicion_mult = 4;
	t->suspicion_max_timeout_mult = 6;
	t->gossip_nodes = 3;
	t->awareness_max_multiplier = 8;
	t->udp_buffer_size = 1400;
	t->max_members = MF_POOL_MAX_MEMBERS;
	/* serf DefaultConfig */
	t->reconnect_interval = 30 * MF_SEC;
	t->reconnect_timeout = 24 * 3600 * MF_SEC;
	t->tombstone_timeout = 24 * 3600 * MF_SEC;

	switch (p) {
	case MF_PROFILE_WAN: /* DefaultWANConfig */
		t->tcp_timeout = 30 * MF_SEC;
		t->suspicion_mult = 6;
		t->push_pull_interval = 60 * MF_SEC;
		t->probe_timeout = 3 * MF_SEC;
		t->probe_interval = 5 * MF_SEC;
		t->gossip_nodes = 4;
		t->gossip_interval = 500 * MF_MS;
		t->gossip_to_the_dead = 60 * MF_SEC;
		break;
	case MF_PROFILE_LOCAL: /* DefaultLocalConfig */
		t->tcp_timeout = 1 * MF_SEC;
		t->indirect_checks = 1;
		t->retransmit_mult = 2;
		t->suspicion_mult = 3;
		t->push_pull_interval = 15 * MF_SEC;
		t->probe_timeout = 200 * MF_MS;
		t->probe_interval = 1 * MF_SEC;
		t->gossip_interval = 100 * MF_MS;
		t->gossip_to_the_dead = 15 * MF_SEC;
		break;
	case MF_PROFILE_LAN:
		break;
	}
}

int mf_profile_parse(const char *s, enum mf_profile *p)
{
	if (s == NULL)
		return MF_EINVAL;
	if (strcmp(s, "wan") == 0)
		*p = MF_PROFILE_WAN;
	else if (strcmp(s, "lan") == 0)
		*p = MF_PROFILE_LAN;
	else if (strcmp(s, "local") == 0)
		*p = MF_PROFILE_LOCAL;
	else
		return MF_EINVAL;
	return 0;
}

void mf_pool_config_init(struct mf_pool_config *c, enum mf_profile p)
{
	static const uint8_t vsn[MF_VSN_LEN] = MF_VSN_SERF_INIT;

	memset(c, 0, sizeof(*c));
	mf_pool_timing_profile(&c->timing, p);
	memcpy(c->vsn, vsn, sizeof(vsn));
	c->advertise.ip_len = 4;
	c->advertise.ip[0] = 127;
	c->advertise.ip[3] = 1;
	c->advertise.port = 7946;
	c->seed = 1;
}

static const char *const status_names[] = {
	[MF_MEMBER_ALIVE] = "alive",
	[MF_MEMBER_SUSPECT] = "suspect",
	[MF_MEMBER_FAILED] = "failed",
	[MF_MEMBER_LEFT] = "left",
};

const char *mf_member_status_str(enum mf_member_status s)
{
	if ((unsigned)s >= sizeof(status_names) / sizeof(status_names[0]))
		return "unknown";
	return status_names[s];
}

int mf_member_status_parse(const char *s, enum mf_member_status *out)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (s != NULL && strcmp(s, status_names[i]) == 0) {
			*out = (enum mf_member_status)i;
			return 0;
		}
	}
	return MF_EINVAL;
}
