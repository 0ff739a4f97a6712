/* gateway/sni.c — parse and format the mesh's SNI names (gateway/sni.h). */
#include <stdio.h>
#include <string.h>

#include "gateway/sni.h"

#define MAX_LABELS ((MF_SNI_NAME_MAX + 1) / 2)

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

bool mf_sni_label_valid(const char *s, size_t len)
{
	if (s == NULL || len == 0 || len > MF_SNI_LABEL_MAX || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!label_char(lower(s[i])))
			return false;
	return true;
}

/* A checked DNS name split into labels: lower-cased copy in buf, label i at
 * buf + off[i], len[i] bytes. */
struct split {
	char buf[MF_SNI_NAME_MAX + 1];
	size_t n, off[MAX_LABELS], len[MAX_LABELS];
};

/* Splits s[0..len) (one trailing dot dropped); false when it is not a valid
 * name of the rules in sni.h. */
static bool split_name(const char *s, size_t len, struct split *sp)
{
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > MF_SNI_NAME_MAX)
		return false;
	sp->n = 0;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			sp->buf[i] = lower(s[i]);
			continue;
		}
		/* label [start, i) ends here */
		if (!mf_sni_label_valid(s + start, i - start))
			return false;
		sp->off[sp->n] = start;
		sp->len[sp->n] = i - start;
		sp->n++;
		sp->buf[i] = '\0';
		start = i + 1;
	}
	return true;
}

static bool label_is(const struct split *sp, size_t i, const char *word)
{
	return sp->len[i] == strlen(word) && memcmp(sp->buf + sp->off[i], word, sp->len[i]) == 0;
}

static void copy_label(char dst[MF_SNI_LABEL_MAX + 1], const struct split *sp, size_t i)
{
	memcpy(dst, sp->buf + sp->off[i], sp->len[i]);
	dst[sp->len[i]] = '\0';
}

int mf_sni_trust_domain_check(const char *trust_domain)
{
	struct split td;
	if (trust_domain == NULL || !split_name(trust_domain, strlen(trust_domain), &td))
		return MF_EINVAL;
	return 0;
}

int mf_sni_parse(const char *name, size_t len, const char *trust_domain, struct mf_sni_name *out)
{
	struct split nm, td;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (name == NULL || out == NULL || trust_domain == NULL ||
	    !split_name(trust_domain, strlen(trust_domain), &td))
		return MF_EINVAL;
	if (!split_name(name, len, &nm))
		return MF_EMALFORMED;
	/* Under the trust domain: its labels are the name's last ones. */
	if (nm.n < td.n)
		return MF_ENOTFOUND;
	size_t base = nm.n - td.n;
	for (size_t i = 0; i < td.n; i++)
		if (nm.len[base + i] != td.len[i] ||
		    memcmp(nm.buf + nm.off[base + i], td.buf + td.off[i], td.len[i]) != 0)
			return MF_ENOTFOUND;
	/* [subset.]service.namespace.dc.internal */
	if (base < 4 || base > 5 || !label_is(&nm, base - 1, "internal"))
		return MF_EMALFORMED;
	size_t i = 0;
	if (base == 5)
		copy_label(out->subset, &nm, i++);
	copy_label(out->service, &nm, i++);
	copy_label(out->ns, &nm, i++);
	copy_label(out->dc, &nm, i);
	return 0;
}

int mf_sni_format(const struct mf_sni_name *n, const char *trust_domain, char *buf, size_t cap)
{
	struct split td;

	if (n == NULL || buf == NULL || trust_domain == NULL ||
	    !split_name(trust_domain, strlen(trust_domain), &td))
		return MF_EINVAL;
	if ((n->subset[0] != '\0' && !mf_sni_label_valid(n->subset, strlen(n->subset))) ||
	    !mf_sni_label_valid(n->service, strlen(n->service)) ||
	    !mf_sni_label_valid(n->ns, strlen(n->ns)) || !mf_sni_label_valid(n->dc, strlen(n->dc)))
		return MF_EINVAL;
	/* td.buf holds the labels NUL-separated: join them back with dots. */
	for (size_t i = 0; i + 1 < td.n; i++)
		td.buf[td.off[i] + td.len[i]] = '.';
	int w = snprintf(buf, cap, "%s%s%s.%s.%s.internal.%s", n->subset, n->subset[0] ? "." : "",
			 n->service, n->ns, n->dc, td.buf);
	if (w < 0 || (size_t)w >= cap || w > MF_SNI_NAME_MAX)
		return MF_ETOOBIG;
	for (int i = 0; i < w; i++)
		buf[i] = lower(buf[i]);
	return w;
}
