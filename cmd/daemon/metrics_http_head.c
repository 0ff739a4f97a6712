/* cmd/daemon/metrics_http_head.c — see cmd/daemon/metrics_http_head.h. */
#include <string.h>

#include "cmd/daemon/metrics_http_head.h"

bool mf_metrics_http_head_complete(const char *head)
{
	/* A bare-LF head is accepted, as most servers do. */
	return strstr(head, "\r\n\r\n") != NULL || strstr(head, "\n\n") != NULL;
}

int mf_metrics_http_route(char *head, bool *head_only)
{
	*head_only = false;
	head[strcspn(head, "\r\n")] = '\0'; /* the request line */
	char *sp1 = strchr(head, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return 400;
	*sp1 = *sp2 = '\0';
	const char *method = head, *target = sp1 + 1;
	*head_only = strcmp(method, "HEAD") == 0;
	if (strcmp(method, "GET") != 0 && !*head_only)
		return 405;
	size_t plen = strcspn(target, "?");
	if (plen != 8 || strncmp(target, "/metrics", 8) != 0)
		return 404;
	return 200;
}
