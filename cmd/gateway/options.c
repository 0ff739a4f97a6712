/* cmd/gateway/options.c — see cmd/gateway/options.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/config/config_file.h"
#include "cmd/gateway/options.h"
#include "gateway/sni.h"

#define DEFAULT_LISTEN "0.0.0.0:8443"

const struct mf_flag mf_gw_flags[] = {
	{"config-file", "PATH", "JSON config file (same keys with '_', docs/gateway.md); flags override it"},
	{"name", "NAME", "gateway name registered with the agent (default: the host name)"},
	{"dc", "DC", "this gateway's datacenter (default: the agent's; must match it)"},
	{"listen", "IP:PORT", "where clients and other DCs' gateways connect (repeatable; default " DEFAULT_LISTEN ")"},
	{"advertise", "IP:PORT", "WAN address other DCs dial (default: the first -listen)"},
	{"lan", "IP:PORT", "address inside the DC (default: the -advertise address)"},
	{"tagged", "dc:NAME=IP:PORT", "address DC NAME must dial instead of -advertise (repeatable)"},
	{"route-socket", "PATH", "the local agent's route socket (default $MESHFED_ROUTE_SOCKET or /tmp/meshfed-UID-routes.sock)"},
	{"trust-domain", "TD", "trust domain of the SNI names served (required)"},
	{"service", "NAME=IP:PORT,...", "a service of this DC; NAME is service, service.ns or subset.service.ns (repeatable)"},
	{"control", "PATH", "control socket for `meshfed info -control PATH` (default: none)"},
	{"metrics-addr", "IP:PORT", "serve Prometheus metrics on http://IP:PORT/metrics (default off; docs/metrics.md)"},
	{"hello-timeout", "DURATION", "time allowed to read the ClientHello (default 10s)"},
	{"hello-max", "BYTES", "largest ClientHello read, record headers included (default 16384)"},
	{"connect-timeout", "DURATION", "per upstream connect attempt, then the next one (default 2s)"},
	{"idle-timeout", "DURATION", "close a relay with no traffic either way for this long (default 1h)"},
	{"max-conns", "N", "concurrent connections; more are closed at accept (default 10000)"},
	{"max-unwritten", "BYTES", "most bytes read at once and held for one side; the other side is not read while any wait (default 262144)"},
	{"log-level", "LEVEL", "debug, info, warn or error (default info)"},
};
const size_t mf_gw_flags_n = sizeof(mf_gw_flags) / sizeof(mf_gw_flags[0]);

int mf_gw_options_init(struct mf_gw_options *o)
{
	memset(o, 0, sizeof(*o));
	o->services = calloc(MF_GW_MAX_SERVICES, sizeof(*o->services));
	if (!o->services)
		return MF_ENOMEM;
	o->hello_timeout = 10 * MF_SEC;
	o->hello_max = 16 * 1024;
	o->connect_timeout = 2 * MF_SEC;
	o->idle_timeout = 3600 * MF_SEC;
	o->max_conns = 10000;
	o->max_unwritten = 256 * 1024;
	o->log_level = MF_LOG_INFO;
	return 0;
}

void mf_gw_options_free(struct mf_gw_options *o)
{
	free(o->services);
	o->services = NULL;
}

/* --- value checks ----------------------------------------------------------*/

/* One DNS label as SNI names carry it (gateway/sni.h). */
static bool label_ok(const char *s, size_t len)
{
	return mf_sni_label_valid(s, len);
}

static void lower_into(char *dst, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[len] = '\0';
}

/* IP:PORT with an explicit, non-zero port. */
static int addr_parse(const char *v, struct mf_addr *a, char *err, size_t errcap)
{
	if (mf_addr_parse(v, 0, a) < 0 || a->port == 0) {
		snprintf(err, errcap, "\"%s\" is not an IP:PORT address (like 127.0.0.1:8443)", v);
		return MF_EINVAL;
	}
	return 0;
}

static int copy_str(char *dst, size_t cap, const char *v, const char *what, char *err,
		    size_t errcap)
{
	if (!*v || strlen(v) >= cap) {
		snprintf(err, errcap, "%s must be 1 to %zu bytes", what, cap - 1);
		return MF_EINVAL;
	}
	snprintf(dst, cap, "%s", v);
	return 0;
}

static int set_name(struct mf_gw_options *o, const char *v, char *err, size_t errcap)
{
	size_t n = strlen(v);
	bool ok = n > 0 && n <= MF_GW_NAME_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)v[i]) || v[i] == '.' || v[i] == '_' || v[i] == '-';
	if (!ok) {
		snprintf(err, errcap, "\"%s\" is not a gateway name (1 to %d bytes of "
				      "[A-Za-z0-9._-])", v, MF_GW_NAME_MAX);
		return MF_EINVAL;
	}
	snprintf(o->name, sizeof(o->name), "%s", v);
	return 0;
}

static int set_dc(char *dst, const char *v, char *err, size_t errcap)
{
	if (!label_ok(v, strlen(v))) {
		snprintf(err, errcap, "\"%s\" is not a DC name usable in SNI (1 to %d bytes of "
				      "[A-Za-z0-9-], no '-' at either end)", v, MF_GW_LABEL_MAX);
		return MF_EINVAL;
	}
	snprintf(dst, MF_GW_LABEL_MAX + 1, "%s", v);
	return 0;
}

static int set_trust_domain(struct mf_gw_options *o, const char *v, char *err, size_t errcap)
{
	size_t n = strlen(v);
	if (mf_sni_trust_domain_check(v) < 0 || n >= sizeof(o->trust_domain)) {
		snprintf(err, errcap, "\"%s\" is not a trust domain (a DNS name: dot-separated "
				      "labels of [A-Za-z0-9-], 1 to 63 bytes each)", v);
		return MF_EINVAL;
	}
	if (v[n - 1] == '.')
		n--; /* a trailing dot is allowed, as in the SNI */
	lower_into(o->trust_domain, v, n);
	return 0;
}

static int set_tagged(struct mf_gw_options *o, const char *key, size_t klen, const char *addr,
		      char *err, size_t errcap)
{
	if (klen < 4 || strncmp(key, "dc:", 3) != 0 || !label_ok(key + 3, klen - 3)) {
		snprintf(err, errcap, "\"%.*s\" is not a tag key (want dc:NAME=IP:PORT)", (int)klen,
			 key);
		return MF_EINVAL;
	}
	struct mf_addr a;
	if (addr_parse(addr, &a, err, errcap) < 0)
		return MF_EINVAL;
	size_t i;
	for (i = 0; i < o->n_tagged; i++)
		if (strlen(o->tag_keys[i]) == klen && strncmp(o->tag_keys[i], key, klen) == 0)
			break;
	if (i == o->n_tagged) {
		if (o->n_tagged == MF_GW_MAX_TAGGED) {
			snprintf(err, errcap, "more than %d tagged addresses", MF_GW_MAX_TAGGED);
			return MF_EINVAL;
		}
		o->n_tagged++;
		memcpy(o->tag_keys[i], key, klen);
		o->tag_keys[i][klen] = '\0';
	}
	o->tag_addrs[i] = a;
	return 0;
}

const struct mf_gw_service *mf_gw_options_service(const struct mf_gw_options *o,
						  const char *subset, const char *service,
						  const char *ns)
{
	for (size_t i = 0; i < o->n_services; i++) {
		const struct mf_gw_service *s = &o->services[i];
		if (strcmp(s->service, service) == 0 && strcmp(s->ns, ns) == 0 &&
		    strcmp(s->subset, subset) == 0)
			return s;
	}
	return NULL;
}

/* NAME=IP:PORT[,IP:PORT...], NAME one of service, service.ns, subset.service.ns. */
static int set_service(struct mf_gw_options *o, const char *v, char *err, size_t errcap)
{
	const char *eq = strchr(v, '=');
	if (!eq) {
		snprintf(err, errcap, "\"%s\" is not NAME=IP:PORT", v);
		return MF_EINVAL;
	}
	const char *labels[4];
	size_t lens[4], n = 0;
	for (const char *p = v; n < 4;) {
		const char *dot = memchr(p, '.', (size_t)(eq - p));
		labels[n] = p;
		lens[n] = (size_t)((dot ? dot : eq) - p);
		n++;
		if (!dot)
			break;
		p = dot + 1;
	}
	bool ok = n <= 3 && memchr(labels[n - 1], '.', (size_t)(eq - labels[n - 1])) == NULL;
	for (size_t i = 0; ok && i < n; i++)
		ok = label_ok(labels[i], lens[i]);
	if (!ok) {
		snprintf(err, errcap, "\"%.*s\" is not a service name (service, service.namespace "
				      "or subset.service.namespace; labels of [A-Za-z0-9-])",
			 (int)(eq - v), v);
		return MF_EINVAL;
	}
	struct mf_gw_service key;
	memset(&key, 0, sizeof(key));
	size_t si = n == 3 ? 1 : 0;
	if (n == 3)
		lower_into(key.subset, labels[0], lens[0]);
	lower_into(key.service, labels[si], lens[si]);
	if (n >= 2)
		lower_into(key.ns, labels[si + 1], lens[si + 1]);
	else
		snprintf(key.ns, sizeof(key.ns), "default");

	struct mf_gw_service *s =
		(struct mf_gw_service *)mf_gw_options_service(o, key.subset, key.service, key.ns);
	if (!s) {
		if (o->n_services == MF_GW_MAX_SERVICES) {
			snprintf(err, errcap, "more than %d services", MF_GW_MAX_SERVICES);
			return MF_EINVAL;
		}
		s = &o->services[o->n_services];
		*s = key;
	}
	const char *p = eq + 1;
	size_t added = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char one[80];
		if (len == 0 || len >= sizeof(one)) {
			snprintf(err, errcap, "\"%s\": empty or over-long address", v);
			return MF_EINVAL;
		}
		memcpy(one, p, len);
		one[len] = '\0';
		if (s->n_addrs + added == MF_GW_MAX_SERVICE_ADDRS) {
			snprintf(err, errcap, "more than %d endpoints for service \"%.*s\"",
				 MF_GW_MAX_SERVICE_ADDRS, (int)(eq - v), v);
			return MF_EINVAL;
		}
		if (addr_parse(one, &s->addrs[s->n_addrs + added], err, errcap) < 0)
			return MF_EINVAL;
		added++;
		if (!comma)
			break;
		p = comma + 1;
	}
	/* Only now: a bad address leaves the service list as it was. */
	s->n_addrs += added;
	if (s == &o->services[o->n_services])
		o->n_services++;
	return 0;
}

static int set_duration(mf_time_t *dst, const char *v, char *err, size_t errcap)
{
	mf_time_t d;
	if (mf_config_parse_duration(v, &d) < 0 || d <= 0) {
		snprintf(err, errcap, "\"%s\" is not a positive duration (like 500ms, 5s, 1h)", v);
		return MF_EINVAL;
	}
	*dst = d;
	return 0;
}

static int set_size(size_t *dst, const char *v, long min, long max, char *err, size_t errcap)
{
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (!*v || *end || errno || x < min || x > max) {
		snprintf(err, errcap, "\"%s\" is not an integer in [%ld, %ld]", v, min, max);
		return MF_EINVAL;
	}
	*dst = (size_t)x;
	return 0;
}

int mf_gw_options_set(struct mf_gw_options *o, const char *key, const char *v, char *err,
		      size_t errcap)
{
	char k[64];
	size_t i = 0;
	for (; key[i] && i + 1 < sizeof(k); i++)
		k[i] = key[i] == '-' ? '_' : key[i];
	k[i] = '\0';

	if (strcmp(k, "name") == 0)
		return set_name(o, v, err, errcap);
	if (strcmp(k, "dc") == 0)
		return set_dc(o->dc, v, err, errcap);
	if (strcmp(k, "listen") == 0) {
		if (o->n_listen == MF_GW_MAX_LISTEN) {
			snprintf(err, errcap, "more than %d listen addresses", MF_GW_MAX_LISTEN);
			return MF_EINVAL;
		}
		if (addr_parse(v, &o->listen[o->n_listen], err, errcap) < 0)
			return MF_EINVAL;
		o->n_listen++;
		return 0;
	}
	if (strcmp(k, "advertise") == 0 || strcmp(k, "lan") == 0) {
		bool adv = k[0] == 'a';
		if (addr_parse(v, adv ? &o->advertise : &o->lan, err, errcap) < 0)
			return MF_EINVAL;
		*(adv ? &o->has_advertise : &o->has_lan) = true;
		return 0;
	}
	if (strcmp(k, "tagged") == 0) {
		const char *eq = strchr(v, '=');
		if (!eq) {
			snprintf(err, errcap, "\"%s\" is not dc:NAME=IP:PORT", v);
			return MF_EINVAL;
		}
		return set_tagged(o, v, (size_t)(eq - v), eq + 1, err, errcap);
	}
	if (strcmp(k, "route_socket") == 0)
		return copy_str(o->route_socket, sizeof(o->route_socket), v, "socket path", err,
				errcap);
	if (strcmp(k, "control") == 0)
		return copy_str(o->control, sizeof(o->control), v, "socket path", err, errcap);
	if (strcmp(k, "metrics_addr") == 0) {
		int r = addr_parse(v, &o->metrics_addr, err, errcap);
		o->has_metrics_addr = r == 0;
		return r;
	}
	if (strcmp(k, "trust_domain") == 0)
		return set_trust_domain(o, v, err, errcap);
	if (strcmp(k, "service") == 0)
		return set_service(o, v, err, errcap);
	if (strcmp(k, "hello_timeout") == 0)
		return set_duration(&o->hello_timeout, v, err, errcap);
	if (strcmp(k, "connect_timeout") == 0)
		return set_duration(&o->connect_timeout, v, err, errcap);
	if (strcmp(k, "idle_timeout") == 0)
		return set_duration(&o->idle_timeout, v, err, errcap);
	/* A ClientHello is at most 2^24 bytes of handshake; 5 bytes of a record
	 * header are the least that can tell anything. */
	if (strcmp(k, "hello_max") == 0)
		return set_size(&o->hello_max, v, 64, 1L << 24, err, errcap);
	if (strcmp(k, "max_conns") == 0)
		return set_size(&o->max_conns, v, 1, 1000000, err, errcap);
	if (strcmp(k, "max_unwritten") == 0)
		return set_size(&o->max_unwritten, v, 4096, 1L << 30, err, errcap);
	if (strcmp(k, "log_level") == 0) {
		if (mf_log_level_parse(v, &o->log_level) < 0) {
			snprintf(err, errcap, "\"%s\" is not a level (debug, info, warn, error)", v);
			return MF_EINVAL;
		}
		return 0;
	}
	snprintf(err, errcap, "unknown key");
	return MF_EINVAL;
}

/* --- config file -------------------------------------------------------------*/

static bool is_duration_key(const char *k)
{
	return strcmp(k, "hello_timeout") == 0 || strcmp(k, "connect_timeout") == 0 ||
	       strcmp(k, "idle_timeout") == 0;
}

static int apply_scalar(struct mf_gw_options *o, const char *key, const json_t *v, char *msg,
			size_t cap)
{
	char buf[64];
	const char *str = mf_config_json_scalar(v, is_duration_key(key), buf, sizeof(buf), msg, cap);
	return str ? mf_gw_options_set(o, key, str, msg, cap) : MF_EINVAL;
}

/* "services": {"web": "IP:PORT" or ["IP:PORT", ...], ...}
 * "tagged": {"dc:dc2": "IP:PORT", ...} */
static int apply_map(struct mf_gw_options *o, const char *flag, const json_t *v, char *msg,
		     size_t cap)
{
	if (!json_is_object(v)) {
		snprintf(msg, cap, "must be an object");
		return MF_EINVAL;
	}
	const char *mk;
	json_t *mv;
	json_object_foreach((json_t *)v, mk, mv) {
		bool many = json_is_array(mv) && strcmp(flag, "service") == 0;
		size_t n = many ? json_array_size(mv) : 1;
		for (size_t i = 0; i < n; i++) {
			const json_t *e = many ? json_array_get(mv, i) : mv;
			if (!json_is_string(e)) {
				snprintf(msg, cap, "\"%s\": want an address string%s", mk,
					 strcmp(flag, "service") == 0 ? " or an array of them" : "");
				return MF_EINVAL;
			}
			char kv[512];
			snprintf(kv, sizeof(kv), "%s=%s", mk, json_string_value(e));
			int r = mf_gw_options_set(o, flag, kv, msg, cap);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int keys_set(void *ctx, const char *key, const char *v, char *msg, size_t cap)
{
	return mf_gw_options_set(ctx, key, v, msg, cap);
}

/* One top-level key of the gateway's config file (mf_config_apply_object). */
static int apply_key(void *ctx, const char *key, const json_t *v, char *msg, size_t cap)
{
	struct mf_gw_options *o = ctx;
	if (strcmp(key, "listen") == 0) /* "IP:PORT" or ["IP:PORT", ...] */
		return mf_config_apply_strings(keys_set, o, "listen", v, msg, cap);
	if (strcmp(key, "services") == 0)
		return apply_map(o, "service", v, msg, cap);
	if (strcmp(key, "tagged") == 0)
		return apply_map(o, "tagged", v, msg, cap);
	return apply_scalar(o, key, v, msg, cap);
}

/* The gateway's keys, for cmd/config/config_file.h. */
static struct mf_config_keys gw_keys(struct mf_gw_options *o)
{
	return (struct mf_config_keys){o, keys_set, apply_key, "service"};
}

int mf_gw_options_apply_json(struct mf_gw_options *o, const json_t *root, char *err,
			     size_t errcap)
{
	struct mf_config_keys k = gw_keys(o);
	return mf_config_apply_object(&k, root, err, errcap);
}

int mf_gw_options_load_file(struct mf_gw_options *o, const char *path, char *err, size_t errcap)
{
	struct mf_config_keys k = gw_keys(o);
	return mf_config_file_load(&k, path, err, errcap);
}

/* --- command line and the whole ---------------------------------------------*/

static bool addr_unspecified(const struct mf_addr *a)
{
	for (size_t i = 0; i < a->ip_len; i++)
		if (a->ip[i])
			return false;
	return true;
}

int mf_gw_options_finish(struct mf_gw_options *o, char *err, size_t errcap)
{
	if (!o->trust_domain[0]) {
		snprintf(err, errcap, "-trust-domain is required (the TD of "
				      "<service>.<ns>.<dc>.internal.<TD>)");
		return MF_EINVAL;
	}
	if (o->n_listen == 0) {
		(void)mf_addr_parse(DEFAULT_LISTEN, 0, &o->listen[0]);
		o->n_listen = 1;
	}
	if (!o->has_advertise) {
		o->advertise = o->listen[0];
		o->has_advertise = true;
	}
	if (addr_unspecified(&o->advertise)) {
		char b[64];
		snprintf(err, errcap, "-advertise is required when listening on %s (other DCs "
				      "cannot dial an unspecified address)",
			 mf_addr_format(&o->listen[0], b, sizeof(b)));
		return MF_EINVAL;
	}
	if (!o->has_lan) {
		o->lan = o->advertise;
		o->has_lan = true;
	}
	if (!o->name[0]) {
		char host[256];
		if (gethostname(host, sizeof(host)) < 0) {
			snprintf(err, errcap, "no -name given and the host name is unavailable");
			return MF_EINVAL;
		}
		host[sizeof(host) - 1] = '\0';
		char e[200];
		if (set_name(o, host, e, sizeof(e)) < 0) {
			snprintf(err, errcap, "no -name given and the host name is not usable: %s", e);
			return MF_EINVAL;
		}
	}
	return 0;
}

int mf_gw_options_parse_args(struct mf_gw_options *o, int argc, char **argv, char *err,
			     size_t errcap)
{
	struct mf_config_keys k = gw_keys(o);
	int r = mf_config_flags_apply(&k, "gateway", mf_gw_flags, mf_gw_flags_n, argc, argv, err,
				      errcap);
	return r ? r : mf_gw_options_finish(o, err, errcap);
}
