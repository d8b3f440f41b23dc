// remote_delivery.h — one remote delivery from start to report: the
// settings from the control snapshot, the route (control/smtproutes, an
// address literal, or the MX records of the host), the addresses in the
// order to try them (mx_plan.h), an SMTP attempt per address until one is
// final (smtp_client.h), and qmail-remote's report (core/remote_report.h).
//
// Trust: the snapshot is the administrator's (parsed strictly, every error
// named); DNS answers, servers' replies and the envelope's addresses are
// hostile: addresses are checked before they reach a command line, and
// everything else reaches only the report and the log, quoted.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/control_snapshot.h"
#include "core/result.h"
#include "qmail-remote/ip_address.h"
#include "qmail-remote/resolver.h"
#include "qmail-remote/smtp_client.h"
#include "qmail-remote/smtp_routes.h"
#include "qmail-remote/tls_policy.h"

namespace qcell::remote {

struct RemoteSetup {
  std::string helohost;
  std::chrono::seconds timeout_connect{60};
  std::chrono::seconds timeout_remote{1200};
  SmtpRoutes routes;
  TlsPolicy tls_policy;
  bool tls_required = false;
  std::vector<IpAddress> ipme;
  std::vector<std::string> dns_servers;
  std::map<std::string, std::string, std::less<>> trust;  // "" (the system store) or a CA file's path -> PEM
};

// Every value qmail-remote needs, from its snapshot; the error names the
// file and line.
Result<RemoteSetup, std::string> load_remote_setup(const ControlSnapshot& snapshot);

struct Delivery {
  std::string host;  // the part after the recipients' last '@' (qmail-send's choice)
  std::string sender;
  std::vector<std::string> recipients;
  int message_fd = -1;
};

struct DeliveryResult {
  std::string report;    // the bytes for qmail-send (remote_report.h)
  std::string log_line;  // "delivery host=... ip=... tls=... result=..." for the cell's log
};

// Runs the delivery; every outcome, including every failure, is a report.
DeliveryResult deliver(const RemoteSetup& setup, const Delivery& delivery);

}  // namespace qcell::remote
