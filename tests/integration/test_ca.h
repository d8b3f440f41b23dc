// test_ca.h — a certificate authority for the STARTTLS tests of
// qmail-remote, made with the openssl command line in a temporary
// directory: an EC P-256 CA key and self-signed CA certificate, and server
// keys and certificates it issues for a DNS name (subjectAltName DNS:name,
// CN name, serverAuth), valid now by default, or expired, or not yet valid.
// Nothing here is secret: keys are written unencrypted under /tmp.
//
//   remote_peers::TestCa ca;                       // ASSERT_TRUE(ca.ok()) << ca.log();
//   auto mx1 = ca.issue("mx1.relay.test");         // ASSERT_TRUE(mx1.ok) << ca.log();
//   mx1.cert, mx1.key, mx1.chain (cert + CA), ca.cert() (the trust anchor)
//   auto old = ca.issue("mx1.relay.test", remote_peers::TestCa::Validity::expired);
//   remote_peers::TestCa other;                    // an untrusted CA: a second instance
//
// (qmail-smtpd's TLS tests make a self-signed certificate inline in
// smtpd_cell_test.cc; nothing else in tests/ makes a CA.)
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "peer_process.h"

namespace remote_peers {

class TestCa {
 public:
  enum class Validity {
    current,        // from a day ago to 30 days ahead
    expired,        // from 30 days ago to yesterday
    not_yet_valid,  // from tomorrow to 30 days ahead
  };
  struct Issued {
    bool ok = false;
    std::string cert;   // PEM, the server certificate alone
    std::string key;    // PEM, its unencrypted private key
    std::string chain;  // PEM, the certificate then the CA certificate
  };

  explicit TestCa(const std::string& common_name = "qcell test CA") {
    char pattern[] = "/tmp/qcell-ca-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    dir_ = pattern;
    ::chmod(dir_.c_str(), 0755);  // a Postfix smtpd reads the files as root, others may not
    write_text(dir_ + "/index.txt", "");
    write_text(dir_ + "/serial", "1000\n");
    write_text(dir_ + "/ca.cnf", config());
    ok_ = openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout '" + dir_ +
                  "/ca.key' -out '" + dir_ + "/ca.pem' -days 30 -subj '/CN=" + common_name +
                  "' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
  }
  ~TestCa() { (void)run_command("rm -rf '" + dir_ + "'"); }
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] std::string cert() const { return dir_ + "/ca.pem"; }
  [[nodiscard]] const std::string& dir() const { return dir_; }
  // The openssl commands' output.
  [[nodiscard]] const std::string& log() const { return log_; }

  // A key and certificate for `name`, files named after it (and a counter,
  // so that one name may be issued twice).
  Issued issue(const std::string& name, Validity validity = Validity::current) {
    Issued out;
    const std::string base = dir_ + "/" + name + "-" + std::to_string(++issued_);
    out.cert = base + ".pem";
    out.key = base + ".key";
    out.chain = base + "-chain.pem";
    const long day = 86400;
    const long now = static_cast<long>(::time(nullptr));
    long from = now - day, until = now + 30 * day;
    if (validity == Validity::expired) from = now - 30 * day, until = now - day;
    if (validity == Validity::not_yet_valid) from = now + day, until = now + 30 * day;
    write_text(base + ".ext", "subjectAltName = DNS:" + name +
                                  "\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n"
                                  "extendedKeyUsage = serverAuth\n");
    out.ok = ok_ &&
             openssl("req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout '" + out.key +
                     "' -out '" + base + ".csr' -subj '/CN=" + name + "'") &&
             openssl("ca -batch -notext -config '" + dir_ + "/ca.cnf' -in '" + base + ".csr' -out '" + out.cert +
                     "' -startdate " + generalized_time(from) + " -enddate " + generalized_time(until) + " -extfile '" +
                     base + ".ext'");
    if (out.ok) {
      out.ok = write_text(out.chain, read_text(out.cert) + read_text(cert()));
      ::chmod(out.key.c_str(), 0644);
    }
    return out;
  }

 private:
  std::string config() const {
    return "[ca]\ndefault_ca = test\n[test]\ndir = " + dir_ +
           "\ndatabase = $dir/index.txt\nserial = $dir/serial\nnew_certs_dir = $dir\n"
           "certificate = $dir/ca.pem\nprivate_key = $dir/ca.key\ndefault_md = sha256\n"
           "policy = anything\nunique_subject = no\ncopy_extensions = none\n"
           "[anything]\ncommonName = supplied\n";
  }
  static std::string generalized_time(long seconds) {
    const time_t t = seconds;
    tm utc{};
    ::gmtime_r(&t, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%d%H%M%SZ", &utc);
    return text;
  }
  bool openssl(const std::string& arguments) {
    auto [status, output] = run_command("openssl " + arguments, 30);
    log_ += "$ openssl " + arguments + "\n" + output;
    return status == 0;
  }

  std::string dir_;
  bool ok_ = false;
  int issued_ = 0;
  std::string log_;
};

}  // namespace remote_peers
