// sender.h — qmail-send's scheduler (docs/delivery.md, "qmail-send"): new
// messages from todo/ are preprocessed (made durable in one syncfs per
// batch, then todo/N removed by qmail-clean), each recipient is delivered
// by a cell the broker starts (spawn-local, spawn-remote) within
// concurrencylocal and concurrencyremote, temporary failures are retried on
// qmail's schedule until queuelifetime, permanent ones are collected in
// bounce/N and sent back as one bounce (spawn-queue), and a finished
// message's files are removed.
//
// Trusts: the broker's replies as far as the codec checks them; the
// delivery cells' reports are hostile text (a user's program may write
// them): bounded, and only ever copied into logs and bounces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/bounce.h"
#include "core/recipient_rewrite.h"
#include "qmail-send/queue_store.h"

namespace qcell::send {

struct SendConfig {
  RewriteRules rules;
  BounceSettings bounce;
  std::string me;
  std::size_t concurrency[2] = {10, 20};  // by Channel
  std::int64_t queuelifetime = 604800;
  // How often todo/ is scanned without a trigger (qmail: 1500 s; a lost
  // trigger costs at most this much delay).
  int todo_scan_seconds = 60;
};

// The descriptors qmail-send works with (none owned).
struct SendChannels {
  int broker = -1;   // requests out, replies in
  int clean = -1;    // to the qmail-clean cell (SOCK_SEQPACKET)
  int lock = -1;     // queue/lock, where the trigger fifo is
  int signals = -1;  // a signalfd for SIGTERM, SIGALRM, SIGHUP
  std::uint64_t clean_cell = 0;  // the broker's id of the qmail-clean cell (its `finished` ends qmail-send)
};

// The longest report kept from a delivery cell (qmail-lspawn's 3000, and
// a line of our own).
inline constexpr std::size_t report_max = 3000;

// Runs until SIGTERM (in-flight deliveries are finished first) or a
// failure of the broker or qmail-clean channel. Returns 0 after SIGTERM,
// 111 on failure (logged).
int run_sender(const QueueStore& store, const SendConfig& config, const SendChannels& channels);

// The outcome of one delivery, from the cell's exit status and report
// (qmail-lspawn's mapping): exit 0 success; 111, 71, 74, 75 and a signal
// temporary; anything else permanent.
enum class Outcome : std::uint8_t { success, deferral, failure };
Outcome outcome_of_exit(bool signalled, int number) noexcept;

}  // namespace qcell::send
