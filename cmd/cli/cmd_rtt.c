/*
 * cmd/cli/cmd_rtt.c — `meshfed rtt NODE_A [NODE_B]` and `meshfed rtt -dc DC_A
 * [DC_B]`: estimated round-trip times from the agent's coordinates.
 * Output mimics serf's cmd/serf/command/rtt.go:
 *   Estimated a <-> b rtt: 0.412 ms (using wan coordinates)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/cli/control_client.h"

static const struct mf_flag flags[] = {
	{"dc", NULL, "the arguments are datacenters: median over their alive servers (as Consul)"},
	{"pool", "NAME", "only this pool's coordinates (wan or an area's name)"},
	{"format", "text|json", "output format (default text)"},
	{"control", "PATH", "agent's control socket (default $MESHFED_CONTROL or /tmp/meshfed-UID.sock)"},
};

int mf_cmd_rtt(int argc, char **argv)
{
	const char *pos[3];
	struct mf_flag_hit hits[16];
	struct mf_flags_result res = {hits, 16, 0, pos, 3, 0};
	int r = mf_cli_parse(
		"rtt", "rtt [options] NODE_A [NODE_B]\n       meshfed rtt -dc [options] DC_A [DC_B]",
		"Estimates the round-trip time between two nodes from their network "
		"coordinates (as serf rtt; with one node, from this agent to it; the same "
		"answer from either end). With -dc DC, between this agent and a datacenter: "
		"the median over the DC's alive servers, as Consul ranks DCs, of this agent's "
		"own measured RTT where it probed them, else coordinates (the distance routing "
		"uses). With -dc DC_A DC_B, the measured distance of the direct link A-B as A "
		"(else B) advertises it in its routing advertisement, the distance the route "
		"tables use; for a pair no one measures (or with -pool), the median of "
		"coordinate distances over their server pairs. The output says which.",
		flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &res);
	if (r >= 0)
		return r;
	if (res.n_pos < 1 || res.n_pos > 2) {
		mf_cli_error("rtt", "one or two node (or, with -dc, datacenter) names are required");
		return MF_EXIT_USAGE;
	}
	int json, dc = 0;
	const char *control, *pool;
	if ((r = mf_cli_common_flags("rtt", flags, &res, &control, &pool, &json)) != MF_EXIT_OK)
		return r;
	for (size_t i = 0; i < res.n_hits; i++)
		if (strcmp(flags[hits[i].index].name, "dc") == 0)
			dc = strcmp(hits[i].value, "false") != 0;
	json_t *nodes = json_array();
	for (size_t i = 0; i < res.n_pos; i++)
		json_array_append_new(nodes, json_string(res.pos[i]));
	json_t *req = json_pack("{s:s,s:o,s:b}", "cmd", "rtt", "nodes", nodes, "dc", dc), *resp;
	if (pool)
		json_object_set_new(req, "pool", json_string(pool));
	r = mf_cli_control_call("rtt", control, req, MF_CTL_TIMEOUT_MS, &resp);
	json_decref(req);
	if (r != MF_EXIT_OK)
		return r;
	if (json) {
		json_object_del(resp, "ok");
		char *s = json_dumps(resp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		const char *by = json_string_value(json_object_get(resp, "advertised_by"));
		if (by) /* the measured link, from a routing advertisement */
			printf("Estimated %s <-> %s rtt: %.3f ms (measured link, as %s advertises it)\n",
			       json_string_value(json_object_get(resp, "a")),
			       json_string_value(json_object_get(resp, "b")),
			       json_real_value(json_object_get(resp, "rtt_ms")), by);
		else
			printf("Estimated %s <-> %s rtt: %.3f ms (using %s coordinates%s%s)\n",
			       json_string_value(json_object_get(resp, "a")),
			       json_string_value(json_object_get(resp, "b")),
			       json_real_value(json_object_get(resp, "rtt_ms")),
			       json_string_value(json_object_get(resp, "pool")), dc ? ", " : "",
			       dc ? json_string_value(json_object_get(resp, "estimate")) : "");
	}
	json_decref(resp);
	return MF_EXIT_OK;
}
