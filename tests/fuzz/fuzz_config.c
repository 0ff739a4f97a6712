/* libFuzzer target: the agent's config file (cmd/config.c,
 * cmd/config_areas.c): parsed as mf_config_load_file does (jansson,
 * duplicate keys refused) and applied to a default config. A refusal
 * always says why (a non-empty, NUL-terminated message; it quotes the key
 * as written, so a key with a newline gives a two-line message: the file
 * is the operator's). The whole text is also tried as a duration. */
#include <jansson.h>

#include "cmd/config.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mf_agent_config c; /* large: not on the stack */
	char err[512];
	json_error_t je;
	mf_config_init(&c);
	json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (root) {
		err[0] = '\0';
		if (mf_config_apply_json(&c, root, err, sizeof(err)) != 0)
			MF_FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
		json_decref(root);
	}
	char *s = mf_fuzz_dup(data, size);
	mf_time_t d;
	(void)mf_config_parse_duration(s, &d);
	free(s);
	return 0;
}
