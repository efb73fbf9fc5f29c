// `passwerk serve`: opens storage, wires the routes, runs the server until
// SIGTERM or SIGINT, then shuts down gracefully.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/pdf.h"
#include "guestcards/retention.h"
#include "http/context.h"
#include "http/server.h"
#include "web/routes.h"

namespace passwerk::cli {

int Serve(Config config, bool print_routes) {
  // Block the stop signals before any thread starts, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto started = std::chrono::steady_clock::now();
  auto opened = OpenServices(std::move(config));
  if (!opened.ok()) {
    log::Error("startup failed", {{"error", opened.status().ToString()}});
    std::cerr << "passwerk: cannot start: " << opened.status().message() << "\n";
    return 1;
  }
  Services& s = **opened;
  http::Metrics metrics;
  checks::CheckOptions check_options;
  check_options.rate_per_second = static_cast<double>(s.config.check_rate_per_second);
  check_options.burst = static_cast<double>(s.config.check_burst);
  check_options.card_no_match_limit = s.config.check_card_no_match_limit;
  check_options.card_window_seconds = s.config.check_card_window_seconds;
  check_options.card_lock_seconds = s.config.check_card_lock_seconds;
  check_options.key_daily_no_match_budget = s.config.check_key_daily_no_match_budget;
  auto spool = checks::CheckSpool::Open((std::filesystem::path(s.config.data_dir) / "check-spool").string());
  if (!spool.ok()) {
    log::Error("startup failed", {{"error", spool.status().ToString()}});
    std::cerr << "passwerk: cannot start: " << spool.status().message() << "\n";
    return 1;
  }
  checks::CheckService check_service(*s.db, s.clock, *s.card_keys, check_options, std::move(*spool));
  // Card writes by this process reach the check's card index at once.
  s.cards->OnCardsChanged([&check_service] { check_service.CardsChanged(); });
  struct ObserverReset {
    cards::CardService& cards;
    ~ObserverReset() { cards.OnCardsChanged(nullptr); }
  } observer_reset{*s.cards};
  check_service.WarmUp();
  checks::VerdictSigner verdicts(*s.secrets);
  http::PortalRuntime portal;
  auto ready = [&s, &portal] {
    for (storage::Database* db : {s.db.get(), s.guest_db.get(), s.portal_db.get()}) {
      Status status = db->Ping();
      if (!status.ok()) return status;
    }
    if (portal.Flows() == nullptr) return Unavailable("the portal's sign-in is starting");
    return Status::Ok();
  };
  std::unique_ptr<portal::SignInFlows> sign_in;
  // With a configured public URL the sign-in is made (and its configuration
  // checked) before the server listens; otherwise once the port is known.
  auto make_sign_in = [&](const std::string& public_url) -> Status {
    PW_ASSIGN_OR_RETURN(sign_in, MakeSignInFlows(s, public_url));
    portal.public_url = public_url;
    portal.flows.store(sign_in.get(), std::memory_order_release);
    return Status::Ok();
  };
  // The SAML key is made (on first start: an RSA key, about a second) before
  // the server listens, so that the moment without sign-in stays short.
  if (!s.config.saml_idp_metadata_file.empty()) {
    auto key = EnsureSamlSpKey(s.config);
    if (!key.ok()) {
      log::Error("startup failed", {{"error", key.status().ToString()}});
      std::cerr << "passwerk: cannot start: " << key.status().message() << "\n";
      return 1;
    }
  }
  if (!s.config.public_url.empty()) {
    Status made = make_sign_in(s.config.public_url);
    if (!made.ok()) {
      log::Error("startup failed", {{"error", made.ToString()}});
      std::cerr << "passwerk: cannot start: " << made.message() << "\n";
      return 1;
    }
  }
  http::AppContext context{s.config,         s.clock,         *s.accounts,   metrics,
                           *s.cards,         *s.partners,     check_service, verdicts,
                           *s.registrations, *s.catalogue,    *s.terminals,  *s.transactions,
                           *s.logistics,     *s.annual_cards, *s.settlement, *s.statistics,
                           *s.citizens,      *s.mailbox,      *s.mail,       *s.applications,
                           portal,           ready};
  http::Router router;
  http::RegisterApiRoutes(router, context);
  web::RegisterWebRoutes(router, context);
  if (print_routes) {
    for (const http::Router::Entry& route : router.Entries()) {
      std::cout << route.method << " " << route.pattern << (route.scope.empty() ? "" : " " + route.scope) << "\n";
    }
    Status flushed = check_service.Flush();
    return flushed.ok() ? 0 : Fail(flushed);
  }

  auto endpoint = s.config.ListenEndpoint();
  http::ServerOptions options;
  options.host = endpoint->first;
  options.port = endpoint->second;
  options.threads = s.config.threads;
  options.header_limit = static_cast<size_t>(s.config.header_limit_bytes);
  options.body_limit = static_cast<size_t>(s.config.body_limit_bytes);
  // Messages with attachments: every file at its largest, and a megabyte for the text and the form.
  options.upload_body_limit = std::max<size_t>(
      options.body_limit, static_cast<size_t>(s.config.mailbox_attachment_max_bytes) *
                                  static_cast<size_t>(s.config.mailbox_attachment_max_count) +
                              1024 * 1024);
  options.is_upload = http::IsUpload;
  options.read_timeout_seconds = s.config.read_timeout_seconds;
  options.idle_timeout_seconds = s.config.idle_timeout_seconds;
  options.shutdown_grace_seconds = s.config.shutdown_grace_seconds;
  options.tls_cert_file = s.config.tls_cert_file;
  options.tls_key_file = s.config.tls_key_file;
  options.access_log = s.config.access_log;
  http::Server server(options, router, metrics);
  auto port = server.Start();
  if (!port.ok()) {
    log::Error("startup failed", {{"error", port.status().ToString()}});
    std::cerr << "passwerk: cannot listen on " << s.config.listen << ": " << port.status().message() << "\n";
    return 1;
  }
  std::string scheme = s.config.tls_cert_file.empty() ? "http" : "https";
  std::string host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  std::string url = scheme + "://" + host + ":" + std::to_string(*port);
  s.mail->SetPublicUrl(s.config.public_url.empty() ? url : s.config.public_url);
  if (s.config.public_url.empty()) {
    Status made = make_sign_in(url);
    if (!made.ok()) {
      log::Error("startup failed", {{"error", made.ToString()}});
      std::cerr << "passwerk: cannot start: " << made.message() << "\n";
      server.Shutdown();
      server.Wait();
      return 1;
    }
  }
  double startup_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  log::Info(
      "listening",
      {{"url", url}, {"engine", s.config.database_url.empty() ? "sqlite" : "postgresql"}, {"startup_ms", startup_ms}});
  std::cout << "Passwerk " << PASSWERK_VERSION << " listening on " << url << "/\n"
            << "Staff login: " << url << "/login   Portal: " << url << "/portal   (stop with Ctrl+C)\n"
            << std::flush;

  // Retention on schedule: at start, then every retention_interval_minutes.
  std::mutex retention_mutex;
  std::condition_variable retention_cv;
  bool stopping = false;
  std::thread retention;
  if (s.config.retention_interval_minutes > 0) {
    retention = std::thread([&] {
      std::unique_lock lock(retention_mutex);
      do {
        lock.unlock();
        accounts::Actor system;
        system.id = "system";
        system.request_id = "retention-" + crypto::RandomToken(5);
        guestcards::RetentionOptions rules;
        rules.annual_cycle_rotation_day = s.config.annual_cycle_rotation_day;
        auto report =
            guestcards::RunRetention(*s.guest_db, s.clock, system, BerlinDate(s.clock.NowUnix()), false, rules);
        if (report.ok()) {
          log::Info("retention run", guestcards::RetentionReportJson(*report));
        } else {
          log::Error("retention run failed; retried at the next interval", {{"error", report.status().ToString()}});
        }
        auto sessions = s.citizens->DeleteExpired();
        if (sessions.ok()) {
          log::Info("expired citizen sessions and sign-ins deleted", {{"deleted", *sessions}});
        } else {
          log::Error("deleting expired citizen sessions failed", {{"error", sessions.status().ToString()}});
        }
        auto answers = DeleteExpiredIdempotencyAnswers(s);
        if (answers.ok()) {
          log::Info("expired idempotency answers deleted", {{"deleted", *answers}});
        } else {
          log::Error("deleting expired idempotency answers failed", {{"error", answers.status().ToString()}});
        }
        if (auto sends = s.mail->DeleteExpired(); !sends.ok()) {
          log::Error("deleting old confirmation records failed", {{"error", sends.status().ToString()}});
        }
        auto threads = s.mailbox->DeleteExpired();
        if (threads.ok()) {
          log::Info("closed mailbox threads past retention deleted", {{"deleted", *threads}});
        } else {
          log::Error("deleting closed mailbox threads failed", {{"error", threads.status().ToString()}});
        }
        if (auto expired = s.applications->DeleteExpired(); expired.ok()) {
          log::Info("applications past retention deleted", {{"documents", expired->documents_deleted},
                                                            {"applications", expired->applications_deleted}});
        } else {
          log::Error("deleting applications past retention failed", {{"error", expired.status().ToString()}});
        }
        if (auto reminders = s.applications->SendRenewalReminders(); reminders.ok()) {
          log::Info("renewal reminders queued", {{"queued", *reminders}});
        } else {
          log::Error("queuing renewal reminders failed", {{"error", reminders.status().ToString()}});
        }
        lock.lock();
      } while (!retention_cv.wait_for(lock, std::chrono::minutes(s.config.retention_interval_minutes),
                                      [&] { return stopping; }));
    });
  }

  // The mail sender: drains the outbox when something was queued, when a
  // retry is due, and at least every minute (another process may queue).
  auto transport = MakeMailTransport(SmtpSettingsOf(s.config));
  if (!transport.ok()) log::Error("mail transport not usable; mail waits in the outbox", {{"error", transport.status().ToString()}});
  std::mutex mail_mutex;
  std::condition_variable mail_cv;
  bool mail_wake = false;
  bool mail_stopping = false;
  std::thread mail_sender;
  if (transport.ok() && *transport) {
    s.mail->OnQueued([&] {
      {
        std::lock_guard lock(mail_mutex);
        mail_wake = true;
      }
      mail_cv.notify_all();
    });
    mail_sender = std::thread([&] {
      auto stopping_now = [&] {
        std::lock_guard lock(mail_mutex);
        return mail_stopping;
      };
      std::unique_lock lock(mail_mutex);
      while (!mail_stopping) {
        mail_wake = false;
        lock.unlock();
        auto report = s.mail->DeliverDue(**transport, 50, stopping_now);
        int64_t wait_seconds = 60;
        bool more = false;
        if (!report.ok()) {
          // The database refused (full disk, failover): try again in a minute, not at once.
          log::Error("mail delivery run failed", {{"error", report.status().ToString()}});
        } else {
          if (report->sent + report->deferred + report->dropped > 0) {
            log::Info("mail delivery run",
                      {{"sent", report->sent}, {"deferred", report->deferred}, {"dropped", report->dropped}});
          }
          more = report->sent + report->deferred + report->dropped >= 50;  // more may be due
          auto next = s.mail->NextDue();
          if (next.ok() && *next) wait_seconds = std::clamp<int64_t>(**next - s.clock.NowUnix(), 1, 60);
        }
        lock.lock();
        if (more) continue;
        mail_cv.wait_for(lock, std::chrono::seconds(wait_seconds), [&] { return mail_stopping || mail_wake; });
      }
    });
  } else {
    log::Info("no smtp_url configured: mail waits in the outbox", nlohmann::json::object());
  }

  int received = 0;
  sigwait(&stop_signals, &received);
  log::Info("shutting down", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  {
    std::lock_guard lock(retention_mutex);
    stopping = true;
  }
  retention_cv.notify_all();
  if (retention.joinable()) retention.join();
  server.Shutdown();
  server.Wait();
  // After the last request: nothing queues mail any more. A mail being sent
  // finishes (the SMTP client's timeouts bound it); the rest waits in the outbox.
  {
    std::lock_guard lock(mail_mutex);
    mail_stopping = true;
  }
  mail_cv.notify_all();
  if (mail_sender.joinable()) mail_sender.join();
  s.mail->OnQueued(nullptr);
  Status flushed = check_service.Flush();
  if (!flushed.ok()) log::Error("check records could not be written", {{"error", flushed.ToString()}});
  // Settlement PDFs load fonts through cairo and fontconfig, which keep them for
  // the process's life; once no request runs any more, hand them back.
  pdf::ReleaseFontCaches();
  log::Info("stopped", nlohmann::json::object());
  return 0;
}

}  // namespace passwerk::cli
