/* cmd/config.c — see cmd/config.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "cmd/config.h"
#include "cmd/keyring_file.h"
#include "cmd/config_file.h"

#define T(field) offsetof(struct mf_pool_timing, field)

const struct mf_config_timing_key mf_config_timing_keys[] = {
	{"probe_interval", T(probe_interval), true, 0, 0},
	{"probe_timeout", T(probe_timeout), true, 0, 0},
	{"gossip_interval", T(gossip_interval), true, 0, 0},
	{"push_pull_interval", T(push_pull_interval), true, 0, 0},
	{"tcp_timeout", T(tcp_timeout), true, 0, 0},
	{"gossip_to_the_dead", T(gossip_to_the_dead), true, 0, 0},
	{"reconnect_interval", T(reconnect_interval), true, 0, 0},
	{"reconnect_timeout", T(reconnect_timeout), true, 0, 0},
	{"tombstone_timeout", T(tombstone_timeout), true, 0, 0},
	{"indirect_checks", T(indirect_checks), false, 0, 64},
	{"retransmit_mult", T(retransmit_mult), false, 1, 100},
	{"suspicion_mult", T(suspicion_mult), false, 1, 100},
	{"suspicion_max_timeout_mult", T(suspicion_max_timeout_mult), false, 1, 100},
	{"gossip_nodes", T(gossip_nodes), false, 1, 64},
	{"awareness_max_multiplier", T(awareness_max_multiplier), false, 1, 100},
	{"udp_buffer_size", T(udp_buffer_size), false, 576, 65507},
	{"max_members", T(max_members), false, 2, 1000000},
};
const size_t mf_config_timing_keys_n =
	sizeof(mf_config_timing_keys) / sizeof(mf_config_timing_keys[0]);

const struct mf_flag mf_agent_flags[] = {
	{"config-file", "PATH", "JSON config file (keys, incl. areas, routing, gateways: docs/cli.md); flags override it"},
	{"node", "NAME", "node name (default: the host name)"},
	{"dc", "DC", "datacenter, announced as tag dc=DC (default dc1)"},
	{"bind", "IP:PORT", "UDP and TCP address to bind (default 0.0.0.0:7946)"},
	{"advertise", "IP:PORT", "address told to peers (default: the bind address)"},
	{"join", "ADDR", "agent to join at start, retried with backoff (repeatable)"},
	{"encrypt", "KEY", "base64 32-byte gossip key (see meshfed keygen)"},
	{"keyring-file", "PATH", "JSON array of base64 keys, the first is primary; rewritten by meshfed keys"},
	{"encrypt-verify-incoming", "true|false", "refuse plaintext gossip when keys are set (default true; false while rolling encryption on)"},
	{"encrypt-verify-outgoing", "true|false", "encrypt what we send when keys are set (default true; false while rolling encryption on)"},
	{"profile", "wan|lan|local", "memberlist timing profile (default wan)"},
	{"control", "PATH", "control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
	{"route-socket", "PATH", "route socket for gateways, mode 0660 (default $MESHFED_ROUTE_SOCKET or /tmp/meshfed-UID-routes.sock)"},
	{"metrics-addr", "IP:PORT", "serve Prometheus metrics on http://IP:PORT/metrics (default off; docs/metrics.md)"},
	{"tag", "KEY=VALUE", "tag announced to peers (repeatable)"},
	{"log-level", "LEVEL", "debug, info, warn or error (default info)"},
	{"retry-interval", "DURATION", "first -join retry delay, doubled up to 30s (default 1s)"},
	{"retry-max", "N", "give up joining after N rounds (default 0: never)"},
	{"leave-timeout", "DURATION", "graceful leave budget on SIGINT/SIGTERM (default 5s)"},
	{"probe-interval", "DURATION", "timing override (also every key of docs/cli.md)"},
	{"probe-timeout", "DURATION", "timing override"},
	{"gossip-interval", "DURATION", "timing override"},
	{"push-pull-interval", "DURATION", "timing override"},
	{"tcp-timeout", "DURATION", "timing override"},
	{"gossip-to-the-dead", "DURATION", "timing override"},
	{"reconnect-interval", "DURATION", "timing override"},
	{"reconnect-timeout", "DURATION", "timing override"},
	{"tombstone-timeout", "DURATION", "timing override"},
	{"indirect-checks", "N", "timing override"},
	{"retransmit-mult", "N", "timing override"},
	{"suspicion-mult", "N", "timing override"},
	{"suspicion-max-timeout-mult", "N", "timing override"},
	{"gossip-nodes", "N", "timing override"},
	{"awareness-max-multiplier", "N", "timing override"},
	{"udp-buffer-size", "N", "timing override (bytes)"},
	{"max-members", "N", "members held per pool, failed/left included; more names are refused (default 10000)"},
};
const size_t mf_agent_flags_n = sizeof(mf_agent_flags) / sizeof(mf_agent_flags[0]);

int mf_log_level_parse(const char *s, enum mf_log_level *out)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum mf_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = MF_LOG_WARN;
		return 0;
	}
	return MF_EINVAL;
}

void mf_config_init(struct mf_agent_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->dc, sizeof(c->dc), "dc1");
	(void)mf_addr_parse("0.0.0.0", MF_DEFAULT_PORT, &c->bind);
	c->profile = MF_PROFILE_WAN;
	c->log_level = MF_LOG_INFO;
	c->retry_interval = 1 * MF_SEC;
	c->retry_max_interval = 30 * MF_SEC;
	c->retry_max = 0;
	c->leave_timeout = 5 * MF_SEC;
	c->wan = true;
	c->encrypt_verify_incoming = true;
	c->encrypt_verify_outgoing = true;
	c->routing.transit = true;
	c->routing.hysteresis_pct = -1;
	c->routing.hysteresis_ms = -1;
}

/* $env if set and not empty, else /tmp/meshfed-<uid><suffix>. */
static void default_socket(char *buf, size_t cap, const char *env, const char *suffix)
{
	const char *v = getenv(env);
	if (v && *v)
		snprintf(buf, cap, "%s", v);
	else
		snprintf(buf, cap, "/tmp/meshfed-%u%s", (unsigned)getuid(), suffix);
}

void mf_config_default_control(char *buf, size_t cap)
{
	default_socket(buf, cap, "MESHFED_CONTROL", ".sock");
}

void mf_config_default_route_socket(char *buf, size_t cap)
{
	default_socket(buf, cap, "MESHFED_ROUTE_SOCKET", "-routes.sock");
}

/* --- durations --------------------------------------------------------------*/

int mf_config_parse_duration(const char *s, mf_time_t *out)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {
		/* longest first so "ms" is not read as "m" */
		{"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"ms", 1000000},
		{"s", 1000000000}, {"m", 60 * (int64_t)1000000000}, {"h", 3600 * (int64_t)1000000000},
	};
	if (!s || !*s)
		return MF_EINVAL;
	long double total = 0;
	const char *p = s;
	while (*p) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return MF_EINVAL;
		char *end;
		errno = 0;
		long double v = strtold(p, &end);
		if (end == p || errno)
			return MF_EINVAL;
		for (const char *q = p; q < end; q++) /* no exponents, signs, hex */
			if (!isdigit((unsigned char)*q) && *q != '.')
				return MF_EINVAL;
		p = end;
		int found = -1;
		size_t flen = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].unit);
			if (strncmp(p, units[i].unit, l) == 0 && l > flen) {
				found = (int)i;
				flen = l;
			}
		}
		if (found < 0)
			return MF_EINVAL; /* a unit is required */
		total += v * (long double)units[found].ns;
		p += flen;
	}
	if (total > (long double)INT64_MAX)
		return MF_EINVAL;
	*out = (mf_time_t)(total + 0.5L);
	return 0;
}

/* --- setting keys -----------------------------------------------------------*/

static void normalize(const char *key, char *buf, size_t cap)
{
	size_t i = 0;
	for (; key[i] && i + 1 < cap; i++)
		buf[i] = key[i] == '-' ? '_' : key[i];
	buf[i] = '\0';
}

static int copy_str(char *dst, size_t cap, const char *v, const char *what, char *err,
		    size_t errcap)
{
	if (!*v) {
		snprintf(err, errcap, "%s must not be empty", what);
		return MF_EINVAL;
	}
	if (strlen(v) >= cap) {
		snprintf(err, errcap, "%s is longer than %zu bytes", what, cap - 1);
		return MF_EINVAL;
	}
	snprintf(dst, cap, "%s", v);
	return 0;
}

static int parse_int(const char *v, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (!*v || *end || errno || x < min || x > max)
		return MF_EINVAL;
	*out = x;
	return 0;
}

static int set_timing(struct mf_agent_config *c, size_t i, const char *v, char *err,
		      size_t errcap)
{
	const struct mf_config_timing_key *k = &mf_config_timing_keys[i];
	uint8_t *base = (uint8_t *)&c->timing;
	if (k->duration) {
		mf_time_t d;
		if (mf_config_parse_duration(v, &d) < 0 || d <= 0) {
			snprintf(err, errcap,
				 "\"%s\" is not a positive duration (like 500ms, 5s, 1m30s)", v);
			return MF_EINVAL;
		}
		memcpy(base + k->offset, &d, sizeof(d));
	} else {
		long x;
		if (parse_int(v, k->min, k->max, &x) < 0) {
			snprintf(err, errcap, "\"%s\" is not an integer in [%d, %d]", v, k->min,
				 k->max);
			return MF_EINVAL;
		}
		int xi = (int)x;
		memcpy(base + k->offset, &xi, sizeof(xi));
	}
	c->timing_set |= 1u << i;
	return 0;
}

static int set_addr(struct mf_addr *a, const char *v, char *err, size_t errcap)
{
	if (mf_addr_parse(v, MF_DEFAULT_PORT, a) < 0) {
		snprintf(err, errcap, "\"%s\" is not an IP:PORT address (like 127.0.0.1:7946)", v);
		return MF_EINVAL;
	}
	return 0;
}

static int set_tag(struct mf_agent_config *c, const char *k, size_t klen, const char *v,
		   char *err, size_t errcap)
{
	if (klen == 0) {
		snprintf(err, errcap, "tag name must not be empty (want KEY=VALUE)");
		return MF_EINVAL;
	}
	if ((klen == 2 && strncmp(k, "dc", 2) == 0) || (klen == 4 && strncmp(k, "role", 4) == 0)) {
		snprintf(err, errcap, "tag \"%.*s\" is set by meshfed itself (use -dc for dc)",
			 (int)klen, k);
		return MF_EINVAL;
	}
	if (klen > MF_CONFIG_TAG_KEY_MAX || strlen(v) > MF_CONFIG_TAG_VALUE_MAX) {
		snprintf(err, errcap, "tag \"%.*s\" is too long (key max %d, value max %d bytes)",
			 (int)klen, k, MF_CONFIG_TAG_KEY_MAX, MF_CONFIG_TAG_VALUE_MAX);
		return MF_EINVAL;
	}
	size_t i;
	for (i = 0; i < c->n_tags; i++)
		if (strlen(c->tags[i].key) == klen && strncmp(c->tags[i].key, k, klen) == 0)
			break;
	if (i == c->n_tags) {
		if (c->n_tags == MF_CONFIG_MAX_TAGS) {
			snprintf(err, errcap, "more than %d tags", MF_CONFIG_MAX_TAGS);
			return MF_EINVAL;
		}
		c->n_tags++;
		memcpy(c->tags[i].key, k, klen);
		c->tags[i].key[klen] = '\0';
	}
	snprintf(c->tags[i].value, sizeof(c->tags[i].value), "%s", v);
	return 0;
}

int mf_config_set(struct mf_agent_config *c, const char *key, const char *v, char *err,
		  size_t errcap)
{
	char k[64];
	normalize(key, k, sizeof(k));
	if (strcmp(k, "node") == 0) {
		return copy_str(c->node, sizeof(c->node), v, "node name", err, errcap);
	} else if (strcmp(k, "dc") == 0) {
		return copy_str(c->dc, sizeof(c->dc), v, "datacenter", err, errcap);
	} else if (strcmp(k, "bind") == 0) {
		return set_addr(&c->bind, v, err, errcap);
	} else if (strcmp(k, "advertise") == 0) {
		int r = set_addr(&c->advertise, v, err, errcap);
		if (r == 0)
			c->has_advertise = true;
		return r;
	} else if (strcmp(k, "join") == 0) {
		struct mf_addr a;
		if (set_addr(&a, v, err, errcap) < 0)
			return MF_EINVAL;
		if (c->n_join == MF_CONFIG_MAX_JOIN) {
			snprintf(err, errcap, "more than %d join addresses", MF_CONFIG_MAX_JOIN);
			return MF_EINVAL;
		}
		return copy_str(c->join[c->n_join++], MF_CONFIG_ADDR_MAX, v, "address", err,
				errcap);
	} else if (strcmp(k, "encrypt") == 0) {
		int r = mf_keyring_decode_b64(v, c->encrypt_key);
		if (r < 0) {
			snprintf(err, errcap, "%s",
				 r == MF_EKEYSIZE
					 ? "key must decode to 32 bytes (AES-256; try meshfed keygen)"
					 : "key is not valid base64 (try meshfed keygen)");
			return MF_EINVAL;
		}
		c->has_encrypt = true;
		return 0;
	} else if (strcmp(k, "encrypt_verify_incoming") == 0 ||
		   strcmp(k, "encrypt_verify_outgoing") == 0) {
		bool *b = k[15] == 'i' ? &c->encrypt_verify_incoming : &c->encrypt_verify_outgoing;
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
			snprintf(err, errcap, "\"%s\" must be true or false", v);
			return MF_EINVAL;
		}
		*b = v[0] == 't';
		return 0;
	} else if (strcmp(k, "keyring_file") == 0) {
		return copy_str(c->keyring_file, sizeof(c->keyring_file), v, "path", err, errcap);
	} else if (strcmp(k, "profile") == 0) {
		if (mf_profile_parse(v, &c->profile) < 0) {
			snprintf(err, errcap, "\"%s\" is not a profile (wan, lan or local)", v);
			return MF_EINVAL;
		}
		return 0;
	} else if (strcmp(k, "control") == 0) {
		return copy_str(c->control, sizeof(c->control), v, "control socket path", err,
				errcap);
	} else if (strcmp(k, "route_socket") == 0) {
		return copy_str(c->route_socket, sizeof(c->route_socket), v, "route socket path",
				err, errcap);
	} else if (strcmp(k, "route_socket_group") == 0) {
		return copy_str(c->route_socket_group, sizeof(c->route_socket_group), v,
				"group (a name or a gid)", err, errcap);
	} else if (strcmp(k, "metrics_addr") == 0) {
		if (set_addr(&c->metrics_addr, v, err, errcap) < 0)
			return MF_EINVAL;
		c->has_metrics_addr = true;
		return 0;
	} else if (strcmp(k, "tag") == 0) {
		const char *eq = strchr(v, '=');
		if (!eq) {
			snprintf(err, errcap, "\"%s\" is not KEY=VALUE", v);
			return MF_EINVAL;
		}
		return set_tag(c, v, (size_t)(eq - v), eq + 1, err, errcap);
	} else if (strcmp(k, "log_level") == 0) {
		if (mf_log_level_parse(v, &c->log_level) < 0) {
			snprintf(err, errcap, "\"%s\" is not a level (debug, info, warn, error)", v);
			return MF_EINVAL;
		}
		return 0;
	} else if (strcmp(k, "retry_interval") == 0 || strcmp(k, "leave_timeout") == 0) {
		mf_time_t d;
		if (mf_config_parse_duration(v, &d) < 0 || d <= 0) {
			snprintf(err, errcap,
				 "\"%s\" is not a positive duration (like 500ms, 5s, 1m30s)", v);
			return MF_EINVAL;
		}
		*(k[0] == 'r' ? &c->retry_interval : &c->leave_timeout) = d;
		return 0;
	} else if (strcmp(k, "retry_max") == 0) {
		long x;
		if (parse_int(v, 0, INT_MAX, &x) < 0) {
			snprintf(err, errcap, "\"%s\" is not a non-negative integer", v);
			return MF_EINVAL;
		}
		c->retry_max = (int)x;
		return 0;
	}
	for (size_t i = 0; i < mf_config_timing_keys_n; i++)
		if (strcmp(k, mf_config_timing_keys[i].name) == 0)
			return set_timing(c, i, v, err, errcap);
	snprintf(err, errcap, "unknown key");
	return MF_EINVAL;
}

/* --- config file ------------------------------------------------------------*/

static bool is_duration_key(const char *k)
{
	if (strcmp(k, "retry_interval") == 0 || strcmp(k, "leave_timeout") == 0)
		return true;
	for (size_t i = 0; i < mf_config_timing_keys_n; i++)
		if (strcmp(k, mf_config_timing_keys[i].name) == 0)
			return mf_config_timing_keys[i].duration;
	return false;
}

static int apply_value(struct mf_agent_config *c, const char *key, const json_t *v, char *msg,
		       size_t cap)
{
	char buf[64];
	const char *str = mf_config_json_scalar(v, is_duration_key(key), buf, sizeof(buf), msg, cap);
	return str ? mf_config_set(c, key, str, msg, cap) : MF_EINVAL;
}

int mf_config_apply_json(struct mf_agent_config *c, const json_t *root, char *err, size_t errcap)
{
	char msg[256];
	const char *key;
	json_t *v;
	if (!json_is_object(root)) {
		snprintf(err, errcap, "the top level must be a JSON object");
		return MF_EINVAL;
	}
	json_object_foreach((json_t *)root, key, v) {
		int r = 0;
		if (mf_config_apply_areas_key(c, key, v, msg, sizeof(msg), &r)) {
			/* handled by cmd/config_areas.c */
		} else if (strcmp(key, "join") == 0 && json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) {
				if (!json_is_string(e)) {
					snprintf(msg, sizeof(msg), "entries must be strings");
					r = MF_EINVAL;
					break;
				}
				if ((r = mf_config_set(c, "join", json_string_value(e), msg,
						       sizeof(msg))) < 0)
					break;
			}
		} else if (strcmp(key, "tags") == 0) {
			const char *tk;
			json_t *tv;
			if (!json_is_object(v)) {
				snprintf(msg, sizeof(msg), "must be an object of strings");
				r = MF_EINVAL;
			} else {
				json_object_foreach(v, tk, tv) {
					if (!json_is_string(tv)) {
						snprintf(msg, sizeof(msg), "tag \"%s\" must be a string",
							 tk);
						r = MF_EINVAL;
						break;
					}
					if ((r = set_tag(c, tk, strlen(tk), json_string_value(tv), msg,
							 sizeof(msg))) < 0)
						break;
				}
			}
		} else if (strcmp(key, "tag") == 0 || strcmp(key, "config_file") == 0 ||
			   strchr(key, '-')) {
			snprintf(msg, sizeof(msg), "unknown key");
			r = MF_EINVAL;
		} else {
			r = apply_value(c, key, v, msg, sizeof(msg));
		}
		if (r < 0) {
			snprintf(err, errcap, "key \"%s\": %s", key, msg);
			return MF_EINVAL;
		}
	}
	return 0;
}

static int keys_set(void *ctx, const char *key, const char *v, char *msg, size_t cap)
{
	return mf_config_set(ctx, key, v, msg, cap);
}

static int keys_apply_json(void *ctx, const json_t *root, char *msg, size_t cap)
{
	return mf_config_apply_json(ctx, root, msg, cap);
}

int mf_config_load_file(struct mf_agent_config *c, const char *path, char *err, size_t errcap)
{
	struct mf_config_keys k = {c, keys_set, keys_apply_json};
	return mf_config_file_load(&k, path, err, errcap);
}

/* --- command line -----------------------------------------------------------*/

int mf_config_parse_args(struct mf_agent_config *c, int argc, char **argv, char *err,
			 size_t errcap)
{
	struct mf_config_keys k = {c, keys_set, keys_apply_json};
	return mf_config_flags_apply(&k, "agent", mf_agent_flags, mf_agent_flags_n, argc, argv, err,
				     errcap);
}

void mf_config_timing(const struct mf_agent_config *c, struct mf_pool_timing *t)
{
	mf_pool_timing_profile(t, c->profile);
	const uint8_t *src = (const uint8_t *)&c->timing;
	uint8_t *dst = (uint8_t *)t;
	for (size_t i = 0; i < mf_config_timing_keys_n; i++) {
		if (!(c->timing_set & (1u << i)))
			continue;
		const struct mf_config_timing_key *k = &mf_config_timing_keys[i];
		size_t sz = k->duration ? sizeof(mf_time_t) : sizeof(int);
		memcpy(dst + k->offset, src + k->offset, sz);
	}
}

int mf_config_read_keyring(const struct mf_agent_config *c, struct mf_keyring *kr, char *err,
			   size_t errcap)
{
	mf_keyring_init(kr);
	if (c->has_encrypt && c->keyring_file[0]) {
		snprintf(err, errcap, "-encrypt and -keyring-file cannot be used together "
				      "(as in serf: put the key in the keyring file)");
		return MF_EINVAL;
	}
	if (c->has_encrypt)
		return mf_keyring_add(kr, c->encrypt_key, MF_KEY_LEN);
	if (!c->keyring_file[0])
		return 0;
	return mf_keyring_file_read(c->keyring_file, kr, err, errcap);
}

int mf_config_pool_keyring(const struct mf_agent_config *c, const struct mf_area_config *area,
			   struct mf_keyring *kr, char *err, size_t errcap)
{
	char kerr[300];
	int r = area ? mf_config_read_area_keyring(area, kr, kerr, sizeof(kerr))
		     : mf_config_read_keyring(c, kr, kerr, sizeof(kerr));
	if (r < 0)
		snprintf(err, errcap, "%s%s%s%s", area ? "area " : "", area ? area->name : "",
			 area ? ": " : "", kerr);
	/* encrypt_verify_*: the agent's, for every pool (docs/security.md). */
	kr->accept_plain = !c->encrypt_verify_incoming;
	kr->send_plain = !c->encrypt_verify_outgoing;
	return r;
}

int mf_config_check(const struct mf_agent_config *c, char *err, size_t errcap)
{
	if (!c->wan && c->n_areas == 0) {
		snprintf(err, errcap, "the WAN pool is disabled (\"wan\": false) and no area is "
				      "configured: nothing to join");
		return MF_EINVAL;
	}
	for (size_t i = 0; i < 1 + c->n_areas; i++) {
		if (i == 0 && !c->wan)
			continue;
		struct mf_keyring kr;
		mf_keyring_init(&kr);
		int r = mf_config_pool_keyring(c, i ? &c->areas[i - 1] : NULL, &kr, err, errcap);
		mf_keyring_wipe(&kr);
		if (r < 0)
			return r;
	}
	return 0;
}
