/*
 * The delay stage. Why TUN devices, one per host, and not veth + a router
 * namespace: see README.md. The packet path is
 *
 *   host A's stack -> A's eth0 (TUN) -> read() here -> verdict -> heap
 *     -> timerfd at release time -> write() into B's eth0 -> B's stack
 *
 * so every packet crosses userspace once, and the kernel never forwards
 * anything (no ip_forward, no policy routing, no ARP).
 */
#define _GNU_SOURCE /* setns, unshare, pipe2, accept4 */
#include "tests/wanem/router.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "gossip/err.h"
#include "tests/wanem/net.h"
#include "tests/wanem/queue.h"

#define PKT_MAX 65535         /* any MTU a host may set on its eth0 */
#define QUEUE_LIMIT 200000    /* packets held at most (~2 s at 100k pps) */
#define READ_BURST 64         /* packets read from one TUN per wake-up */
#define TUN_TXQLEN 10000      /* host-side queue in front of our read() */
#define TAG_TIMER (UINT64_C(1) << 40)
#define TAG_SIGNAL (UINT64_C(2) << 40)
#define TAG_CTL (UINT64_C(3) << 40)
#define TAG_CLIENT (UINT64_C(4) << 40)
#define TAG_MASK (UINT64_C(0xff) << 40)

/* Random numbers for loss and jitter, drawn from libsodium a page at a time
 * so the packet path does not make a syscall per packet. */
struct rng {
	uint32_t pool[1024];
	size_t pos;
};

struct stats {
	uint64_t forwarded, drop_loss, drop_down, drop_nolink, drop_full,
		drop_bad, max_queued;
	uint64_t released;     /* packets written after a hold */
	int64_t late_sum_ns;   /* how far past their release time they left
				* (negative: early, see wake_ns) */
	int64_t late_max_ns;
};

struct router {
	const struct mf_wanem_router_cfg *cfg;
	struct mf_wanem_net net;
	struct mf_wanem_queue q;
	struct rng rng;
	struct stats st;
	int *tun;              /* per host */
	int32_t *by_addr;      /* [(dc-1)*256 + last octet] -> host, -1 */
	int ep, tfd, sfd, ctl;
	int64_t armed_ns;      /* deadline the timerfd is set to, 0: none */
	int64_t wake_ns;       /* timer wake-up latency, moving average */
	int qos;               /* /dev/cpu_dma_latency held at 0, or -1 */
	pthread_t *warm;       /* one idle spinner per CPU (see keep_warm) */
	size_t n_warm;
	atomic_bool stop_warm;
	uint8_t buf[PKT_MAX];  /* read buffer; held packets get a copy */
};

static uint32_t rng_u32(struct rng *r)
{
	if (r->pos == 0) {
		randombytes_buf(r->pool, sizeof r->pool);
		r->pos = sizeof r->pool / sizeof r->pool[0];
	}
	return r->pool[--r->pos];
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int ifreq_ioctl(int sock, unsigned long req, struct ifreq *ifr,
		       const char *what, const char *host)
{
	if (ioctl(sock, req, ifr) < 0) {
		fprintf(stderr, "wanem router: %s on %s: %s\n", what, host,
			strerror(errno));
		return MF_EIO;
	}
	return 0;
}

static void set_ipv4(struct ifreq *ifr, uint32_t a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr->ifr_addr;
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(a);
}

/* Inside the host's namespace: eth0 (TUN) with its /15 address, lo up. */
static int make_tun(const struct mf_wanem_host *h, int *out)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "wanem router: /dev/net/tun: %s\n", strerror(errno));
		return MF_EIO;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "eth0");
	int rc = ifreq_ioctl(fd, TUNSETIFF, &ifr, "TUNSETIFF", h->name);
	/* IPv4 only: no router solicitations or DAD chatter on the WAN */
	int v6 = rc ? -1 : open("/proc/sys/net/ipv6/conf/eth0/disable_ipv6",
				O_WRONLY | O_CLOEXEC);
	if (v6 >= 0) {
		if (write(v6, "1", 1) != 1)
			fprintf(stderr, "wanem router: %s: IPv6 stays on\n", h->name);
		close(v6);
	}
	int s = rc ? -1 : socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!rc && s < 0)
		rc = MF_EIO;
	if (!rc) {
		set_ipv4(&ifr, h->addr);
		rc = ifreq_ioctl(s, SIOCSIFADDR, &ifr, "address", h->name);
	}
	if (!rc) {
		set_ipv4(&ifr, 0xfffe0000u); /* /15: all of 198.18.0.0/15 */
		rc = ifreq_ioctl(s, SIOCSIFNETMASK, &ifr, "netmask", h->name);
	}
	if (!rc) {
		ifr.ifr_qlen = TUN_TXQLEN;
		rc = ifreq_ioctl(s, SIOCSIFTXQLEN, &ifr, "txqueuelen", h->name);
	}
	if (!rc) {
		ifr.ifr_flags = IFF_UP | IFF_RUNNING;
		rc = ifreq_ioctl(s, SIOCSIFFLAGS, &ifr, "eth0 up", h->name);
	}
	if (!rc) {
		memset(&ifr, 0, sizeof ifr);
		snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
		ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
		rc = ifreq_ioctl(s, SIOCSIFFLAGS, &ifr, "lo up", h->name);
	}
	if (s >= 0)
		close(s);
	if (rc) {
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

static int make_tuns(struct router *r)
{
	const struct mf_wanem_router_cfg *c = r->cfg;
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return MF_EIO;
	int rc = 0;
	for (size_t i = 0; i < c->n_hosts && !rc; i++) {
		char path[MF_WANEM_NETNS_MAX + 16];
		snprintf(path, sizeof path, "/run/netns/%s", c->hosts[i].netns);
		int ns = open(path, O_RDONLY | O_CLOEXEC);
		if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
			fprintf(stderr, "wanem router: enter %s: %s\n", path,
				strerror(errno));
			rc = MF_EIO;
		} else {
			rc = make_tun(&c->hosts[i], &r->tun[i]);
		}
		if (ns >= 0)
			close(ns);
	}
	if (setns(home, CLONE_NEWNET) < 0 && !rc)
		rc = MF_EIO;
	close(home);
	/* From here on this process needs no network: an empty namespace of
	 * its own guarantees it never touches the machine's. */
	if (!rc && unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "wanem router: unshare: %s\n", strerror(errno));
		rc = MF_EIO;
	}
	return rc;
}

static int make_ctl(struct router *r)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(r->cfg->ctl_path) >= sizeof sa.sun_path)
		return MF_EINVAL;
	strcpy(sa.sun_path, r->cfg->ctl_path);
	unlink(sa.sun_path);
	r->ctl = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->ctl < 0 || bind(r->ctl, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(r->ctl, 16) < 0) {
		fprintf(stderr, "wanem router: %s: %s\n", sa.sun_path, strerror(errno));
		return MF_EIO;
	}
	return 0;
}

static int watch(struct router *r, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};
	return epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? MF_EIO : 0;
}

static void deliver(struct router *r, uint32_t host, const uint8_t *d,
		    size_t len)
{
	if (write(r->tun[host], d, len) == (ssize_t)len)
		r->st.forwarded++;
	else
		r->st.drop_bad++;
}

/* One packet of `len` bytes read from host `src`'s TUN into r->buf. */
static void on_packet(struct router *r, size_t src, size_t len, int64_t now)
{
	const uint8_t *d = r->buf;
	size_t n_dcs = r->cfg->topo->n_dcs;
	if (len < 20 || (d[0] >> 4) != 4 || d[12 + 4] != 198 ||
	    d[12 + 5] != 18 || d[12 + 6] == 0 || d[12 + 6] > n_dcs) {
		r->st.drop_bad++; /* IPv6, broadcast, outside 198.18/15 */
		return;
	}
	int32_t dst = r->by_addr[(size_t)(d[18] - 1) * 256 + d[19]];
	if (dst < 0) {
		r->st.drop_nolink++;
		return;
	}
	size_t sdc = r->cfg->hosts[src].dc, ddc = r->cfg->hosts[dst].dc;
	uint32_t r1 = 0, r2 = 0;
	if (sdc != ddc) {
		r1 = rng_u32(&r->rng);
		r2 = r->net.jitter_ns ? rng_u32(&r->rng) : 0;
	}
	int64_t delay = mf_wanem_net_verdict(&r->net, sdc, ddc, r1, r2);
	if (delay < 0) {
		if (delay == MF_WANEM_DROP_LOSS)
			r->st.drop_loss++;
		else if (delay == MF_WANEM_DROP_DOWN)
			r->st.drop_down++;
		else
			r->st.drop_nolink++;
		return;
	}
	if (delay == 0) {
		deliver(r, (uint32_t)dst, d, len);
		return;
	}
	struct mf_wanem_pkt *p = mf_wanem_pkt_new(len);
	if (!p) {
		r->st.drop_full++;
		return;
	}
	memcpy(p->data, d, len);
	p->len = (uint16_t)len;
	p->dst_host = (uint32_t)dst;
	p->src_dc = (uint16_t)sdc;
	p->dst_dc = (uint16_t)ddc;
	p->release_ns = now + delay;
	if (mf_wanem_queue_push(&r->q, p) < 0) {
		mf_wanem_pkt_free(p);
		r->st.drop_full++;
		return;
	}
	if (r->q.len > r->st.max_queued)
		r->st.max_queued = r->q.len;
}

static void read_tun(struct router *r, size_t host)
{
	int64_t now = now_ns();
	for (int i = 0; i < READ_BURST; i++) {
		ssize_t n = read(r->tun[host], r->buf, sizeof r->buf);
		if (n > 0) {
			on_packet(r, host, (size_t)n, now);
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			/* the device is gone (its namespace was deleted under
			 * us): stop watching, or a level-triggered error would
			 * spin this real-time process */
			fprintf(stderr, "wanem router: %s: %s; host dropped\n",
				r->cfg->hosts[host].name, strerror(errno));
			epoll_ctl(r->ep, EPOLL_CTL_DEL, r->tun[host], NULL);
		}
		break;
	}
}

/* A timerfd wakes us ~0.1 ms late on a VM: arm it that much early and
 * count a packet due that much early, so release times are right on
 * average instead of late by the wake-up latency. */
#define WAKE_INIT_NS 50000
#define WAKE_MAX_NS 300000

static void on_timer(struct router *r)
{
	uint64_t exp;
	if (read(r->tfd, &exp, sizeof exp) < 0)
		return;
	if (r->armed_ns) {
		int64_t lat = now_ns() - r->armed_ns;
		if (lat < 0)
			lat = 0;
		r->wake_ns += (lat - r->wake_ns) / 8;
		if (r->wake_ns > WAKE_MAX_NS)
			r->wake_ns = WAKE_MAX_NS;
	}
	r->armed_ns = 0;
}

static void release_due(struct router *r)
{
	int64_t now = now_ns();
	struct mf_wanem_pkt *p;
	while ((p = mf_wanem_queue_pop_due(&r->q, now + r->wake_ns))) {
		/* a link that went down while the packet was in flight drops it */
		int64_t late = now - p->release_ns;
		r->st.released++;
		r->st.late_sum_ns += late;
		if (late > r->st.late_max_ns)
			r->st.late_max_ns = late;
		if (mf_wanem_net_passes(&r->net, p->src_dc, p->dst_dc))
			deliver(r, p->dst_host, p->data, p->len);
		else
			r->st.drop_down++;
		mf_wanem_pkt_free(p);
	}
	p = mf_wanem_queue_peek(&r->q);
	int64_t at = p ? p->release_ns - r->wake_ns : 0;
	if (p && at != r->armed_ns) {
		struct itimerspec its = {
			.it_value = {.tv_sec = at / 1000000000,
				     .tv_nsec = at % 1000000000}};
		timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL);
		r->armed_ns = at;
	}
}

static void on_client(struct router *r, int fd)
{
	char buf[512], reply[4096];
	ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return; /* not yet: epoll calls again */
	if (n > 0) {
		buf[n] = '\0';
		if (strncmp(buf, "stats", 5) == 0)
			snprintf(reply, sizeof reply,
				 "ok forwarded=%llu dropped_loss=%llu dropped_down=%llu "
				 "dropped_nolink=%llu dropped_full=%llu dropped_bad=%llu "
				 "queued=%zu max_queued=%llu late_avg_us=%.1f late_max_us=%.1f "
				 "wake_us=%.1f",
				 (unsigned long long)r->st.forwarded,
				 (unsigned long long)r->st.drop_loss,
				 (unsigned long long)r->st.drop_down,
				 (unsigned long long)r->st.drop_nolink,
				 (unsigned long long)r->st.drop_full,
				 (unsigned long long)r->st.drop_bad, r->q.len,
				 (unsigned long long)r->st.max_queued,
				 r->st.released ? (double)r->st.late_sum_ns / 1e3 /
							  (double)r->st.released
						: 0.0,
				 (double)r->st.late_max_ns / 1e3,
				 (double)r->wake_ns / 1e3);
		else
			mf_wanem_net_command(&r->net, buf, reply, sizeof reply);
		fprintf(stderr, "wanem router: %s -> %s\n", buf, reply);
		send(fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	close(fd); /* also removes it from the epoll set */
}

static void on_ctl(struct router *r)
{
	int fd;
	while ((fd = accept4(r->ctl, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		if (watch(r, fd, TAG_CLIENT | (uint64_t)fd) < 0)
			close(fd);
}

/* A SCHED_IDLE spinner pinned to one CPU: it runs only when nothing else
 * wants that CPU, and keeps the vCPU from halting. On a VM a halted vCPU
 * is woken through the hypervisor, milliseconds later; PM QoS alone does
 * not stop that, and sparse traffic (one probe per member every few
 * seconds) found every hop asleep: one echo every 5 s over a 20 ms link
 * measured median 28.5 ms with PM QoS alone (docs/wanem.md). */
struct warm_arg {
	struct router *r;
	int cpu;
};

static void *keep_warm(void *p)
{
	struct warm_arg a = *(struct warm_arg *)p;
	free(p);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(a.cpu, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	struct sched_param sp = {.sched_priority = 0};
	(void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	while (!atomic_load_explicit(&a.r->stop_warm, memory_order_relaxed))
		__asm__ volatile("" ::: "memory");
	return NULL;
}

static void start_warm(struct router *r)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) < 0)
		return;
	r->warm = calloc((size_t)CPU_COUNT(&set), sizeof *r->warm);
	for (int cpu = 0; r->warm && cpu < CPU_SETSIZE; cpu++) {
		struct warm_arg *a;
		if (!CPU_ISSET(cpu, &set) || !(a = malloc(sizeof *a)))
			continue;
		*a = (struct warm_arg){r, cpu};
		if (pthread_create(&r->warm[r->n_warm], NULL, keep_warm, a) == 0)
			r->n_warm++;
		else
			free(a);
	}
}

static void stop_warm(struct router *r)
{
	atomic_store(&r->stop_warm, true);
	for (size_t i = 0; i < r->n_warm; i++)
		pthread_join(r->warm[i], NULL);
	free(r->warm);
	r->warm = NULL;
	r->n_warm = 0;
}

static int setup(struct router *r)
{
	const struct mf_wanem_router_cfg *c = r->cfg;
	size_t n_dcs = c->topo->n_dcs;
	r->tun = malloc((c->n_hosts ? c->n_hosts : 1) * sizeof *r->tun);
	r->by_addr = malloc(n_dcs * 256 * sizeof *r->by_addr);
	if (!r->tun || !r->by_addr)
		return MF_ENOMEM;
	for (size_t i = 0; i < c->n_hosts; i++)
		r->tun[i] = -1;
	for (size_t i = 0; i < n_dcs * 256; i++)
		r->by_addr[i] = -1;
	for (size_t i = 0; i < c->n_hosts; i++) {
		uint32_t a = c->hosts[i].addr;
		r->by_addr[(((a >> 8) & 0xff) - 1) * 256 + (a & 0xff)] = (int32_t)i;
	}
	int rc = mf_wanem_net_init(&r->net, c->topo);
	if (!rc)
		rc = mf_wanem_queue_init(&r->q, QUEUE_LIMIT);
	if (!rc)
		rc = make_tuns(r);
	if (!rc)
		rc = make_ctl(r);
	if (rc)
		return rc;

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	r->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	if (r->sfd < 0 || r->tfd < 0 || r->ep < 0)
		return MF_EIO;
	rc = watch(r, r->sfd, TAG_SIGNAL);
	if (!rc)
		rc = watch(r, r->tfd, TAG_TIMER);
	if (!rc)
		rc = watch(r, r->ctl, TAG_CTL);
	for (size_t i = 0; i < c->n_hosts && !rc; i++)
		rc = watch(r, r->tun[i], i);
	/* Deadlines are exact: no coalesced wake-ups, and the lowest real-time
	 * priority so a busy machine does not make packets late (the kernel's
	 * RT throttling still leaves 5 % of each CPU to everything else). */
	prctl(PR_SET_TIMERSLACK, 1UL);
	/* Keep every CPU out of deep idle states while we run (PM QoS, as
	 * cyclictest does; with the spinners of keep_warm, see there).
	 * Released when the router exits (the kernel drops the request with
	 * the descriptor). */
	r->qos = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
	int32_t zero = 0;
	if (r->qos < 0 || write(r->qos, &zero, sizeof zero) != (ssize_t)sizeof zero)
		fprintf(stderr, "wanem router: cannot hold /dev/cpu_dma_latency at 0 (%s): "
				"sparse traffic may see CPU wake-up latency\n",
			strerror(errno));
	struct sched_param sp = {.sched_priority = 1};
	if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0 &&
	    setpriority(PRIO_PROCESS, 0, -10) < 0)
		fprintf(stderr, "wanem router: runs at normal priority\n");
	if (!rc)
		start_warm(r);
	return rc;
}

static void teardown(struct router *r)
{
	stop_warm(r);
	if (r->tun)
		for (size_t i = 0; i < r->cfg->n_hosts; i++)
			if (r->tun[i] >= 0)
				close(r->tun[i]);
	if (r->ctl >= 0) {
		close(r->ctl);
		unlink(r->cfg->ctl_path);
	}
	if (r->ep >= 0)
		close(r->ep);
	if (r->tfd >= 0)
		close(r->tfd);
	if (r->sfd >= 0)
		close(r->sfd);
	if (r->qos >= 0)
		close(r->qos);
	free(r->tun);
	free(r->by_addr);
	mf_wanem_queue_free(&r->q);
	mf_wanem_net_free(&r->net);
}

int mf_wanem_router_run(const struct mf_wanem_router_cfg *cfg)
{
	struct router r;
	memset(&r, 0, sizeof r);
	r.cfg = cfg;
	r.ep = r.tfd = r.sfd = r.ctl = r.qos = -1;
	r.wake_ns = WAKE_INIT_NS;
	if (sodium_init() < 0)
		return MF_EIO;
	int rc = setup(&r);
	if (rc) {
		teardown(&r);
		return rc;
	}
	if (cfg->ready_fd >= 0) {
		if (write(cfg->ready_fd, "R", 1) != 1)
			rc = MF_EIO;
		close(cfg->ready_fd);
	}
	fprintf(stderr, "wanem router: %zu hosts up\n", cfg->n_hosts);
	bool running = !rc;
	struct epoll_event ev[64];
	while (running) {
		int n = epoll_wait(r.ep, ev, 64, -1);
		if (n < 0 && errno != EINTR) {
			rc = MF_EIO;
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;
			switch (tag & TAG_MASK) {
			case 0:
				read_tun(&r, (size_t)tag);
				break;
			case TAG_TIMER:
				on_timer(&r);
				break;
			case TAG_SIGNAL:
				running = false;
				break;
			case TAG_CTL:
				on_ctl(&r);
				break;
			case TAG_CLIENT:
				on_client(&r, (int)(tag & ~TAG_MASK));
				break;
			}
		}
		release_due(&r);
	}
	fprintf(stderr, "wanem router: stopping, forwarded %llu\n",
		(unsigned long long)r.st.forwarded);
	teardown(&r);
	return rc;
}
