// The benchmark's ceiling: a FastCGI responder that does nothing but answer a
// fixed small JSON body, built the way the service is built (libfcgi, one
// unix socket, N pre-forked single-threaded processes accepting on it) so that
// nginx + FastCGI + this process model cost exactly what the service pays
// before it does any work of its own. bench/service_bench.py puts it behind
// an nginx rendered from the service's templates with only the upstream
// socket changed.
//
//   ceiling_responder SOCKET_PATH PROCESSES [naive|kept]
//
// naive (the default): the plain libfcgi loop, FCGX_Accept_r and
//   FCGX_Finish_r, one connection per request (nginx then runs with
//   `fastcgi_keep_conn off`). The ceiling issue 7 measures against.
// kept: each process serves every connection it holds with the service's
//   own loop (tokend::FcgiConnections), behind the service's nginx config
//   unchanged, with kept-alive FastCGI connections: the ceiling of the
//   architecture the service runs now.
//
// The parent opens the socket (mode 0600, replacing a stale one), forks
// PROCESSES children and waits. SIGTERM or SIGINT stops the children, removes
// the socket and exits 0. A child that dies takes the whole responder down
// (exit 1): a ceiling that lost a process would flatter the service.
//
// In naive mode, unlike the service's workers (non-blocking socket, epoll,
// then accept), the children block in accept(): Linux wakes one blocked
// acceptor per connection, the cheapest way N processes can share one socket.
#include <fcgiapp.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tokend/server/fcgi_connections.h"

namespace {

// Connections nginx may queue before a process accepts them (as the service).
constexpr int kListenBacklog = 1024;
constexpr int kMaxProcesses = 256;
// Request bodies are read and dropped in chunks of this size.
constexpr int kDrainChunkBytes = 4096;

// Headers and body of every answer; the body is the size of the service's
// GET /user answer ({"name":...,"userId":<32 hex digits>}).
constexpr char kBody[] =
    "{\"name\":\"bench-user\",\"userId\":\"00000000000000000000000000000000\"}";
constexpr char kHead[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: ";

int Fail(const char* what) {
  std::fprintf(stderr, "ceiling_responder: %s: %s\n", what, std::strerror(errno));
  return 1;
}

// Drops the body and answers the fixed response.
void Answer(FCGX_Request* request) {
  static char response[512];
  static int length = std::snprintf(response, sizeof(response),
                                    "%s%zu\r\n\r\n%s", kHead,
                                    sizeof(kBody) - 1, kBody);
  // nginx has sent the body already; read it as the service does, so
  // that POSTs cost the same on both sides.
  char drain[kDrainChunkBytes];
  const char* declared = FCGX_GetParam("CONTENT_LENGTH", request->envp);
  if (declared != nullptr && std::atol(declared) > 0) {
    while (FCGX_GetStr(drain, sizeof(drain), request->in) > 0) {
    }
  }
  FCGX_PutStr(response, length, request->out);
}

// One naive process's life: accept, answer, close, forever.
int ServeNaive(int listen_fd) {
  FCGX_Request request;
  if (FCGX_InitRequest(&request, listen_fd, 0) != 0) return 1;
  while (FCGX_Accept_r(&request) >= 0) {
    Answer(&request);
    FCGX_Finish_r(&request);
  }
  return 0;
}

// One kept process's life: the service's connection loop, until killed.
int ServeKept(int listen_fd) {
  tokend::FcgiConnections connections(listen_fd);
  return connections.Serve(
      [](FCGX_Request* request, std::chrono::steady_clock::time_point) {
        Answer(request);
        return tokend::FcgiConnections::Disposition::kAnswered;
      },
      [](int epoll_fd, epoll_event* events, int max_events, int timeout_ms) {
        return epoll_wait(epoll_fd, events, max_events, timeout_ms);
      },
      [] { return false; });
}

void StopAll(const std::vector<pid_t>& children) {
  for (pid_t pid : children) kill(pid, SIGTERM);
  for (pid_t pid : children) waitpid(pid, nullptr, 0);
}

}  // namespace

int main(int argc, char** argv) {
  bool kept = argc == 4 && std::strcmp(argv[3], "kept") == 0;
  if (argc < 3 || argc > 4 || (argc == 4 && !kept && std::strcmp(argv[3], "naive") != 0)) {
    std::fprintf(stderr, "usage: ceiling_responder SOCKET_PATH PROCESSES [naive|kept]\n");
    return 2;
  }
  const char* path = argv[1];
  int processes = std::atoi(argv[2]);
  if (processes < 1 || processes > kMaxProcesses) {
    std::fprintf(stderr, "ceiling_responder: PROCESSES must be 1..%d\n",
                 kMaxProcesses);
    return 2;
  }

  // Taken synchronously by the parent; children restore the default mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal_number : {SIGTERM, SIGINT, SIGCHLD, SIGHUP}) {
    sigaddset(&signals, signal_number);
  }
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (FCGX_Init() != 0) return Fail("FCGX_Init");
  unlink(path);
  int listen_fd = FCGX_OpenSocket(path, kListenBacklog);
  if (listen_fd < 0) return Fail("cannot listen");
  if (chmod(path, 0600) != 0) return Fail("chmod");
  // The kept loop takes turns on a non-blocking socket as the service's
  // workers do; the naive one blocks in accept().
  if (kept) fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);

  std::vector<pid_t> children;
  for (int i = 0; i < processes; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      sigprocmask(SIG_UNBLOCK, &signals, nullptr);
      _exit(kept ? ServeKept(listen_fd) : ServeNaive(listen_fd));
    }
    if (pid < 0) {
      int saved = errno;
      StopAll(children);
      errno = saved;
      return Fail("fork");
    }
    children.push_back(pid);
  }

  int code = 0;
  while (true) {
    siginfo_t info;
    int signal_number = sigwaitinfo(&signals, &info);
    if (signal_number < 0) continue;  // EINTR
    if (signal_number == SIGCHLD) {
      std::fprintf(stderr, "ceiling_responder: a process died; stopping\n");
      code = 1;
    }
    if (signal_number != SIGHUP) break;
  }
  StopAll(children);
  unlink(path);
  return code;
}
