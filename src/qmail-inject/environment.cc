// environment.cc — qmail-inject's environment variables and control files.
// Environment values come from the invoking user and are only copied; control
// files are read through core/control.h's reader beneath a directory
// descriptor that main.cc opened.
#include <cstring>

#include "core/byte_buffer.h"
#include "core/control.h"
#include "qmail-inject/inject.h"

namespace qcell::inject {

namespace {

std::optional<std::string> first_set(std::initializer_list<const std::optional<std::string>*> candidates) {
  for (const auto* candidate : candidates) {
    if (candidate->has_value()) return **candidate;
  }
  return std::nullopt;
}

// A single-value control file: nullopt when it is missing or empty.
Result<std::optional<std::string>, Fatal> read_value(const DirFd& control_dir, std::string_view name) {
  auto raw = read_control_file(control_dir, name);
  if (!raw) return fail(Fatal{exit_temporary, "unable to read " + format_control_error(name, raw.error())});
  if (!raw->has_value()) return std::optional<std::string>{};
  auto value = parse_control_value(as_bytes(**raw));
  if (!value) return fail(Fatal{exit_temporary, "unable to read " + format_control_error(name, value.error())});
  if (value->empty()) return std::optional<std::string>{};
  return std::optional<std::string>(std::move(value.value()));
}

}  // namespace

Environment read_environment(const std::function<const char*(const char*)>& lookup) {
  const auto get = [&](const char* name) -> std::optional<std::string> {
    const char* value = lookup(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
  Environment environment;
  environment.qmailinject = get("QMAILINJECT");
  environment.qmailuser = get("QMAILUSER");
  environment.mailuser = get("MAILUSER");
  environment.user = get("USER");
  environment.logname = get("LOGNAME");
  environment.qmailhost = get("QMAILHOST");
  environment.mailhost = get("MAILHOST");
  environment.qmailname = get("QMAILNAME");
  environment.mailname = get("MAILNAME");
  environment.name = get("NAME");
  environment.qmailsuser = get("QMAILSUSER");
  environment.qmailshost = get("QMAILSHOST");
  environment.qmaildefaultdomain = get("QMAILDEFAULTDOMAIN");
  environment.qmaildefaulthost = get("QMAILDEFAULTHOST");
  environment.qmailplusdomain = get("QMAILPLUSDOMAIN");
  environment.qmailidhost = get("QMAILIDHOST");
  environment.qmailqueue = get("QMAILQUEUE");
  environment.qcell_root = get("QCELL_ROOT");
  return environment;
}

InjectFlags parse_inject_flags(std::string_view letters) noexcept {
  InjectFlags flags;
  for (char letter : letters) {
    switch (letter) {
      case 'c': flags.name_comment = true; break;
      case 's': flags.ignore_return_path = true; break;
      case 'f': flags.delete_from = true; break;
      case 'i': flags.delete_message_id = true; break;
      case 'r': flags.verp_per_recipient = true; break;
      case 'm': flags.verp_per_message = true; break;
      default: break;
    }
  }
  return flags;
}

Identity identity_from(const Environment& environment) {
  Identity identity;
  identity.user = first_set({&environment.qmailuser, &environment.mailuser, &environment.user, &environment.logname})
                      .value_or("anonymous");
  identity.host = first_set({&environment.qmailhost, &environment.mailhost});
  identity.name = first_set({&environment.qmailname, &environment.mailname, &environment.name});
  identity.sender_user = environment.qmailsuser.value_or(identity.user);
  identity.sender_host = environment.qmailshost ? environment.qmailshost : identity.host;
  if (environment.qmailinject) identity.flags = parse_inject_flags(*environment.qmailinject);
  return identity;
}

std::string root_directory(const Environment& environment) { return environment.qcell_root.value_or("/var/qmail"); }

Result<Settings, Fatal> load_settings(const DirFd& control_dir, const Environment& environment) {
  struct Wanted {
    std::string_view file;
    const std::optional<std::string>* override_value;
    std::string Settings::*field;
  };
  const Wanted wanted[] = {
      {"defaulthost", &environment.qmaildefaulthost, &Settings::defaulthost},
      {"defaultdomain", &environment.qmaildefaultdomain, &Settings::defaultdomain},
      {"plusdomain", &environment.qmailplusdomain, &Settings::plusdomain},
      {"idhost", &environment.qmailidhost, &Settings::idhost},
  };
  Settings settings;
  bool need_me = false;
  for (const Wanted& entry : wanted) {
    auto value = read_value(control_dir, entry.file);
    if (!value) return fail(value.error());
    if (entry.override_value->has_value()) {
      settings.*entry.field = **entry.override_value;
    } else if (value->has_value()) {
      settings.*entry.field = std::move(**value);
    } else {
      need_me = true;
    }
  }
  if (need_me) {
    auto me = read_value(control_dir, "me");
    if (!me) return fail(me.error());
    if (!me->has_value()) {
      return fail(Fatal{exit_temporary,
                        "unable to read " + format_control_error("me", ControlError{ControlErrc::missing, 0, 0})});
    }
    for (const Wanted& entry : wanted) {
      if ((settings.*entry.field).empty()) settings.*entry.field = **me;
    }
  }
  return settings;
}

}  // namespace qcell::inject
