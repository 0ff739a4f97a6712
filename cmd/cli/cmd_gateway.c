/* cmd/cli/cmd_gateway.c — `meshfed gateway`: parse flags and config, run the
 * mesh gateway (cmd/gateway/). */
#include <stdio.h>

#include "cmd/cli/cli.h"
#include "cmd/gateway/gwd.h"

static const char *summary =
	"Runs a mesh gateway: reads the SNI of each TLS connection without decrypting it\n"
	"(<service>.<ns>.<dc>.internal.<trust-domain>, optionally <subset>. in front) and\n"
	"relays the connection to a -service of this DC, or to the gateways of the next\n"
	"hop toward the target DC as the local agent's route socket publishes them, with\n"
	"failover to other gateways and the route's alternates and a PROXY v2 header\n"
	"carrying the hop count (at most 8 hops). Keeps forwarding on the last table\n"
	"while the agent is away. Counters: meshfed info -control PATH. Every flag is\n"
	"also a config-file key (docs/gateway.md); flags override the file.";

int mf_cmd_gateway(int argc, char **argv)
{
	struct mf_gw_options o;
	char err[1024];
	if (mf_gw_options_init(&o) < 0) {
		mf_cli_error("gateway", "out of memory");
		return MF_EXIT_FAIL;
	}
	int r = mf_gw_options_parse_args(&o, argc, argv, err, sizeof(err));
	if (r == MF_FLAGS_HELP) {
		mf_flags_usage(stdout, "gateway -trust-domain TD [options]", summary, mf_gw_flags,
			       mf_gw_flags_n);
		mf_gw_options_free(&o);
		return MF_EXIT_OK;
	}
	if (r != 0) {
		mf_cli_error("gateway", "%s", err);
		mf_gw_options_free(&o);
		return r == MF_FLAGS_USAGE ? MF_EXIT_USAGE : MF_EXIT_FAIL;
	}
	int code = mf_gwd_run(&o, err, sizeof(err));
	if (code != 0 && err[0])
		mf_cli_error("gateway", "%s", err);
	mf_gw_options_free(&o);
	return code;
}
