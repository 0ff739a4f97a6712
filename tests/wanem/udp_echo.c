/*
 * udp_echo — the measuring tool of the wanem tests and scripts/bench-wanem.
 *
 *   udp_echo serve PORT                          echo every datagram back
 *   udp_echo ping ADDR PORT COUNT INTERVAL_US [SIZE]
 *       send COUNT probes, one every INTERVAL_US (not waiting for replies),
 *       then wait up to 2 s for the last replies; print one line
 *       "sent=.. received=.. loss_pct=.. min_ms=.. median_ms=.. p90_ms=.. max_ms=.."
 *   udp_echo blast ADDR PORT COUNT RATE_PPS [SIZE]
 *       send COUNT datagrams of SIZE bytes (default 1400) paced at RATE_PPS
 *       (0: as fast as possible); print "sent=.. seconds=.. pps=.."
 *   udp_echo sink PORT DURATION_MS [EXPECT] [-v]
 *       count datagrams for DURATION_MS, until EXPECT arrived or until
 *       SIGTERM; print
 *       "received=.. first_ns=.. last_ns=.. pps=.." and with -v, before it,
 *       one line "seq send_ns recv_ns" per datagram.
 *
 * Every datagram starts with a 64-bit sequence number and the sender's
 * CLOCK_MONOTONIC time in ns; all emulated hosts share that clock, so one-way
 * times are meaningful.
 */
#define _GNU_SOURCE /* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 65000

struct probe {
	uint64_t seq;
	int64_t sent_ns;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int udp_socket(int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	int big = 8 << 20;
	/* as root, past net.core.rmem_max: a burst must not overflow us */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	if (port >= 0) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_port = htons((uint16_t)port)};
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
			perror("bind");
			exit(1);
		}
	}
	return fd;
}

static struct sockaddr_in peer(const char *addr, const char *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)atoi(port))};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "udp_echo: bad address %s\n", addr);
		exit(2);
	}
	return sa;
}

static _Noreturn void serve(int port)
{
	int fd = udp_socket(port);
	static char buf[MAX_SIZE];
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n > 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int ping(struct sockaddr_in to, long count, long interval_us, size_t size)
{
	int fd = udp_socket(0);
	int64_t *rtt = malloc((size_t)count * sizeof *rtt);
	char *buf = calloc(1, MAX_SIZE);
	if (!rtt || !buf)
		return 1;
	for (long i = 0; i < count; i++)
		rtt[i] = -1;
	if (size < sizeof(struct probe))
		size = sizeof(struct probe);
	long sent = 0, got = 0;
	int64_t start = now_ns(), deadline = 0;
	while (got < count) {
		int64_t now = now_ns();
		if (sent < count && now >= start + sent * interval_us * 1000) {
			struct probe p = {.seq = (uint64_t)sent, .sent_ns = now};
			memcpy(buf, &p, sizeof p);
			sendto(fd, buf, size, 0, (struct sockaddr *)&to, sizeof to);
			if (++sent == count)
				deadline = now_ns() + 2000000000LL;
			continue;
		}
		int64_t wake = sent < count ? start + sent * interval_us * 1000 : deadline;
		if (sent == count && now >= deadline)
			break;
		int64_t wait = wake - now;
		struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (ppoll(&pfd, 1, &ts, NULL) <= 0)
			continue;
		ssize_t n;
		while ((n = recv(fd, buf, MAX_SIZE, MSG_DONTWAIT)) >= (ssize_t)sizeof(struct probe)) {
			struct probe p;
			memcpy(&p, buf, sizeof p);
			if (p.seq < (uint64_t)count && rtt[p.seq] < 0) {
				rtt[p.seq] = now_ns() - p.sent_ns;
				got++;
			}
		}
	}
	long k = 0;
	for (long i = 0; i < count; i++)
		if (rtt[i] >= 0)
			rtt[k++] = rtt[i];
	qsort(rtt, (size_t)k, sizeof *rtt, cmp_i64);
	printf("sent=%ld received=%ld loss_pct=%.3f", sent, k,
	       sent ? 100.0 * (double)(sent - k) / (double)sent : 0.0);
	if (k)
		printf(" min_ms=%.3f median_ms=%.3f p90_ms=%.3f max_ms=%.3f",
		       rtt[0] / 1e6,
		       (k % 2 ? rtt[k / 2] : (rtt[k / 2 - 1] + rtt[k / 2]) / 2) / 1e6,
		       rtt[(k * 9) / 10 < k ? (k * 9) / 10 : k - 1] / 1e6,
		       rtt[k - 1] / 1e6);
	printf("\n");
	free(rtt);
	free(buf);
	return 0;
}

static int blast(struct sockaddr_in to, long count, long rate, size_t size)
{
	int fd = udp_socket(0);
	char *buf = calloc(1, MAX_SIZE);
	if (!buf)
		return 1;
	if (size < sizeof(struct probe))
		size = sizeof(struct probe);
	int64_t start = now_ns();
	long sent = 0;
	for (long i = 0; i < count; i++) {
		if (rate > 0) {
			int64_t due = start + (int64_t)(i * (1e9 / (double)rate));
			if (due > now_ns() + 20000)
				sleep_until(due);
		}
		struct probe p = {.seq = (uint64_t)i, .sent_ns = now_ns()};
		memcpy(buf, &p, sizeof p);
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)size)
			sent++;
	}
	double secs = (double)(now_ns() - start) / 1e9;
	printf("sent=%ld seconds=%.3f pps=%.0f\n", sent, secs, (double)sent / secs);
	free(buf);
	return 0;
}

static void on_term(int sig)
{
	(void)sig; /* only interrupts ppoll: the loop then sees the signal */
}

static int sink(int port, long duration_ms, long expect, int verbose)
{
	/* SIGTERM ends the count (and prints it) instead of the process */
	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	sigprocmask(SIG_BLOCK, &term, &old);
	sigdelset(&old, SIGTERM);
	int fd = udp_socket(port);
	char *buf = malloc(MAX_SIZE);
	if (!buf)
		return 1;
	int64_t end = now_ns() + duration_ms * 1000000LL, first = 0, last = 0;
	long got = 0, cap = 0;
	/* -v lines are printed at the end: a reader that drains our stdout
	 * late must not stall the receive loop and skew the arrival times */
	struct arrival {
		uint64_t seq;
		int64_t sent, recv;
	} *log = NULL;
	while (expect <= 0 || got < expect) {
		int64_t now = now_ns();
		if (now >= end)
			break;
		int64_t wait = end - now;
		struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ready = ppoll(&pfd, 1, &ts, &old);
		if (ready < 0 && errno == EINTR)
			break;
		if (ready <= 0)
			continue;
		ssize_t n;
		while ((n = recv(fd, buf, MAX_SIZE, MSG_DONTWAIT)) >= (ssize_t)sizeof(struct probe)) {
			struct probe p;
			last = now_ns();
			if (!got)
				first = last;
			got++;
			if (verbose) {
				if (got > cap) {
					cap = cap ? cap * 2 : 4096;
					log = realloc(log, (size_t)cap * sizeof *log);
					if (!log)
						return 1;
				}
				memcpy(&p, buf, sizeof p);
				log[got - 1] = (struct arrival){p.seq, p.sent_ns, last};
			}
		}
	}
	for (long i = 0; verbose && i < got; i++)
		printf("%llu %lld %lld\n", (unsigned long long)log[i].seq,
		       (long long)log[i].sent, (long long)log[i].recv);
	free(log);
	double secs = (double)(last - first) / 1e9;
	printf("received=%ld first_ns=%lld last_ns=%lld pps=%.0f\n", got,
	       (long long)first, (long long)last,
	       secs > 0 ? (double)(got - 1) / secs : 0.0);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	prctl(PR_SET_TIMERSLACK, 1UL);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		serve(atoi(argv[2]));
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "ping") == 0)
		return ping(peer(argv[2], argv[3]), atol(argv[4]), atol(argv[5]),
			    argc == 7 ? (size_t)atol(argv[6]) : 64);
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "blast") == 0)
		return blast(peer(argv[2], argv[3]), atol(argv[4]), atol(argv[5]),
			     argc == 7 ? (size_t)atol(argv[6]) : 1400);
	if (argc >= 4 && strcmp(argv[1], "sink") == 0) {
		int verbose = strcmp(argv[argc - 1], "-v") == 0;
		int rest = argc - verbose;
		return sink(atoi(argv[2]), atol(argv[3]),
			    rest >= 5 ? atol(argv[4]) : 0, verbose);
	}
	fprintf(stderr,
		"usage: udp_echo serve PORT | ping ADDR PORT COUNT INTERVAL_US [SIZE]\n"
		"     | blast ADDR PORT COUNT RATE_PPS [SIZE] | sink PORT DURATION_MS [EXPECT] [-v]\n");
	return 2;
}
