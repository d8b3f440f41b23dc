// data_encoder.h — the wire form of a message body after DATA (RFC 5321
// section 4.5.2), written so that no line qmail-remote sends can end DATA
// early at the receiver (outbound SMTP smuggling; docs/remote.md).
//
// The message comes from the queue, but its bytes were written by whoever
// injected it and are treated as hostile: any bare CR or bare LF is first
// normalised to CRLF, then a '.' at the start of a line is doubled, so the
// only line "." the receiver sees is the one finish() writes. Q103 sent
// bare CR bytes unchanged, which let a message carry "\n.\r\n" through.
//
// Streaming: the message is read in chunks, and the output does not depend
// on where the chunks are cut. Memory: the encoder keeps two flags.
#pragma once

#include <string>
#include <string_view>

namespace qcell::remote {

class DataEncoder {
 public:
  // Appends the wire form of `bytes` to `out`: CRLF, bare CR and bare LF
  // each become CRLF (a CR at the end of a chunk waits for the next chunk
  // to see whether an LF follows), a '.' at the start of a line is doubled.
  void feed(std::string_view bytes, std::string& out);
  // Ends the body: a pending CR becomes CRLF, an unterminated last line
  // gets CRLF, then ".\r\n". The encoder is then ready for a new message.
  void finish(std::string& out);

 private:
  bool at_line_start_ = true;  // the next byte starts a line
  bool pending_cr_ = false;    // the last byte fed was a CR, not yet written
};

// Whether `bytes` has any byte >= 0x80 (the client then sends BODY=8BITMIME
// where the server offers it).
bool has_eight_bit(std::string_view bytes) noexcept;

}  // namespace qcell::remote
