/*
 * gateway/sni.h — the mesh's SNI names:
 *   [<subset>.]<service>.<namespace>.<datacenter>.internal.<trust-domain>
 * (Consul's agent/connect/sni.go form for the default partition), e.g.
 * web.default.dc3.internal.example.test, v2.web.default.dc3.internal.example.test.
 *
 * Contract
 *  - Pure string functions: no I/O, no allocation, no globals.
 *  - Case-insensitive: results are lower case. One trailing dot allowed.
 *    Every label 1-63 bytes of [a-z0-9-], not starting or ending with '-';
 *    the whole name at most 253 bytes (without the trailing dot).
 *  - The trust domain is configured (it may have several labels, e.g.
 *    example.test) and checked with mf_sni_trust_domain_check() once.
 *  - Refusals are distinct so the shell counts them apart:
 *      MF_EMALFORMED  not a valid name of this form (count bad_hello);
 *      MF_ENOTFOUND   a valid DNS name, but not under <trust-domain>
 *                     (count unknown_trust_domain);
 *      MF_EINVAL      bad arguments (NULL, or a bad trust domain).
 *    Syntax is checked first: a malformed name is MF_EMALFORMED whatever
 *    its suffix. A name in the trust domain that is not of the .internal.
 *    form above (e.g. Consul's .query. or .internal-v1.) is MF_EMALFORMED.
 */
#ifndef MF_GATEWAY_SNI_H
#define MF_GATEWAY_SNI_H

#include <stdbool.h>
#include <stddef.h>

#include "gossip/err.h"

#define MF_SNI_LABEL_MAX 63
#define MF_SNI_NAME_MAX 253

/* The parts of a name, lower case, NUL-terminated; subset "" when absent. */
struct mf_sni_name {
	char subset[MF_SNI_LABEL_MAX + 1];
	char service[MF_SNI_LABEL_MAX + 1];
	char ns[MF_SNI_LABEL_MAX + 1];
	char dc[MF_SNI_LABEL_MAX + 1];
};

/* 0 when trust_domain is a valid DNS name (labels as above, trailing dot
 * allowed, case ignored), MF_EINVAL otherwise. */
int mf_sni_trust_domain_check(const char *trust_domain);

/* Parses name[0..len) (it need not be NUL-terminated and may come straight
 * from the ClientHello; a NUL inside is malformed). 0 and *out filled, or an
 * error above with *out zeroed. */
int mf_sni_parse(const char *name, size_t len, const char *trust_domain,
		 struct mf_sni_name *out);

/* true when s[0..len) is one valid label (1-63 of [a-zA-Z0-9-], no '-' at
 * either end): for the shell's -service NAME and -dc checks. */
bool mf_sni_label_valid(const char *s, size_t len);

/* Writes the canonical lower-case name of n under trust_domain (no trailing
 * dot) into buf; returns its length, or MF_ETOOBIG if it does not fit cap
 * (NUL included) or exceeds 253 bytes, MF_EINVAL for bad parts. */
int mf_sni_format(const struct mf_sni_name *n, const char *trust_domain,
		  char *buf, size_t cap);

#endif
