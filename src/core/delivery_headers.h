// delivery_headers.h — the lines qmail-local puts before a message it
// delivers to a mailbox (docs/delivery.md, "Delivering to a Maildir"), and
// its loop check:
//
// - "Return-Path: <sender>", the local part quoted as in a header;
// - "Delivered-To: recipient";
//   in both, a newline in the address becomes '_', so that an address
//   cannot add a header line;
// - a message whose header already holds our exact Delivered-To line is
//   looping: qmail bounces it ("This message is looping: it already has my
//   Delivered-To line. (#5.4.6)"). The header is read in bounded pieces and
//   only up to limits::header_section bytes (qmail read one unbounded line
//   here: CVE-2005-1513's exploit landed in that getln).
#pragma once

#include <string>
#include <string_view>

#include "core/fd.h"
#include "core/result.h"

namespace qcell {

// `text` with every LF and CR turned into `replacement`: one line.
std::string replace_line_breaks(std::string_view text, char replacement);

std::string return_path_line(std::string_view sender);      // "Return-Path: <...>\n"
std::string delivered_to_line(std::string_view recipient);  // "Delivered-To: ...\n"

// Whether the header section of the message in `message_fd` (read with
// pread from offset 0; a stored message's lines end in LF) holds a line
// equal to `line` (given with or without its LF).
Result<bool, IoError> header_has_line(int message_fd, std::string_view line);

}  // namespace qcell
