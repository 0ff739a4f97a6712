/* cmd/daemon/write_copy.c — see cmd/daemon/write_copy.h. */
#include <stdlib.h>
#include <string.h>

#include "cmd/daemon/write_copy.h"
#include "gossip/err.h"

struct copy {
	uv_write_t req; /* first: cb's req is the copy */
	void *owner;
	size_t len;
	char data[];
};

int mf_write_copy(uv_stream_t *s, const uv_buf_t *bufs, unsigned nbufs, void *owner,
		  uv_write_cb cb)
{
	size_t n = 0, off = 0;
	for (unsigned i = 0; i < nbufs; i++)
		n += bufs[i].len;
	struct copy *w = malloc(sizeof(*w) + n);
	if (!w)
		return MF_ENOMEM;
	for (unsigned i = 0; i < nbufs; i++) {
		memcpy(w->data + off, bufs[i].base, bufs[i].len);
		off += bufs[i].len;
	}
	w->owner = owner;
	w->len = n;
	uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
	if (uv_write(&w->req, s, &b, 1, cb) < 0) {
		free(w);
		return MF_EIO;
	}
	return 0;
}

void *mf_write_copy_done(uv_write_t *req, size_t *len)
{
	struct copy *w = (struct copy *)req;
	void *owner = w->owner;
	if (len)
		*len = w->len;
	free(w);
	return owner;
}
