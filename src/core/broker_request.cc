// broker_request.cc — the broker protocol's vocabularies, field checks, and
// the frame codec built on parse_netstring / append_netstring.
//
// Hostile input: the frame bytes given to decode_request (from a cell that
// may be compromised) and decode_reply. The frame's size is checked first,
// the outer netstring must cover it exactly, the inner netstrings are split,
// without copying, into a fixed array, the kind and the field count are
// checked, and only then is each field checked (length, charset) and copied.
// The same field checks guard the encoder.
#include "core/broker_request.h"

#include <arpa/inet.h>
#include <sys/wait.h>

#include <array>
#include <charconv>
#include <cstring>
#include <iterator>
#include <type_traits>
#include <variant>

#include "core/decimal.h"
#include "core/enum_table.h"
#include "core/netstring.h"
#include "core/size_math.h"

namespace qcell {

namespace {

namespace bounds = broker_request_limits;

// --- tables -------------------------------------------------------------------------

constexpr RequestKindEntry request_kinds[] = {
    {RequestKind::spawn_queue, "spawn-queue", 0, 0, 2,
     "start a qmail-queue cell on the message and envelope pipes' read ends"},
    {RequestKind::spawn_local, "spawn-local", 2, 2, 2, "start a qmail-local cell for one recipient"},
    {RequestKind::spawn_remote, "spawn-remote", 3, 2 + bounds::recipients, 2,
     "start a qmail-remote cell for one host and up to 100 recipients"},
    {RequestKind::spawn_clean, "spawn-clean", 0, 0, 1, "start a qmail-clean cell on a channel to the sender"},
    {RequestKind::spawn_command, "spawn-command", 0, 0, 3,
     "start a qmail-command cell for a program delivery, as the requesting recipient"},
};

using Type = DescriptorType;
using Access = DescriptorAccess;
constexpr RequestDescriptorEntry request_descriptors[] = {
    {RequestKind::spawn_queue, 0, Type::pipe, Access::read_only, FdName::message,
     "the message pipe's read end (the cell's fd 0)"},
    {RequestKind::spawn_queue, 1, Type::pipe, Access::read_only, FdName::envelope,
     "the envelope pipe's read end (the cell's fd 1)"},
    {RequestKind::spawn_local, 0, Type::regular_file, Access::read_only, FdName::message, "the message"},
    {RequestKind::spawn_local, 1, Type::pipe, Access::write_only, FdName::pipe_out, "the report pipe's write end"},
    {RequestKind::spawn_remote, 0, Type::regular_file, Access::read_only, FdName::message, "the message"},
    {RequestKind::spawn_remote, 1, Type::pipe, Access::write_only, FdName::pipe_out, "the report pipe's write end"},
    {RequestKind::spawn_clean, 0, Type::unix_socket, Access::read_write, FdName::requester,
     "the channel to the sender"},
    {RequestKind::spawn_command, 0, Type::regular_file, Access::read_only, FdName::message,
     "the message (the program's stdin)"},
    {RequestKind::spawn_command, 1, Type::pipe, Access::write_only, FdName::pipe_out,
     "the output pipe's write end (the program's stdout and stderr)"},
    {RequestKind::spawn_command, 2, Type::sealed_memory, Access::read_write, FdName::command,
     "the command and its environment (core/command_job.h)"},
};

constexpr ReplyKindEntry reply_kinds[] = {
    {ReplyKind::started, "started", 1, "the cell was started; its id follows"},
    {ReplyKind::refused, "refused", 2, "the request was refused; a reason word and a text follow"},
    {ReplyKind::finished, "finished", 2, "a cell started for the sender has ended; its id and exit status follow"},
};

constexpr RefusalReasonEntry refusal_reasons[] = {
    {RefusalReason::not_allowed, false, "not-allowed", "the sender's policy does not allow this request kind"},
    {RefusalReason::bad_request, false, "bad-request", "the frame or its descriptors were malformed"},
    {RefusalReason::busy, true, "busy", "a concurrency limit was reached; try again later"},
    {RefusalReason::no_such_user, false, "no-such-user", "the broker knows no such local user"},
    {RefusalReason::internal, true, "internal", "the broker could not start the cell; try again later"},
};

constexpr RequestErrorEntry request_errors[] = {
    {RequestError::frame_too_large, "frame_too_large", "frame is larger than 4096 bytes"},
    {RequestError::bad_framing, "bad_framing", "frame is not one complete netstring"},
    {RequestError::trailing_bytes, "trailing_bytes", "frame has bytes after its netstring"},
    {RequestError::bad_field_framing, "bad_field_framing", "frame payload is not a sequence of complete netstrings"},
    {RequestError::missing_kind, "missing_kind", "frame has no message kind"},
    {RequestError::unknown_kind, "unknown_kind", "message kind is unknown"},
    {RequestError::wrong_field_count, "wrong_field_count", "wrong number of fields for the message kind"},
    {RequestError::bad_recipient, "bad_recipient",
     "recipient is empty, longer than 1000 bytes, or holds a control character or bad UTF-8"},
    {RequestError::bad_sender, "bad_sender",
     "sender is longer than 1000 bytes or holds a control character or bad UTF-8"},
    {RequestError::bad_host, "bad_host",
     "host is not a domain or an IPv4 or IPv6 address literal of at most 255 bytes"},
    {RequestError::too_many_recipients, "too_many_recipients", "more than 100 recipients"},
    {RequestError::bad_cell_id, "bad_cell_id", "cell id is not a canonical decimal 64-bit number"},
    {RequestError::bad_reason, "bad_reason", "refusal reason is unknown"},
    {RequestError::bad_text, "bad_text", "refusal text is longer than 200 bytes or not printable ASCII"},
    {RequestError::bad_exit_status, "bad_exit_status", "exit status is not 0 to 255 or signal:1 to signal:64"},
    {RequestError::wrong_descriptor_count, "wrong_descriptor_count",
     "wrong number of descriptors for the message kind"},
    {RequestError::wrong_descriptor_type, "wrong_descriptor_type",
     "a descriptor is not the pipe, regular file or Unix socket its place needs"},
    {RequestError::wrong_descriptor_access, "wrong_descriptor_access",
     "a descriptor is not open read-only, write-only or read-write as its place needs"},
    {RequestError::no_buffer_space, "no_buffer_space", "the output buffer cannot hold the frame"},
};

// The error texts name these numbers; keep them true.
static_assert(limits::broker_request == 4096 && bounds::address == 1000 && bounds::host == 255 && bounds::recipients == 100 &&
              bounds::refusal_text == 200 && bounds::max_signal == 64);

static_assert(in_enum_order(request_kinds, &RequestKindEntry::kind));
static_assert(in_enum_order(reply_kinds, &ReplyKindEntry::kind));
static_assert(in_enum_order(refusal_reasons, &RefusalReasonEntry::reason));
static_assert(in_enum_order(request_errors, &RequestErrorEntry::error));
static_assert(std::size(request_kinds) == static_cast<std::size_t>(RequestKind::spawn_command) + 1);
static_assert(std::size(reply_kinds) == static_cast<std::size_t>(ReplyKind::finished) + 1);
static_assert(std::size(refusal_reasons) == static_cast<std::size_t>(RefusalReason::internal) + 1);
static_assert(std::size(request_errors) == static_cast<std::size_t>(RequestError::no_buffer_space) + 1);

// The table entry for an enum value, or nullptr for a value outside the enum.
template <class Entry, std::size_t N, class Enum>
const Entry* entry_for(const Entry (&table)[N], Enum value) noexcept {
  auto index = static_cast<std::size_t>(value);
  return index < N ? &std::span<const Entry>(table)[index] : nullptr;
}

// The variants list their alternatives in enum order, so index() is the kind.
static_assert(std::is_same_v<std::variant_alternative_t<0, Request>, SpawnQueue> &&
              std::is_same_v<std::variant_alternative_t<1, Request>, SpawnLocal> &&
              std::is_same_v<std::variant_alternative_t<2, Request>, SpawnRemote> &&
              std::is_same_v<std::variant_alternative_t<3, Request>, SpawnClean> &&
              std::is_same_v<std::variant_alternative_t<4, Request>, SpawnCommand>);
static_assert(std::is_same_v<std::variant_alternative_t<0, Reply>, Started> &&
              std::is_same_v<std::variant_alternative_t<1, Reply>, Refused> &&
              std::is_same_v<std::variant_alternative_t<2, Reply>, Finished>);

// Netstring overhead of one field of n bytes: up to 4 length digits, ':' and ','.
constexpr std::size_t field_overhead = 4 + 2;
// The largest spawn-local always fits in a frame, whatever its fields: a
// sender never has to split or shorten one.
static_assert(field_overhead * 4 + 11 + 2 * bounds::address < limits::broker_request);

// The descriptor table lists each kind's places 0..n-1 in order, n as the
// kind table says.
constexpr bool descriptor_table_matches() {
  std::size_t i = 0;
  for (const auto& kind : request_kinds) {
    for (std::size_t place = 0; place < kind.descriptors; ++place, ++i) {
      if (i >= std::size(request_descriptors)) return false;
      if (request_descriptors[i].kind != kind.kind || request_descriptors[i].place != place) return false;
    }
  }
  return i == std::size(request_descriptors);
}
static_assert(descriptor_table_matches());
static_assert(bounds::descriptors == 3);

// Every field of the largest frame (kind name, host, sender, 100 recipients).
constexpr std::size_t max_frame_fields = 1 + 2 + bounds::recipients;

// --- field checks ---------------------------------------------------------------------

using Byte = unsigned char;

constexpr bool is_let_dig(Byte c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
constexpr bool is_printable_ascii(Byte c) noexcept { return c >= 0x20 && c <= 0x7e; }
constexpr bool is_hex_digit(Byte c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Length of the well-formed UTF-8 sequence at text[pos] (a byte >= 0x80), or
// 0 if it is ill-formed (Unicode 15 table 3-7) or encodes a C1 control
// character (U+0080..U+009F).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept {
  const auto lead = static_cast<Byte>(text[pos]);
  std::size_t length = 0;
  Byte second_min = 0x80;
  Byte second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    if (lead == 0xC2) second_min = 0xA0;  // C1 controls
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;  // overlong
    if (lead == 0xED) second_max = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;  // overlong
    if (lead == 0xF4) second_max = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (text.size() - pos < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto c = static_cast<Byte>(text[pos + i]);
    const Byte low = i == 1 ? second_min : Byte{0x80};
    const Byte high = i == 1 ? second_max : Byte{0xBF};
    if (c < low || c > high) return 0;
  }
  return length;
}

// An envelope address as qmail keeps it: printable ASCII or well-formed
// UTF-8, no control character of any kind.
bool valid_address_bytes(std::string_view address) noexcept {
  if (address.size() > bounds::address) return false;
  for (std::size_t i = 0; i < address.size();) {
    const auto c = static_cast<Byte>(address[i]);
    if (c < 0x80) {
      if (!is_printable_ascii(c)) return false;
      ++i;
      continue;
    }
    std::size_t length = utf8_sequence_length(address, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

bool valid_recipient(std::string_view recipient) noexcept {
  return !recipient.empty() && valid_address_bytes(recipient);
}

bool valid_domain(std::string_view host) noexcept {
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) dot = host.size();
    std::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > limits::domain_label) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is_let_dig(static_cast<Byte>(c)) && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

bool valid_address_literal(std::string_view content) noexcept {
  constexpr std::string_view ipv6_tag = "IPv6:";
  int family = AF_INET;
  if (content.substr(0, ipv6_tag.size()) == ipv6_tag) {
    family = AF_INET6;
    content.remove_prefix(ipv6_tag.size());
  }
  // inet_pton needs a C string; the charset check keeps it short and plain.
  std::array<char, INET6_ADDRSTRLEN + 1> text{};
  if (content.empty() || content.size() >= text.size()) return false;
  for (char c : content) {
    if (!is_hex_digit(static_cast<Byte>(c)) && c != ':' && c != '.') return false;
  }
  std::memcpy(text.data(), content.data(), content.size());
  struct in6_addr address {};  // large enough for either family
  return ::inet_pton(family, text.data(), &address) == 1;
}

bool valid_host(std::string_view host) noexcept {
  if (host.empty() || host.size() > bounds::host) return false;
  if (host.front() == '[') {
    if (host.size() < 2 || host.back() != ']') return false;
    return valid_address_literal(host.substr(1, host.size() - 2));
  }
  return valid_domain(host);
}

bool valid_refusal_text(std::string_view text) noexcept {
  if (text.size() > bounds::refusal_text) return false;
  for (char c : text) {
    if (!is_printable_ascii(static_cast<Byte>(c))) return false;
  }
  return true;
}

constexpr std::string_view signal_prefix = "signal:";

std::optional<ExitStatus> parse_exit_status(std::string_view text) noexcept {
  bool signalled = false;
  if (text.substr(0, signal_prefix.size()) == signal_prefix) {
    signalled = true;
    text.remove_prefix(signal_prefix.size());
  }
  auto number = parse_canonical_decimal(text);
  if (!number) return std::nullopt;
  if (signalled ? (*number < 1 || *number > bounds::max_signal) : *number > 255) return std::nullopt;
  return ExitStatus{signalled, static_cast<std::uint8_t>(*number)};
}

bool valid_exit_status(const ExitStatus& status) noexcept {
  return !status.signalled || (status.number >= 1 && status.number <= bounds::max_signal);
}

// --- checks of whole messages, in the decoder's order -----------------------------------

Status<RequestError> check_fields(const SpawnQueue&) noexcept { return {}; }

Status<RequestError> check_spawn_local(std::string_view recipient, std::string_view sender) noexcept {
  if (!valid_recipient(recipient)) return fail(RequestError::bad_recipient);
  if (!valid_address_bytes(sender)) return fail(RequestError::bad_sender);
  return {};
}

Status<RequestError> check_fields(const SpawnLocal& request) noexcept {
  return check_spawn_local(request.recipient, request.sender);
}

Status<RequestError> check_fields(const SpawnClean&) noexcept { return {}; }

Status<RequestError> check_fields(const SpawnCommand&) noexcept { return {}; }

// Recipient count first, as the decoder checks the field count first.
Status<RequestError> check_recipient_count(std::size_t count) noexcept {
  if (count == 0) return fail(RequestError::wrong_field_count);
  if (count > bounds::recipients) return fail(RequestError::too_many_recipients);
  return {};
}

Status<RequestError> check_host_and_sender(std::string_view host, std::string_view sender) noexcept {
  if (!valid_host(host)) return fail(RequestError::bad_host);
  if (!valid_address_bytes(sender)) return fail(RequestError::bad_sender);
  return {};
}

Status<RequestError> check_fields(const SpawnRemote& request) noexcept {
  if (auto count = check_recipient_count(request.recipients.size()); !count) return count;
  if (auto checked = check_host_and_sender(request.host, request.sender); !checked) return checked;
  for (const auto& recipient : request.recipients) {
    if (!valid_recipient(recipient)) return fail(RequestError::bad_recipient);
  }
  return {};
}

Status<RequestError> check_fields(const Started&) noexcept { return {}; }

Status<RequestError> check_fields(const Refused& reply) noexcept {
  if (entry_for(refusal_reasons, reply.reason) == nullptr) return fail(RequestError::bad_reason);
  if (!valid_refusal_text(reply.text)) return fail(RequestError::bad_text);
  return {};
}

Status<RequestError> check_fields(const Finished& reply) noexcept {
  if (!valid_exit_status(reply.status)) return fail(RequestError::bad_exit_status);
  return {};
}

// --- framing ----------------------------------------------------------------------------

// The fields of one frame, as views into it. `count` goes on past the array's
// capacity so that the caller can tell how many there were.
struct Fields {
  std::array<std::string_view, max_frame_fields + 1> items{};
  std::size_t count = 0;
  // index < items.size(): the decoders read only fields that the count check admitted.
  [[nodiscard]] std::string_view at(std::size_t index) const noexcept {
    return std::span<const std::string_view>(items)[index];
  }
  void add(std::string_view field) noexcept {
    if (count < items.size()) {
      std::span<std::string_view> slots(items);
      slots[count] = field;
    }
    ++count;  // at most the frame's size / 3: cannot wrap
  }
};

Status<RequestError> split_frame(std::span<const std::byte> frame, Fields& fields) {
  if (frame.size() > limits::broker_request) return fail(RequestError::frame_too_large);
  auto outer = parse_netstring(frame, limits::broker_request);
  if (!outer) return fail(RequestError::bad_framing);
  if (outer->consumed != frame.size()) return fail(RequestError::trailing_bytes);
  std::span<const std::byte> payload = outer->payload;
  if (payload.empty()) return fail(RequestError::missing_kind);
  while (!payload.empty()) {
    auto field = parse_netstring(payload, payload.size());
    if (!field) return fail(RequestError::bad_field_framing);
    fields.add(as_text(field->payload));
    payload = payload.subspan(field->consumed);
  }
  return {};
}

// Builds a frame: the inner netstrings in a scratch buffer bounded by the
// frame limit, then the outer netstring around them. The first error sticks.
class FrameWriter {
 public:
  explicit FrameWriter(std::string_view kind) { add(kind); }

  void add(std::string_view field) {
    if (error_) return;
    if (auto added = append_netstring(inner_, as_bytes(field)); !added) {
      error_ =
          added.error() == BufferError::out_of_memory ? RequestError::no_buffer_space : RequestError::frame_too_large;
    }
  }

  Status<RequestError> finish(ByteBuffer& out) {
    if (error_) return fail(*error_);
    std::array<char, 24> digits{};
    auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), inner_.size());
    if (ec != std::errc{}) return fail(RequestError::frame_too_large);
    auto total = size_sum({static_cast<std::size_t>(end - digits.data()), 1, inner_.size(), 1});
    if (!total || *total > limits::broker_request) return fail(RequestError::frame_too_large);
    if (auto room = out.reserve_more(*total); !room) return fail(RequestError::no_buffer_space);
    if (auto written = append_netstring(out, inner_.bytes()); !written) return fail(RequestError::no_buffer_space);
    return {};
  }

 private:
  ByteBuffer inner_{limits::broker_request};
  std::optional<RequestError> error_;
};

std::string_view format_number(std::uint64_t value, std::array<char, 24>& storage) noexcept {
  auto [end, ec] = std::to_chars(storage.data(), storage.data() + storage.size(), value);
  (void)ec;  // 24 bytes hold any 64-bit number
  return {storage.data(), static_cast<std::size_t>(end - storage.data())};
}

std::string format_exit_status(const ExitStatus& status) {
  std::array<char, 24> storage{};
  std::string text = status.signalled ? std::string(signal_prefix) : std::string();
  text += format_number(status.number, storage);
  return text;
}

void add_fields(FrameWriter&, const SpawnQueue&) {}

void add_fields(FrameWriter&, const SpawnClean&) {}

void add_fields(FrameWriter&, const SpawnCommand&) {}

void add_fields(FrameWriter& writer, const SpawnLocal& request) {
  writer.add(request.recipient);
  writer.add(request.sender);
}

void add_fields(FrameWriter& writer, const SpawnRemote& request) {
  writer.add(request.host);
  writer.add(request.sender);
  for (const auto& recipient : request.recipients) writer.add(recipient);
}

void add_fields(FrameWriter& writer, const Started& reply) {
  std::array<char, 24> storage{};
  writer.add(format_number(reply.cell_id, storage));
}

void add_fields(FrameWriter& writer, const Refused& reply) {
  writer.add(refusal_reason_name(reply.reason));
  writer.add(reply.text);
}

void add_fields(FrameWriter& writer, const Finished& reply) {
  std::array<char, 24> storage{};
  writer.add(format_number(reply.cell_id, storage));
  writer.add(format_exit_status(reply.status));
}

}  // namespace

// --- vocabularies ------------------------------------------------------------------------

std::span<const RequestErrorEntry> request_error_table() noexcept { return request_errors; }
std::span<const RequestKindEntry> request_kind_table() noexcept { return request_kinds; }
std::span<const RequestDescriptorEntry> request_descriptor_table() noexcept { return request_descriptors; }
std::span<const ReplyKindEntry> reply_kind_table() noexcept { return reply_kinds; }
std::span<const RefusalReasonEntry> refusal_reason_table() noexcept { return refusal_reasons; }

std::string_view describe(RequestError error) noexcept {
  const auto* entry = entry_for(request_errors, error);
  return entry != nullptr ? entry->text : "unknown broker protocol error";
}

std::string_view request_error_name(RequestError error) noexcept {
  const auto* entry = entry_for(request_errors, error);
  return entry != nullptr ? entry->name : "unknown";
}

std::string_view request_kind_name(RequestKind kind) noexcept {
  const auto* entry = entry_for(request_kinds, kind);
  return entry != nullptr ? entry->name : "unknown";
}

std::optional<RequestKind> parse_request_kind(std::string_view name) noexcept {
  for (const auto& entry : request_kinds) {
    if (entry.name == name) return entry.kind;
  }
  return std::nullopt;
}

std::string_view reply_kind_name(ReplyKind kind) noexcept {
  const auto* entry = entry_for(reply_kinds, kind);
  return entry != nullptr ? entry->name : "unknown";
}

std::optional<ReplyKind> parse_reply_kind(std::string_view name) noexcept {
  for (const auto& entry : reply_kinds) {
    if (entry.name == name) return entry.kind;
  }
  return std::nullopt;
}

std::string_view refusal_reason_name(RefusalReason reason) noexcept {
  const auto* entry = entry_for(refusal_reasons, reason);
  return entry != nullptr ? entry->name : "unknown";
}

std::optional<RefusalReason> parse_refusal_reason(std::string_view name) noexcept {
  for (const auto& entry : refusal_reasons) {
    if (entry.name == name) return entry.reason;
  }
  return std::nullopt;
}

bool is_temporary(RefusalReason reason) noexcept {
  const auto* entry = entry_for(refusal_reasons, reason);
  return entry == nullptr || entry->temporary;
}

RequestKind kind_of(const Request& request) noexcept { return static_cast<RequestKind>(request.index()); }
ReplyKind kind_of(const Reply& reply) noexcept { return static_cast<ReplyKind>(reply.index()); }

std::size_t descriptors_expected(RequestKind kind) noexcept {
  const auto* entry = entry_for(request_kinds, kind);
  return entry != nullptr ? entry->descriptors : 0;
}

std::size_t descriptors_expected(const Request& request) noexcept { return descriptors_expected(kind_of(request)); }

std::optional<ExitStatus> exit_status_from_wait(int wait_status) noexcept {
  if (WIFEXITED(wait_status)) return ExitStatus{false, static_cast<std::uint8_t>(WEXITSTATUS(wait_status))};
  if (WIFSIGNALED(wait_status)) {
    int signal = WTERMSIG(wait_status);
    if (signal < 1 || signal > static_cast<int>(bounds::max_signal)) return std::nullopt;
    return ExitStatus{true, static_cast<std::uint8_t>(signal)};
  }
  return std::nullopt;
}

// --- the codec -----------------------------------------------------------------------------

Status<RequestError> check_request(const Request& request) {
  return std::visit([](const auto& message) { return check_fields(message); }, request);
}

Status<RequestError> check_reply(const Reply& reply) {
  return std::visit([](const auto& message) { return check_fields(message); }, reply);
}

Result<Request, RequestError> decode_request(std::span<const std::byte> frame) {
  Fields fields;
  if (auto split = split_frame(frame, fields); !split) return fail(split.error());
  auto kind = parse_request_kind(fields.at(0));
  if (!kind) return fail(RequestError::unknown_kind);
  const auto* entry = entry_for(request_kinds, *kind);
  const std::size_t count = fields.count - 1;
  if (count < entry->min_fields) return fail(RequestError::wrong_field_count);
  if (count > entry->max_fields) {
    return fail(*kind == RequestKind::spawn_remote ? RequestError::too_many_recipients
                                                   : RequestError::wrong_field_count);
  }

  switch (*kind) {
    case RequestKind::spawn_queue: return Request{SpawnQueue{}};
    case RequestKind::spawn_local: {
      if (auto checked = check_spawn_local(fields.at(1), fields.at(2)); !checked) return fail(checked.error());
      return Request{SpawnLocal{std::string(fields.at(1)), std::string(fields.at(2))}};
    }
    case RequestKind::spawn_remote: {
      if (auto checked = check_host_and_sender(fields.at(1), fields.at(2)); !checked) return fail(checked.error());
      SpawnRemote request{std::string(fields.at(1)), std::string(fields.at(2)), {}};
      request.recipients.reserve(count - 2);
      for (std::size_t i = 3; i <= count; ++i) {
        if (!valid_recipient(fields.at(i))) return fail(RequestError::bad_recipient);
        request.recipients.emplace_back(fields.at(i));
      }
      return Request{std::move(request)};
    }
    case RequestKind::spawn_clean: return Request{SpawnClean{}};
    case RequestKind::spawn_command: return Request{SpawnCommand{}};
  }
  return fail(RequestError::unknown_kind);  // unreachable: every kind is handled above
}

Result<Reply, RequestError> decode_reply(std::span<const std::byte> frame) {
  Fields fields;
  if (auto split = split_frame(frame, fields); !split) return fail(split.error());
  auto kind = parse_reply_kind(fields.at(0));
  if (!kind) return fail(RequestError::unknown_kind);
  if (fields.count - 1 != entry_for(reply_kinds, *kind)->fields) {
    return fail(RequestError::wrong_field_count);
  }

  // One Reply built in place and returned once (g++ 12 with ASan warns,
  // wrongly, about moving a temporary variant holding a string).
  Reply reply;
  switch (*kind) {
    case ReplyKind::started: {
      auto id = parse_canonical_decimal(fields.at(1));
      if (!id) return fail(RequestError::bad_cell_id);
      reply.emplace<Started>(Started{*id});
      break;
    }
    case ReplyKind::refused: {
      auto reason = parse_refusal_reason(fields.at(1));
      if (!reason) return fail(RequestError::bad_reason);
      if (!valid_refusal_text(fields.at(2))) return fail(RequestError::bad_text);
      reply.emplace<Refused>(Refused{*reason, std::string(fields.at(2))});
      break;
    }
    case ReplyKind::finished: {
      auto id = parse_canonical_decimal(fields.at(1));
      if (!id) return fail(RequestError::bad_cell_id);
      auto status = parse_exit_status(fields.at(2));
      if (!status) return fail(RequestError::bad_exit_status);
      reply.emplace<Finished>(Finished{*id, *status});
      break;
    }
  }
  return reply;
}

Status<RequestError> encode_request(const Request& request, ByteBuffer& out) {
  if (auto checked = check_request(request); !checked) return checked;
  FrameWriter writer(request_kind_name(kind_of(request)));
  std::visit([&writer](const auto& message) { add_fields(writer, message); }, request);
  return writer.finish(out);
}

Status<RequestError> encode_reply(const Reply& reply, ByteBuffer& out) {
  if (auto checked = check_reply(reply); !checked) return checked;
  FrameWriter writer(reply_kind_name(kind_of(reply)));
  std::visit([&writer](const auto& message) { add_fields(writer, message); }, reply);
  return writer.finish(out);
}

}  // namespace qcell
