// FcgiConnections against a small FastCGI client written here from the
// protocol (records of an 8-byte header + content), speaking as nginx does
// with `fastcgi_keep_conn on`: several requests one after another on one
// connection. The loop runs in a forked child on a unix socket in a
// temporary directory.
#include <cppunit/extensions/HelperMacros.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "../temporary_directory.h"
#include "tokend/server/fcgi_connections.h"

namespace tokend {
namespace {

constexpr unsigned char kBeginRequest = 1, kEndRequest = 3, kParams = 4,
                        kStdin = 5, kStdout = 6;
constexpr unsigned char kKeepConn = 1;
constexpr int kReadTimeoutMs = 5000;
// Longest the child's /gate handler waits to be opened.
constexpr int kGateWaitMs = 10000;

volatile sig_atomic_t g_stop = 0;
void OnTerm(int) { g_stop = 1; }

std::string Record(unsigned char type, const std::string& content) {
  std::string record = {1, static_cast<char>(type), 0, 1,
                        static_cast<char>(content.size() >> 8),
                        static_cast<char>(content.size() & 0xff), 0, 0};
  return record + content;
}

std::string NameValue(const std::string& name, const std::string& value) {
  // Lengths below 128 take one byte each.
  return std::string(1, static_cast<char>(name.size())) +
         std::string(1, static_cast<char>(value.size())) + name + value;
}

// One whole request as nginx sends it: begin, params, end of params, the
// body in one STDIN record, end of STDIN.
std::string Request(const std::string& uri, const std::string& body,
                    bool keep_connection) {
  std::string begin = {0, 1, static_cast<char>(keep_connection ? kKeepConn : 0),
                       0, 0, 0, 0, 0};
  std::string params = NameValue("REQUEST_METHOD", body.empty() ? "GET" : "POST") +
                       NameValue("REQUEST_URI", uri) +
                       NameValue("CONTENT_LENGTH", std::to_string(body.size()));
  std::string out = Record(kBeginRequest, begin) + Record(kParams, params) +
                    Record(kParams, "");
  if (!body.empty()) out += Record(kStdin, body);
  return out + Record(kStdin, "");
}

bool ReadFully(int fd, char* buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    pollfd ready = {fd, POLLIN, 0};
    if (poll(&ready, 1, kReadTimeoutMs) != 1) return false;
    ssize_t n = read(fd, buffer + done, size - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// The STDOUT of one response, up to its END_REQUEST; "" if the connection
// closed or stayed silent first.
std::string ReadResponse(int fd) {
  std::string out;
  while (true) {
    char header[8];
    if (!ReadFully(fd, header, sizeof(header))) return "";
    size_t length = (static_cast<unsigned char>(header[4]) << 8) |
                    static_cast<unsigned char>(header[5]);
    std::string content(length + static_cast<unsigned char>(header[6]), '\0');
    if (!content.empty() && !ReadFully(fd, &content[0], content.size())) return "";
    if (header[1] == kStdout) out += content.substr(0, length);
    if (header[1] == kEndRequest) return out;
  }
}

// True once the peer has closed `fd` (read gives end of file).
bool ClosedByPeer(int fd) {
  pollfd ready = {fd, POLLIN, 0};
  char byte;
  return poll(&ready, 1, kReadTimeoutMs) == 1 && read(fd, &byte, 1) == 0;
}

// The child's other thread: answers the requests handed to it when told.
struct Holder {
  int wakeup_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<FCGX_Request*> held;
  std::vector<int> answered;
  bool release = false;
  bool stop = false;
  std::thread thread{[this] { Run(); }};

  void Hold(FCGX_Request* request) {
    std::lock_guard<std::mutex> lock(mutex);
    held.push_back(request);
  }
  void ReleaseAll() {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
    changed.notify_one();
  }
  std::vector<int> TakeAnswered() {
    uint64_t count;
    if (read(wakeup_fd, &count, sizeof(count)) < 0) count = 0;
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<int> out;
    out.swap(answered);
    return out;
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
      changed.notify_one();
    }
    thread.join();
  }
  void Run() {
    std::unique_lock<std::mutex> lock(mutex);
    while (!stop) {
      changed.wait(lock, [this] { return stop || release; });
      for (FCGX_Request* request : held) {
        std::string answer = "Status: 200 OK\r\n\r\nheld";
        FCGX_PutStr(answer.data(), static_cast<int>(answer.size()), request->out);
        answered.push_back(request->ipcFd);
      }
      held.clear();
      release = false;
      uint64_t one = 1;
      if (write(wakeup_fd, &one, sizeof(one)) < 0) break;
    }
  }
};

// Whether `fd` has something to read right now.
bool Readable(int fd) {
  pollfd ready = {fd, POLLIN, 0};
  return poll(&ready, 1, 0) == 1;
}

class FcgiConnectionsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(FcgiConnectionsTest);
  CPPUNIT_TEST(testServesManyRequestsOnOneKeptConnection);
  CPPUNIT_TEST(testBodyLeftUnreadDoesNotSpillIntoTheNextRequest);
  CPPUNIT_TEST(testConnectionWithoutKeepConnIsClosedAfterItsRequest);
  CPPUNIT_TEST(testServesSeveralConnectionsAtOnce);
  CPPUNIT_TEST(testGarbageClosesOnlyItsOwnConnection);
  CPPUNIT_TEST(testStoppingAnswersOneMoreRequestPerConnectionThenCloses);
  CPPUNIT_TEST(testAHandedOverRequestLeavesTheOtherConnectionsServed);
  CPPUNIT_TEST(testStoppingWaitsForAHandedOverAnswer);
  CPPUNIT_TEST(testARequestServedAfterAnotherOfItsBatchIsTimedFromTheWait);
  CPPUNIT_TEST(testAnIdlePoolTakesNewConnectionsInTurn);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_.Create("fcgi-connections-test");
    path_ = dir_.path() + "/fcgi.sock";
    CPPUNIT_ASSERT_EQUAL(0, FCGX_Init());
    listen_fd_ = FCGX_OpenSocket(path_.c_str(), 16);
    CPPUNIT_ASSERT(listen_fd_ >= 0);
    CPPUNIT_ASSERT_EQUAL(0, pipe(gate_entered_));
    CPPUNIT_ASSERT_EQUAL(0, pipe(gate_open_));
    CPPUNIT_ASSERT_EQUAL(0, pipe(waiting_));
    fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
    child_ = fork();
    CPPUNIT_ASSERT(child_ >= 0);
    if (child_ == 0) _exit(Serve());
  }

  void tearDown() override {
    if (child_ > 0) {
      kill(child_, SIGKILL);
      waitpid(child_, nullptr, 0);
    }
    close(listen_fd_);
    for (int fd : {gate_entered_[0], gate_entered_[1], gate_open_[0],
                   gate_open_[1], waiting_[0], waiting_[1]}) {
      close(fd);
    }
    dir_.Remove();  // and the socket in it
  }

  void testServesManyRequestsOnOneKeptConnection() {
    int fd = Connect();
    for (int i = 0; i < 20; ++i) {
      std::string uri = "/r" + std::to_string(i);
      Send(fd, Request(uri, "", true));
      CPPUNIT_ASSERT_EQUAL(Answer(uri, 0), ReadResponse(fd));
    }
    close(fd);
  }

  void testBodyLeftUnreadDoesNotSpillIntoTheNextRequest() {
    // The handler reads no body at /skip; its STDIN records must not be
    // taken for the start of the next request.
    int fd = Connect();
    std::string body(20000, 'b');
    for (int i = 0; i < 3; ++i) {
      Send(fd, Request("/skip", body, true));
      CPPUNIT_ASSERT_EQUAL(Answer("/skip", 0), ReadResponse(fd));
      Send(fd, Request("/read", "12345", true));
      CPPUNIT_ASSERT_EQUAL(Answer("/read", 5), ReadResponse(fd));
    }
    close(fd);
  }

  void testConnectionWithoutKeepConnIsClosedAfterItsRequest() {
    int fd = Connect();
    Send(fd, Request("/once", "", false));
    CPPUNIT_ASSERT_EQUAL(Answer("/once", 0), ReadResponse(fd));
    CPPUNIT_ASSERT(ClosedByPeer(fd));
    close(fd);
  }

  void testAnIdlePoolTakesNewConnectionsInTurn() {
    // Three idle workers on one socket, new connections made one at a time:
    // the kernel wakes the first waiting worker in the socket's queue, so
    // unless each worker goes to the back after an accept, the first one
    // takes nearly all of them.
    std::vector<pid_t> more;
    for (int i = 0; i < 2; ++i) {
      pid_t pid = fork();
      CPPUNIT_ASSERT(pid >= 0);
      if (pid == 0) _exit(Serve());
      more.push_back(pid);
    }
    for (int waiting = 0; waiting < 3; ++waiting) {
      pollfd ready = {waiting_[0], POLLIN, 0};
      CPPUNIT_ASSERT_EQUAL(1, poll(&ready, 1, 20000));
      char byte;
      CPPUNIT_ASSERT_EQUAL(ssize_t{1}, read(waiting_[0], &byte, 1));
    }
    std::vector<int> fds;
    std::map<std::string, int> taken;  // pid -> connections
    for (int i = 0; i < 12; ++i) {
      int fd = Connect();
      Send(fd, Request("/pid", "", true));
      ++taken[ReadResponse(fd)];
      fds.push_back(fd);
    }
    for (int fd : fds) close(fd);
    for (pid_t pid : more) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    // In turn: 4 each (a worker busy with a timer tick at a connection's
    // moment is passed over). The first worker alone: 11 or 12 of them.
    int most = 0;
    for (const auto& [pid, count] : taken) most = std::max(most, count);
    CPPUNIT_ASSERT_MESSAGE(std::to_string(most) + " of 12 to one worker",
                           most <= 8);
  }

  void testServesSeveralConnectionsAtOnce() {
    // One process holds them all: each is answered in turn.
    std::vector<int> fds;
    for (int i = 0; i < 5; ++i) fds.push_back(Connect());
    for (int round = 0; round < 3; ++round) {
      for (size_t i = 0; i < fds.size(); ++i) {
        Send(fds[i], Request("/c" + std::to_string(i), "", true));
      }
      for (size_t i = fds.size(); i-- > 0;) {
        CPPUNIT_ASSERT_EQUAL(Answer("/c" + std::to_string(i), 0),
                             ReadResponse(fds[i]));
      }
    }
    for (int fd : fds) close(fd);
  }

  void testGarbageClosesOnlyItsOwnConnection() {
    int good = Connect();
    Send(good, Request("/before", "", true));
    CPPUNIT_ASSERT_EQUAL(Answer("/before", 0), ReadResponse(good));
    // Not FastCGI at all, then a request record of an unknown version.
    int bad = Connect();
    Send(bad, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CPPUNIT_ASSERT(ClosedByPeer(bad));
    close(bad);
    bad = Connect();
    std::string wrong_version = Request("/x", "", true);
    wrong_version[0] = 9;
    Send(bad, wrong_version);
    CPPUNIT_ASSERT(ClosedByPeer(bad));
    close(bad);
    // The loop serves on, old and new connections alike.
    Send(good, Request("/after", "", true));
    CPPUNIT_ASSERT_EQUAL(Answer("/after", 0), ReadResponse(good));
    int fresh = Connect();
    Send(fresh, Request("/fresh", "", true));
    CPPUNIT_ASSERT_EQUAL(Answer("/fresh", 0), ReadResponse(fresh));
    close(fresh);
    close(good);
  }

  void testAHandedOverRequestLeavesTheOtherConnectionsServed() {
    int held = Connect();
    int other = Connect();
    Send(held, Request("/hold", "", true));
    // While it waits for its answer, the loop serves another connection,
    // many times.
    for (int i = 0; i < 5; ++i) {
      Send(other, Request("/o" + std::to_string(i), "", true));
      CPPUNIT_ASSERT_EQUAL(Answer("/o" + std::to_string(i), 0), ReadResponse(other));
    }
    CPPUNIT_ASSERT_MESSAGE("the held request was answered before its release",
                           !Readable(held));
    Send(other, Request("/release", "", true));
    CPPUNIT_ASSERT_EQUAL(Answer("/release", 0), ReadResponse(other));
    CPPUNIT_ASSERT_EQUAL(std::string("Status: 200 OK\r\n\r\nheld"),
                         ReadResponse(held));
    // Its connection serves again.
    Send(held, Request("/again", "12", true));
    CPPUNIT_ASSERT_EQUAL(Answer("/again", 2), ReadResponse(held));
    close(held);
    close(other);
  }

  void testStoppingWaitsForAHandedOverAnswer() {
    int held = Connect();
    int other = Connect();
    Send(held, Request("/hold", "", true));
    Send(other, Request("/o", "", true));
    CPPUNIT_ASSERT_EQUAL(Answer("/o", 0), ReadResponse(other));
    kill(child_, SIGTERM);
    usleep(200000);
    // The stopping loop answers one more request on the other connection,
    // which releases the held one: it is answered, then closed.
    Send(other, Request("/release", "", true));
    CPPUNIT_ASSERT_EQUAL(Answer("/release", 0), ReadResponse(other));
    CPPUNIT_ASSERT_EQUAL(std::string("Status: 200 OK\r\n\r\nheld"),
                         ReadResponse(held));
    CPPUNIT_ASSERT(ClosedByPeer(held));
    close(held);
    close(other);
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 250 && done == 0; ++i) {
      usleep(20000);
      done = waitpid(child_, &status, WNOHANG);
    }
    CPPUNIT_ASSERT_MESSAGE("the stopped loop did not exit within 5 s", done == child_);
    CPPUNIT_ASSERT(WIFEXITED(status));
    CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
    child_ = -1;
  }

  void testARequestServedAfterAnotherOfItsBatchIsTimedFromTheWait() {
    int first = Connect();
    int second = Connect();
    int gate = Connect();
    // Accepted: each has been served once.
    for (int fd : {first, second, gate}) {
      Send(fd, Request("/hi", "", true));
      CPPUNIT_ASSERT_EQUAL(Answer("/hi", 0), ReadResponse(fd));
    }
    // While the loop is held in /gate, two requests arrive: its next wait
    // reports both, and it serves one after the other.
    Send(gate, Request("/gate", "", true));
    char entered;
    CPPUNIT_ASSERT_MESSAGE("the loop did not reach /gate",
                           ReadFully(gate_entered_[0], &entered, 1));
    Send(first, Request("/when", "", true));
    Send(second, Request("/when", "", true));
    CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(1), write(gate_open_[1], "o", 1));
    CPPUNIT_ASSERT_EQUAL(Answer("/gate", 0), ReadResponse(gate));
    // Each answer is "<ready_at> <when its handler began>", in nanoseconds.
    long long ready[2], began[2];
    int i = 0;
    for (int fd : {first, second}) {
      std::string answer = ReadResponse(fd);
      size_t body = answer.find("\r\n\r\n");
      CPPUNIT_ASSERT_MESSAGE(answer, body != std::string::npos);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(
          answer, 2,
          std::sscanf(answer.c_str() + body + 4, "%lld %lld", &ready[i],
                      &began[i]));
      ++i;
    }
    int served_first = began[0] < began[1] ? 0 : 1;
    int served_second = 1 - served_first;
    CPPUNIT_ASSERT_MESSAGE(
        "the request served second was timed from after the first one began",
        ready[served_second] <= began[served_first]);
    for (int fd : {first, second, gate}) close(fd);
  }

  void testStoppingAnswersOneMoreRequestPerConnectionThenCloses() {
    int first = Connect();
    int second = Connect();
    Send(first, Request("/a", "", true));
    CPPUNIT_ASSERT_EQUAL(Answer("/a", 0), ReadResponse(first));
    Send(second, Request("/b", "", true));
    CPPUNIT_ASSERT_EQUAL(Answer("/b", 0), ReadResponse(second));
    kill(child_, SIGTERM);
    usleep(200000);  // the signal ends the child's wait at once
    // A request nginx sends on a kept connection after the stop is still
    // answered; then that connection closes.
    Send(first, Request("/after", "", true));
    CPPUNIT_ASSERT_EQUAL(Answer("/after", 0), ReadResponse(first));
    CPPUNIT_ASSERT(ClosedByPeer(first));
    // nginx closes its end too (libfcgi waits for that before its close
    // returns), and closes the idle one: the worker then leaves at once,
    // well before kRetireSeconds.
    close(first);
    close(second);
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 50 && done == 0; ++i) {
      usleep(20000);
      done = waitpid(child_, &status, WNOHANG);
    }
    CPPUNIT_ASSERT_MESSAGE("the stopped loop did not exit within 1 s", done == child_);
    CPPUNIT_ASSERT(WIFEXITED(status));
    CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
    child_ = -1;
  }

 private:
  // The child: answers "<uri> <bytes of body read>" to every request; at
  // /skip it reads no body at all. /gate says it is running through
  // gate_entered_ and waits for a byte on gate_open_; /when
  // answers "<ready_at> <when the handler began>" (steady clock, ns).
  int Serve() {
    signal(SIGTERM, OnTerm);
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, nullptr);
    sigset_t open_mask;
    sigemptyset(&open_mask);
    FcgiConnections connections(listen_fd_);
    // /hold is handed over to a thread that answers it once /release comes
    // (answered by the loop itself), as a worker's hashing lane answers a
    // request the loop handed over.
    Holder holder;
    connections.WatchWakeups(holder.wakeup_fd, [&connections, &holder] {
      for (int fd : holder.TakeAnswered()) connections.Resume(fd);
    });
    using Disposition = FcgiConnections::Disposition;
    int code = connections.Serve(
        [this, &holder](FCGX_Request* request,
                        std::chrono::steady_clock::time_point ready_at) {
          auto began = std::chrono::steady_clock::now();
          std::string uri = FCGX_GetParam("REQUEST_URI", request->envp);
          if (uri == "/when") {
            // Takes a while, as a slow request does: whatever is stamped
            // after this handler began is then later than `began`.
            usleep(2000);
            std::string answer =
                "Status: 200 OK\r\n\r\n" +
                std::to_string(ready_at.time_since_epoch().count()) + " " +
                std::to_string(began.time_since_epoch().count());
            FCGX_PutStr(answer.data(), static_cast<int>(answer.size()),
                        request->out);
            return Disposition::kAnswered;
          }
          if (uri == "/gate") {
            char byte = 'e';
            pollfd open = {gate_open_[0], POLLIN, 0};
            if (write(gate_entered_[1], &byte, 1) == 1 &&
                poll(&open, 1, kGateWaitMs) == 1) {
              (void)!read(gate_open_[0], &byte, 1);
            }
          }
          if (uri == "/hold") {
            holder.Hold(request);
            return Disposition::kHandedOver;
          }
          if (uri == "/release") holder.ReleaseAll();
          if (uri == "/pid") {
            std::string answer =
                "Status: 200 OK\r\n\r\n" + std::to_string(getpid());
            FCGX_PutStr(answer.data(), static_cast<int>(answer.size()),
                        request->out);
            return Disposition::kAnswered;
          }
          int read = 0;
          if (uri != "/skip") {
            char buffer[64];
            int n;
            while ((n = FCGX_GetStr(buffer, sizeof(buffer), request->in)) > 0) {
              read += n;
            }
          }
          std::string answer = Answer(uri, read);
          FCGX_PutStr(answer.data(), static_cast<int>(answer.size()), request->out);
          return Disposition::kAnswered;
        },
        [this, open_mask, said = false](int epoll_fd, epoll_event* events,
                                        int max, int timeout) mutable {
          if (!said) {
            said = true;
            char byte = 'w';
            (void)!write(waiting_[1], &byte, 1);
          }
          return epoll_pwait(epoll_fd, events, max, timeout, &open_mask);
        },
        [] { return g_stop != 0; });
    holder.Stop();
    return code;
  }

  static std::string Answer(const std::string& uri, int body_bytes) {
    return "Status: 200 OK\r\n\r\n" + uri + " " + std::to_string(body_bytes);
  }

  int Connect() {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    CPPUNIT_ASSERT_EQUAL(
        0, connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)));
    return fd;
  }

  static void Send(int fd, const std::string& bytes) {
    CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(bytes.size()),
                         write(fd, bytes.data(), bytes.size()));
  }

  test::TemporaryDirectory dir_;
  std::string path_;
  int listen_fd_ = -1;
  int gate_entered_[2] = {-1, -1};
  int gate_open_[2] = {-1, -1};
  // A byte from each serving process once it waits for connections.
  int waiting_[2] = {-1, -1};
  pid_t child_ = -1;
};

CPPUNIT_TEST_SUITE_REGISTRATION(FcgiConnectionsTest);

}  // namespace
}  // namespace tokend
