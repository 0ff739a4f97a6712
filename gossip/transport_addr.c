/*
 * gossip/transport_addr.c — what both halves of the transport use and
 * neither owns: the clock and the mf_addr <-> sockaddr conversions. A leaf:
 * calls nothing in transport.c or transport_stream.c.
 */
#include <string.h>

#include "gossip/transport_internal.h"

mf_time_t mf_transport_now(const mf_transport_t *t)
{
	(void)t;
	return (mf_time_t)uv_hrtime();
}

int mf_transport_addr_to_sockaddr(const struct mf_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->ip_len == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(a->port);
		memcpy(&in->sin_addr, a->ip, 4);
		return 0;
	}
	if (a->ip_len == 16) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(a->port);
		memcpy(&in6->sin6_addr, a->ip, 16);
		return 0;
	}
	return MF_EINVAL;
}

int mf_transport_addr_from_sockaddr(const struct sockaddr *sa, struct mf_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		a->ip_len = 4;
		memcpy(a->ip, &in->sin_addr, 4);
		a->port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		/* A v4-mapped peer is reported as IPv4, as Go's net package does. */
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(&in6->sin6_addr, mapped, 12) == 0) {
			a->ip_len = 4;
			memcpy(a->ip, (const uint8_t *)&in6->sin6_addr + 12, 4);
		} else {
			a->ip_len = 16;
			memcpy(a->ip, &in6->sin6_addr, 16);
		}
		a->port = ntohs(in6->sin6_port);
		return 0;
	}
	return MF_EINVAL;
}
