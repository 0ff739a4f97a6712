/*
 * tests/cli/test_gateway_options.c — `meshfed gateway`'s flags and config
 * file (cmd/gateway/options.c), one behaviour per test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "cmd/gateway/options.h"
#include "tests/cunit_main.h"

static char err[1024];
static struct mf_gw_options o;

/* Parses a whitespace-separated command line (after "gateway") into o. */
static int parse_line(const char *line)
{
	char buf[2048], *argv[64];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 64; t = strtok(NULL, " "))
		argv[argc++] = t;
	mf_gw_options_free(&o);
	CU_ASSERT_FATAL(mf_gw_options_init(&o) == 0);
	err[0] = '\0';
	return mf_gw_options_parse_args(&o, argc, argv, err, sizeof(err));
}

static const char *fmt(const struct mf_addr *a)
{
	static char b[64];
	return mf_addr_format(a, b, sizeof(b));
}

static void test_defaults_need_only_a_trust_domain_and_an_address(void)
{
	CU_ASSERT_EQUAL(parse_line("-trust-domain Example.Test. -listen 127.0.0.5:9443"), 0);
	CU_ASSERT_STRING_EQUAL(o.trust_domain, "example.test"); /* lower case, no dot */
	CU_ASSERT_EQUAL(o.n_listen, 1);
	CU_ASSERT_STRING_EQUAL(fmt(&o.advertise), "127.0.0.5:9443"); /* the first listen */
	CU_ASSERT_STRING_EQUAL(fmt(&o.lan), "127.0.0.5:9443");       /* the advertise */
	CU_ASSERT_EQUAL(o.hello_timeout, 10 * MF_SEC);
	CU_ASSERT_EQUAL(o.hello_max, 16384);
	CU_ASSERT_EQUAL(o.connect_timeout, 2 * MF_SEC);
	CU_ASSERT_EQUAL(o.idle_timeout, 3600 * MF_SEC);
	CU_ASSERT_EQUAL(o.max_conns, 10000);
	CU_ASSERT_EQUAL(o.max_unwritten, 256 * 1024);
	CU_ASSERT_STRING_EQUAL(o.dc, "");   /* learnt from the agent */
	CU_ASSERT_NOT_EQUAL(o.name[0], '\0'); /* the host name */
}

static void test_trust_domain_is_required(void)
{
	CU_ASSERT_EQUAL(parse_line("-listen 127.0.0.5:9443"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-trust-domain is required"));
}

static void test_unspecified_listen_needs_advertise(void)
{
	CU_ASSERT_EQUAL(parse_line("-trust-domain t.test"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-advertise is required"));
	CU_ASSERT_EQUAL(parse_line("-trust-domain t.test -advertise 192.0.2.1:8443"), 0);
	CU_ASSERT_STRING_EQUAL(fmt(&o.listen[0]), "0.0.0.0:8443");
	CU_ASSERT_STRING_EQUAL(fmt(&o.advertise), "192.0.2.1:8443");
}

static void test_service_names_take_three_forms_and_default_namespace(void)
{
	CU_ASSERT_EQUAL(parse_line("-trust-domain t.test -listen 127.0.0.1:1 "
				   "-service WEB=127.0.0.1:80 -service api.prod=127.0.0.1:81 "
				   "-service v2.web.default=127.0.0.1:82"), 0);
	CU_ASSERT_EQUAL(o.n_services, 3);
	const struct mf_gw_service *s = mf_gw_options_service(&o, "", "web", "default");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->n_addrs, 1);
	CU_ASSERT_STRING_EQUAL(fmt(&s->addrs[0]), "127.0.0.1:80");
	s = mf_gw_options_service(&o, "", "api", "prod");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(fmt(&s->addrs[0]), "127.0.0.1:81");
	s = mf_gw_options_service(&o, "v2", "web", "default");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(fmt(&s->addrs[0]), "127.0.0.1:82");
	CU_ASSERT_PTR_NULL(mf_gw_options_service(&o, "", "api", "default"));
}

static void test_service_endpoints_collect_by_name(void)
{
	CU_ASSERT_EQUAL(parse_line("-trust-domain t.test -listen 127.0.0.1:1 "
				   "-service web=127.0.0.1:80,127.0.0.2:80 "
				   "-service web.default=[::1]:80"), 0);
	CU_ASSERT_EQUAL(o.n_services, 1);
	CU_ASSERT_EQUAL(o.services[0].n_addrs, 3);
	CU_ASSERT_STRING_EQUAL(fmt(&o.services[0].addrs[2]), "[::1]:80");
}

static void test_bad_service_is_refused_and_leaves_the_list_unchanged(void)
{
	CU_ASSERT_EQUAL(mf_gw_options_set(&o, "service", "web=127.0.0.1:80", err, sizeof(err)), 0);
	size_t n = o.services[0].n_addrs;
	CU_ASSERT_EQUAL(mf_gw_options_set(&o, "service", "web=127.0.0.1:81,bad", err,
					  sizeof(err)), MF_EINVAL);
	CU_ASSERT_EQUAL(o.services[0].n_addrs, n);
	CU_ASSERT_EQUAL(mf_gw_options_set(&o, "service", "a.b.c.d=127.0.0.1:1", err,
					  sizeof(err)), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_gw_options_set(&o, "service", "-web=127.0.0.1:1", err, sizeof(err)),
			MF_EINVAL);
	CU_ASSERT_EQUAL(mf_gw_options_set(&o, "service", ".web=127.0.0.1:1", err, sizeof(err)),
			MF_EINVAL);
	CU_ASSERT_EQUAL(mf_gw_options_set(&o, "service", "web=", err, sizeof(err)), MF_EINVAL);
	CU_ASSERT_EQUAL(mf_gw_options_set(&o, "service", "web=127.0.0.1:0", err, sizeof(err)),
			MF_EINVAL);
}

static void test_tagged_addresses_replace_by_key(void)
{
	CU_ASSERT_EQUAL(parse_line("-trust-domain t.test -listen 127.0.0.1:1 "
				   "-tagged dc:dc2=10.0.0.1:1 -tagged dc:dc3=10.0.0.3:1 "
				   "-tagged dc:dc2=10.0.0.2:1"), 0);
	CU_ASSERT_EQUAL(o.n_tagged, 2);
	CU_ASSERT_STRING_EQUAL(o.tag_keys[0], "dc:dc2");
	CU_ASSERT_STRING_EQUAL(fmt(&o.tag_addrs[0]), "10.0.0.2:1");
	CU_ASSERT_EQUAL(parse_line("-trust-domain t.test -tagged wan=10.0.0.1:1"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-tagged"));
}

static void test_durations_and_limits_are_checked(void)
{
	CU_ASSERT_EQUAL(parse_line("-trust-domain t.test -listen 127.0.0.1:1 "
				   "-hello-timeout 250ms -connect-timeout 1.5s -idle-timeout 2m "
				   "-max-conns 7 -hello-max 4096 -max-unwritten 65536"), 0);
	CU_ASSERT_EQUAL(o.hello_timeout, 250 * MF_MS);
	CU_ASSERT_EQUAL(o.connect_timeout, 1500 * MF_MS);
	CU_ASSERT_EQUAL(o.idle_timeout, 120 * MF_SEC);
	CU_ASSERT_EQUAL(o.max_conns, 7);
	CU_ASSERT_EQUAL(o.hello_max, 4096);
	CU_ASSERT_EQUAL(o.max_unwritten, 65536);
	CU_ASSERT_EQUAL(parse_line("-trust-domain t.test -max-conns -1"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-max-conns"));
	CU_ASSERT_EQUAL(parse_line("-trust-domain t.test -connect-timeout 2"), MF_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-connect-timeout: \"2\""));
}

static void test_unknown_flag_is_a_usage_error(void)
{
	CU_ASSERT_EQUAL(parse_line("-trust-domain t.test -frobnicate"), MF_FLAGS_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "-frobnicate"));
	CU_ASSERT_EQUAL(parse_line("-h"), MF_FLAGS_HELP);
}

static char *write_temp(const char *content)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/mf-gw-opt-XXXXXX");
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	close(fd);
	return path;
}

static void test_config_file_sets_every_kind_of_key_and_flags_override(void)
{
	char *p = write_temp(
		"{\"name\": \"gw-a\", \"dc\": \"dc2\", \"trust_domain\": \"example.test\","
		" \"listen\": [\"127.0.0.1:1\", \"127.0.0.2:1\"], \"advertise\": \"127.0.0.9:1\","
		" \"lan\": \"10.0.0.1:1\", \"tagged\": {\"dc:dc1\": \"127.0.0.8:1\"},"
		" \"services\": {\"web\": [\"127.0.0.1:80\", \"127.0.0.1:81\"],"
		"                \"v1.api.prod\": \"127.0.0.1:90\"},"
		" \"route_socket\": \"/tmp/r.sock\", \"control\": \"/tmp/c.sock\","
		" \"hello_timeout\": 500, \"connect_timeout\": \"3s\", \"max_conns\": 50,"
		" \"log_level\": \"debug\"}");
	char line[256];
	snprintf(line, sizeof(line), "-config-file %s -name gw-b -service web=127.0.0.1:82", p);
	CU_ASSERT_EQUAL(parse_line(line), 0);
	unlink(p);
	CU_ASSERT_STRING_EQUAL(o.name, "gw-b"); /* flag wins */
	CU_ASSERT_STRING_EQUAL(o.dc, "dc2");
	CU_ASSERT_EQUAL(o.n_listen, 2);
	CU_ASSERT_STRING_EQUAL(fmt(&o.advertise), "127.0.0.9:1");
	CU_ASSERT_STRING_EQUAL(fmt(&o.lan), "10.0.0.1:1");
	CU_ASSERT_EQUAL(o.n_tagged, 1);
	CU_ASSERT_EQUAL(o.n_services, 2);
	CU_ASSERT_EQUAL(mf_gw_options_service(&o, "", "web", "default")->n_addrs, 3);
	CU_ASSERT_PTR_NOT_NULL(mf_gw_options_service(&o, "v1", "api", "prod"));
	CU_ASSERT_STRING_EQUAL(o.route_socket, "/tmp/r.sock");
	CU_ASSERT_STRING_EQUAL(o.control, "/tmp/c.sock");
	CU_ASSERT_EQUAL(o.hello_timeout, 500 * MF_MS); /* a bare number is milliseconds */
	CU_ASSERT_EQUAL(o.connect_timeout, 3 * MF_SEC);
	CU_ASSERT_EQUAL(o.max_conns, 50);
	CU_ASSERT_EQUAL(o.log_level, MF_LOG_DEBUG);
}

static void test_config_file_errors_name_the_file_and_key(void)
{
	char *p = write_temp("{\"trust_domain\": \"t.test\", \"listen\": 5}");
	char line[256];
	snprintf(line, sizeof(line), "-config-file %s", p);
	CU_ASSERT_EQUAL(parse_line(line), MF_EINVAL);
	unlink(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, p));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "key \"listen\""));
	p = write_temp("{\"trust-domain\": \"t.test\"}");
	snprintf(line, sizeof(line), "-config-file %s", p);
	CU_ASSERT_EQUAL(parse_line(line), MF_EINVAL);
	unlink(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown key"));
	/* -service's file key is "services": "service" is only a flag. */
	p = write_temp("{\"trust_domain\": \"t.test\", \"service\": \"web=10.0.0.1:80\"}");
	snprintf(line, sizeof(line), "-config-file %s", p);
	CU_ASSERT_EQUAL(parse_line(line), MF_EINVAL);
	unlink(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "key \"service\": unknown key"));
	CU_ASSERT_EQUAL(o.n_services, 0);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_defaults_need_only_a_trust_domain_and_an_address),
		TEST(test_trust_domain_is_required),
		TEST(test_unspecified_listen_needs_advertise),
		TEST(test_service_names_take_three_forms_and_default_namespace),
		TEST(test_service_endpoints_collect_by_name),
		TEST(test_bad_service_is_refused_and_leaves_the_list_unchanged),
		TEST(test_tagged_addresses_replace_by_key),
		TEST(test_durations_and_limits_are_checked),
		TEST(test_unknown_flag_is_a_usage_error),
		TEST(test_config_file_sets_every_kind_of_key_and_flags_override),
		TEST(test_config_file_errors_name_the_file_and_key),
	};
	if (mf_gw_options_init(&o) < 0)
		return 1;
	int rc = RUN_SUITE("gateway_options", tests);
	mf_gw_options_free(&o);
	return rc;
}
