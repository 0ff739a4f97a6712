/*
 * cmd/agent/snapshot.h — the -snapshot file (serf's -snapshot): the members a
 * pool last knew alive and serf's three Lamport clocks, so an agent that
 * restarts or crashes rejoins them without -join (serf's -rejoin).
 *
 * Format: serf's own text records, one per line, appended as things change:
 *   alive: NAME IP:PORT     a member joined or changed address
 *   not-alive: NAME         it failed or left
 *   clock: N | event-clock: N | query-clock: N
 *   leave                   we left gracefully: rejoin nobody
 *   # comment
 * Replay applies the complete lines in order. A line that does not parse
 * (corruption) is counted and skipped; a last line without its newline (a
 * write cut by a crash) is ignored and reported; nothing in the bytes can
 * make replay fail. Compaction writes the replayed state back as the
 * shortest equivalent file.
 *
 * Contract: pure (no I/O, no clock); the agent's shell is
 * cmd/agent/agent_snapshot.c. Errors: MF_ENOMEM only.
 */
#ifndef MF_CMD_SNAPSHOT_H
#define MF_CMD_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip/err.h"

#define MF_SNAPSHOT_ADDR_MAX 64
#define MF_SNAPSHOT_MAX_MEMBERS 100000 /* more alive records are counted as bad */

struct mf_snapshot_member {
	char *name;
	char addr[MF_SNAPSHOT_ADDR_MAX];
};

struct mf_snapshot {
	struct mf_snapshot_member *alive; /* in the order first seen */
	size_t n_alive, cap_alive;
	uint64_t clock, event_clock, query_clock;
	bool left;             /* the last membership record was our leave */
	/* Replay's report. */
	size_t records;        /* lines applied */
	size_t bad_lines;      /* skipped: not a record */
	size_t truncated;      /* bytes of a last line without newline, ignored */
};

void mf_snapshot_init(struct mf_snapshot *s);
void mf_snapshot_free(struct mf_snapshot *s);

/* Applies every complete line of buf[0..len). */
int mf_snapshot_replay(struct mf_snapshot *s, const char *buf, size_t len);

/* Record lines (with newline) into buf; each returns its length, or 0 when
 * the record cannot be written (a name with a newline, or cap too small).
 * The matching mf_snapshot_* update keeps s equal to what replay gives. */
size_t mf_snapshot_fmt_alive(char *buf, size_t cap, const char *name, const char *addr);
size_t mf_snapshot_fmt_not_alive(char *buf, size_t cap, const char *name);
/* kind: "clock", "event-clock" or "query-clock". */
size_t mf_snapshot_fmt_clock(char *buf, size_t cap, const char *kind, uint64_t v);
size_t mf_snapshot_fmt_leave(char *buf, size_t cap);

int mf_snapshot_alive(struct mf_snapshot *s, const char *name, const char *addr);
void mf_snapshot_not_alive(struct mf_snapshot *s, const char *name);
void mf_snapshot_leave(struct mf_snapshot *s);

/* The compacted file for s: its clocks and alive members (malloc'd, *len
 * bytes). */
int mf_snapshot_compact(const struct mf_snapshot *s, char **out, size_t *len);

#endif
