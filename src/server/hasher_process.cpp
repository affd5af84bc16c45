// The worker's low-priority hashing process (see hasher_process.h).
#include "tokend/server/hasher_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "tokend/common/crypto.h"

namespace tokend {

namespace {

// A request: 'c', the password's length (4 bytes), the password and the
// stored hash; or 'h', the three parameters (4 bytes each) and the
// password. An answer: '0' match, '1' mismatch, '2' refused; or the new
// hash (empty when hashing failed). A stored hash longer than a message
// allows is checked in the calling thread instead.
constexpr char kCheck = 'c';
constexpr char kHash = 'h';
constexpr size_t kMaxMessageBytes = 64 * 1024;
constexpr size_t kMaxAnswerBytes = 4096;
// The child's end of the socket pair, once it has closed everything else.
constexpr int kChildSocket = 3;
// The nice value of the child's autogroup. Linux weighs nice 10 at about a
// tenth of nice 0: against a busy nginx or connection loop the hashing gets
// a tenth of a core, and a hash still ends within the budget's wait on a
// machine saturated by something else (at 19, a seventieth, it would not).
constexpr char kAutogroupNice[] = "10";

void AppendInt32(std::string* out, uint32_t value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(value));
}

uint32_t ReadInt32(std::string_view in, size_t at) {
  uint32_t value = 0;
  std::memcpy(&value, in.data() + at, sizeof(value));
  return value;
}

// The child's answer to one request; empty for a malformed one.
std::string AnswerRequest(std::string_view request) {
  if (request.size() >= 5 && request[0] == kCheck) {
    uint32_t length = ReadInt32(request, 1);
    if (length > request.size() - 5) return "";
    std::string password(request.substr(5, length));
    std::string stored(request.substr(5 + length));
    PasswordCheck result = CheckPassword(password, stored);
    Wipe(&password);
    return result == PasswordCheck::kMatch      ? "0"
           : result == PasswordCheck::kMismatch ? "1"
                                                : "2";
  }
  if (request.size() >= 13 && request[0] == kHash) {
    PasswordHashParams params;
    params.memory_kib = static_cast<int>(ReadInt32(request, 1));
    params.time_cost = static_cast<int>(ReadInt32(request, 5));
    params.parallelism = static_cast<int>(ReadInt32(request, 9));
    if (!PasswordHashParamsValid(params)) return "";
    std::string password(request.substr(13));
    std::string hash = HashPassword(password, params);
    Wipe(&password);
    return hash;
  }
  return "";
}

// Makes the child what hasher_process.h says, then serves until the worker
// closes its end.
[[noreturn]] void RunChild(int socket, pid_t worker) {
  // Dies with the worker (the flag is lost if the worker died already).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != worker) _exit(0);
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
    signal(signal_number, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Nothing of the worker's (its FastCGI socket above all) but the log.
  if (socket != kChildSocket) {
    dup2(socket, kChildSocket);
    close(socket);
  }
  close_range(kChildSocket + 1, ~0U, 0);
  // A session of its own is an autogroup of its own, whose nice value the
  // process may raise.
  setsid();
  int autogroup = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC);
  if (autogroup >= 0) {
    ssize_t ignored = write(autogroup, kAutogroupNice, sizeof(kAutogroupNice) - 1);
    (void)ignored;
    close(autogroup);
  }
  sched_param idle = {};
  sched_setscheduler(0, SCHED_IDLE, &idle);

  std::vector<char> buffer(kMaxMessageBytes);
  while (true) {
    ssize_t size = recv(kChildSocket, buffer.data(), buffer.size(), 0);
    if (size < 0 && errno == EINTR) continue;
    if (size <= 0) _exit(0);
    std::string answer =
        AnswerRequest(std::string_view(buffer.data(), static_cast<size_t>(size)));
    Wipe(buffer.data(), static_cast<size_t>(size));
    if (send(kChildSocket, answer.data(), answer.size(), MSG_NOSIGNAL) < 0) {
      _exit(0);
    }
  }
}

}  // namespace

HasherProcess::~HasherProcess() { Stop(); }

bool HasherProcess::Start() {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    std::fprintf(stderr, "onezone-tokend: hasher socket: %s\n", std::strerror(errno));
    return false;
  }
  pid_t worker = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    std::fprintf(stderr, "onezone-tokend: hasher fork: %s\n", std::strerror(errno));
    close(pair[0]);
    close(pair[1]);
    return false;
  }
  if (pid == 0) {
    close(pair[0]);
    RunChild(pair[1], worker);
  }
  close(pair[1]);
  socket_ = pair[0];
  pid_ = pid;
  return true;
}

void HasherProcess::Stop() {
  if (socket_ >= 0) {
    close(socket_);
    socket_ = -1;
  }
  if (pid_ > 0) {
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

bool HasherProcess::Call(const std::string& request, std::string* answer) {
  if (socket_ < 0) return false;
  ssize_t sent;
  do {
    sent = send(socket_, request.data(), request.size(), MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  char buffer[kMaxAnswerBytes];
  ssize_t size = -1;
  if (sent == static_cast<ssize_t>(request.size())) {
    do {
      size = recv(socket_, buffer, sizeof(buffer), 0);
    } while (size < 0 && errno == EINTR);
  }
  if (size <= 0) {
    std::fprintf(stderr, "onezone-tokend: the password hasher process is gone; "
                         "this worker hashes in its lane thread from now on\n");
    close(socket_);
    socket_ = -1;
    return false;
  }
  answer->assign(buffer, static_cast<size_t>(size));
  return true;
}

PasswordCheck HasherProcess::Check(const std::string& password,
                                   const std::string& stored) {
  std::string request(1, kCheck);
  AppendInt32(&request, static_cast<uint32_t>(password.size()));
  request += password;
  request += stored;
  std::string answer;
  bool answered = request.size() <= kMaxMessageBytes && Call(request, &answer);
  Wipe(&request);
  if (!answered || answer.size() != 1) {
    return PasswordHasher::Check(password, stored);
  }
  return answer == "0"   ? PasswordCheck::kMatch
         : answer == "1" ? PasswordCheck::kMismatch
                         : PasswordCheck::kRefused;
}

std::string HasherProcess::Hash(const std::string& password,
                                const PasswordHashParams& params) {
  std::string request(1, kHash);
  AppendInt32(&request, static_cast<uint32_t>(params.memory_kib));
  AppendInt32(&request, static_cast<uint32_t>(params.time_cost));
  AppendInt32(&request, static_cast<uint32_t>(params.parallelism));
  request += password;
  std::string answer;
  bool answered = request.size() <= kMaxMessageBytes && Call(request, &answer);
  Wipe(&request);
  if (!answered) return PasswordHasher::Hash(password, params);
  return answer;
}

}  // namespace tokend
