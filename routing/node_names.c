/*
 * routing/node_names.c — the names of the node's records per server heard
 * (delta bases, node_delta.c) held as ids in the node's name ids, shared
 * with the pools in the agent: a member's name costs those records no copy
 * (issue 12). Apart from node.c so that node_delta.c calls no file that
 * calls it back (scripts/check-layering).
 */
#include <string.h>

#include "gossip/name_hash.h"
#include "routing/node_internal.h"

int mf_rn__names_hold(struct mf_routing_node *n, const char *origin, const char *node, const char **o,
		      const char **nd)
{
	uint32_t oid, nid;
	int rc = mf_name_ids_hold(n->ids, origin, &oid);
	if (rc < 0)
		return rc;
	if ((rc = mf_name_ids_hold(n->ids, node, &nid)) < 0) {
		mf_name_ids_drop(n->ids, oid);
		return rc;
	}
	*o = mf_name_ids_str(n->ids, oid);
	*nd = mf_name_ids_str(n->ids, nid);
	return 0;
}

static void name_release(struct mf_routing_node *n, const char *s)
{
	size_t len = strlen(s);
	if (len > 0)
		mf_name_ids_drop(n->ids, mf_name_ids_find(n->ids, s, len, mf_name_hash(s, len)));
}

void mf_rn__names_release(struct mf_routing_node *n, const char *origin, const char *node)
{
	name_release(n, origin);
	name_release(n, node);
}
