/*
 * routing/route_proto.h — the route socket's protocol (docs/route-socket.md),
 * as pure encoders, decoders and the subscriber's table-applying state.
 *
 * Contract: pure functions over jansson values and struct mf_table
 * (routing/table.h); no I/O, no clock, no globals. One message is one JSON
 * object on one line; the encoders return the line WITH its trailing '\n'
 * (malloc'd, *len its length without the NUL), the decoders take one line
 * without it. Route objects inside snapshots and deltas are exactly the
 * objects of `meshfed routes -format json` (routing/table_format.h).
 *
 * Agent -> subscriber:
 *   {"type":"hello","protocol":1,"datacenter":"dc1","node":"dc1-s1","epoch":E}
 *   {"type":"snapshot","epoch":E,"version":V,"table":{...}}
 *   {"type":"delta","epoch":E,"version":V,"base":B,
 *    "upsert":[route,...],"remove":["dc7",...],"links":[...]}
 *        links (optional): the table's whole link list, present when it
 *        changed since base;
 *   {"type":"heartbeat","version":V}
 *   {"type":"registered","gateway":"dc1-gw1"}
 *   {"type":"error","error":"..."}
 * Subscriber -> agent:
 *   {"type":"ack","version":V}   {"type":"nack","version":V,"error":"..."}
 *   {"type":"resume","epoch":E,"version":V}
 *   {"type":"subscribe","deltas":false}
 *   {"type":"register","gateway":{"name":..,"wan":..,"lan":..,"tagged":{"dc:dc2":..}}}
 *   {"type":"health","ok":true}
 * Epochs and versions are unsigned 64-bit on the wire as JSON integers;
 * jansson holds them as json_int_t, so values above 2^63-1 are refused.
 */
#ifndef MF_ROUTING_ROUTE_PROTO_H
#define MF_ROUTING_ROUTE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routing/advert.h"
#include "routing/table.h"

#define MF_RP_PROTOCOL 1
#define MF_RP_MAX_LINE (64 * 1024) /* subscriber -> agent line bound, bytes */

/* --- agent side: encoders -------------------------------------------------- */

int mf_rp_encode_hello(const char *dc, const char *node, uint64_t epoch, char **line, size_t *len);
int mf_rp_encode_snapshot(uint64_t epoch, const struct mf_table *t, char **line, size_t *len);
/* The delta that turns `base` into `cur` (version cur->version, base
 * base->version): routes of cur that differ from base's route of the same
 * target, or that base lacks, in "upsert"; targets of base that cur lacks in
 * "remove"; "links" when cur's links differ from base's. Both tables sorted
 * by target (as the engine hands them out). */
int mf_rp_encode_delta(uint64_t epoch, const struct mf_table *base, const struct mf_table *cur,
		       char **line, size_t *len);
int mf_rp_encode_heartbeat(uint64_t version, char **line, size_t *len);
int mf_rp_encode_registered(const char *gateway, char **line, size_t *len);
int mf_rp_encode_error(const char *msg, char **line, size_t *len);

/* --- agent side: decoding what a subscriber sends -------------------------- */

enum mf_rp_req_type {
	MF_RP_ACK = 1,
	MF_RP_NACK,
	MF_RP_RESUME,
	MF_RP_SUBSCRIBE,
	MF_RP_REGISTER,
	MF_RP_HEALTH,
};

struct mf_rp_request {
	enum mf_rp_req_type type;
	uint64_t version;      /* ack, nack, resume */
	uint64_t epoch;        /* resume */
	bool deltas;           /* subscribe */
	bool ok;               /* health */
	char *error;           /* nack (may be NULL) */
	struct mf_gateway gw;  /* register: name, lan (may be NULL), wan, tags */
};

/* Parses one line. On failure returns MF_EMALFORMED (or MF_ENOMEM) and puts
 * a one-line reason naming the bad field in err ("register: gateway.wan:
 * \"x\" is not IP:PORT"); *req is then empty. Addresses must be IP:PORT
 * (IPv4 or [IPv6]); names are 1-255 bytes of [A-Za-z0-9._-]; tag keys are
 * "dc:<name>". Unknown keys are ignored. Free with mf_rp_request_free. */
int mf_rp_parse_request(const char *line, size_t len, struct mf_rp_request *req, char *err,
			size_t errcap);
void mf_rp_request_free(struct mf_rp_request *req);

/* --- subscriber side ------------------------------------------------------- */

/* What a subscriber holds: the agent's hello and the table it applied. */
struct mf_rp_client {
	bool have_hello, have_table;
	uint64_t epoch;
	char *datacenter, *node;  /* from hello */
	struct mf_table table;    /* table.version is the version applied */
	uint64_t last_heartbeat;  /* version the last heartbeat named */
};

enum mf_rp_event {
	MF_RP_EV_HELLO = 1,
	MF_RP_EV_SNAPSHOT,   /* table replaced; reply holds the ack */
	MF_RP_EV_DELTA,      /* table updated; reply holds the ack */
	MF_RP_EV_HEARTBEAT,
	MF_RP_EV_REGISTERED,
	MF_RP_EV_ERROR,      /* the agent sent an error; *detail holds it */
	MF_RP_EV_REJECTED,   /* a snapshot or delta we could not apply (bad
			      * JSON, wrong epoch, a base that is not our
			      * version): table unchanged, reply holds the nack,
			      * the agent answers with a snapshot */
};

void mf_rp_client_init(struct mf_rp_client *c);
void mf_rp_client_free(struct mf_rp_client *c);
/* Applies one line from the agent. *ev tells what it was; *reply (NULL when
 * nothing is to be sent) is the line to send back, with its '\n', malloc'd;
 * *detail (may be NULL; malloc'd) a human reason for REJECTED and ERROR.
 * Returns 0, or MF_EMALFORMED for a line that is not a protocol message
 * at all (then *ev is 0 and nothing changed), MF_ENOMEM. */
int mf_rp_client_apply(struct mf_rp_client *c, const char *line, size_t len, enum mf_rp_event *ev,
		       char **reply, size_t *reply_len, char **detail);
/* {"type":"resume",...} for the table held (after a reconnect), or
 * {"type":"subscribe","deltas":D} when none is held. */
int mf_rp_client_hello_line(const struct mf_rp_client *c, bool deltas, char **line, size_t *len);
/* Encoders for what a subscriber sends (gateways and tests). */
int mf_rp_encode_register(const struct mf_gateway *g, char **line, size_t *len);
int mf_rp_encode_health(bool ok, char **line, size_t *len);

#endif
