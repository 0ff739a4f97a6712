/*
 * cmd/daemon/write_copy.h — a libuv write of a copy of the caller's bytes,
 * so the caller may reuse them at once: the control socket's answers, the
 * route socket's lines, the gateway's relayed remainders and its
 * route-socket requests.
 *
 * Contract: one malloc per write, freed by mf_write_copy_done in the
 * caller's callback; never closes the stream, keeps no count (the caller
 * adds up what is queued, from the lengths it is handed).
 */
#ifndef MF_CMD_WRITE_COPY_H
#define MF_CMD_WRITE_COPY_H

#include <stddef.h>

#include <uv.h>

/* Queues a write of bufs[0..nbufs) (copied, in one piece) on s; owner is
 * handed back to cb through mf_write_copy_done. 0, MF_ENOMEM, or MF_EIO
 * when libuv refused the write (nothing queued, cb never called). */
int mf_write_copy(uv_stream_t *s, const uv_buf_t *bufs, unsigned nbufs, void *owner,
		  uv_write_cb cb);

/* In cb: the owner of the write req belongs to, its length into *len (may
 * be NULL); frees the copy. */
void *mf_write_copy_done(uv_write_t *req, size_t *len);

#endif
