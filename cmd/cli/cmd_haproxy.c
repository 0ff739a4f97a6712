/* cmd/cli/cmd_haproxy.c — `meshfed haproxy`: flags, then cmd/haproxy/haproxy_run.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/config/config.h"
#include "cmd/haproxy/haproxy_admin.h"
#include "cmd/haproxy/haproxy_run.h"
#include "gossip/err.h"
#include "gossip/pool.h"
#include "routing/names.h"

#define MAX_TAGS 64

static const struct mf_flag flags[] = {
	{"name", "NAME", "gateway name registered with the agent (required)"},
	{"advertise", "IP:PORT", "HAProxy's listen address other DCs dial: the gateway's wan (required)"},
	{"lan", "IP:PORT", "the gateway's address inside the DC"},
	{"tagged", "dc:NAME=IP:PORT", "the address DC NAME must dial instead of -advertise (repeatable)"},
	{"route-socket", "PATH", "the agent's route socket (default $MESHFED_ROUTE_SOCKET or /tmp/meshfed-UID-routes.sock)"},
	{"admin", "PATH", "HAProxy's admin socket, `stats socket ... level admin` (default /run/haproxy/admin.sock)"},
	{"map-file", "PATH", "the DC map as haproxy.cfg names it; rewritten in step (default /etc/haproxy/meshfed-dc.map)"},
	{"slot-prefix", "NAME", "next-hop slot backends are NAME0, NAME1, ... (default be_dc_slot)"},
	{"log-level", "LEVEL", "debug, info, warn or error (default info)"},
};
#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

static const char *summary =
	"Keeps a running HAProxy 2.6 in line with this DC's next-hop table and\n"
	"registers it as a mesh gateway of the DC: subscribes to the co-located\n"
	"agent's route socket, sets the DC map entries and the next-hop slot\n"
	"backends' server addresses over HAProxy's admin socket (no reload, no\n"
	"dropped connection), rewrites the map file in step, and reports health\n"
	"every 5 s (ok while the admin socket answers). docs/haproxy.md explains\n"
	"the config it expects (docs/haproxy.cfg).";

static bool addr_ok(const char *s)
{
	struct mf_addr a;
	return mf_addr_parse(s, 0, &a) == 0 && a.port != 0;
}

/* "dc:NAME=IP:PORT" into tag (malloc'd key and addr). */
static int parse_tagged(const char *v, struct mf_gateway_tag *tag)
{
	const char *eq = strchr(v, '=');
	if (strncmp(v, "dc:", 3) != 0 || !eq || !mf_rt_name_valid(v + 3, (size_t)(eq - v - 3)) ||
	    !addr_ok(eq + 1))
		return MF_EINVAL;
	tag->key = strndup(v, (size_t)(eq - v));
	tag->addr = strdup(eq + 1);
	return tag->key && tag->addr ? 0 : MF_ENOMEM;
}

int mf_cmd_haproxy(int argc, char **argv)
{
	const char *pos[1];
	struct mf_flag_hit hits[128];
	struct mf_flags_result res = {hits, 128, 0, pos, 1, 0};
	int r = mf_cli_parse("haproxy", "haproxy -name NAME -advertise IP:PORT [options]", summary, flags,
			     N_FLAGS, argc, argv, &res);
	if (r >= 0)
		return r;
	if ((r = mf_cli_no_args("haproxy", &res)) != MF_EXIT_OK)
		return r;
	struct mf_gateway_tag tags[MAX_TAGS];
	char route_socket[MF_CONFIG_SOCK_MAX + 1] = "";
	enum mf_log_level level = MF_LOG_INFO;
	struct mf_log log;
	struct mf_hap_opts o = {
		.sync = {.admin = "/run/haproxy/admin.sock", .map_file = "/etc/haproxy/meshfed-dc.map",
			 .slot_prefix = "be_dc_slot", .timeout_ms = MF_HAP_ADMIN_TIMEOUT_MS, .log = &log},
		.gw = {.tags = tags},
		.interval_ms = MF_HAP_INTERVAL_MS,
	};
	int code = MF_EXIT_FAIL;
	for (size_t i = 0; i < res.n_hits; i++) {
		const char *name = flags[hits[i].index].name, *v = hits[i].value;
		if (strcmp(name, "name") == 0) {
			o.gw.name = (char *)v;
		} else if (strcmp(name, "advertise") == 0 || strcmp(name, "lan") == 0) {
			if (!addr_ok(v)) {
				mf_cli_error("haproxy", "-%s: \"%s\" is not IP:PORT", name, v);
				goto out;
			}
			*(name[0] == 'a' ? &o.gw.wan : &o.gw.lan) = (char *)v;
		} else if (strcmp(name, "tagged") == 0) {
			if (o.gw.n_tags == MAX_TAGS) {
				mf_cli_error("haproxy", "-tagged: more than %d", MAX_TAGS);
				goto out;
			}
			if ((r = parse_tagged(v, &tags[o.gw.n_tags])) < 0) {
				free(tags[o.gw.n_tags].key);
				free(tags[o.gw.n_tags].addr);
				mf_cli_error("haproxy", "-tagged: \"%s\" is not dc:NAME=IP:PORT", v);
				goto out;
			}
			o.gw.n_tags++;
		} else if (strcmp(name, "route-socket") == 0) {
			snprintf(route_socket, sizeof(route_socket), "%s", v);
		} else if (strcmp(name, "admin") == 0) {
			o.sync.admin = v;
		} else if (strcmp(name, "map-file") == 0) {
			o.sync.map_file = v;
		} else if (strcmp(name, "slot-prefix") == 0) {
			o.sync.slot_prefix = v;
		} else if (mf_log_level_parse(v, &level) < 0) {
			mf_cli_error("haproxy", "-log-level: \"%s\" is not debug, info, warn or error", v);
			goto out;
		}
	}
	if (!o.gw.name || !o.gw.wan) {
		mf_cli_error("haproxy", "-name and -advertise are required (see meshfed haproxy -h)");
		code = MF_EXIT_USAGE;
		goto out;
	}
	if (!route_socket[0])
		mf_config_default_route_socket(route_socket, sizeof(route_socket));
	o.route_socket = route_socket;
	mf_log_init(&log, stderr, level);
	mf_log_info(&log, "meshfed haproxy: gateway %s, HAProxy admin socket %s, map %s, slots %s<N>",
		    o.gw.name, o.sync.admin, o.sync.map_file, o.sync.slot_prefix);
	r = mf_hap_run(&o);
	if (r < 0)
		mf_log_error(&log, "meshfed haproxy: stopping: %s", mf_strerror(r));
	else
		code = MF_EXIT_OK;
	mf_hap_sync_free(&o.sync);
out:
	for (size_t i = 0; i < o.gw.n_tags; i++) {
		free(tags[i].key);
		free(tags[i].addr);
	}
	return code;
}
