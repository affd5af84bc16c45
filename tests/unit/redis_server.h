// A redis-server of a unit test's own: a child process on a unix socket in
// a temporary directory (no TCP port, no persistence), stopped by pid.
// Shared by the unit tests that need a real Redis.
#pragma once

#include <cppunit/extensions/HelperMacros.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tokend/common/config.h"
#include "tokend/store/redis_client.h"

namespace tokend {
namespace test {

// One redis-server child process on a unix socket.
class RedisServer {
 public:
  ~RedisServer() { Stop(); }

  // Starts the server with `extra_args` (more config, e.g. ACL users) and
  // waits until it answers PING, logged in as `user` with `password` when
  // given (at most 5 s).
  void Start(const std::string& dir,
             const std::vector<std::string>& extra_args = {},
             const std::string& user = "", const std::string& password = "") {
    socket_ = dir + "/redis.sock";
    std::vector<std::string> args = {"redis-server",
                                     "--port",
                                     "0",
                                     "--unixsocket",
                                     socket_,
                                     "--unixsocketperm",
                                     "700",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--daemonize",
                                     "no",
                                     "--dir",
                                     dir,
                                     "--logfile",
                                     dir + "/redis.log",
                                     "--enable-debug-command",
                                     "yes"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    pid_ = fork();
    CPPUNIT_ASSERT(pid_ >= 0);
    if (pid_ == 0) {
      // Dies with the test run, whatever happens to it.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      signal(SIGPIPE, SIG_DFL);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    Config config;
    config.redis = "unix:" + socket_;
    config.redis_connect_timeout_ms = 200;
    config.redis_command_timeout_ms = 500;
    config.redis_user = user;
    config.redis_password = password;
    RedisClient probe(config);
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 5.0) {
      RedisReply reply;
      if (probe.Run({"PING"}, &reply).ok() && reply.text == "PONG") return;
      int wstatus = 0;
      if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
        pid_ = -1;
        CPPUNIT_FAIL("redis-server exited at start; see " + dir + "/redis.log");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CPPUNIT_FAIL("redis-server did not answer on " + socket_ + " within 5 s");
  }

  // Stops the server (SIGTERM, SIGKILL after 2 s) and reaps it.
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    const auto start = std::chrono::steady_clock::now();
    int wstatus = 0;
    while (waitpid(pid_, &wstatus, WNOHANG) == 0) {
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > 2.0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &wstatus, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }

  const std::string& socket() const { return socket_; }

 private:
  pid_t pid_ = -1;
  std::string socket_;
};

}  // namespace test
}  // namespace tokend
