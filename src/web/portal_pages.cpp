// The citizen portal's frame: the start page with what a citizen can do, the
// account (sessions, sign-out everywhere, deletion), "my cards" (with renewal
// banners and the PDF of cards issued online), and the services later parts
// fill (they say so); applying is portal_application_pages.cpp. Thin handlers
// over portal::CitizenAccounts, as the JSON API (http/portal_api.cpp) is.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "applications/applications.h"
#include "cards/card_number.h"
#include "cards/card_pdf.h"
#include "web/areas.h"
#include "web/page_env.h"
#include "web/portal_env.h"

namespace passwerk::web {
namespace {

using accounts::CitizenService;
using http::Response;

// `extra_html`: trusted markup below the text (the mailbox's unread count).
std::string Tile(Lang lang, std::string_view href, std::string_view title_key, std::string_view text_key,
                 std::optional<accounts::Assurance> level, std::string_view extra_html = {}) {
  std::string html = "<li class=\"pw-tile\"><h2 class=\"kern-heading-small\"><a class=\"kern-link\" href=\"" +
                     Escape(href) + "\">" + Escape(T(lang, title_key)) + "</a></h2><p class=\"kern-body\">" +
                     Escape(T(lang, text_key)) + "</p>";
  html += extra_html;
  if (level) {
    html += "<p class=\"kern-body kern-body--small\">" +
            Escape(Tf(lang, "portal.needs_level", {AssuranceLabel(lang, *level)})) + "</p>";
  }
  return html + "</li>\n";
}

// "2 neue Nachrichten" for whoever is signed in well enough to open the
// mailbox; nothing when all is read or the count is not to be had.
std::string UnreadNote(PortalEnv& env) {
  if (!env.session || accounts::DecideCitizenAccess(env.session->assurance, CitizenService::kMailbox) !=
                          accounts::CitizenAccess::kAllowed) {
    return {};
  }
  auto unread = env.app.mailbox.CitizenUnread(*env.session);
  if (!unread.ok() || *unread <= 0) return {};
  return "<p class=\"kern-body\" id=\"mailbox-unread\">" +
         Badge("info", Tf(env.lang, *unread == 1 ? "portal.mailbox.unread_one" : "portal.mailbox.unread_many",
                          {std::to_string(*unread)})) +
         "</p>";
}

Response Home(PortalEnv& env) {
  const Lang lang = env.lang;
  std::string body = "<h1 class=\"kern-heading-large\">" + Escape(T(lang, "portal.home.title")) + "</h1>\n";
  body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.home.intro")) + "</p>\n";
  if (env.request.QueryParam("signed_out")) {
    body += RenderAlert(AlertKind::kSuccess, T(lang, "portal.signed_out"), "");
  } else if (env.request.QueryParam("deleted")) {
    body += RenderAlert(AlertKind::kSuccess, T(lang, "portal.account.deleted"), "");
  }
  if (env.session) {
    body += "<p class=\"kern-body\">" +
            Escape(Tf(lang, "portal.home.signed_in", {AssuranceLabel(lang, env.session->assurance)})) + "</p>\n";
  } else {
    body +=
        "<p class=\"kern-body\"><a class=\"kern-btn kern-btn--primary\" href=\"/portal/login\">"
        "<span class=\"kern-label\">" +
        Escape(T(lang, "portal.home.sign_in")) + "</span></a></p>\n";
  }
  body += "<ul class=\"pw-tiles\">\n";
  body += Tile(lang, "/portal/apply", "portal.nav.apply", "portal.home.apply", std::nullopt);
  body += Tile(lang, "/portal/cards", "portal.nav.cards", "portal.home.cards",
               accounts::RequiredAssurance(CitizenService::kMyCards));
  body += Tile(lang, "/portal/mailbox", "portal.nav.mailbox", "portal.home.mailbox",
               accounts::RequiredAssurance(CitizenService::kMailbox), UnreadNote(env));
  body += Tile(lang, "/portal/payments", "portal.nav.payments", "portal.home.payments",
               accounts::RequiredAssurance(CitizenService::kPayments));
  body += Tile(lang, "/portal/discounts", "portal.nav.discounts", "portal.home.discounts", std::nullopt);
  body += "</ul>\n";
  return PortalHtml(env, "/portal", 200, T(lang, "portal.home.title"), body);
}

// A service whose pages a later part of the portal brings: the frame and the
// access check are real, the page says what is coming.
PortalHandler NotYetAvailable(std::string current, std::string title_key) {
  return [current = std::move(current), title_key = std::move(title_key)](PortalEnv& env) {
    const Lang lang = env.lang;
    std::string body = "<h1 class=\"kern-heading-large\">" + Escape(T(lang, title_key)) + "</h1>\n";
    body += RenderAlert(AlertKind::kInfo, T(lang, "portal.not_yet.title"),
                        "<p class=\"kern-body\">" + Escape(T(lang, "portal.not_yet.text")) + "</p>", false);
    return PortalHtml(env, current, 200, T(lang, title_key), body);
  };
}

std::string_view StateLabel(Lang lang, cards::CardState state) {
  switch (state) {
    case cards::CardState::kActive:
      return T(lang, "portal.cards.active");
    case cards::CardState::kBlocked:
      return T(lang, "portal.cards.blocked");
    default:
      return T(lang, "portal.cards.inactive");
  }
}

// Cards running out soon: a banner each, with the button that begins the
// renewal (or goes on with one begun).
std::string RenewalBanners(PortalEnv& env) {
  const Lang lang = env.lang;
  auto due = env.app.applications.RenewalsDue(*env.session);
  if (!due.ok()) return {};
  std::string html;
  for (const applications::RenewalOffer& offer : *due) {
    std::string action;
    if (!offer.draft_id.empty()) {
      action = LinkButton("/portal/applications/" + UrlEncode(offer.draft_id) + "/steps/1",
                          T(lang, "portal.app.renewal_resume"), true);
    } else {
      action = "<form class=\"pw-inline-form\" method=\"post\" action=\"/portal/applications/new\">" +
               CsrfInput(env.session->csrf_token) + "<input type=\"hidden\" name=\"scheme\" value=\"" +
               Escape(offer.scheme) + "\"><input type=\"hidden\" name=\"renews\" value=\"" +
               Escape(offer.application_id) + "\">" +
               RenderButton(ButtonKind::kPrimary, T(lang, "portal.app.renewal_start")) + "</form>";
    }
    html += RenderAlert(
        AlertKind::kWarning,
        Tf(lang, "portal.app.renewal_due",
           {offer.scheme_name, cards::FormatCardNumber(offer.card_number), ShowDate(offer.valid_until, lang)}),
        "<p class=\"kern-body\">" + Escape(T(lang, "portal.app.renewal_text")) + "</p><div class=\"pw-actions\">" +
            action + "</div>",
        false);
  }
  return html;
}

Response MyCards(PortalEnv& env) {
  const Lang lang = env.lang;
  auto ids = env.app.citizens.LinkedCards(env.session->account);
  if (!ids.ok()) return ErrorPage(env.request, 503);
  auto cards = env.app.cards.CardsByIds(*ids);
  if (!cards.ok()) return ErrorPage(env.request, 503);
  std::string body = "<h1 class=\"kern-heading-large\">" + Escape(T(lang, "portal.cards.title")) + "</h1>\n";
  body += RenewalBanners(env);
  if (cards->empty()) {
    body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.cards.none")) + "</p>\n";
    body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/portal/apply\">" +
            Escape(T(lang, "portal.cards.apply")) + "</a></p>\n";
    return PortalHtml(env, "/portal/cards", 200, T(lang, "portal.cards.title"), body);
  }
  std::map<int64_t, std::string> scheme_names;
  body += "<ul class=\"pw-tiles\" id=\"my-cards\">\n";
  for (const cards::Card& card : *cards) {
    auto name = scheme_names.find(card.scheme_id);
    if (name == scheme_names.end()) {
      auto scheme = env.app.cards.GetScheme(card.scheme_id);
      name = scheme_names.emplace(card.scheme_id, scheme.ok() ? scheme->name : std::string()).first;
    }
    body += "<li class=\"pw-tile\"><h2 class=\"kern-heading-small\">" + Escape(name->second) +
            "</h2><dl class=\"kern-description-list\">";
    body += DescriptionItem(T(lang, "portal.cards.number"), cards::FormatCardNumber(card.card_number));
    body += DescriptionItem(
        T(lang, "portal.cards.valid"),
        Tf(lang, "portal.cards.valid_range", {ShowDate(card.valid_from, lang), ShowDate(card.valid_until, lang)}));
    body += DescriptionItem(T(lang, "portal.cards.state"), StateLabel(lang, card.state));
    body += "</dl>";
    if (card.state == cards::CardState::kActive) {
      body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/portal/cards/" + Escape(card.card_number) +
              ".pdf\">" + Escape(Tf(lang, "portal.app.cards_pdf", {cards::FormatCardNumber(card.card_number)})) +
              "</a></p>";
    }
    body += "</li>\n";
  }
  body += "</ul>\n";
  return PortalHtml(env, "/portal/cards", 200, T(lang, "portal.cards.title"), body);
}

// /portal/cards/{number}.pdf: an active card linked to the account, printable.
Response CardPdf(PortalEnv& env) {
  const std::string file = env.request.path_params["file"];
  constexpr std::string_view kSuffix = ".pdf";
  if (file.size() <= kSuffix.size() || file.compare(file.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return ErrorPage(PortalChrome(env, ""), 404);
  }
  const std::string number = file.substr(0, file.size() - kSuffix.size());
  auto ids = env.app.citizens.LinkedCards(env.session->account);
  if (!ids.ok()) return ErrorPage(env.request, 503);
  auto own = env.app.cards.HolderCard(*ids, number);
  if (!own.ok() || own->card.state != cards::CardState::kActive) {
    return own.ok() || own.status().code() == ErrorCode::kNotFound ? ErrorPage(PortalChrome(env, ""), 404)
                                                                  : ErrorPage(env.request, 503);
  }
  auto scheme = env.app.cards.GetScheme(own->card.scheme_id);
  if (!scheme.ok()) return ErrorPage(env.request, 503);
  std::string issuer;
  if (auto municipality = env.app.accounts.GetMunicipality(scheme->municipality_id); municipality.ok()) {
    issuer = municipality->name;
  }
  cards::CardPrint print;
  print.scheme_name = scheme->name;
  print.municipality_name = issuer;
  print.holder_name = own->holder.given_name + (own->holder.given_name.empty() ? "" : " ") + own->holder.family_name;
  print.card_number = own->card.card_number;
  print.circulation_counter = own->card.circulation_counter;
  print.valid_until = FormatIsoDate(own->card.valid_until);
  print.discount_class = own->card.discount_class;
  auto pdf = cards::RenderCardPdf({print});
  if (!pdf.ok()) return ErrorPage(env.request, 503);
  return MailboxDownload({"Karte-" + own->card.card_number + ".pdf", "application/pdf", std::move(*pdf)});
}

std::string_view MethodLabel(Lang lang, portal::SignInMethod method) {
  switch (method) {
    case portal::SignInMethod::kSaml:
      return T(lang, "portal.method.saml");
    case portal::SignInMethod::kOidc:
      return T(lang, "portal.method.oidc");
    case portal::SignInMethod::kTest:
      return T(lang, "portal.method.test");
  }
  return "";
}

std::string PostButton(std::string_view action, std::string_view csrf, std::string_view label, ButtonKind kind,
                       std::string_view id = {}) {
  std::string extra = id.empty() ? std::string() : "id=\"" + std::string(id) + "\"";
  return "<form class=\"pw-inline-form\" method=\"post\" action=\"" + Escape(action) + "\">" + CsrfInput(csrf) +
         RenderButton(kind, label, extra) + "</form>";
}

Response Account(PortalEnv& env) {
  const Lang lang = env.lang;
  const portal::CitizenSession& session = *env.session;
  auto sessions = env.app.citizens.Sessions(session);
  if (!sessions.ok()) return ErrorPage(env.request, 503);
  std::string body = "<h1 class=\"kern-heading-large\">" + Escape(T(lang, "portal.account.title")) + "</h1>\n";
  if (env.request.QueryParam("ended")) {
    body += RenderAlert(AlertKind::kSuccess, T(lang, "portal.account.session_ended"), "");
  }
  body += "<dl class=\"kern-description-list\" id=\"account\">";
  body += DescriptionItem(T(lang, "portal.account.method"), MethodLabel(lang, session.method));
  body += DescriptionItem(T(lang, "portal.account.level"), AssuranceLabel(lang, session.assurance));
  body += DescriptionItem(T(lang, "portal.account.signed_in_at"), FormatBerlinTime(session.created_at, lang));
  body += DescriptionItem(
      T(lang, "portal.account.ends_at"),
      FormatBerlinTime(std::min(session.expires_at, session.last_seen_at + env.app.config.portal_session_idle_seconds),
                       lang));
  body += "</dl>\n";
  body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.account.stored")) + "</p>\n";

  body += SectionStart("sessions", T(lang, "portal.account.sessions"));
  body += TableStart("sessions-table", T(lang, "portal.account.sessions"),
                     {"portal.account.device", "portal.account.signed_in_at", "portal.account.last_seen",
                      "portal.account.level", "portal.account.actions"},
                     lang);
  for (const portal::CitizenSession& other : *sessions) {
    bool current = other.public_id == session.public_id;
    std::string device = other.device.empty() ? std::string(T(lang, "portal.account.unknown_device")) : other.device;
    body += "<tr>" +
            Cell(current ? device + " (" + std::string(T(lang, "portal.account.this_session")) + ")" : device) +
            Cell(FormatBerlinTime(other.created_at, lang)) + Cell(FormatBerlinTime(other.last_seen_at, lang)) +
            Cell(AssuranceLabel(lang, other.assurance)) + "<td>";
    if (!current) {
      body += PostButton("/portal/account/sessions/" + other.public_id + "/end", session.csrf_token,
                         T(lang, "portal.account.end_session"), ButtonKind::kTertiary);
    }
    body += "</td></tr>\n";
  }
  body += "</tbody></table></div>\n";
  body += PostButton("/portal/account/sign-out-everywhere", session.csrf_token,
                     T(lang, "portal.account.sign_out_everywhere"), ButtonKind::kSecondary, "sign-out-everywhere");
  body += "</section>\n";

  body += SectionStart("delete", T(lang, "portal.account.delete_title"));
  body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.account.delete_text")) + "</p>\n";
  body += "<p class=\"kern-body\"><a class=\"kern-link\" id=\"delete-account\" href=\"/portal/account/delete\">" +
          Escape(T(lang, "portal.account.delete_link")) + "</a></p>\n</section>\n";
  return PortalHtml(env, "/portal/account", 200, T(lang, "portal.account.title"), body);
}

bool CsrfOk(const PortalEnv& env, const std::map<std::string, std::string>& form) {
  return CsrfMatches(env.session->csrf_token, form);
}

Response EndSession(PortalEnv& env) {
  auto form = env.request.FormParams();
  if (!CsrfOk(env, form)) return CsrfErrorPage(PortalChrome(env, ""));
  Status ended = env.app.citizens.EndSession(*env.session, env.request.path_params["session"], env.request.request_id);
  if (ended.code() == ErrorCode::kNotFound) return ErrorPage(PortalChrome(env, ""), 404);
  if (!ended.ok()) return ErrorPage(env.request, 503);
  return Response::Redirect("/portal/account?ended=1");
}

Response SignOutEverywhere(PortalEnv& env) {
  auto form = env.request.FormParams();
  if (!CsrfOk(env, form)) return CsrfErrorPage(PortalChrome(env, ""));
  auto ended = env.app.citizens.SignOutEverywhere(*env.session, env.request.request_id);
  if (!ended.ok()) return ErrorPage(env.request, 503);
  env.set_cookies.push_back(ClearCitizenCookie(env, http::kCitizenSessionCookie));
  return Response::Redirect("/portal?signed_out=1");
}

std::string FindingText(Lang lang, const portal::DeletionFinding& finding) {
  if (finding.blocking > 0) {
    return Tf(lang, "portal.delete.blocked_by",
              {T(lang, "portal.area." + finding.area), std::to_string(finding.blocking)});
  }
  return Tf(lang, "portal.delete.withdraws",
            {T(lang, "portal.area." + finding.area), std::to_string(finding.to_withdraw)});
}

Response DeletePage(PortalEnv& env, int status, std::string notice_html) {
  const Lang lang = env.lang;
  auto plan = env.app.citizens.PlanDeletion(*env.session);
  if (!plan.ok()) return ErrorPage(env.request, 503);
  std::string body = "<h1 class=\"kern-heading-large\">" + Escape(T(lang, "portal.delete.title")) + "</h1>\n";
  body += notice_html;
  body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.delete.what")) + "</p>\n";
  body += "<p class=\"kern-body\">" + Escape(T(lang, "portal.delete.rules")) + "</p>\n";
  std::string findings;
  for (const portal::DeletionFinding& finding : plan->findings) {
    if (finding.blocking > 0 || finding.to_withdraw > 0) {
      findings += "<li>" + Escape(FindingText(lang, finding)) + "</li>";
    }
  }
  if (!findings.empty()) body += "<ul class=\"kern-list\" id=\"deletion-findings\">" + findings + "</ul>\n";
  if (plan->blocked()) {
    body += RenderAlert(AlertKind::kWarning, T(lang, "portal.delete.blocked"), "", false);
  } else {
    body += "<form class=\"pw-form\" method=\"post\" action=\"/portal/account/delete\">" +
            CsrfInput(env.session->csrf_token);
    CheckboxGroup confirm;
    confirm.name = "confirm";
    confirm.legend = std::string(T(lang, "portal.delete.confirm_legend"));
    confirm.options.push_back({"confirm", std::string(T(lang, "portal.delete.confirm")), false});
    body += RenderCheckboxes(confirm);
    body += "<div class=\"pw-actions\">" +
            RenderButton(ButtonKind::kPrimary, T(lang, "portal.delete.submit"), "id=\"delete-submit\"") + "</div>";
    body += "</form>\n";
  }
  body += "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/portal/account\">" +
          Escape(T(lang, "portal.delete.cancel")) + "</a></p>\n";
  return PortalHtml(env, "/portal/account", status, T(lang, "portal.delete.title"), body);
}

Response DeleteAccount(PortalEnv& env) {
  auto form = env.request.FormParams();
  if (!CsrfOk(env, form)) return CsrfErrorPage(PortalChrome(env, ""));
  const Lang lang = env.lang;
  if (FormValue(form, "confirm").empty()) {
    return DeletePage(env, 422,
                      RenderErrorSummary(lang, {{"confirm", std::string(T(lang, "portal.delete.unconfirmed"))}}));
  }
  Status deleted = env.app.citizens.DeleteAccount(*env.session, env.request.request_id);
  if (deleted.code() == ErrorCode::kFailedPrecondition) {
    return DeletePage(env, 409, RenderAlert(AlertKind::kDanger, T(lang, "portal.delete.blocked"), ""));
  }
  if (!deleted.ok()) return ErrorPage(env.request, 503);
  env.set_cookies.push_back(ClearCitizenCookie(env, http::kCitizenSessionCookie));
  return Response::Redirect("/portal?deleted=1");
}

}  // namespace

void RegisterPortalPages(Router& router, AppContext& app) {
  router.Add("GET", "/portal", "portal.home", PortalPage(app, Home));
  // /portal/apply and its pages: portal_application_pages.cpp.
  router.Add("GET", "/portal/cards", "portal.cards", PortalServicePage(app, CitizenService::kMyCards, MyCards));
  router.Add("GET", "/portal/cards/{file}", "portal.cards.pdf",
             PortalServicePage(app, CitizenService::kMyCards, CardPdf));
  router.Add(
      "GET", "/portal/payments", "portal.payments",
      PortalServicePage(app, CitizenService::kPayments, NotYetAvailable("/portal/payments", "portal.nav.payments")));
  router.Add("GET", "/portal/discounts", "portal.discounts",
             PortalPage(app, NotYetAvailable("/portal/discounts", "portal.nav.discounts")));
  router.Add("GET", "/portal/account", "portal.account", PortalServicePage(app, CitizenService::kAccount, Account));
  router.Add("POST", "/portal/account/sessions/{session}/end", "portal.account.end_session",
             PortalServicePage(app, CitizenService::kAccount, EndSession));
  router.Add("POST", "/portal/account/sign-out-everywhere", "portal.account.sign_out_everywhere",
             PortalServicePage(app, CitizenService::kAccount, SignOutEverywhere));
  router.Add("GET", "/portal/account/delete", "portal.account.delete_page",
             PortalServicePage(app, CitizenService::kAccount, [](PortalEnv& env) { return DeletePage(env, 200, ""); }));
  router.Add("POST", "/portal/account/delete", "portal.account.delete",
             PortalServicePage(app, CitizenService::kAccount, DeleteAccount));
}

}  // namespace passwerk::web
