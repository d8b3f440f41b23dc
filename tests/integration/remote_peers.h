// remote_peers.h — the peers of the qmail-remote integration tests, all on
// loopback, started and stopped by the test with bounded waits:
//   dns_server.h    DnsServer (NSD serving zones given as text),
//                   SilentDnsServer (never answers)
//   smtp_sink.h     SmtpSink (Postfix's smtp-sink: accept, 4xx/5xx, 421,
//                   disconnect, stall; saves what it received)
//   postfix_peer.h  PostfixPeer (a private Postfix delivering to a Maildir,
//                   optionally with STARTTLS), wait_for_maildir()
//   test_ca.h       TestCa (a CA and server certificates made by openssl)
//   peer_process.h  what they share (child processes, commands, sockets)
// Each header says how to use its fixture; remote_peers_test.cc proves them.
#pragma once

#include "dns_server.h"
#include "peer_process.h"
#include "postfix_peer.h"
#include "smtp_sink.h"
#include "test_ca.h"
