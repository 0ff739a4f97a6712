/* gossip/addr.c — mf_addr parse/format/equal (declared in gossip/pool.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/pool.h"

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	if (*s == '\0')
		return MF_EINVAL;
	unsigned long v = strtoul(s, &end, 10);
	if (*end != '\0' || v == 0 || v > 65535)
		return MF_EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int mf_addr_parse(const char *s, uint16_t default_port, struct mf_addr *a)
{
	char host[64];
	const char *port = NULL;
	size_t hlen;

	if (s == NULL || a == NULL)
		return MF_EINVAL;
	memset(a, 0, sizeof(*a));
	if (s[0] == '[') { /* "[v6]" or "[v6]:port" */
		const char *close = strchr(s, ']');
		if (close == NULL)
			return MF_EINVAL;
		hlen = (size_t)(close - s - 1);
		if (hlen >= sizeof(host))
			return MF_EINVAL;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return MF_EINVAL;
	} else {
		const char *colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* bare IPv6 without brackets: no port */
		hlen = colon ? (size_t)(colon - s) : strlen(s);
		if (hlen >= sizeof(host))
			return MF_EINVAL;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (colon != NULL)
			port = colon + 1;
	}
	if (inet_pton(AF_INET, host, a->ip) == 1) {
		a->ip_len = 4;
	} else if (inet_pton(AF_INET6, host, a->ip) == 1) {
		a->ip_len = 16;
	} else {
		return MF_EINVAL;
	}
	a->port = default_port;
	if (port != NULL && parse_port(port, &a->port) != 0)
		return MF_EINVAL;
	return 0;
}

const char *mf_addr_format(const struct mf_addr *a, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (cap == 0)
		return buf;
	if (a->ip_len == 4 && inet_ntop(AF_INET, a->ip, ip, sizeof(ip)) != NULL)
		snprintf(buf, cap, "%s:%u", ip, a->port);
	else if (a->ip_len == 16 && inet_ntop(AF_INET6, a->ip, ip, sizeof(ip)) != NULL)
		snprintf(buf, cap, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, cap, "?:%u", a->port);
	return buf;
}

bool mf_addr_equal(const struct mf_addr *a, const struct mf_addr *b)
{
	return a->ip_len == b->ip_len && a->port == b->port &&
	       memcmp(a->ip, b->ip, a->ip_len) == 0;
}
