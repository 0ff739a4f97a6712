/* cmd/cli/cli.c — see cmd/cli/cli.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cli/cli.h"
#include "cmd/config/config.h"
#include "cmd/cli/control_client.h"

void mf_cli_error(const char *sub, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Keep it one line whatever the message holds. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "meshfed%s%s: %s\n", sub ? " " : "", sub ? sub : "", msg);
}

int mf_cli_parse(const char *sub, const char *usage, const char *summary,
		 const struct mf_flag *flags, size_t n_flags, int argc, char **argv,
		 struct mf_flags_result *res)
{
	char err[256];
	int r = mf_flags_parse(flags, n_flags, argc, argv, res, err, sizeof(err));
	if (r == MF_FLAGS_HELP) {
		mf_flags_usage(stdout, usage, summary, flags, n_flags);
		return MF_EXIT_OK;
	}
	if (r != 0) {
		mf_cli_error(sub, "%s", err);
		return MF_EXIT_USAGE;
	}
	return -1;
}

void mf_cli_control_path(const char *flag_value, char *buf, size_t cap)
{
	if (flag_value && *flag_value)
		snprintf(buf, cap, "%s", flag_value);
	else
		mf_config_default_control(buf, cap);
}

void mf_cli_route_socket_path(const char *flag_value, char *buf, size_t cap)
{
	if (flag_value && *flag_value)
		snprintf(buf, cap, "%s", flag_value);
	else
		mf_config_default_route_socket(buf, cap);
}

int mf_cli_call(const char *sub, const char *control, const json_t *req, int timeout_ms,
		json_t **resp)
{
	char err[512];
	if (mf_ctl_call(control, req, timeout_ms, resp, err, sizeof(err)) < 0) {
		mf_cli_error(sub, "%s", err);
		return MF_EXIT_FAIL;
	}
	return MF_EXIT_OK;
}

int mf_cli_control_call(const char *sub, const char *control, const json_t *req, int timeout_ms,
			json_t **resp)
{
	char path[4096];
	mf_cli_control_path(control, path, sizeof(path));
	return mf_cli_call(sub, path, req, timeout_ms, resp);
}

int mf_cli_control_cmd(const char *sub, const char *control, const char *pool, json_t **resp)
{
	json_t *req = json_pack("{s:s}", "cmd", sub);
	if (req && pool && json_object_set_new(req, "pool", json_string(pool)) < 0) {
		json_decref(req);
		req = NULL;
	}
	if (!req) {
		mf_cli_error(sub, "out of memory");
		return MF_EXIT_FAIL;
	}
	int r = mf_cli_control_call(sub, control, req, MF_CTL_TIMEOUT_MS, resp);
	json_decref(req);
	return r;
}

const char *mf_cli_last_flag(const struct mf_flags_result *res)
{
	return res->n_hits ? res->hits[res->n_hits - 1].value : NULL;
}

int mf_cli_common_flags(const char *sub, const struct mf_flag *flags,
			const struct mf_flags_result *res, const char **control, const char **pool,
			int *json)
{
	if (control)
		*control = NULL;
	if (pool)
		*pool = NULL;
	if (json)
		*json = 0;
	for (size_t i = 0; i < res->n_hits; i++) {
		const char *name = flags[res->hits[i].index].name, *v = res->hits[i].value;
		if (control && strcmp(name, "control") == 0)
			*control = v;
		else if (pool && strcmp(name, "pool") == 0)
			*pool = v;
		else if (json && strcmp(name, "format") == 0 && (*json = mf_cli_format(sub, v)) < 0)
			return MF_EXIT_FAIL;
	}
	return MF_EXIT_OK;
}

int mf_cli_no_args(const char *sub, const struct mf_flags_result *res)
{
	if (res->n_pos == 0)
		return MF_EXIT_OK;
	mf_cli_error(sub, "unexpected argument \"%s\"", res->pos[0]);
	return MF_EXIT_USAGE;
}

int mf_cli_format(const char *sub, const char *v)
{
	if (strcmp(v, "table") == 0 || strcmp(v, "text") == 0)
		return 0;
	if (strcmp(v, "json") == 0)
		return 1;
	mf_cli_error(sub, "-format: \"%s\" is not a format (table or json)", v);
	return -1;
}
