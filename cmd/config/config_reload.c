/* cmd/config/config_reload.c — see cmd/config/config_reload.h. */
#include <stdio.h>
#include <string.h>

#include "cmd/config/config_reload.h"

static bool addr_eq(const struct mf_addr *a, const struct mf_addr *b)
{
	return a->ip_len == b->ip_len && a->port == b->port && memcmp(a->ip, b->ip, a->ip_len) == 0;
}

static bool opt_addr_eq(bool ha, const struct mf_addr *a, bool hb, const struct mf_addr *b)
{
	return ha == hb && (!ha || addr_eq(a, b));
}

static bool joins_eq(const char (*a)[MF_CONFIG_ADDR_MAX], size_t na,
		     const char (*b)[MF_CONFIG_ADDR_MAX], size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static bool keys_eq(bool ha, const uint8_t *ka, const char *fa, bool hb, const uint8_t *kb,
		    const char *fb)
{
	return ha == hb && (!ha || memcmp(ka, kb, MF_KEY_LEN) == 0) && strcmp(fa, fb) == 0;
}

/* An area as far as a restart goes: everything but its keys. */
static bool area_eq(const struct mf_area_config *a, const struct mf_area_config *b)
{
	if (strcmp(a->name, b->name) != 0 || a->n_peers != b->n_peers ||
	    !addr_eq(&a->bind, &b->bind) ||
	    !opt_addr_eq(a->has_advertise, &a->advertise, b->has_advertise, &b->advertise) ||
	    !joins_eq(a->join, a->n_join, b->join, b->n_join) || a->has_profile != b->has_profile ||
	    (a->has_profile && a->profile != b->profile))
		return false;
	for (size_t i = 0; i < a->n_peers; i++)
		if (strcmp(a->peers[i], b->peers[i]) != 0)
			return false;
	return true;
}

static bool areas_eq(const struct mf_agent_config *a, const struct mf_agent_config *b)
{
	if (a->n_areas != b->n_areas)
		return false;
	for (size_t i = 0; i < a->n_areas; i++)
		if (!area_eq(&a->areas[i], &b->areas[i]))
			return false;
	return true;
}

static bool timing_eq(const struct mf_agent_config *a, const struct mf_agent_config *b)
{
	struct mf_pool_timing ta, tb;
	mf_config_timing(a, &ta);
	mf_config_timing(b, &tb);
	for (size_t i = 0; i < mf_config_timing_keys_n; i++) {
		const struct mf_config_timing_key *k = &mf_config_timing_keys[i];
		size_t sz = k->duration ? sizeof(mf_time_t) : sizeof(int);
		if (memcmp((const uint8_t *)&ta + k->offset, (const uint8_t *)&tb + k->offset, sz))
			return false;
	}
	return true;
}

static bool tags_eq(const struct mf_agent_config *a, const struct mf_agent_config *b)
{
	if (a->n_tags != b->n_tags)
		return false;
	for (size_t i = 0; i < a->n_tags; i++) /* order matters: it is the order sent */
		if (strcmp(a->tags[i].key, b->tags[i].key) != 0 ||
		    strcmp(a->tags[i].value, b->tags[i].value) != 0)
			return false;
	return true;
}

static bool routing_eq(const struct mf_routing_agent_config *a,
		       const struct mf_routing_agent_config *b)
{
	if (a->default_mode != b->default_mode || a->transit != b->transit ||
	    a->n_targets != b->n_targets)
		return false;
	for (size_t i = 0; i < a->n_targets; i++)
		if (strcmp(a->targets[i].dc, b->targets[i].dc) != 0 ||
		    a->targets[i].mode != b->targets[i].mode)
			return false;
	return true;
}

static bool gateway_eq(const struct mf_gateway_config *a, const struct mf_gateway_config *b)
{
	if (strcmp(a->name, b->name) != 0 || strcmp(a->lan, b->lan) != 0 ||
	    strcmp(a->wan, b->wan) != 0 || a->n_tags != b->n_tags)
		return false;
	for (size_t i = 0; i < a->n_tags; i++)
		if (strcmp(a->tag_keys[i], b->tag_keys[i]) != 0 ||
		    strcmp(a->tag_addrs[i], b->tag_addrs[i]) != 0)
			return false;
	return true;
}

static bool gateways_eq(const struct mf_agent_config *a, const struct mf_agent_config *b)
{
	if (a->n_gateways != b->n_gateways)
		return false;
	for (size_t i = 0; i < a->n_gateways; i++)
		if (!gateway_eq(&a->gateways[i], &b->gateways[i]))
			return false;
	return true;
}

static bool pool_keys_eq(const struct mf_agent_config *a, const struct mf_agent_config *b)
{
	if (!keys_eq(a->has_encrypt, a->encrypt_key, a->keyring_file, b->has_encrypt,
		     b->encrypt_key, b->keyring_file))
		return false;
	for (size_t i = 0; i < a->n_areas && i < b->n_areas; i++) {
		const struct mf_area_config *x = &a->areas[i], *y = &b->areas[i];
		if (!keys_eq(x->has_encrypt, x->encrypt_key, x->keyring_file, y->has_encrypt,
			     y->encrypt_key, y->keyring_file))
			return false;
	}
	return true;
}

static void need_restart(struct mf_config_reload *out, bool same, const char *key)
{
	size_t l = strlen(out->restart);
	if (!same)
		snprintf(out->restart + l, sizeof(out->restart) - l, "%s%s", l ? ", " : "", key);
}

void mf_config_reload_diff(const struct mf_agent_config *cur, const struct mf_agent_config *next,
			   struct mf_config_reload *out)
{
	const struct mf_agent_config *a = cur, *b = next;
	memset(out, 0, sizeof(*out));
	out->log = a->log_level != b->log_level || a->log_json != b->log_json;
	out->tags = !tags_eq(a, b);
	out->routing = !routing_eq(&a->routing, &b->routing);
	out->gateways = !gateways_eq(a, b);
	out->keys = !pool_keys_eq(a, b);
	need_restart(out, strcmp(a->node, b->node) == 0, "node");
	need_restart(out, strcmp(a->dc, b->dc) == 0, "dc");
	need_restart(out, addr_eq(&a->bind, &b->bind), "bind");
	need_restart(out, opt_addr_eq(a->has_advertise, &a->advertise, b->has_advertise,
				      &b->advertise), "advertise");
	need_restart(out, joins_eq(a->join, a->n_join, b->join, b->n_join), "join");
	need_restart(out, a->profile == b->profile && timing_eq(a, b), "profile/timing");
	need_restart(out, strcmp(a->control, b->control) == 0, "control");
	need_restart(out, strcmp(a->route_socket, b->route_socket) == 0 &&
				  strcmp(a->route_socket_group, b->route_socket_group) == 0,
		     "route_socket");
	need_restart(out, opt_addr_eq(a->has_metrics_addr, &a->metrics_addr, b->has_metrics_addr,
				      &b->metrics_addr), "metrics_addr");
	need_restart(out, strcmp(a->snapshot, b->snapshot) == 0, "snapshot");
	need_restart(out, a->retry_interval == b->retry_interval &&
				  a->retry_max_interval == b->retry_max_interval &&
				  a->retry_max == b->retry_max,
		     "retry");
	need_restart(out, a->leave_timeout == b->leave_timeout, "leave_timeout");
	need_restart(out, a->drop_report_interval == b->drop_report_interval,
		     "drop_report_interval");
	need_restart(out, a->wan == b->wan, "wan");
	need_restart(out, areas_eq(a, b), "areas");
	need_restart(out, a->routing.hysteresis_pct == b->routing.hysteresis_pct &&
				  a->routing.hysteresis_ms == b->routing.hysteresis_ms,
		     "routing.hysteresis");
	need_restart(out, a->routing.require_gateways == b->routing.require_gateways,
		     "routing.require_gateways");
}

void mf_config_reload_take(struct mf_agent_config *cur, const struct mf_agent_config *next)
{
	cur->log_level = next->log_level;
	cur->log_json = next->log_json;
	memcpy(cur->tags, next->tags, sizeof(cur->tags));
	cur->n_tags = next->n_tags;
	/* hysteresis and require_gateways are restart-only */
	struct mf_routing_agent_config keep = cur->routing;
	cur->routing = next->routing;
	cur->routing.hysteresis_pct = keep.hysteresis_pct;
	cur->routing.hysteresis_ms = keep.hysteresis_ms;
	cur->routing.require_gateways = keep.require_gateways;
	memcpy(cur->gateways, next->gateways, sizeof(cur->gateways));
	cur->n_gateways = next->n_gateways;
	memcpy(cur->encrypt_key, next->encrypt_key, sizeof(cur->encrypt_key));
	cur->has_encrypt = next->has_encrypt;
	memcpy(cur->keyring_file, next->keyring_file, sizeof(cur->keyring_file));
	if (!areas_eq(cur, next))
		return;
	for (size_t i = 0; i < cur->n_areas; i++) {
		struct mf_area_config *x = &cur->areas[i];
		const struct mf_area_config *y = &next->areas[i];
		memcpy(x->encrypt_key, y->encrypt_key, sizeof(x->encrypt_key));
		x->has_encrypt = y->has_encrypt;
		memcpy(x->keyring_file, y->keyring_file, sizeof(x->keyring_file));
	}
}
