// queue_server_test.cc — the queue cell's loop driven in a child process
// with small limits: an injector that stops writing is abandoned with 52
// once the idle limit passes, and an injection older than its lifetime too;
// nothing is left in the queue either way. (The shipped limits are an hour
// and a day; the loop is the same code.)
#include "qmail-queue/queue_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>

#include "core/fd_passing.h"
#include "core/queue_job.h"

namespace qcell::queue {
namespace {

using namespace std::chrono_literals;

class ServerChild {
 public:
  explicit ServerChild(std::chrono::seconds idle, std::chrono::seconds lifetime) {
    ::signal(SIGPIPE, SIG_IGN);  // the cell closes an abandoned injection's pipes
    char pattern[] = "/tmp/qcell-queue-server-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    root_ = pattern;
    for (const DirEntry& e : dir_table()) {
      std::string dir = root_ + "/" + std::string(e.name);
      ::mkdir(dir.c_str(), 0700);
      for (std::uint64_t i = 0; e.split && i < split; ++i) ::mkdir((dir + "/" + std::to_string(i)).c_str(), 0700);
    }
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) std::abort();
    channel_.reset(pair[0]);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(pair[0]);
      auto queue = open_directory(root_.c_str());
      if (!queue) ::_exit(2);
      auto dirs = QueueDirs::open(std::move(queue.value()));
      if (!dirs) ::_exit(3);
      ServerLimits limits;
      limits.injection.message_bytes = 1 << 20;
      limits.jobs = 4;
      limits.idle = idle;
      limits.lifetime = lifetime;
      ::_exit(serve_queue(*dirs, pair[1], limits));
    }
    ::close(pair[1]);
  }
  ~ServerChild() {
    channel_.reset();
    ::waitpid(pid_, nullptr, 0);
    if (std::system(("rm -rf '" + root_ + "'").c_str()) != 0) std::fprintf(stderr, "cannot remove %s\n", root_.c_str());
  }
  // Sends a job and returns the write ends of its pipes.
  std::pair<UniqueFd, UniqueFd> start_job(std::uint64_t id) {
    int m[2], e[2];
    if (::pipe2(m, O_CLOEXEC) != 0 || ::pipe2(e, O_CLOEXEC) != 0) std::abort();
    ByteBuffer frame(queue_job_frame);
    if (!encode_queue_job(QueueJob{id, 1, 2, QueueOrigin::user}, frame)) std::abort();
    int fds[] = {m[0], e[0]};
    EXPECT_TRUE(send_frame(channel_.get(), frame.bytes(), fds, std::chrono::steady_clock::now() + 5s).ok());
    ::close(m[0]);
    ::close(e[0]);
    return {UniqueFd(m[1]), UniqueFd(e[1])};
  }
  // The next answer: {id, exit code}, or {0, -1} past the deadline.
  std::pair<std::uint64_t, int> answer(std::chrono::seconds within) {
    ByteBuffer frame(4096);
    auto got = receive_frame(channel_.get(), frame, 0, std::chrono::steady_clock::now() + within);
    if (!got) return {0, -1};
    auto done = decode_queue_done(frame.bytes());
    if (!done) return {0, -2};
    return {done->id, done->exit_code};
  }
  std::size_t files() const {
    std::string out;
    FILE* p = ::popen(("find '" + root_ + "' -type f | wc -l").c_str(), "r");
    char line[32] = {};
    if (p != nullptr && std::fgets(line, sizeof line, p) != nullptr) out = line;
    if (p != nullptr) ::pclose(p);
    return static_cast<std::size_t>(std::atol(out.c_str()));
  }

 private:
  std::string root_;
  UniqueFd channel_;
  pid_t pid_ = -1;
};

TEST(QueueServer, AnInjectorThatStopsWritingIsAbandonedAfterTheIdleLimit) {
  ServerChild server(1s, 60s);
  auto [message, envelope] = server.start_job(7);
  ASSERT_TRUE(write_full(message.get(), std::string_view("Subject: stalls\n")));
  auto start = std::chrono::steady_clock::now();
  auto [id, code] = server.answer(10s);
  EXPECT_EQ(id, 7u);
  EXPECT_EQ(code, 52);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
  EXPECT_EQ(server.files(), 0u);
}

TEST(QueueServer, AnInjectionOlderThanItsLifetimeIsAbandonedEvenWhileWriting) {
  ServerChild server(10s, 2s);
  auto [message, envelope] = server.start_job(8);
  auto start = std::chrono::steady_clock::now();
  // Keeps writing (never idle), but never finishes.
  std::pair<std::uint64_t, int> result{0, -1};
  for (int i = 0; i < 60 && result.second < 0; ++i) {
    (void)write_full(message.get(), std::string_view("more\n"));
    result = server.answer(std::chrono::seconds(0));
    if (result.second < 0) usleep(100000);
  }
  EXPECT_EQ(result.first, 8u);
  EXPECT_EQ(result.second, 52);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1900ms);
  EXPECT_EQ(server.files(), 0u);
}

TEST(QueueServer, ANormalInjectionIsQueuedWhileAnotherStalls) {
  ServerChild server(30s, 60s);
  auto stalled = server.start_job(1);
  auto [message, envelope] = server.start_job(2);
  ASSERT_TRUE(write_full(message.get(), std::string_view("Subject: fine\n")));
  message.reset();
  ASSERT_TRUE(write_full(envelope.get(), std::string_view("Fa\0Tb\0\0", 7)));
  envelope.reset();
  auto [id, code] = server.answer(10s);
  EXPECT_EQ(id, 2u);
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace qcell::queue
