/*
 * cmd/agent/agent_reload.c — SIGHUP and `meshfed reload`: the agent's flags and
 * config files read again, and what cmd/config/config_reload.h lists as
 * reloadable applied in place:
 *
 *   log level/format -> the log;
 *   tags             -> every pool's meta: memberlist re-gossips us alive
 *                       with a higher incarnation (serf SetTags), so peers,
 *                       serf agents included, see the new tags;
 *   routing, gateways-> the routing node (next tick recomputes; gateways
 *                       merged with the route socket's registered ones);
 *   keys             -> each pool's keyring re-read (mf_config_pool_keyring,
 *                       the one place a keyring file is read) and swapped
 *                       when it differs; turning encryption on or off needs
 *                       a restart (the pool would split).
 *
 * Anything else that changed is logged and answered as restart_required.
 * A config that does not load or check changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cmd/agent/agent_internal.h"
#include "cmd/config/config_reload.h"

static void add(json_t *list, const char *what)
{
	json_array_append_new(list, json_string(what));
}

static bool keyring_eq(const struct mf_keyring *a, const struct mf_keyring *b)
{
	return a->n == b->n && sodium_memcmp(a->keys, b->keys, a->n * MF_KEY_LEN) == 0;
}

/* Every pool's keys from a->cfg; the keyrings that changed are swapped. */
static void reload_keys(struct mf_agent *a, json_t *applied, json_t *restart)
{
	for (size_t i = 0; i < a->n_pools; i++) {
		struct mf_agent_pool *ap = a->pools[i];
		struct mf_keyring kr;
		char err[400], what[128];
		if (mf_config_pool_keyring(a->cfg, ap->area, &kr, err, sizeof(err)) < 0) {
			mf_log_error(&a->log, "reload: %s; pool %s keeps its keys", err, ap->name);
			continue; /* checked before: the file changed meanwhile */
		}
		if (keyring_eq(&kr, &ap->keyring)) {
			mf_keyring_wipe(&kr);
			continue;
		}
		if ((kr.n == 0) != (ap->keyring.n == 0)) {
			snprintf(what, sizeof(what), "encryption on/off (pool %s)", ap->name);
			add(restart, what);
			mf_keyring_wipe(&kr);
			continue;
		}
		/* The pool reads the keyring through its pointer: swap in place. */
		mf_keyring_wipe(&ap->keyring);
		ap->keyring = kr;
		sodium_memzero(&kr, sizeof(kr));
		snprintf(what, sizeof(what), "keys (pool %s, %zu installed)", ap->name,
			 ap->keyring.n);
		add(applied, what);
	}
}

static void reload_tags(struct mf_agent *a, json_t *applied)
{
	uint8_t meta[MF_META_MAX];
	size_t len = 0;
	char err[200];
	if (mf_agent_build_meta(a->cfg, meta, &len, err, sizeof(err)) < 0) {
		mf_log_error(&a->log, "reload: %s; tags not changed", err);
		return;
	}
	for (size_t i = 0; i < a->n_pools; i++) {
		struct mf_agent_pool *ap = a->pools[i];
		int r = ap->tr ? mf_transport_set_meta(ap->tr, meta, len) : MF_ESTATE;
		if (r < 0)
			mf_log_error(&a->log, "reload: pool %s: cannot set the tags: %s", ap->name,
				     mf_strerror(r));
	}
	add(applied, "tags");
}

static void wipe_config(struct mf_agent_config *c)
{
	sodium_memzero(c->encrypt_key, sizeof(c->encrypt_key));
	for (size_t i = 0; i < MF_CONFIG_MAX_AREAS; i++)
		sodium_memzero(c->areas[i].encrypt_key, sizeof(c->areas[i].encrypt_key));
}

void mf_agent_config_free(struct mf_agent_config *cfg)
{
	if (!cfg)
		return;
	wipe_config(cfg);
	free(cfg);
}

/* The new config, or NULL with err set: same flags and files as at start.
 * Read into a->reload_cfg, kept between reloads (the struct is ~160 KB: a
 * fresh one each time costs page faults, which a reload flood would pay). */
static struct mf_agent_config *read_config(struct mf_agent *a, char *err, size_t errcap)
{
	if (!a->reload_cfg && !(a->reload_cfg = malloc(sizeof(*a->reload_cfg)))) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	struct mf_agent_config *next = a->reload_cfg;
	mf_config_init(next);
	int r = mf_config_parse_args(next, a->argc, a->argv, err, errcap);
	if (r == 0 && !next->node[0]) /* the host name, as at start */
		memcpy(next->node, a->cfg->node, sizeof(next->node));
	if (r == 0)
		r = mf_config_check(next, err, errcap);
	if (r != 0) {
		wipe_config(next);
		return NULL;
	}
	return next;
}

json_t *mf_agent_reload(struct mf_agent *a)
{
	char err[1024];
	a->reloads++;
	if (a->state != MF_AGENT_RUNNING)
		return mf_control_error("agent is leaving");
	struct mf_agent_config *next = read_config(a, err, sizeof(err));
	if (!next) {
		a->reload_errors++;
		mf_log_error(&a->log, "reload: %s; nothing changed", err);
		return mf_control_error("%s; nothing changed", err);
	}
	struct mf_config_reload d;
	mf_config_reload_diff(a->cfg, next, &d);
	mf_config_reload_take(a->cfg, next);
	wipe_config(next);
	json_t *applied = json_array(), *restart = json_array();
	if (d.log) {
		a->log.level = a->cfg->log_level;
		a->log.json = a->cfg->log_json;
		add(applied, "log_level");
	}
	if (d.tags)
		reload_tags(a, applied);
	if (d.routing || d.gateways) {
		int r = mf_agent_routing_reload(a, d.routing, d.gateways, err, sizeof(err));
		if (r < 0)
			mf_log_error(&a->log, "reload: %s", err);
		if (d.routing && r == 0)
			add(applied, "routing");
		if (d.gateways)
			add(applied, "gateways");
	}
	reload_keys(a, applied, restart);
	for (char *p = d.restart; *p;) {
		size_t n = strcspn(p, ",");
		json_array_append_new(restart, json_stringn(p, n));
		p += n;
		p += strspn(p, ", ");
	}
	char *ap = json_dumps(applied, JSON_COMPACT), *rp = json_dumps(restart, JSON_COMPACT);
	mf_log_info(&a->log, "reload: applied %s%s%s", ap ? ap : "?",
		    json_array_size(restart) ? "; changed but needing a restart: " : "",
		    json_array_size(restart) ? (rp ? rp : "?") : "");
	free(ap);
	free(rp);
	return json_pack("{s:b,s:o,s:o}", "ok", 1, "applied", applied, "restart_required",
			 restart);
}
