/*
 * cmd/gateway/conn_life.c — one connection's lifetime, whatever its state.
 *
 * Allocated at accept with its two first handles (down, timer) and linked
 * into g->conns; closed from any state by closing every handle it has
 * open; freed by the close callback of the last one (libuv owns a handle
 * until its close callback ran). conn.c (hello, decision, dialing) and
 * relay.c (the bytes both ways) both end a connection here, and this file
 * calls neither, so the two never call each other.
 */
#include <stdlib.h>

#include "cmd/gateway/gwd.h"

int mf_gwd_conn_new(struct mf_gwd *g, struct mf_gwd_conn **out)
{
	struct mf_gwd_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return MF_ENOMEM;
	c->g = g;
	if (uv_tcp_init(&g->loop, &c->down) < 0 || uv_timer_init(&g->loop, &c->timer) < 0) {
		/* Cannot happen on Linux (no allocation); keep the loop sane anyway. */
		free(c);
		return MF_EIO;
	}
	c->down.data = c->timer.data = c;
	c->handles_open = 2;
	c->next = g->conns;
	if (g->conns)
		g->conns->prev = c;
	g->conns = c;
	g->st.active++;
	mf_ch_init(&c->ch, g->opt.hello_max);
	*out = c;
	return 0;
}

static void conn_free(struct mf_gwd_conn *c)
{
	struct mf_gwd *g = c->g;
	if (c->prev)
		c->prev->next = c->next;
	else
		g->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->has_plan)
		mf_gw_plan_free(&c->plan);
	mf_ch_free(&c->ch);
	free(c->buf);
	g->st.active--;
	free(c);
}

bool mf_gwd_conn_handle_closed(struct mf_gwd_conn *c, uv_handle_t *h)
{
	if (h == (uv_handle_t *)&c->up)
		c->up_open = false;
	if (--c->handles_open > 0)
		return false;
	conn_free(c);
	return true;
}

static void on_handle_closed(uv_handle_t *h)
{
	(void)mf_gwd_conn_handle_closed(h->data, h);
}

void mf_gwd_conn_close(struct mf_gwd_conn *c)
{
	if (c->state == MF_GWD_C_CLOSING)
		return;
	struct mf_gwd *g = c->g;
	if (c->state == MF_GWD_C_RELAY)
		g->st.relaying--;
	c->state = MF_GWD_C_CLOSING;
	if (c->ep_state == 1)
		(void)mf_gw_ep_failed(&g->eps, c->target, mf_gwd_now(g));
	else if (c->ep_state == 2)
		(void)mf_gw_ep_closed(&g->eps, c->target, mf_gwd_now(g));
	c->ep_state = 0;
	uv_close((uv_handle_t *)&c->down, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	if (c->up_open && !uv_is_closing((uv_handle_t *)&c->up))
		uv_close((uv_handle_t *)&c->up, on_handle_closed);
}

void mf_gwd_conns_close_all(struct mf_gwd *g)
{
	for (struct mf_gwd_conn *c = g->conns; c; c = c->next)
		mf_gwd_conn_close(c);
}
