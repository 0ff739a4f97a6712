/*
 * cmd/config/config_areas.c — the config-file keys that shape the agent's pools
 * and routing: "wan", "areas", "routing", "gateways" (docs/cli.md).
 * Called from mf_config_apply_json(); pure parsing of JSON values (the
 * area's keyring file is read by cmd/config/config_keyring.c). Calls nothing of
 * cmd/config/config.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "cmd/config/config.h"
#include "routing/names.h"
#include "routing/table.h"

static int str_into(char *dst, size_t cap, const json_t *v, const char *what, char *msg,
		    size_t mcap)
{
	const char *s = json_string_value(v);
	if (!s || !*s || strlen(s) >= cap) {
		snprintf(msg, mcap, "%s must be a non-empty string of at most %zu bytes", what,
			 cap - 1);
		return MF_EINVAL;
	}
	snprintf(dst, cap, "%s", s);
	return 0;
}

static int dc_into(char *dst, const json_t *v, const char *what, char *msg, size_t mcap)
{
	const char *s = json_string_value(v);
	if (!s || !mf_rt_name_valid(s, strlen(s)) || strlen(s) > MF_CONFIG_DC_MAX) {
		snprintf(msg, mcap, "%s must be a DC name ([A-Za-z0-9._-], 1 to %d bytes)", what,
			 MF_CONFIG_DC_MAX);
		return MF_EINVAL;
	}
	snprintf(dst, MF_CONFIG_DC_MAX + 1, "%s", s);
	return 0;
}

static int addr_into(struct mf_addr *a, const json_t *v, const char *what, char *msg,
		     size_t mcap)
{
	const char *s = json_string_value(v);
	if (!s || mf_addr_parse(s, MF_DEFAULT_PORT, a) < 0) {
		snprintf(msg, mcap, "%s must be an IP:PORT address", what);
		return MF_EINVAL;
	}
	return 0;
}

static int parse_area(struct mf_agent_config *c, struct mf_area_config *a, const json_t *o,
		      char *msg, size_t cap)
{
	const char *k;
	json_t *v;
	char m[200];
	memset(a, 0, sizeof(*a));
	(void)c; /* the agent's profile applies unless has_profile */
	(void)mf_addr_parse("0.0.0.0", MF_DEFAULT_PORT, &a->bind);
	if (!json_is_object(o)) {
		snprintf(msg, cap, "each area must be an object");
		return MF_EINVAL;
	}
	bool has_bind = false;
	json_object_foreach((json_t *)o, k, v) {
		int r = 0;
		if (strcmp(k, "name") == 0) {
			r = str_into(a->name, sizeof(a->name), v, "name", m, sizeof(m));
		} else if (strcmp(k, "peers") == 0) {
			size_t i;
			json_t *e;
			if (!json_is_array(v) || json_array_size(v) > MF_CONFIG_MAX_PEERS) {
				snprintf(m, sizeof(m), "peers must be an array of at most %d DC names",
					 MF_CONFIG_MAX_PEERS);
				r = MF_EINVAL;
			}
			json_array_foreach(v, i, e) {
				if (r < 0 || (r = dc_into(a->peers[i], e, "peers", m, sizeof(m))) < 0)
					break;
				a->n_peers = i + 1;
			}
		} else if (strcmp(k, "bind") == 0) {
			r = addr_into(&a->bind, v, "bind", m, sizeof(m));
			has_bind = true;
		} else if (strcmp(k, "advertise") == 0) {
			r = addr_into(&a->advertise, v, "advertise", m, sizeof(m));
			a->has_advertise = true;
		} else if (strcmp(k, "join") == 0) {
			size_t i;
			json_t *e;
			if (!json_is_array(v) || json_array_size(v) > MF_CONFIG_MAX_AREA_JOIN) {
				snprintf(m, sizeof(m), "join must be an array of at most %d addresses",
					 MF_CONFIG_MAX_AREA_JOIN);
				r = MF_EINVAL;
			}
			json_array_foreach(v, i, e) {
				struct mf_addr x;
				if (r < 0 || (r = addr_into(&x, e, "join", m, sizeof(m))) < 0 ||
				    (r = str_into(a->join[i], MF_CONFIG_ADDR_MAX, e, "join", m,
						  sizeof(m))) < 0)
					break;
				a->n_join = i + 1;
			}
		} else if (strcmp(k, "encrypt") == 0) {
			const char *s = json_string_value(v);
			if (!s || mf_keyring_decode_b64(s, a->encrypt_key) < 0) {
				snprintf(m, sizeof(m), "encrypt must be a base64 32-byte key");
				r = MF_EINVAL;
			}
			a->has_encrypt = true;
		} else if (strcmp(k, "keyring_file") == 0) {
			r = str_into(a->keyring_file, sizeof(a->keyring_file), v, "keyring_file", m,
				     sizeof(m));
		} else if (strcmp(k, "profile") == 0) {
			const char *s = json_string_value(v);
			if (!s || mf_profile_parse(s, &a->profile) < 0) {
				snprintf(m, sizeof(m), "profile must be wan, lan or local");
				r = MF_EINVAL;
			}
			a->has_profile = true;
		} else {
			snprintf(m, sizeof(m), "unknown key \"%s\"", k);
			r = MF_EINVAL;
		}
		if (r < 0) {
			snprintf(msg, cap, "area \"%s\": %s", a->name[0] ? a->name : "?", m);
			return r;
		}
	}
	if (!a->name[0] || !has_bind) {
		snprintf(msg, cap, "every area needs a \"name\" and a \"bind\" address");
		return MF_EINVAL;
	}
	if (strcmp(a->name, "wan") == 0) {
		snprintf(msg, cap, "area name \"wan\" is the WAN pool's");
		return MF_EINVAL;
	}
	if (a->has_encrypt && a->keyring_file[0]) {
		snprintf(msg, cap, "area \"%s\": encrypt and keyring_file cannot be used together",
			 a->name);
		return MF_EINVAL;
	}
	return 0;
}

static int parse_routing(struct mf_routing_agent_config *rc, const json_t *o, char *msg,
			 size_t cap)
{
	const char *k;
	json_t *v;
	if (!json_is_object(o)) {
		snprintf(msg, cap, "must be an object");
		return MF_EINVAL;
	}
	json_object_foreach((json_t *)o, k, v) {
		enum mf_route_mode mode;
		if (strcmp(k, "default") == 0) {
			if (!json_is_string(v) || mf_route_mode_parse(json_string_value(v), &mode) < 0) {
				snprintf(msg, cap, "default must be \"multi-hop\" or \"single-hop\"");
				return MF_EINVAL;
			}
			rc->default_mode = (int)mode;
		} else if (strcmp(k, "targets") == 0) {
			const char *dc;
			json_t *mv;
			if (!json_is_object(v) || json_object_size(v) > MF_CONFIG_MAX_TARGETS) {
				snprintf(msg, cap, "targets must be an object {dc: mode} of at most %d",
					 MF_CONFIG_MAX_TARGETS);
				return MF_EINVAL;
			}
			rc->n_targets = 0;
			json_object_foreach(v, dc, mv) {
				struct mf_routing_target_config *t = &rc->targets[rc->n_targets];
				json_t *name = json_string(dc);
				int r = dc_into(t->dc, name, "targets", msg, cap);
				json_decref(name);
				if (r < 0)
					return r;
				if (!json_is_string(mv) ||
				    mf_route_mode_parse(json_string_value(mv), &mode) < 0) {
					snprintf(msg, cap, "targets.%s must be \"multi-hop\" or "
						 "\"single-hop\"", dc);
					return MF_EINVAL;
				}
				t->mode = (int)mode;
				rc->n_targets++;
			}
		} else if (strcmp(k, "transit") == 0 || strcmp(k, "require_gateways") == 0) {
			if (!json_is_boolean(v)) {
				snprintf(msg, cap, "%s must be true or false", k);
				return MF_EINVAL;
			}
			*(k[0] == 't' ? &rc->transit : &rc->require_gateways) = json_is_true(v);
		} else if (strcmp(k, "hysteresis_pct") == 0 || strcmp(k, "hysteresis_ms") == 0) {
			double x = json_number_value(v);
			if (!json_is_number(v) || !isfinite(x) || x < 0) {
				snprintf(msg, cap, "%s must be a number >= 0", k);
				return MF_EINVAL;
			}
			*(k[11] == 'p' ? &rc->hysteresis_pct : &rc->hysteresis_ms) = x;
		} else {
			snprintf(msg, cap, "unknown key \"%s\"", k);
			return MF_EINVAL;
		}
	}
	return 0;
}

static int parse_gateway(struct mf_gateway_config *g, const json_t *o, char *msg, size_t cap)
{
	const char *k;
	json_t *v;
	memset(g, 0, sizeof(*g));
	if (!json_is_object(o)) {
		snprintf(msg, cap, "each gateway must be an object");
		return MF_EINVAL;
	}
	json_object_foreach((json_t *)o, k, v) {
		int r = 0;
		if (strcmp(k, "name") == 0) {
			r = str_into(g->name, sizeof(g->name), v, "gateway name", msg, cap);
		} else if (strcmp(k, "lan") == 0) {
			r = str_into(g->lan, sizeof(g->lan), v, "gateway lan", msg, cap);
		} else if (strcmp(k, "wan") == 0) {
			r = str_into(g->wan, sizeof(g->wan), v, "gateway wan", msg, cap);
		} else if (strcmp(k, "tagged") == 0) {
			const char *tk;
			json_t *tv;
			if (!json_is_object(v) || json_object_size(v) > MF_CONFIG_MAX_GW_TAGS) {
				snprintf(msg, cap, "tagged must be an object of at most %d addresses",
					 MF_CONFIG_MAX_GW_TAGS);
				return MF_EINVAL;
			}
			json_object_foreach(v, tk, tv) {
				if (strncmp(tk, "dc:", 3) != 0 || !mf_rt_name_valid(tk + 3, strlen(tk + 3)) ||
				    strlen(tk) >= sizeof(g->tag_keys[0])) {
					snprintf(msg, cap, "tagged key \"%s\" is not dc:<DC name>", tk);
					return MF_EINVAL;
				}
				snprintf(g->tag_keys[g->n_tags], sizeof(g->tag_keys[0]), "%s", tk);
				if ((r = str_into(g->tag_addrs[g->n_tags], MF_CONFIG_ADDR_MAX, tv,
						  "tagged address", msg, cap)) < 0)
					return r;
				g->n_tags++;
			}
		} else {
			snprintf(msg, cap, "unknown gateway key \"%s\"", k);
			r = MF_EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (!g->name[0] || !g->wan[0]) {
		snprintf(msg, cap, "every gateway needs a \"name\" and a \"wan\" address");
		return MF_EINVAL;
	}
	if (!g->lan[0])
		snprintf(g->lan, sizeof(g->lan), "%s", g->wan);
	return 0;
}

int mf_config_apply_areas_key(struct mf_agent_config *c, const char *key, const json_t *v,
			      char *msg, size_t cap, int *rc)
{
	*rc = 0;
	if (strcmp(key, "wan") == 0) {
		if (!json_is_boolean(v)) {
			snprintf(msg, cap, "must be true or false");
			*rc = MF_EINVAL;
		}
		c->wan = json_is_true(v);
	} else if (strcmp(key, "areas") == 0) {
		size_t i;
		json_t *e;
		if (!json_is_array(v) || json_array_size(v) > MF_CONFIG_MAX_AREAS) {
			snprintf(msg, cap, "must be an array of at most %d areas", MF_CONFIG_MAX_AREAS);
			*rc = MF_EINVAL;
			return 1;
		}
		c->n_areas = 0;
		json_array_foreach(v, i, e) {
			if ((*rc = parse_area(c, &c->areas[i], e, msg, cap)) < 0)
				return 1;
			for (size_t j = 0; j < i; j++) {
				if (strcmp(c->areas[j].name, c->areas[i].name) == 0) {
					snprintf(msg, cap, "two areas named \"%s\"", c->areas[i].name);
					*rc = MF_EINVAL;
					return 1;
				}
			}
			c->n_areas = i + 1;
		}
	} else if (strcmp(key, "routing") == 0) {
		*rc = parse_routing(&c->routing, v, msg, cap);
	} else if (strcmp(key, "gateways") == 0) {
		size_t i;
		json_t *e;
		if (!json_is_array(v) || json_array_size(v) > MF_CONFIG_MAX_GATEWAYS) {
			snprintf(msg, cap, "must be an array of at most %d gateways",
				 MF_CONFIG_MAX_GATEWAYS);
			*rc = MF_EINVAL;
			return 1;
		}
		c->n_gateways = 0;
		json_array_foreach(v, i, e) {
			if ((*rc = parse_gateway(&c->gateways[i], e, msg, cap)) < 0)
				return 1;
			c->n_gateways = i + 1;
		}
	} else {
		return 0;
	}
	return 1;
}
