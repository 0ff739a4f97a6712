/* libFuzzer target: the topology parser (routing/topology.c, the
 * simulator's and the WAN emulator's input). What parses is within the
 * documented bounds, and the link matrix is symmetric; a refusal says
 * why. */
#include "routing/topology.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_topology t;
	char err[256];
	char *json = mf_fuzz_dup(data, size);
	err[0] = '\0';
	int r = mf_topology_parse(json, size, &t, err, sizeof(err));
	if (r != 0)
		MF_FUZZ_CHECK(r < 0 && err[0] != '\0' && memchr(err, '\0', sizeof(err)));
	if (r == 0) {
		MF_FUZZ_CHECK(t.n_dcs <= MF_TOPOLOGY_DC_MAX);
		for (size_t a = 0; a < t.n_dcs; a++) {
			MF_FUZZ_CHECK(t.dcs[a].servers <= MF_TOPOLOGY_HOSTS_MAX &&
				      t.dcs[a].gateways <= MF_TOPOLOGY_HOSTS_MAX);
			for (size_t b = 0; b < t.n_dcs; b++)
				MF_FUZZ_CHECK(mf_topology_linked(&t, a, b) ==
					      mf_topology_linked(&t, b, a));
		}
		for (size_t i = 0; i < t.n_areas; i++)
			for (size_t j = 0; j < t.areas[i].n_dcs; j++)
				MF_FUZZ_CHECK(t.areas[i].dcs[j] < t.n_dcs);
	}
	mf_topology_free(&t);
	free(json);
	return 0;
}
