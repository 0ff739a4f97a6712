/*
 * tests/coord/client_setup.h — the client under test and the peer it
 * hears from, as the client tests start them: the default config in one
 * mode, and a peer at vec[0] = x (s) with error 0.5.
 */
#ifndef MF_TESTS_COORD_CLIENT_SETUP_H
#define MF_TESTS_COORD_CLIENT_SETUP_H

#include <CUnit/CUnit.h>

#include "coord/client.h"
#include "gossip/err.h"

static inline void mf_test_client_setup(struct mf_coord_config *cfg, struct mf_coord_client *cl,
					struct mf_coord *peer, enum mf_coord_mode mode, double x)
{
	mf_coord_config_default(cfg);
	cfg->mode = mode;
	CU_ASSERT_FATAL(mf_coord_client_init(cl, cfg) == MF_OK);
	mf_coord_init(peer, cfg);
	peer->vec[0] = x;
	peer->error = 0.5;
}

#endif
