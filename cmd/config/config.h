/*
 * cmd/config/config.h — the agent's configuration: flags, the JSON config file,
 * durations, and how they combine.
 *
 * Precedence: built-in defaults < config file(s) (-config-file, in order) <
 * flags. Lists (`join`) append, maps (`tags`) merge key by key. Every key is
 * validated when it is set, so an error names the flag or key and the value.
 *
 * Contract: pure parsing apart from mf_config_load_file() and the keyring
 * readers (cmd/config/config_keyring.c: mf_config_read_keyring,
 * mf_config_read_area_keyring, mf_config_pool_keyring), which read the
 * files they are given. No globals: the option table (cmd/config/config.c,
 * MF_AGENT_OPTIONS) and the timing keys are const. cmd/config/config.c uses
 * cmd/config/config_areas.c and cmd/config/config_keyring.c; neither calls back.
 */
#ifndef MF_CMD_CONFIG_H
#define MF_CMD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cmd/config/flags.h"
#include "gossip/keyring.h"
#include "gossip/pool.h"

#define MF_CONFIG_MAX_JOIN 64
#define MF_CONFIG_MAX_TAGS 64
#define MF_CONFIG_ADDR_MAX 64
#define MF_CONFIG_PATH_MAX 4096
#define MF_CONFIG_SOCK_MAX 107 /* sun_path minus the NUL */
#define MF_CONFIG_GROUP_MAX 63
#define MF_CONFIG_DC_MAX 63
#define MF_CONFIG_TAG_KEY_MAX 63  /* gossip/serf.h MF_TAG_KEY_MAX - 1 */
#define MF_CONFIG_TAG_VALUE_MAX 255
#define MF_DEFAULT_PORT 7946
#define MF_CONFIG_MAX_AREAS 16
#define MF_CONFIG_AREA_NAME_MAX 63
#define MF_CONFIG_MAX_PEERS 32        /* DCs per area */
#define MF_CONFIG_MAX_AREA_JOIN 16
#define MF_CONFIG_MAX_TARGETS 64      /* routing.targets entries */
#define MF_CONFIG_MAX_GATEWAYS 8
#define MF_CONFIG_MAX_GW_TAGS 8

enum mf_log_level { MF_LOG_DEBUG = 0, MF_LOG_INFO, MF_LOG_WARN, MF_LOG_ERROR };
int mf_log_level_parse(const char *s, enum mf_log_level *out);

struct mf_config_tag {
	char key[MF_CONFIG_TAG_KEY_MAX + 1];
	char value[MF_CONFIG_TAG_VALUE_MAX + 1];
};

/* One network area: a gossip pool of its own, shared with the servers of
 * `peers` (DC names). Encryption and profile are the area's own. */
struct mf_area_config {
	char name[MF_CONFIG_AREA_NAME_MAX + 1];
	char peers[MF_CONFIG_MAX_PEERS][MF_CONFIG_DC_MAX + 1];
	size_t n_peers;
	struct mf_addr bind;
	struct mf_addr advertise;
	bool has_advertise;
	char join[MF_CONFIG_MAX_AREA_JOIN][MF_CONFIG_ADDR_MAX];
	size_t n_join;
	uint8_t encrypt_key[MF_KEY_LEN];
	bool has_encrypt;
	char keyring_file[MF_CONFIG_PATH_MAX];
	enum mf_profile profile;       /* default: the agent's profile */
	bool has_profile;
};

/* Routing between DCs (docs/routing.md). */
struct mf_routing_target_config {
	char dc[MF_CONFIG_DC_MAX + 1];
	int mode;                      /* enum mf_route_mode */
};

struct mf_routing_agent_config {
	int default_mode;              /* enum mf_route_mode, default multi-hop */
	struct mf_routing_target_config targets[MF_CONFIG_MAX_TARGETS];
	size_t n_targets;
	bool transit;                  /* default true */
	double hysteresis_pct;         /* < 0: the engine's default */
	double hysteresis_ms;
	bool require_gateways;         /* a DC without a healthy gateway carries nothing */
};

struct mf_gateway_config {
	char name[MF_CONFIG_ADDR_MAX];
	char lan[MF_CONFIG_ADDR_MAX];
	char wan[MF_CONFIG_ADDR_MAX];
	char tag_keys[MF_CONFIG_MAX_GW_TAGS][MF_CONFIG_DC_MAX + 4]; /* "dc:<name>" */
	char tag_addrs[MF_CONFIG_MAX_GW_TAGS][MF_CONFIG_ADDR_MAX];
	size_t n_tags;
};

struct mf_agent_config {
	char node[MF_NAME_MAX + 1];            /* "": the host name */
	char dc[MF_CONFIG_DC_MAX + 1];         /* default "dc1" */
	struct mf_addr bind;                   /* default 0.0.0.0:7946 */
	struct mf_addr advertise;
	bool has_advertise;                    /* else derived from bind */
	char join[MF_CONFIG_MAX_JOIN][MF_CONFIG_ADDR_MAX];
	size_t n_join;
	uint8_t encrypt_key[MF_KEY_LEN];
	bool has_encrypt;
	char keyring_file[MF_CONFIG_PATH_MAX]; /* "": none */
	bool encrypt_verify_incoming;          /* default true (memberlist GossipVerifyIncoming) */
	bool encrypt_verify_outgoing;          /* default true (memberlist GossipVerifyOutgoing) */
	enum mf_profile profile;               /* default wan */
	char control[MF_CONFIG_SOCK_MAX + 1];  /* "": mf_config_default_control() */
	char route_socket[MF_CONFIG_SOCK_MAX + 1]; /* "": mf_config_default_route_socket() */
	char route_socket_group[MF_CONFIG_GROUP_MAX + 1]; /* name or gid; "": ours */
	struct mf_addr metrics_addr;           /* GET /metrics (cmd/daemon/metrics_http.h) */
	bool has_metrics_addr;                 /* default off */
	struct mf_config_tag tags[MF_CONFIG_MAX_TAGS]; /* user tags (not dc/role) */
	size_t n_tags;
	enum mf_log_level log_level;           /* default info */
	bool log_json;                         /* -log-format json: one object a line */
	char snapshot[MF_CONFIG_PATH_MAX];     /* -snapshot: "" none */
	struct mf_pool_timing timing;          /* overrides, see timing_set */
	uint32_t timing_set;                   /* bit i: mf_config_timing_keys[i] */
	mf_time_t retry_interval;              /* first -join retry delay: 1 s */
	mf_time_t retry_max_interval;          /* backoff cap: 30 s */
	int retry_max;                         /* join rounds; 0 = until one succeeds */
	mf_time_t leave_timeout;               /* graceful leave budget: 5 s */
	mf_time_t drop_report_interval;        /* drop counters logged this often: 30 s */
	bool wan;                              /* the WAN pool (default true) */
	struct mf_area_config areas[MF_CONFIG_MAX_AREAS];
	size_t n_areas;
	struct mf_routing_agent_config routing;
	struct mf_gateway_config gateways[MF_CONFIG_MAX_GATEWAYS];
	size_t n_gateways;
};

/* All defaults. */
void mf_config_init(struct mf_agent_config *c);
/* A defaulted config from calloc (free it with free), or NULL. Unlike
 * mf_config_init it writes only the defaults, not the whole struct: the
 * fixed arrays (areas, paths, tags: most of its ~165 KB) stay untouched,
 * so their pages are never mapped unless a flag or file fills them. The
 * agent holds its config this way for its whole life. */
struct mf_agent_config *mf_config_new(void);

/* Go-style duration: "500ms", "5s", "1m30s", "1.5h", "250us", "10ns".
 * A unit is required; the result must fit. MF_EINVAL otherwise. */
int mf_config_parse_duration(const char *s, mf_time_t *out);

/* Sets one key from a string, as a flag does. `key` may use '-' or '_'
 * ("log-level" == "log_level"); "tag" takes "k=v", "join" appends. On error
 * returns MF_EINVAL with a message (without the key name) in err. */
int mf_config_set(struct mf_agent_config *c, const char *key, const char *value, char *err,
		  size_t errcap);

/* Applies a parsed config-file object. Error messages name the key:
 * `key "probe_interval": "5x" is not a duration ...`. */
int mf_config_apply_json(struct mf_agent_config *c, const json_t *root, char *err, size_t errcap);
/* Reads and applies one JSON config file; errors name the file. */
int mf_config_load_file(struct mf_agent_config *c, const char *path, char *err, size_t errcap);

/* The `meshfed agent` flag table (for parsing and -h). */
extern const struct mf_flag mf_agent_flags[];
extern const size_t mf_agent_flags_n;

/* Parses `meshfed agent` arguments (after "agent"): loads -config-file(s)
 * first, then applies the other flags in order. Returns 0, MF_FLAGS_HELP,
 * MF_FLAGS_USAGE (bad syntax) or MF_EINVAL (bad value); err names the flag. */
int mf_config_parse_args(struct mf_agent_config *c, int argc, char **argv, char *err,
			 size_t errcap);

/* The profile's timings with the overrides applied. */
void mf_config_timing(const struct mf_agent_config *c, struct mf_pool_timing *t);

/* The keys of -encrypt or the keyring file (serf's format: a JSON array of
 * base64 keys, the first one primary). Empty keyring when neither is set.
 * Both set is an error, as in serf. */
int mf_config_read_keyring(const struct mf_agent_config *c, struct mf_keyring *kr, char *err,
			   size_t errcap);

/* The keys of one pool: the WAN pool's (area NULL) or an area's; errors as
 * the agent reports them ("area NAME: keyring file ..."). */
int mf_config_pool_keyring(const struct mf_agent_config *c, const struct mf_area_config *area,
			   struct mf_keyring *kr, char *err, size_t errcap);

/* What the agent checks of a parsed config before it opens anything: a pool
 * to run and every pool's keys readable. `meshfed validate` and the agent's
 * start share it, so both report the same one-line errors. */
int mf_config_check(const struct mf_agent_config *c, char *err, size_t errcap);

/* Config-file keys of cmd/config/config_areas.c: "wan", "areas", "routing",
 * "gateways". Returns 1 when key is one of them (0 or MF_EINVAL with msg
 * set by then), 0 when it is not. */
int mf_config_apply_areas_key(struct mf_agent_config *c, const char *key, const json_t *v,
			      char *msg, size_t cap, int *rc);

/* The keys of an area's encrypt / keyring_file, as mf_config_read_keyring. */
int mf_config_read_area_keyring(const struct mf_area_config *a, struct mf_keyring *kr,
				char *err, size_t errcap);

/* Control socket path: $MESHFED_CONTROL, else /tmp/meshfed-<uid>.sock. */
void mf_config_default_control(char *buf, size_t cap);
/* Route socket path: $MESHFED_ROUTE_SOCKET, else /tmp/meshfed-<uid>-routes.sock. */
void mf_config_default_route_socket(char *buf, size_t cap);

/* Timing key names (config keys and flags), in struct mf_pool_timing order. */
struct mf_config_timing_key {
	const char *name;
	size_t offset;   /* into struct mf_pool_timing */
	bool duration;   /* mf_time_t; else int */
	int min, max;    /* for ints */
};
extern const struct mf_config_timing_key mf_config_timing_keys[];
extern const size_t mf_config_timing_keys_n;

#endif
