/* cmd/config/config.c — see cmd/config/config.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>


#include "cmd/config/config.h"
#include "cmd/config/config_file.h"

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

/* The non-zero defaults; every other field starts zero. */
static void set_defaults(struct mf_agent_config *c)
{
	snprintf(c->dc, sizeof(c->dc), "dc1");
	(void)mf_addr_parse("0.0.0.0", MF_DEFAULT_PORT, &c->bind);
	c->profile = MF_PROFILE_WAN;
	c->log_level = MF_LOG_INFO;
	c->retry_interval = 1 * MF_SEC;
	c->retry_max_interval = 30 * MF_SEC;
	c->retry_max = 0;
	c->leave_timeout = 5 * MF_SEC;
	c->drop_report_interval = 30 * MF_SEC;
	c->wan = true;
	c->encrypt_verify_incoming = true;
	c->encrypt_verify_outgoing = true;
	c->routing.transit = true;
	c->routing.hysteresis_pct = -1;
	c->routing.hysteresis_ms = -1;
}

void mf_config_init(struct mf_agent_config *c)
{
	memset(c, 0, sizeof(*c));
	set_defaults(c);
}

struct mf_agent_config *mf_config_new(void)
{
	struct mf_agent_config *c = calloc(1, sizeof(*c));
	if (c)
		set_defaults(c);
	return c;
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

static int parse_addr(struct mf_addr *a, const char *v, char *err, size_t errcap)
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

/* --- the option table ---------------------------------------------------------
 *
 * One row per `meshfed agent` option (as redis's static_configs[]): the flag
 * (its config key is the same name with '_'), its value placeholder and -h
 * help, and how a value is set: a setter with the field's offset and size,
 * an auxiliary offset (the has_ flag of an optional value) and bounds.
 * mf_agent_flags[] (parsing and -h) and mf_config_set() (flags and config
 * keys) both come from MF_AGENT_OPTIONS, so a flag and its key cannot drift
 * apart. Keys that are not scalars (areas, routing, gateways, tags objects)
 * are cmd/config/config_areas.c's and mf_config_apply_json's.
 */

struct agent_option;
typedef int (*option_set_fn)(struct mf_agent_config *c, const struct agent_option *o,
			     const char *v, char *err, size_t errcap);

struct agent_option {
	const char *name;
	option_set_fn set;
	size_t off, size, aux;
	long min, max;
	const char *what; /* names the value in errors */
};

#define FIELD(f) offsetof(struct mf_agent_config, f), sizeof(((struct mf_agent_config *)0)->f)
#define AUX(f) offsetof(struct mf_agent_config, f)
#define AT(c, o, type) ((type *)((uint8_t *)(c) + (o)->off))

static int set_unknown(struct mf_agent_config *c, const struct agent_option *o, const char *v,
		       char *err, size_t errcap)
{
	(void)c, (void)o, (void)v;
	snprintf(err, errcap, "unknown key");
	return MF_EINVAL;
}

static int set_str(struct mf_agent_config *c, const struct agent_option *o, const char *v,
		   char *err, size_t errcap)
{
	return copy_str(AT(c, o, char), o->size, v, o->what, err, errcap);
}

static int set_addr(struct mf_agent_config *c, const struct agent_option *o, const char *v,
		    char *err, size_t errcap)
{
	if (parse_addr(AT(c, o, struct mf_addr), v, err, errcap) < 0)
		return MF_EINVAL;
	if (o->aux)
		*(bool *)((uint8_t *)c + o->aux) = true;
	return 0;
}

static int set_join(struct mf_agent_config *c, const struct agent_option *o, const char *v,
		    char *err, size_t errcap)
{
	struct mf_addr a;
	(void)o;
	if (parse_addr(&a, v, err, errcap) < 0)
		return MF_EINVAL;
	if (c->n_join == MF_CONFIG_MAX_JOIN) {
		snprintf(err, errcap, "more than %d join addresses", MF_CONFIG_MAX_JOIN);
		return MF_EINVAL;
	}
	return copy_str(c->join[c->n_join++], MF_CONFIG_ADDR_MAX, v, "address", err, errcap);
}

static int set_encrypt(struct mf_agent_config *c, const struct agent_option *o, const char *v,
		       char *err, size_t errcap)
{
	(void)o;
	int r = mf_keyring_decode_b64(v, c->encrypt_key);
	if (r < 0) {
		snprintf(err, errcap, "%s",
			 r == MF_EKEYSIZE ? "key must decode to 32 bytes (AES-256; try meshfed keygen)"
					  : "key is not valid base64 (try meshfed keygen)");
		return MF_EINVAL;
	}
	c->has_encrypt = true;
	return 0;
}

static int set_profile(struct mf_agent_config *c, const struct agent_option *o, const char *v,
		       char *err, size_t errcap)
{
	if (mf_profile_parse(v, AT(c, o, enum mf_profile)) < 0) {
		snprintf(err, errcap, "\"%s\" is not a profile (wan, lan or local)", v);
		return MF_EINVAL;
	}
	return 0;
}

static int set_tag_kv(struct mf_agent_config *c, const struct agent_option *o, const char *v,
		      char *err, size_t errcap)
{
	(void)o;
	const char *eq = strchr(v, '=');
	if (!eq) {
		snprintf(err, errcap, "\"%s\" is not KEY=VALUE", v);
		return MF_EINVAL;
	}
	return set_tag(c, v, (size_t)(eq - v), eq + 1, err, errcap);
}

static int set_level(struct mf_agent_config *c, const struct agent_option *o, const char *v,
		     char *err, size_t errcap)
{
	if (mf_log_level_parse(v, AT(c, o, enum mf_log_level)) < 0) {
		snprintf(err, errcap, "\"%s\" is not a level (debug, info, warn, error)", v);
		return MF_EINVAL;
	}
	return 0;
}

static int set_bool(struct mf_agent_config *c, const struct agent_option *o, const char *v,
		    char *err, size_t errcap)
{
	if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
		snprintf(err, errcap, "\"%s\" must be true or false", v);
		return MF_EINVAL;
	}
	*AT(c, o, bool) = v[0] == 't';
	return 0;
}

static int set_log_format(struct mf_agent_config *c, const struct agent_option *o,
			  const char *v, char *err, size_t errcap)
{
	if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
		snprintf(err, errcap, "\"%s\" is not a log format (text or json)", v);
		return MF_EINVAL;
	}
	*AT(c, o, bool) = v[0] == 'j';
	return 0;
}

static int set_duration(struct mf_agent_config *c, const struct agent_option *o,
			const char *v, char *err, size_t errcap)
{
	mf_time_t d;
	if (mf_config_parse_duration(v, &d) < 0 || d <= 0) {
		snprintf(err, errcap, "\"%s\" is not a positive duration (like 500ms, 5s, 1m30s)", v);
		return MF_EINVAL;
	}
	*AT(c, o, mf_time_t) = d;
	return 0;
}

static int set_int(struct mf_agent_config *c, const struct agent_option *o, const char *v,
		   char *err, size_t errcap)
{
	long x;
	if (parse_int(v, o->min, o->max, &x) < 0) {
		snprintf(err, errcap, "\"%s\" is not an integer in [%ld, %ld]", v, o->min, o->max);
		return MF_EINVAL;
	}
	*AT(c, o, int) = (int)x;
	return 0;
}

/* A timing override: its entry of mf_config_timing_keys (by name). */
static int set_timing(struct mf_agent_config *c, const struct agent_option *o, const char *v,
		      char *err, size_t errcap)
{
	char name[64];
	normalize(o->name, name, sizeof(name));
	size_t i = 0;
	while (i < mf_config_timing_keys_n && strcmp(mf_config_timing_keys[i].name, name) != 0)
		i++;
	if (i == mf_config_timing_keys_n)
		return set_unknown(c, o, v, err, errcap);
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

#define NONE 0, 0, 0, 0, 0, NULL
#define TIMING(X, flag, arg, help) X(flag, arg, help, set_timing, NONE)
/* X(flag, ARG, help, setter, offset, size, aux, min, max, what); FIELD() is offset,
 * size and NONE the five after the setter, for setters that need no field. */
#define MF_AGENT_OPTIONS(X)                                                                     \
	X("config-file", "PATH",                                                                \
	  "JSON config file (keys, incl. areas, routing, gateways: docs/cli.md); flags override it", \
	  set_unknown, NONE)                                                                    \
	X("node", "NAME", "node name (default: the host name)", set_str, FIELD(node), 0, 0, 0,  \
	  "node name")                                                                          \
	X("dc", "DC", "datacenter, announced as tag dc=DC (default dc1)", set_str, FIELD(dc), 0, \
	  0, 0, "datacenter")                                                                   \
	X("bind", "IP:PORT", "UDP and TCP address to bind (default 0.0.0.0:7946)", set_addr,    \
	  FIELD(bind), 0, 0, 0, NULL)                                                           \
	X("advertise", "IP:PORT", "address told to peers (default: the bind address)", set_addr, \
	  FIELD(advertise), AUX(has_advertise), 0, 0, NULL)                                     \
	X("join", "ADDR", "agent to join at start, retried with backoff (repeatable)", set_join, \
	  NONE)                                                                                 \
	X("encrypt", "KEY", "base64 32-byte gossip key (see meshfed keygen)", set_encrypt, NONE) \
	X("keyring-file", "PATH",                                                               \
	  "JSON array of base64 keys, the first is primary; rewritten by meshfed keys", set_str, \
	  FIELD(keyring_file), 0, 0, 0, "path")                                                 \
	X("encrypt-verify-incoming", "true|false",                                              \
	  "refuse plaintext gossip when keys are set (default true; false while rolling encryption on)", \
	  set_bool, FIELD(encrypt_verify_incoming), 0, 0, 0, NULL)                              \
	X("encrypt-verify-outgoing", "true|false",                                              \
	  "encrypt what we send when keys are set (default true; false while rolling encryption on)", \
	  set_bool, FIELD(encrypt_verify_outgoing), 0, 0, 0, NULL)                              \
	X("profile", "wan|lan|local", "memberlist timing profile (default wan)", set_profile,    \
	  FIELD(profile), 0, 0, 0, NULL)                                                        \
	X("control", "PATH", "control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)", \
	  set_str, FIELD(control), 0, 0, 0, "control socket path")                              \
	X("route-socket", "PATH",                                                               \
	  "route socket for gateways, mode 0660 (default $MESHFED_ROUTE_SOCKET or "             \
	  "/tmp/meshfed-UID-routes.sock)",                                                      \
	  set_str, FIELD(route_socket), 0, 0, 0, "route socket path")                           \
	X("route-socket-group", "GROUP",                                                        \
	  "group of the route socket file: a name or a gid (default: the agent's)", set_str,    \
	  FIELD(route_socket_group), 0, 0, 0, "group (a name or a gid)")                        \
	X("metrics-addr", "IP:PORT",                                                            \
	  "serve Prometheus metrics on http://IP:PORT/metrics (default off; docs/metrics.md)",   \
	  set_addr, FIELD(metrics_addr), AUX(has_metrics_addr), 0, 0, NULL)                     \
	X("tag", "KEY=VALUE", "tag announced to peers (repeatable)", set_tag_kv, NONE)          \
	X("log-level", "LEVEL", "debug, info, warn or error (default info)", set_level,         \
	  FIELD(log_level), 0, 0, 0, NULL)                                                      \
	X("log-format", "text|json", "log lines as text or one JSON object each (default text)", \
	  set_log_format, FIELD(log_json), 0, 0, 0, NULL)                                       \
	X("snapshot", "PATH",                                                                   \
	  "record members and clocks there; rejoin them after a restart (serf -snapshot)",      \
	  set_str, FIELD(snapshot), 0, 0, 0, "path")                                            \
	X("retry-interval", "DURATION", "first -join retry delay, doubled up to 30s (default 1s)", \
	  set_duration, FIELD(retry_interval), 0, 0, 0, NULL)                                   \
	X("retry-max", "N", "give up joining after N rounds (default 0: never)", set_int,       \
	  FIELD(retry_max), 0, 0, INT_MAX, NULL)                                                \
	X("leave-timeout", "DURATION", "graceful leave budget on SIGINT/SIGTERM (default 5s)",  \
	  set_duration, FIELD(leave_timeout), 0, 0, 0, NULL)                                    \
	X("drop-report-interval", "DURATION",                                                   \
	  "log the drop counters that moved this often, at warn (default 30s)", set_duration,  \
	  FIELD(drop_report_interval), 0, 0, 0, NULL)                                           \
	TIMING(X, "probe-interval", "DURATION", "timing override (also every key of docs/cli.md)") \
	TIMING(X, "probe-timeout", "DURATION", "timing override")                                  \
	TIMING(X, "gossip-interval", "DURATION", "timing override")                                \
	TIMING(X, "push-pull-interval", "DURATION", "timing override")                             \
	TIMING(X, "tcp-timeout", "DURATION", "timing override")                                    \
	TIMING(X, "gossip-to-the-dead", "DURATION", "timing override")                             \
	TIMING(X, "reconnect-interval", "DURATION", "timing override")                             \
	TIMING(X, "reconnect-timeout", "DURATION", "timing override")                              \
	TIMING(X, "tombstone-timeout", "DURATION", "timing override")                              \
	TIMING(X, "indirect-checks", "N", "timing override")                                       \
	TIMING(X, "retransmit-mult", "N", "timing override")                                       \
	TIMING(X, "suspicion-mult", "N", "timing override")                                        \
	TIMING(X, "suspicion-max-timeout-mult", "N", "timing override")                            \
	TIMING(X, "gossip-nodes", "N", "timing override")                                          \
	TIMING(X, "awareness-max-multiplier", "N", "timing override")                              \
	TIMING(X, "udp-buffer-size", "N", "timing override (bytes)")                               \
	TIMING(X, "max-members", "N",                                                              \
	       "members held per pool, failed/left included; more names are refused (default 10000)")

#define AS_FLAG(flag, arg, help, ...) {flag, arg, help},
#define AS_OPTION(flag, arg, help, set, ...) {flag, set, __VA_ARGS__},

const struct mf_flag mf_agent_flags[] = {MF_AGENT_OPTIONS(AS_FLAG)};
const size_t mf_agent_flags_n = sizeof(mf_agent_flags) / sizeof(mf_agent_flags[0]);
static const struct agent_option agent_options[] = {MF_AGENT_OPTIONS(AS_OPTION)};
#define N_OPTIONS (sizeof(agent_options) / sizeof(agent_options[0]))

static const struct agent_option *find_option(const char *key)
{
	char k[64], name[64];
	normalize(key, k, sizeof(k));
	for (size_t i = 0; i < N_OPTIONS; i++) {
		normalize(agent_options[i].name, name, sizeof(name));
		if (strcmp(k, name) == 0)
			return &agent_options[i];
	}
	return NULL;
}

int mf_config_set(struct mf_agent_config *c, const char *key, const char *v, char *err,
		  size_t errcap)
{
	const struct agent_option *o = find_option(key);
	if (!o) {
		snprintf(err, errcap, "unknown key");
		return MF_EINVAL;
	}
	return o->set(c, o, v, err, errcap);
}

/* --- config file ------------------------------------------------------------*/

static bool is_duration_key(const char *k)
{
	const struct agent_option *o = find_option(k);
	if (o && o->set == set_duration)
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

static int keys_set(void *ctx, const char *key, const char *v, char *msg, size_t cap)
{
	return mf_config_set(ctx, key, v, msg, cap);
}

/* One top-level key of the agent's config file (mf_config_apply_object). */
static int apply_key(void *ctx, const char *key, const json_t *v, char *msg, size_t cap)
{
	struct mf_agent_config *c = ctx;
	int r = 0;
	if (mf_config_apply_areas_key(c, key, v, msg, cap, &r))
		return r; /* handled by cmd/config/config_areas.c */
	if (strcmp(key, "join") == 0 && json_is_array(v))
		return mf_config_apply_strings(keys_set, c, "join", v, msg, cap);
	if (strcmp(key, "tags") == 0) {
		const char *tk;
		json_t *tv;
		if (!json_is_object(v)) {
			snprintf(msg, cap, "must be an object of strings");
			return MF_EINVAL;
		}
		json_object_foreach((json_t *)v, tk, tv) {
			if (!json_is_string(tv)) {
				snprintf(msg, cap, "tag \"%s\" must be a string", tk);
				return MF_EINVAL;
			}
			if ((r = set_tag(c, tk, strlen(tk), json_string_value(tv), msg, cap)) < 0)
				return r;
		}
		return 0;
	}
	return apply_value(c, key, v, msg, cap);
}

/* The agent's keys, for cmd/config/config_file.h. */
static struct mf_config_keys agent_keys(struct mf_agent_config *c)
{
	return (struct mf_config_keys){c, keys_set, apply_key, "tag"};
}

int mf_config_apply_json(struct mf_agent_config *c, const json_t *root, char *err, size_t errcap)
{
	struct mf_config_keys k = agent_keys(c);
	return mf_config_apply_object(&k, root, err, errcap);
}

int mf_config_load_file(struct mf_agent_config *c, const char *path, char *err, size_t errcap)
{
	struct mf_config_keys k = agent_keys(c);
	return mf_config_file_load(&k, path, err, errcap);
}

/* --- command line -----------------------------------------------------------*/

int mf_config_parse_args(struct mf_agent_config *c, int argc, char **argv, char *err,
			 size_t errcap)
{
	struct mf_config_keys k = agent_keys(c);
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
