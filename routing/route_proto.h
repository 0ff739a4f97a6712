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

#include <jansson.h>

#include "routing/advert.h"
#include "routing/table.h"

#define MF_RP_PROTOCOL 1
#define MF_RP_MAX_LINE (64 * 1024) /* subscriber -> agent line bound, bytes */

/* --- agent side: encoders -------------------------------------------------- */

/* Each returns 0, MF_EINVAL (a NULL string, an epoch or version above
 * 2^63-1) or MF_ENOMEM. Output is compact, keys in the order shown above,
 * numbers as table_format prints them (6 significant digits). */

int mf_rp_encode_hello(const char *dc, const char *node, uint64_t epoch, char **line, size_t *len);
int mf_rp_encode_snapshot(uint64_t epoch, const struct mf_table *t, char **line, size_t *len);
/* The delta that turns `base` into `cur` (version cur->version, base
 * base->version): routes of cur that differ from base's route of the same
 * target (as JSON objects: any field), or that base lacks, in "upsert";
 * targets of base that cur lacks in "remove" (both always present, maybe
 * empty); "links" only when cur's links differ from base's. Both tables
 * sorted by target (as the engine hands them out); MF_EINVAL when they are
 * not, or when cur->version <= base->version. */
int mf_rp_encode_delta(uint64_t epoch, const struct mf_table *base, const struct mf_table *cur,
		       char **line, size_t *len);
/* The same two from tables already rendered by mf_table_to_json (a
 * publisher that keeps each version's JSON encodes every delta without
 * rendering its base again). Routes are compared by JSON equality of their
 * objects, so every field counts, including ones this module does not know.
 * MF_EINVAL for a table that is not that JSON form, routes not sorted by
 * target or repeated, a cur version not above base's, or a version or
 * epoch above 2^63-1. */
int mf_rp_encode_snapshot_json(uint64_t epoch, const json_t *table, char **line, size_t *len);
int mf_rp_encode_delta_json(uint64_t epoch, const json_t *base, const json_t *cur, char **line,
			    size_t *len);
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

/* Parses one line (without its '\n'). On failure returns MF_EMALFORMED,
 * MF_ETOOBIG (longer than MF_RP_MAX_LINE) or MF_ENOMEM and puts a one-line
 * reason naming the bad field in err ("register: gateway.wan: \"x\" is not
 * IP:PORT"; quoted input is cut short and non-printable bytes shown as
 * '?'); *req is then empty. Versions and epochs are integers 0..2^63-1;
 * addresses IP:PORT (IPv4 or [IPv6], port 1-65535); gateway names 1-255
 * bytes of [A-Za-z0-9._-]; tag keys "dc:<DC name>" (routing/names.h), at
 * most MF_ADVERT_TAGS_MAX; lan may be absent or null (then gw.lan is NULL);
 * subscribe's deltas defaults to true; nack's error is optional. Unknown
 * keys are ignored, repeated keys refused. Free with mf_rp_request_free. */
int mf_rp_parse_request(const char *line, size_t len, struct mf_rp_request *req, char *err,
			size_t errcap);
void mf_rp_request_free(struct mf_rp_request *req);

/* --- subscriber side ------------------------------------------------------- */

/* What a subscriber holds: the agent's hello and the table it applied.
 * Kept across reconnects (a gateway goes on forwarding on its last table):
 * a new hello replaces epoch, datacenter and node but not the table, which
 * keeps the epoch it came from until a snapshot of the new one replaces
 * it. */
struct mf_rp_client {
	bool have_hello, have_table;
	uint64_t epoch;           /* from the last hello */
	char *datacenter, *node;  /* from the last hello */
	struct mf_table table;    /* sorted by target; table.version is the
				   * version applied */
	uint64_t table_epoch;     /* the epoch the table belongs to */
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
/* Applies one line from the agent (without its '\n'; any bytes, any
 * length). *ev tells what it was; *reply (NULL when nothing is to be sent)
 * is the line to send back, with its '\n', malloc'd, *reply_len its length;
 * detail may be NULL, else *detail is set (malloc'd, or NULL) to the
 * agent's text for ERROR, the gateway's name for REGISTERED, and a one-line
 * reason for REJECTED and for every failure.
 *   snapshot: applied when its epoch is the hello's and its table parses
 *     (routes sorted here if they are not; a repeated target, another
 *     datacenter than the hello's or a table version other than the
 *     message's is REJECTED);
 *   delta: applied when epoch is the hello's and the table's, base is the
 *     applied version and version > base; removes first, then upserts; a
 *     removed target we lack, a target both upserted and removed or named
 *     twice is REJECTED. links, when present, replace the table's.
 * A REJECTED update leaves the table exactly as it was; so does every
 * failure. Returns 0, or (with *ev 0) MF_EMALFORMED for a line that is not
 * a protocol message (not JSON, no "type", a field missing or of the wrong
 * type), MF_EUNKNOWN for a well-formed message of a type this client does
 * not know (a newer agent; safe to ignore), MF_EINVAL for a hello of
 * another protocol version (disconnect: every update would be nacked),
 * MF_ENOMEM. */
int mf_rp_client_apply(struct mf_rp_client *c, const char *line, size_t len, enum mf_rp_event *ev,
		       char **reply, size_t *reply_len, char **detail);
/* What to send after connecting: {"type":"resume","epoch":E,"version":V}
 * for the table held (after a reconnect), preceded by
 * {"type":"subscribe","deltas":false} when !deltas; only the subscribe line
 * when no table is held. One or two lines, each with its '\n'. */
int mf_rp_client_hello_line(const struct mf_rp_client *c, bool deltas, char **line, size_t *len);
/* Encoders for what a subscriber sends (gateways and tests). */
int mf_rp_encode_register(const struct mf_gateway *g, char **line, size_t *len);
int mf_rp_encode_health(bool ok, char **line, size_t *len);

#endif
