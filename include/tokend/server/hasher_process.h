// HasherProcess: a child process of a worker that runs its hashing lane's
// slow password hashes at a low CPU priority: in a session of its own, so an
// autogroup of its own, with that group's nice value at 10, and under the
// SCHED_IDLE policy, so that any other thread waking on its CPU (nginx, a
// connection loop, Redis) preempts it at once. An attacker can make the
// pool hash at will; this way the hashing takes the CPU that nginx, the
// connection loops and Redis leave, and about a tenth of a core beside
// them. A thread of the worker would not do, even at SCHED_IDLE: Linux
// weighs a thread's priority only against the threads of its own autogroup
// (the daemon's session), so a hashing worker competed with nginx as a
// whole group.
//
// The worker forks it before it starts any thread. Requests and answers are
// single messages on a SOCK_SEQPACKET socket pair; the child ends when the
// worker closes its end, and is killed when the worker dies. Should the
// child be gone, the hashes run in the calling thread instead.
//
// One caller at a time (the lane's thread); Start and Stop from the
// worker's main thread.
#pragma once

#include <sys/types.h>

#include <string>

#include "tokend/auth/password_hash.h"

namespace tokend {

class HasherProcess : public PasswordHasher {
 public:
  HasherProcess() = default;
  ~HasherProcess() override;
  HasherProcess(const HasherProcess&) = delete;
  HasherProcess& operator=(const HasherProcess&) = delete;

  // Forks the child; false (and a message on stderr) when it cannot.
  bool Start();
  // Closes the child's socket and waits for it to end.
  void Stop();
  pid_t pid() const { return pid_; }

  PasswordCheck Check(const std::string& password,
                      const std::string& stored) override;
  std::string Hash(const std::string& password,
                   const PasswordHashParams& params) override;

 private:
  // Sends `request`, reads the answer into `answer`; false when the child
  // is gone (it is not asked again).
  bool Call(const std::string& request, std::string* answer);

  int socket_ = -1;
  pid_t pid_ = -1;
};

}  // namespace tokend
