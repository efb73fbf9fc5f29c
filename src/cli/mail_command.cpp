// `passwerk mail test --to ADDRESS`: proves the mail configuration by sending
// one mail through it at once, outside the outbox, and says what went wrong.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/crypto.h"
#include "portal/mail_outbox.h"

namespace passwerk::cli {

int SendTestMail(Services& s, const std::string& to) {
  Status valid = portal::CheckEmailAddress(to);
  if (!valid.ok()) return Fail(valid);
  if (s.config.smtp_url.empty()) {
    return Fail(FailedPrecondition("smtp_url is not configured: mail waits in the outbox", "smtp_url"));
  }
  auto transport = portal::MakeMailTransport(SmtpSettingsOf(s.config));
  if (!transport.ok()) return Fail(transport.status());
  portal::OutgoingMail mail = s.mail->TestMail(to);
  Status sent = (*transport)->Send(mail, portal::ComposeMail(mail, s.clock.NowUnix(), crypto::RandomToken(12)));
  if (!sent.ok()) return Fail(sent);
  std::cout << nlohmann::json{{"sent", true}, {"to", to}, {"transport", (*transport)->Describe()}}.dump(2) << "\n";
  return 0;
}

}  // namespace passwerk::cli
