/* Unit tests of cmd/daemon/unix_listen.c: the rules for the agent's socket
 * files (a dead agent's file is replaced, a live one refused, the name
 * appears only once connect() can succeed, no temporary name is left). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd/daemon/unix_listen.h"
#include "tests/cunit_main.h"

static char dir[64];

static void path_in_dir(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void on_conn(uv_stream_t *s, int status)
{
	(void)s;
	(void)status;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r;
}

/* Entries in dir other than `keep`. */
static int others_in_dir(const char *keep)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | grep -vx '%s' | wc -l) -eq 0", dir, keep);
	return system(cmd) != 0;
}

static void close_loop(uv_loop_t *loop)
{
	uv_run(loop, UV_RUN_NOWAIT);
	uv_loop_close(loop);
}

/* Listens on path in a loop of its own; returns mf_unix_listen's result,
 * *connected whether a client could connect then; err holds its error.
 * The socket is closed and its file removed before returning. */
static int listen_once(const char *path, mode_t mode, bool *connected, char *err, size_t errcap)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	uv_pipe_t p;
	uv_pipe_init(&loop, &p, 0);
	int rc = mf_unix_listen(&p, path, mode, (gid_t)-1, 8, on_conn, "test socket", err, errcap);
	*connected = rc == 0 && connect_to(path) == 0;
	uv_close((uv_handle_t *)&p, NULL);
	unlink(path);
	close_loop(&loop);
	return rc;
}

static void test_listening_at_the_name_and_no_temporary_file_is_left(void)
{
	char path[100], err[256];
	path_in_dir(path, sizeof(path), "a.sock");
	uv_loop_t loop;
	uv_loop_init(&loop);
	uv_pipe_t p;
	uv_pipe_init(&loop, &p, 0);
	CU_ASSERT_EQUAL_FATAL(mf_unix_listen(&p, path, 0600, (gid_t)-1, 8, on_conn, "test socket",
					     err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(connect_to(path), 0);
	struct stat st;
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_FALSE(others_in_dir("a.sock"));
	/* A second listener on a live name is refused, with the name in the error. */
	uv_pipe_t q;
	uv_pipe_init(&loop, &q, 0);
	CU_ASSERT_EQUAL(mf_unix_listen(&q, path, 0600, (gid_t)-1, 8, on_conn, "test socket", err,
				       sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "another agent is listening"));
	CU_ASSERT_FALSE(others_in_dir("a.sock"));
	uv_close((uv_handle_t *)&q, NULL);
	uv_close((uv_handle_t *)&p, NULL);
	unlink(path);
	close_loop(&loop);
}

static void test_a_dead_agents_socket_file_is_replaced(void)
{
	char path[100], err[256];
	path_in_dir(path, sizeof(path), "dead.sock");
	/* A socket file nobody accepts on. */
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	CU_ASSERT_NOT_EQUAL(connect_to(path), 0);
	bool connected;
	CU_ASSERT_EQUAL(listen_once(path, 0660, &connected, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(connected);
}

static void test_a_path_too_long_for_the_temporary_name_is_bound_in_place(void)
{
	char path[108], err[256];
	int n = snprintf(path, sizeof(path), "%s/", dir);
	memset(path + n, 'x', sizeof(path) - 1 - (size_t)n);
	path[sizeof(path) - 1] = '\0'; /* 107 bytes, the longest sun_path takes */
	bool connected;
	CU_ASSERT_EQUAL(listen_once(path, 0600, &connected, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(connected);
}

static void test_a_file_that_is_not_a_socket_is_an_error(void)
{
	char path[100], err[256];
	path_in_dir(path, sizeof(path), "plain");
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	bool connected;
	CU_ASSERT_EQUAL(listen_once(path, 0600, &connected, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not a socket"));
	unlink(path);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mf-unix-listen-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	static const struct test_case cases[] = {
#define T(f) {#f, f}
		T(test_listening_at_the_name_and_no_temporary_file_is_left),
		T(test_a_dead_agents_socket_file_is_replaced),
		T(test_a_path_too_long_for_the_temporary_name_is_bound_in_place),
		T(test_a_file_that_is_not_a_socket_is_an_error),
#undef T
	};
	int rc = RUN_SUITE("cli_unix_listen", cases);
	rmdir(dir);
	return rc;
}
