/*
 * cmd/gateway/options.h — `meshfed gateway`'s configuration: flags, the JSON
 * config file, defaults and validation (docs/gateway.md).
 *
 * Precedence as for the agent (cmd/config/config.h): defaults < config file(s)
 * (-config-file, in order) < flags. Lists (-listen, -service, -tagged)
 * append; a -service NAME given twice collects endpoints for that NAME.
 * Every value is checked when it is set, so an error names the flag or key
 * and the value; mf_gw_options_finish() checks what only the whole set can
 * (required -trust-domain, a dialable -advertise).
 *
 * Contract: pure parsing apart from mf_gw_options_load_file(), which reads
 * the file it is given, and the defaults that read the environment
 * ($MESHFED_ROUTE_SOCKET, the host name). No globals besides the const flag
 * table.
 */
#ifndef MF_CMD_GATEWAY_OPTIONS_H
#define MF_CMD_GATEWAY_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cmd/config/config.h"
#include "cmd/config/flags.h"
#include "gossip/pool.h"

#define MF_GW_MAX_LISTEN 16
#define MF_GW_MAX_TAGGED 16
#define MF_GW_MAX_SERVICES 256
#define MF_GW_MAX_SERVICE_ADDRS 32  /* endpoints per service name */
#define MF_GW_LABEL_MAX 63          /* one DNS label, bytes */
#define MF_GW_NAME_MAX 255          /* gateway name, trust domain */

/* A service of this DC: SNI `[subset.]service.namespace.<dc>.internal.<td>`
 * is sent to one of addrs. Names are stored lower-case (SNI is
 * case-insensitive); subset is "" when none. */
struct mf_gw_service {
	char subset[MF_GW_LABEL_MAX + 1];
	char service[MF_GW_LABEL_MAX + 1];
	char ns[MF_GW_LABEL_MAX + 1];
	size_t n_addrs;
	struct mf_addr addrs[MF_GW_MAX_SERVICE_ADDRS];
};

struct mf_gw_options {
	char name[MF_GW_NAME_MAX + 1];        /* default: the host name */
	char dc[MF_GW_LABEL_MAX + 1];         /* "": learnt from the agent's hello */
	struct mf_addr listen[MF_GW_MAX_LISTEN];
	size_t n_listen;                      /* 0 after parsing: 0.0.0.0:8443 */
	struct mf_addr advertise;             /* the "wan" address registered */
	bool has_advertise;                   /* else the first listen address */
	struct mf_addr lan;
	bool has_lan;                         /* else the advertise address */
	char tag_keys[MF_GW_MAX_TAGGED][MF_GW_LABEL_MAX + 4]; /* "dc:<name>" */
	struct mf_addr tag_addrs[MF_GW_MAX_TAGGED];
	size_t n_tagged;
	char route_socket[MF_CONFIG_SOCK_MAX + 1]; /* "": mf_config_default_route_socket() */
	char trust_domain[MF_GW_NAME_MAX + 1];     /* required, lower-case */
	struct mf_gw_service *services;       /* MF_GW_MAX_SERVICES, malloc'd */
	size_t n_services;
	char control[MF_CONFIG_SOCK_MAX + 1];  /* "": no control socket */
	struct mf_addr metrics_addr;          /* GET /metrics (cmd/daemon/metrics_http.h) */
	bool has_metrics_addr;                /* default off */
	mf_time_t hello_timeout;              /* ClientHello deadline: 10 s */
	size_t hello_max;                     /* ClientHello bytes: 16 KiB */
	mf_time_t connect_timeout;            /* per upstream attempt: 2 s */
	mf_time_t idle_timeout;               /* relay without traffic: 1 h */
	size_t max_conns;                     /* concurrent connections: 10,000 */
	size_t max_unwritten;                 /* most bytes read at once and held
					       * for one side: 256 KiB */
	enum mf_log_level log_level;
};

/* Defaults; returns MF_ENOMEM when the service array cannot be allocated. */
int mf_gw_options_init(struct mf_gw_options *o);
void mf_gw_options_free(struct mf_gw_options *o);

/* Sets one key from a string, as a flag does ('-' and '_' are the same).
 * On error returns MF_EINVAL with a message (without the key) in err. */
int mf_gw_options_set(struct mf_gw_options *o, const char *key, const char *value, char *err,
		      size_t errcap);
/* Applies a parsed config-file object; errors name the key. */
int mf_gw_options_apply_json(struct mf_gw_options *o, const json_t *root, char *err,
			     size_t errcap);
int mf_gw_options_load_file(struct mf_gw_options *o, const char *path, char *err,
			    size_t errcap);

extern const struct mf_flag mf_gw_flags[];
extern const size_t mf_gw_flags_n;

/* Parses the arguments after "gateway": -config-file(s) first, then the
 * other flags in order, then mf_gw_options_finish(). Returns 0,
 * MF_FLAGS_HELP, MF_FLAGS_USAGE (bad syntax) or MF_EINVAL (bad value). */
int mf_gw_options_parse_args(struct mf_gw_options *o, int argc, char **argv, char *err,
			     size_t errcap);
/* Fills derived defaults (listen, advertise, lan, name) and checks the
 * whole: -trust-domain given, advertise not an unspecified address. */
int mf_gw_options_finish(struct mf_gw_options *o, char *err, size_t errcap);

/* The service registered for (subset or "", service, ns), all lower-case;
 * NULL when none. */
const struct mf_gw_service *mf_gw_options_service(const struct mf_gw_options *o,
						  const char *subset, const char *service,
						  const char *ns);

#endif
