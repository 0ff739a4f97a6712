/*
 * tests/cli/test_transport_limits.c — inbound stream limits over real
 * loopback sockets (127.0.69.x): one address cannot take the inbound slots
 * (a join from another address succeeds through a 500-connection flood),
 * and declared lengths never reserve memory (streams declaring 19 MB of
 * push-pull user state stay within max_inbound_bytes). Label: integration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <uv.h>

#include "gossip/transport.h"
#include "tests/cli/transport_side.h"
#include "tests/cunit_main.h"

/* A non-blocking TCP connection from `src` to `dst`:7946; -1 on failure. */
static int dial(const char *src, const char *dst)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET};
	inet_pton(AF_INET, src, &a.sin_addr);
	struct sockaddr_in b = {.sin_family = AF_INET, .sin_port = htons(7946)};
	inet_pton(AF_INET, dst, &b.sin_addr);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (connect(fd, (struct sockaddr *)&b, sizeof(b)) < 0 && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void run_ms(uv_loop_t *loop, int ms)
{
	uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
	while (uv_hrtime() < end)
		uv_run(loop, UV_RUN_NOWAIT);
}

#define FLOOD 500

static void test_a_join_from_another_address_succeeds_through_a_flood_from_one(void)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct side a = {0}, b = {0};
	CU_ASSERT_FATAL(side_open(&loop, &a, "a", "127.0.69.1:7946", 0) == 0);
	CU_ASSERT_FATAL(side_open(&loop, &b, "b", "127.0.69.2:7946", 0) == 0);
	static int fds[FLOOD];
	int n = 0;
	/* The flood first: silent connections from 127.0.69.3, 25 at a time. */
	while (n < FLOOD / 2) {
		for (int k = 0; k < 25; k++)
			fds[n++] = dial("127.0.69.3", "127.0.69.1");
		run_ms(&loop, 5);
	}
	struct mf_transport_stats st;
	mf_transport_get_stats(a.tr, &st);
	CU_ASSERT(st.inbound_now <= MF_TRANSPORT_MAX_INBOUND_PER_ADDR);
	/* Then the join, with the flood going on. */
	struct mf_addr to;
	uint64_t id;
	mf_addr_parse("127.0.69.1:7946", 7946, &to);
	CU_ASSERT_EQUAL(mf_transport_join(b.tr, &to, &id), 0);
	uint64_t end = uv_hrtime() + 5000000000u;
	while (uv_hrtime() < end && (b.joins_done == 0 || n < FLOOD)) {
		for (int k = 0; k < 25 && n < FLOOD; k++)
			fds[n++] = dial("127.0.69.3", "127.0.69.1");
		run_ms(&loop, 5);
	}
	CU_ASSERT_EQUAL(b.joins_ok, 1);
	run_ms(&loop, 200);
	CU_ASSERT_EQUAL(side_status_of(a.pool, "b"), MF_MEMBER_ALIVE);
	mf_transport_get_stats(a.tr, &st);
	printf("\n  flood: %llu refused per address, %llu accepted, %zu open\n",
	       (unsigned long long)st.streams_rejected_addr,
	       (unsigned long long)st.streams_accepted, st.inbound_now);
	CU_ASSERT(st.streams_rejected_addr >= FLOOD - 3 * MF_TRANSPORT_MAX_INBOUND_PER_ADDR);
	CU_ASSERT(st.inbound_now <= MF_TRANSPORT_MAX_INBOUND_PER_ADDR + 1);
	CU_ASSERT_EQUAL(st.streams_rejected, 0); /* the 128 slots were never full */
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	side_close(&loop, &a);
	side_close(&loop, &b);
	uv_run(&loop, UV_RUN_NOWAIT);
	CU_ASSERT_EQUAL(uv_loop_close(&loop), 0);
}

/* [6] {Join: false, Nodes: 0, UserStateLen: 19,000,000}: push-pull header */
static size_t pp_header_19mb(uint8_t *p)
{
	static const uint8_t h[] = {6,    0x83, 0xa4, 'J', 'o', 'i', 'n', 0xc2, 0xa5, 'N',
				    'o',  'd',  'e',  's', 0x00, 0xac, 'U', 's', 'e', 'r',
				    'S',  't',  'a',  't', 'e',  'L',  'e', 'n', 0xce};
	memcpy(p, h, sizeof(h));
	uint32_t v = htonl(19000000);
	memcpy(p + sizeof(h), &v, 4);
	return sizeof(h) + 4;
}

#define BUDGET ((size_t)1024 * 1024)
#define STREAMS 4
#define EACH ((size_t)768 * 1024)

static void test_streams_declaring_19_mb_stay_within_the_inbound_budget(void)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct side a = {0};
	CU_ASSERT_FATAL(side_open(&loop, &a, "a", "127.0.69.11:7946", BUDGET) == 0);
	static uint8_t junk[EACH];
	int fds[STREAMS];
	size_t sent[STREAMS] = {0};
	char src[32];
	for (int i = 0; i < STREAMS; i++) {
		snprintf(src, sizeof(src), "127.0.69.%d", 20 + i);
		fds[i] = dial(src, "127.0.69.11");
		CU_ASSERT_FATAL(fds[i] >= 0);
	}
	run_ms(&loop, 20);
	size_t peak = 0;
	struct mf_transport_stats st;
	for (int i = 0; i < STREAMS; i++) {
		sent[i] = pp_header_19mb(junk);
		CU_ASSERT_FATAL(send(fds[i], junk, sent[i], MSG_NOSIGNAL) == (ssize_t)sent[i]);
		memset(junk, 0, sent[i]);
	}
	uint64_t end = uv_hrtime() + 3000000000u;
	bool more = true;
	while (more && uv_hrtime() < end) {
		more = false;
		for (int i = 0; i < STREAMS; i++) {
			if (fds[i] < 0 || sent[i] >= EACH)
				continue;
			ssize_t w = send(fds[i], junk, EACH - sent[i], MSG_NOSIGNAL);
			if (w > 0)
				sent[i] += (size_t)w;
			else if (w < 0 && errno != EAGAIN) {
				close(fds[i]); /* dropped by the agent */
				fds[i] = -1;
				continue;
			}
			more = true;
		}
		uv_run(&loop, UV_RUN_NOWAIT);
		mf_transport_get_stats(a.tr, &st);
		if (st.inbound_bytes > peak)
			peak = st.inbound_bytes;
	}
	run_ms(&loop, 100);
	mf_transport_get_stats(a.tr, &st);
	printf("\n  budget: peak %zu bytes held, %llu over budget\n", peak,
	       (unsigned long long)st.streams_over_budget);
	CU_ASSERT(peak <= BUDGET);
	CU_ASSERT(st.streams_over_budget >= 1);
	CU_ASSERT(st.inbound_now < STREAMS); /* some were dropped, none grew past the budget */
	for (int i = 0; i < STREAMS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	side_close(&loop, &a);
	uv_run(&loop, UV_RUN_NOWAIT);
	CU_ASSERT_EQUAL(uv_loop_close(&loop), 0);
}

int main(void)
{
	static const struct test_case tests[] = {
		{ "a join from another address succeeds through a flood from one", test_a_join_from_another_address_succeeds_through_a_flood_from_one },
		{ "streams declaring 19 MB stay within the inbound budget", test_streams_declaring_19_mb_stay_within_the_inbound_budget },
	};
	return RUN_SUITE("transport_limits", tests);
}
