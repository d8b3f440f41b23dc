// fd_passing_test.cc — frames and descriptors over real SOCK_SEQPACKET
// socket pairs: descriptors arrive, work and are close-on-exec; unwanted,
// truncated or mistyped ones are closed (the process's descriptor count is
// compared before and after); the 4096-byte frame limit holds on both ends;
// deadlines hold through EINTR; and the broker protocol helpers refuse what
// the protocol refuses. Raw sendmsg(2) plays the hostile peer.
#include "core/fd_passing.h"

#include "broker_frames.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.h"
#include "core/netstring.h"

namespace qcell {
namespace {

using namespace std::chrono_literals;
using testing::frame_of;
using testing::remote_frame_of_size;

Deadline in(std::chrono::milliseconds wait) { return std::chrono::steady_clock::now() + wait; }
Deadline soon() { return in(5s); }

struct SocketPair {
  UniqueFd cell;    // the sending side
  UniqueFd broker;  // the receiving side
};

SocketPair make_socket_pair() {
  std::array<int, 2> fds = {-1, -1};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds.data()), 0) << std::strerror(errno);
  return SocketPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe make_pipe() {
  std::array<int, 2> fds = {-1, -1};
  EXPECT_EQ(::pipe2(fds.data(), O_CLOEXEC), 0);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// A message file as qmail-send would hand it over: a regular file, read-only.
UniqueFd message_file(std::string_view content, int flags = O_RDONLY) {
  UniqueFd memfd(::memfd_create("message", MFD_CLOEXEC));
  EXPECT_TRUE(memfd.valid());
  EXPECT_TRUE(write_full(memfd.get(), content).ok());
  std::string path = "/proc/self/fd/" + std::to_string(memfd.get());
  UniqueFd reopened(::open(path.c_str(), flags | O_CLOEXEC));
  EXPECT_TRUE(reopened.valid()) << std::strerror(errno);
  return reopened;
}

std::size_t open_descriptor_count() {
  std::size_t count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  while (struct dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;  // includes the directory's own descriptor, the same every time
}

// The hostile peer: any bytes with any descriptors, no checks.
void raw_send(int socket, std::string_view bytes, const std::vector<int>& fds = {}) {
  struct iovec iov {};
  iov.iov_base = const_cast<char*>(bytes.data());
  iov.iov_len = bytes.size();
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<unsigned char> control(CMSG_SPACE(sizeof(int) * fds.size()) + sizeof(struct cmsghdr));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    struct cmsghdr* header = CMSG_FIRSTHDR(&msg);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
  }
  ASSERT_EQ(::sendmsg(socket, &msg, MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size())) << std::strerror(errno);
}

std::string read_some(int fd) {
  std::array<char, 256> buffer{};
  ssize_t n = ::read(fd, buffer.data(), buffer.size());
  return n > 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : std::string();
}

FrameErrc frame_errc(const ProtocolError& error) {
  const auto* frame = std::get_if<FrameError>(&error);
  EXPECT_NE(frame, nullptr) << describe(error);
  return frame != nullptr ? frame->kind : FrameErrc::system;
}

RequestError request_errc(const ProtocolError& error) {
  const auto* request = std::get_if<RequestError>(&error);
  EXPECT_NE(request, nullptr) << describe(error);
  return request != nullptr ? *request : RequestError::no_buffer_space;
}

SpawnLocal a_local_delivery() { return SpawnLocal{"joe-list@example.com", "alice@example.org"}; }

// --- frames and descriptors -----------------------------------------------------------------

TEST(FdPassing, FrameAndDescriptorArriveAndWork) {
  auto sockets = make_socket_pair();
  auto pipe = make_pipe();
  const int fds[] = {pipe.write.get()};
  ASSERT_TRUE(send_frame(sockets.cell.get(), as_bytes("hello"), fds, soon()).ok());
  pipe.write.reset();  // only the passed copy remains

  ByteBuffer frame(limits::broker_request);
  auto received = receive_frame(sockets.broker.get(), frame, 1, soon());
  ASSERT_TRUE(received.ok()) << describe(received.error());
  EXPECT_EQ(frame.view(), "hello");
  ASSERT_EQ(received->size(), 1u);
  const int passed = (*received)[0].get();
  EXPECT_EQ(::fcntl(passed, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);  // MSG_CMSG_CLOEXEC
  ASSERT_TRUE(write_full(passed, std::string_view("ping")).ok());
  EXPECT_EQ(read_some(pipe.read.get()), "ping");
  received->clear();  // the last write end closes: the reader sees end of file
  EXPECT_EQ(read_some(pipe.read.get()), "");
}

TEST(FdPassing, DescriptorsArriveInTheOrderSent) {
  auto sockets = make_socket_pair();
  std::vector<Pipe> pipes;
  std::vector<int> write_ends;
  pipes.reserve(3);
  write_ends.reserve(3);
  for (int i = 0; i < 3; ++i) pipes.push_back(make_pipe());
  for (auto& pipe : pipes) write_ends.push_back(pipe.write.get());
  ASSERT_TRUE(send_frame(sockets.cell.get(), as_bytes("x"), write_ends, soon()).ok());
  ByteBuffer frame(limits::broker_request);
  auto received = receive_frame(sockets.broker.get(), frame, 3, soon());
  ASSERT_TRUE(received.ok());
  ASSERT_EQ(received->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    std::string word = "pipe" + std::to_string(i);
    ASSERT_TRUE(write_full((*received)[i].get(), std::string_view(word)).ok());
    EXPECT_EQ(read_some(pipes[i].read.get()), word);
  }
}

TEST(FdPassing, SpawnQueueHandsOverTheTwoPipes) {
  auto sockets = make_socket_pair();
  auto message = make_pipe();
  auto envelope = make_pipe();
  const int fds[] = {message.read.get(), envelope.read.get()};
  ASSERT_TRUE(send_request(sockets.cell.get(), Request{SpawnQueue{}}, fds, soon()).ok());
  message.read.reset();
  envelope.read.reset();

  auto received = receive_request(sockets.broker.get(), soon());
  ASSERT_TRUE(received.ok()) << describe(received.error());
  EXPECT_EQ(kind_of(received->request), RequestKind::spawn_queue);
  ASSERT_EQ(received->descriptors.size(), 2u);
  ASSERT_TRUE(write_full(message.write.get(), std::string_view("Subject: hi\n\nbody\n")).ok());
  const std::string_view envelope_bytes("Falice@example.org\0Tjoe@example.com\0\0", 37);
  ASSERT_TRUE(write_full(envelope.write.get(), envelope_bytes).ok());
  EXPECT_EQ(read_some(received->descriptors[0].get()), "Subject: hi\n\nbody\n");
  EXPECT_EQ(read_some(received->descriptors[1].get()), envelope_bytes);
}

TEST(FdPassing, SpawnLocalHandsOverTheMessageAndTheReportPipe) {
  auto sockets = make_socket_pair();
  UniqueFd message = message_file("Subject: test\n\nhello\n");
  auto report = make_pipe();
  const int fds[] = {message.get(), report.write.get()};
  ASSERT_TRUE(send_request(sockets.cell.get(), Request{a_local_delivery()}, fds, soon()).ok());
  message.reset();
  report.write.reset();

  auto received = receive_request(sockets.broker.get(), soon());
  ASSERT_TRUE(received.ok()) << describe(received.error());
  EXPECT_EQ(received->request, Request{a_local_delivery()});
  ASSERT_EQ(received->descriptors.size(), 2u);
  std::array<char, 64> buffer{};
  ASSERT_EQ(::pread(received->descriptors[0].get(), buffer.data(), buffer.size(), 0), 21);
  EXPECT_EQ(std::string_view(buffer.data(), 21), "Subject: test\n\nhello\n");
  ASSERT_TRUE(write_full(received->descriptors[1].get(), std::string_view("did 1+0+0\n")).ok());
  received->descriptors[1].reset();
  EXPECT_EQ(read_some(report.read.get()), "did 1+0+0\n");
}

TEST(FdPassing, SpawnCleanHandsOverASocket) {
  auto sockets = make_socket_pair();
  auto channel = make_socket_pair();
  const int fds[] = {channel.broker.get()};
  ASSERT_TRUE(send_request(sockets.cell.get(), Request{SpawnClean{}}, fds, soon()).ok());
  auto received = receive_request(sockets.broker.get(), soon());
  ASSERT_TRUE(received.ok()) << describe(received.error());
  EXPECT_EQ(received->request, Request{SpawnClean{}});
  ASSERT_EQ(received->descriptors.size(), 1u);
}

// A memory file holding `content`, sealed against every change when `sealed`.
UniqueFd memory_file(std::string_view content, bool sealed) {
  UniqueFd memfd(::memfd_create("job", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  EXPECT_TRUE(write_full(memfd.get(), content).ok());
  if (sealed) {
    EXPECT_EQ(::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), 0);
  }
  return memfd;
}

TEST(FdPassing, SpawnCommandHandsOverMessageOutputAndSealedJob) {
  auto sockets = make_socket_pair();
  UniqueFd message = message_file("Subject: test\n\nhello\n");
  auto output = make_pipe();
  UniqueFd job = memory_file("8:4:true,,", true);
  const int fds[] = {message.get(), output.write.get(), job.get()};
  ASSERT_TRUE(send_request(sockets.cell.get(), Request{SpawnCommand{}}, fds, soon()).ok());
  auto received = receive_request(sockets.broker.get(), soon());
  ASSERT_TRUE(received.ok()) << describe(received.error());
  EXPECT_EQ(received->request, Request{SpawnCommand{}});
  ASSERT_EQ(received->descriptors.size(), 3u);
  std::array<char, 16> buffer{};
  ASSERT_EQ(::pread(received->descriptors[2].get(), buffer.data(), buffer.size(), 0), 10);
  EXPECT_EQ(std::string_view(buffer.data(), 10), "8:4:true,,");
}

TEST(FdPassing, SpawnCommandRefusesAJobThatCanStillChange) {
  auto sockets = make_socket_pair();
  UniqueFd message = message_file("x");
  auto output = make_pipe();
  // Unsealed, or sealed against writing only (it could still shrink), or a
  // plain file: each could change after the broker looked.
  UniqueFd unsealed = memory_file("8:4:true,,", false);
  UniqueFd partly(::memfd_create("job", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  ASSERT_EQ(::fcntl(partly.get(), F_ADD_SEALS, F_SEAL_WRITE), 0);
  UniqueFd plain = message_file("8:4:true,,", O_RDWR);
  for (int job : {unsealed.get(), partly.get(), plain.get()}) {
    const int fds[] = {message.get(), output.write.get(), job};
    ASSERT_TRUE(send_request(sockets.cell.get(), Request{SpawnCommand{}}, fds, soon()).ok());
    auto received = receive_request(sockets.broker.get(), soon());
    ASSERT_FALSE(received.ok());
    EXPECT_EQ(request_errc(received.error()), RequestError::wrong_descriptor_type);
  }
  // The output pipe's read end is the wrong way round.
  UniqueFd job = memory_file("8:4:true,,", true);
  const int fds[] = {message.get(), output.read.get(), job.get()};
  ASSERT_TRUE(send_request(sockets.cell.get(), Request{SpawnCommand{}}, fds, soon()).ok());
  auto received = receive_request(sockets.broker.get(), soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(request_errc(received.error()), RequestError::wrong_descriptor_access);
}

// --- unwanted descriptors are closed ------------------------------------------------------------

TEST(FdPassing, ExtraDescriptorsAreClosed) {
  auto sockets = make_socket_pair();
  auto pipe = make_pipe();
  const std::size_t before = open_descriptor_count();
  const int fds[] = {pipe.write.get(), pipe.write.get(), pipe.read.get()};
  ASSERT_TRUE(send_frame(sockets.cell.get(), as_bytes("frame"), fds, soon()).ok());
  ByteBuffer frame(limits::broker_request);
  auto received = receive_frame(sockets.broker.get(), frame, 2, soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().kind, FrameErrc::too_many_descriptors);
  EXPECT_TRUE(frame.empty());
  EXPECT_EQ(open_descriptor_count(), before);

  // A frame expecting none refuses one.
  ASSERT_TRUE(send_frame(sockets.cell.get(), as_bytes("frame"), std::span(fds).first(1), soon()).ok());
  received = receive_frame(sockets.broker.get(), frame, 0, soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().kind, FrameErrc::too_many_descriptors);
  EXPECT_EQ(open_descriptor_count(), before);
}

TEST(FdPassing, RequestWithTooManyDescriptorsClosesThemAll) {
  auto sockets = make_socket_pair();
  auto message = make_pipe();
  auto envelope = make_pipe();
  UniqueFd file = message_file("x");
  const std::size_t before = open_descriptor_count();

  raw_send(sockets.cell.get(), "15:11:spawn-queue,,",
           {message.read.get(), envelope.read.get(), file.get(), envelope.write.get()});
  auto received = receive_request(sockets.broker.get(), soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(frame_errc(received.error()), FrameErrc::too_many_descriptors);
  EXPECT_EQ(open_descriptor_count(), before);

  // One message file for a spawn-local: within the receive limit, too few for the kind.
  ByteBuffer frame(limits::broker_request);
  ASSERT_TRUE(encode_request(Request{a_local_delivery()}, frame).ok());
  raw_send(sockets.cell.get(), frame.view(), {file.get()});
  received = receive_request(sockets.broker.get(), soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(request_errc(received.error()), RequestError::wrong_descriptor_count);
  EXPECT_EQ(open_descriptor_count(), before);

  // Too few.
  raw_send(sockets.cell.get(), "15:11:spawn-queue,,", {message.read.get()});
  received = receive_request(sockets.broker.get(), soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(request_errc(received.error()), RequestError::wrong_descriptor_count);
  EXPECT_EQ(open_descriptor_count(), before);
}

TEST(FdPassing, TruncatedControlDataClosesEverything) {
  // More descriptors than a receive can hold: the kernel sets MSG_CTRUNC.
  auto sockets = make_socket_pair();
  auto pipe = make_pipe();
  const std::size_t before = open_descriptor_count();
  std::vector<int> many(frame_descriptor_capacity + 4, pipe.write.get());
  raw_send(sockets.cell.get(), "15:11:spawn-queue,,", many);
  auto received = receive_request(sockets.broker.get(), soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(frame_errc(received.error()), FrameErrc::truncated_control);
  EXPECT_EQ(open_descriptor_count(), before);
  // The pipe's write end is still only ours: closing it ends the pipe.
  pipe.write.reset();
  EXPECT_EQ(read_some(pipe.read.get()), "");
}

TEST(FdPassing, TruncatedFrameIsAnErrorAndClosesDescriptors) {
  auto sockets = make_socket_pair();
  auto message = make_pipe();
  auto envelope = make_pipe();
  const std::size_t before = open_descriptor_count();
  for (std::string_view cut : {"15:11:spawn-queue,", "15:11:spawn-", "15:", "1"}) {
    raw_send(sockets.cell.get(), cut, {message.read.get(), envelope.read.get()});
    auto received = receive_request(sockets.broker.get(), soon());
    ASSERT_FALSE(received.ok()) << cut;
    EXPECT_EQ(request_errc(received.error()), RequestError::bad_framing) << cut;
    EXPECT_EQ(open_descriptor_count(), before) << cut;
  }
  raw_send(sockets.cell.get(), "15:11:spawn-queue,,junk", {message.read.get(), envelope.read.get()});
  auto received = receive_request(sockets.broker.get(), soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(request_errc(received.error()), RequestError::trailing_bytes);
  EXPECT_EQ(open_descriptor_count(), before);
}

TEST(FdPassing, DescriptorsOfTheWrongTypeOrModeAreRefused) {
  auto sockets = make_socket_pair();
  auto pipe = make_pipe();
  UniqueFd readable = message_file("x");
  UniqueFd writable = message_file("x", O_RDWR);
  UniqueFd path_only = message_file("x", O_PATH);
  ByteBuffer local(limits::broker_request);
  ASSERT_TRUE(encode_request(Request{a_local_delivery()}, local).ok());
  const std::size_t before = open_descriptor_count();

  struct Case {
    std::string_view frame;
    std::vector<int> fds;
    RequestError expected;
  };
  const Case cases[] = {
      {local.view(), {pipe.read.get(), pipe.write.get()}, RequestError::wrong_descriptor_type},
      {local.view(), {sockets.cell.get(), pipe.write.get()}, RequestError::wrong_descriptor_type},
      {local.view(), {writable.get(), pipe.write.get()}, RequestError::wrong_descriptor_access},
      {local.view(), {path_only.get(), pipe.write.get()}, RequestError::wrong_descriptor_access},
      {local.view(), {readable.get(), readable.get()}, RequestError::wrong_descriptor_type},
      {local.view(), {readable.get(), pipe.read.get()}, RequestError::wrong_descriptor_access},
      {"15:11:spawn-queue,,", {readable.get(), readable.get()}, RequestError::wrong_descriptor_type},
      {"15:11:spawn-queue,,", {pipe.read.get(), pipe.write.get()}, RequestError::wrong_descriptor_access},
      {"15:11:spawn-clean,,", {pipe.read.get()}, RequestError::wrong_descriptor_type},
  };
  for (const auto& c : std::span(cases)) {
    raw_send(sockets.cell.get(), c.frame, c.fds);
    auto received = receive_request(sockets.broker.get(), soon());
    ASSERT_FALSE(received.ok()) << c.frame;
    EXPECT_EQ(request_errc(received.error()), c.expected) << c.frame;
    EXPECT_EQ(open_descriptor_count(), before);
  }
}

// --- the frame limit ---------------------------------------------------------------------------

TEST(FdPassing, FrameOfExactlyTheLimitWorks) {
  auto sockets = make_socket_pair();
  std::string frame = remote_frame_of_size(limits::broker_request);
  ASSERT_EQ(frame.size(), limits::broker_request);
  UniqueFd message = message_file("x");
  auto report = make_pipe();
  const int fds[] = {message.get(), report.write.get()};
  ASSERT_TRUE(send_frame(sockets.cell.get(), as_bytes(frame), fds, soon()).ok());
  auto received = receive_request(sockets.broker.get(), soon());
  ASSERT_TRUE(received.ok()) << describe(received.error());
  EXPECT_EQ(kind_of(received->request), RequestKind::spawn_remote);
  EXPECT_EQ(received->descriptors.size(), 2u);
}

TEST(FdPassing, FrameOverTheLimitIsRefusedOnBothEnds) {
  auto sockets = make_socket_pair();
  std::string frame = remote_frame_of_size(limits::broker_request + 1);
  ASSERT_EQ(frame.size(), limits::broker_request + 1);
  UniqueFd message = message_file("x");
  const int fds[] = {message.get()};
  auto sent = send_frame(sockets.cell.get(), as_bytes(frame), fds, soon());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, FrameErrc::frame_too_large);

  // A peer that sends it anyway: MSG_TRUNC, and the descriptor is closed.
  const std::size_t before = open_descriptor_count();
  raw_send(sockets.cell.get(), frame, {message.get()});
  auto received = receive_request(sockets.broker.get(), soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(frame_errc(received.error()), FrameErrc::frame_too_large);
  EXPECT_EQ(open_descriptor_count(), before);

  raw_send(sockets.cell.get(), std::string(std::size_t{64} * 1024, 'x'));
  ByteBuffer buffer(limits::broker_request);
  auto raw = receive_frame(sockets.broker.get(), buffer, 0, soon());
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.error().kind, FrameErrc::frame_too_large);
  EXPECT_TRUE(buffer.empty());

  // The socket is still usable: the next frame arrives whole.
  ASSERT_TRUE(send_frame(sockets.cell.get(), as_bytes("next"), {}, soon()).ok());
  raw = receive_frame(sockets.broker.get(), buffer, 0, soon());
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(buffer.view(), "next");
}

TEST(FdPassing, ReceiveBufferMustHoldAWholeFrame) {
  auto sockets = make_socket_pair();
  ByteBuffer small(100);
  auto received = receive_frame(sockets.broker.get(), small, 0, soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().kind, FrameErrc::no_buffer_space);
}

TEST(FdPassing, SendRefusesWhatCannotBeAFrame) {
  auto sockets = make_socket_pair();
  auto empty = send_frame(sockets.cell.get(), {}, {}, soon());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().kind, FrameErrc::empty_frame);
  std::vector<int> many(frame_descriptor_capacity + 1, sockets.cell.get());
  auto too_many = send_frame(sockets.cell.get(), as_bytes("x"), many, soon());
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().kind, FrameErrc::too_many_descriptors);
  const int bad[] = {-1};
  auto bad_fd = send_frame(sockets.cell.get(), as_bytes("x"), bad, soon());
  ASSERT_FALSE(bad_fd.ok());
  EXPECT_EQ(bad_fd.error().kind, FrameErrc::system);
  EXPECT_EQ(bad_fd.error().sys_errno, EBADF);

  // send_request checks the descriptor count before anything is sent.
  auto wrong = send_request(sockets.cell.get(), Request{a_local_delivery()}, {}, soon());
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(request_errc(wrong.error()), RequestError::wrong_descriptor_count);
  const int two_bad[] = {-1, -1};
  auto invalid = send_request(sockets.cell.get(), Request{SpawnLocal{"", ""}}, two_bad, soon());
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(request_errc(invalid.error()), RequestError::bad_recipient);
  ByteBuffer frame(limits::broker_request);
  auto nothing = receive_frame(sockets.broker.get(), frame, 0, in(0ms));
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.error().kind, FrameErrc::timeout);
}

TEST(FdPassing, EmptyMessageWithDescriptorsIsRefused) {
  auto sockets = make_socket_pair();
  auto pipe = make_pipe();
  const std::size_t before = open_descriptor_count();
  raw_send(sockets.cell.get(), "", {pipe.read.get()});
  ByteBuffer frame(limits::broker_request);
  auto received = receive_frame(sockets.broker.get(), frame, 1, soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().kind, FrameErrc::empty_frame);
  EXPECT_EQ(open_descriptor_count(), before);
}

TEST(FdPassing, CredentialsAreAnUnexpectedControlMessage) {
  auto sockets = make_socket_pair();
  int on = 1;
  ASSERT_EQ(::setsockopt(sockets.broker.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on), 0);
  ASSERT_TRUE(send_frame(sockets.cell.get(), as_bytes("15:11:spawn-queue,,"), {}, soon()).ok());
  ByteBuffer frame(limits::broker_request);
  auto received = receive_frame(sockets.broker.get(), frame, 2, soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().kind, FrameErrc::unexpected_control);
}

// --- waiting ------------------------------------------------------------------------------------

TEST(FdPassing, TimeoutOnASilentSocket) {
  auto sockets = make_socket_pair();
  ByteBuffer frame(limits::broker_request);
  const auto start = std::chrono::steady_clock::now();
  auto received = receive_frame(sockets.broker.get(), frame, 2, start + 100ms);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().kind, FrameErrc::timeout);
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 5s);

  auto request = receive_request(sockets.broker.get(), in(20ms));
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(frame_errc(request.error()), FrameErrc::timeout);
}

TEST(FdPassing, AFrameAlreadyThereIsTakenEvenPastTheDeadline) {
  auto sockets = make_socket_pair();
  ASSERT_TRUE(send_frame(sockets.cell.get(), as_bytes("late"), {}, soon()).ok());
  ByteBuffer frame(limits::broker_request);
  auto received = receive_frame(sockets.broker.get(), frame, 0, std::chrono::steady_clock::now() - 1s);
  ASSERT_TRUE(received.ok());
  EXPECT_EQ(frame.view(), "late");
}

void on_alarm(int) {}

TEST(FdPassing, SignalsDoNotEndAWaitEarly) {
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = on_alarm;  // no SA_RESTART: poll(2) returns EINTR
  ASSERT_EQ(::sigaction(SIGALRM, &action, &previous), 0);
  struct itimerval timer {};
  timer.it_value.tv_usec = 20'000;
  timer.it_interval.tv_usec = 20'000;
  ASSERT_EQ(::setitimer(ITIMER_REAL, &timer, nullptr), 0);

  auto sockets = make_socket_pair();
  ByteBuffer frame(limits::broker_request);
  const auto start = std::chrono::steady_clock::now();
  auto received = receive_frame(sockets.broker.get(), frame, 0, start + 150ms);
  const auto waited = std::chrono::steady_clock::now() - start;

  struct itimerval off {};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &previous, nullptr);
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().kind, FrameErrc::timeout);
  EXPECT_GE(waited, 150ms);
}

TEST(FdPassing, SendWaitsOnAFullSocketUntilItsDeadline) {
  auto sockets = make_socket_pair();
  // Fill the socket without a reader.
  std::string chunk(limits::broker_request, 'x');
  for (;;) {
    ssize_t n = ::send(sockets.cell.get(), chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << std::strerror(errno);
      break;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  auto sent = send_frame(sockets.cell.get(), as_bytes("more"), {}, start + 100ms);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, FrameErrc::timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST(FdPassing, EndOfFileAndClosedPeers) {
  auto sockets = make_socket_pair();
  ASSERT_TRUE(send_frame(sockets.cell.get(), as_bytes("last"), {}, soon()).ok());
  sockets.cell.reset();
  ByteBuffer frame(limits::broker_request);
  auto received = receive_frame(sockets.broker.get(), frame, 0, soon());
  ASSERT_TRUE(received.ok());  // what was sent before the close still arrives
  EXPECT_EQ(frame.view(), "last");
  received = receive_frame(sockets.broker.get(), frame, 0, soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().kind, FrameErrc::end_of_file);

  // Sending to a closed peer is EPIPE, not SIGPIPE.
  auto sent = send_frame(sockets.broker.get(), as_bytes("hello?"), {}, soon());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, FrameErrc::system);
  EXPECT_EQ(sent.error().sys_errno, EPIPE);
  EXPECT_NE(describe(ProtocolError{sent.error()}).find(std::strerror(EPIPE)), std::string::npos);
}

TEST(FdPassing, BadSocketsAreErrorsNotTimeouts) {
  ByteBuffer frame(limits::broker_request);
  auto negative = receive_frame(-1, frame, 0, soon());
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().sys_errno, EBADF);
  int closed = ::dup(0);
  ASSERT_GE(closed, 0);
  ::close(closed);
  auto stale = receive_frame(closed, frame, 0, soon());
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind, FrameErrc::system);
  EXPECT_EQ(stale.error().sys_errno, EBADF);
  auto too_many = receive_frame(-1, frame, frame_descriptor_capacity + 1, soon());
  ASSERT_FALSE(too_many.ok());
}

// --- replies ------------------------------------------------------------------------------------

TEST(FdPassing, RepliesRoundTripAndCarryNoDescriptors) {
  auto sockets = make_socket_pair();
  for (const Reply& reply : {Reply{Started{12}}, Reply{Refused{RefusalReason::not_allowed, "no request line"}},
                             Reply{Finished{12, ExitStatus{false, 111}}}}) {
    ASSERT_TRUE(send_reply(sockets.broker.get(), reply, soon()).ok());
    auto received = receive_reply(sockets.cell.get(), soon());
    ASSERT_TRUE(received.ok()) << describe(received.error());
    EXPECT_EQ(*received, reply);
  }

  auto pipe = make_pipe();
  const std::size_t before = open_descriptor_count();
  ByteBuffer frame(limits::broker_request);
  ASSERT_TRUE(encode_reply(Reply{Started{1}}, frame).ok());
  raw_send(sockets.broker.get(), frame.view(), {pipe.read.get()});
  auto received = receive_reply(sockets.cell.get(), soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(frame_errc(received.error()), FrameErrc::too_many_descriptors);
  EXPECT_EQ(open_descriptor_count(), before);

  raw_send(sockets.broker.get(), "10:7:started,,");
  received = receive_reply(sockets.cell.get(), soon());
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(request_errc(received.error()), RequestError::wrong_field_count);
}

TEST(FdPassing, ErrorsDescribeThemselves) {
  for (int kind = 0; kind <= static_cast<int>(FrameErrc::no_buffer_space); ++kind) {
    EXPECT_FALSE(describe(static_cast<FrameErrc>(kind)).empty());
  }
  EXPECT_EQ(describe(ProtocolError{RequestError::bad_host}), describe(RequestError::bad_host));
  EXPECT_EQ(describe(ProtocolError{FrameError{FrameErrc::timeout, 0}}), "timed out waiting for the socket");
}

}  // namespace
}  // namespace qcell
