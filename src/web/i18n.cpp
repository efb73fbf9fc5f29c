// The text table (German first, then English) and language negotiation.
#include "web/i18n.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <unordered_map>

namespace passwerk::web {
namespace {

struct Text {
  std::string_view key;
  std::string_view de;
  std::string_view en;
};

// Keep keys grouped by page. Plain text only: the pages escape everything.
constexpr Text kTexts[] = {
    // Layout
    {"app.tagline", "Verwaltung der Berechtigungskarten", "Entitlement card administration"},
    {"app.footer", "Passwerk {0} · Open-Source-Software für kommunale Berechtigungskarten",
     "Passwerk {0} · open-source software for municipal entitlement cards"},
    {"layout.skip", "Zum Inhalt springen", "Skip to main content"},
    {"layout.nav", "Hauptnavigation", "Main navigation"},
    {"layout.language", "Sprache", "Language"},
    {"layout.signed_in_as", "Angemeldet als", "Signed in as"},
    {"layout.logout", "Abmelden", "Sign out"},
    {"lang.de", "Deutsch", "Deutsch"},
    {"lang.en", "English", "English"},
    {"nav.dashboard", "Übersicht", "Overview"},
    {"nav.users", "Benutzer", "Users"},
    {"nav.audit", "Prüfprotokoll", "Audit log"},

    // Roles
    {"role.operator", "Betrieb", "Operator"},
    {"role.municipality_admin", "Kommunale Administration", "Municipality administrator"},
    {"role.clerk", "Sachbearbeitung", "Clerk"},
    {"role.auditor", "Prüfung und Datenschutz", "Auditor"},

    // Common
    {"common.yes", "ja", "yes"},
    {"common.no", "nein", "no"},
    {"common.none", "keine", "none"},
    {"common.cancel", "Abbrechen", "Cancel"},
    {"common.back_dashboard", "Zur Übersicht", "Back to the overview"},
    {"common.error_summary", "Bitte korrigieren Sie die markierten Angaben",
     "Please correct the marked fields"},

    // Login
    {"login.title", "Anmelden", "Sign in"},
    {"login.intro", "Melden Sie sich mit Ihrem Benutzernamen und Passwort an. Danach folgt der "
                    "Bestätigungscode aus Ihrer Authenticator-App.",
     "Sign in with your username and password. You will then be asked for the verification "
     "code from your authenticator app."},
    {"login.username", "Benutzername", "Username"},
    {"login.password", "Passwort", "Password"},
    {"login.submit", "Anmelden", "Sign in"},
    {"login.failed_title", "Anmeldung fehlgeschlagen", "Sign-in failed"},
    {"login.failed", "Benutzername oder Passwort falsch", "Wrong username or password"},
    {"login.throttled",
     "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie bis zu {0} Minuten und "
     "versuchen Sie es dann erneut.",
     "Too many failed sign-in attempts. Please wait up to {0} minutes and try again."},
    {"login.missing", "Bitte geben Sie Benutzername und Passwort ein.",
     "Please enter your username and password."},
    {"login.signed_out", "Sie haben sich abgemeldet.", "You have signed out."},
    {"login.expired", "Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an.",
     "Your sign-in has expired. Please sign in again."},

    // Second factor
    {"totp.title", "Bestätigungscode eingeben", "Enter verification code"},
    {"totp.intro", "Öffnen Sie Ihre Authenticator-App und geben Sie den sechsstelligen Code für "
                   "Passwerk ein.",
     "Open your authenticator app and enter the six-digit code for Passwerk."},
    {"totp.code", "Bestätigungscode", "Verification code"},
    {"totp.code_hint", "6 Ziffern, zum Beispiel 123456", "6 digits, for example 123456"},
    {"totp.submit", "Bestätigen", "Verify"},
    {"totp.invalid", "Der Code ist ungültig oder abgelaufen. Bitte geben Sie den aktuellen Code "
                     "aus der App ein.",
     "The code is invalid or has expired. Please enter the current code from the app."},
    {"totp.format", "Bitte geben Sie genau 6 Ziffern ein.", "Please enter exactly 6 digits."},
    {"totp.throttled", "Zu viele falsche Codes. Bitte melden Sie sich später erneut an.",
     "Too many wrong codes. Please sign in again later."},
    {"totp.restart", "Abbrechen und neu anmelden", "Cancel and sign in again"},

    // Enrolment
    {"enrol.title", "Zwei-Faktor-Anmeldung einrichten", "Set up two-factor sign-in"},
    {"enrol.intro", "Passwerk verlangt bei jeder Anmeldung einen zweiten Faktor. Richten Sie ihn "
                    "jetzt einmalig ein.",
     "Passwerk requires a second factor at every sign-in. Set it up once now."},
    {"enrol.step1", "Öffnen Sie eine Authenticator-App (TOTP) auf Ihrem Diensthandy.",
     "Open an authenticator app (TOTP) on your work phone."},
    {"enrol.step2", "Scannen Sie den QR-Code oder geben Sie den Schlüssel von Hand ein.",
     "Scan the QR code or type in the key by hand."},
    {"enrol.step3", "Geben Sie den sechsstelligen Code ein, den die App danach anzeigt.",
     "Enter the six-digit code the app then shows."},
    {"enrol.qr_label", "QR-Code zum Einrichten der Authenticator-App für Passwerk",
     "QR code to set up the authenticator app for Passwerk"},
    {"enrol.manual", "Schlüssel zur Eingabe von Hand", "Key for manual entry"},
    {"enrol.manual_hint", "Die Leerzeichen dienen nur der Lesbarkeit. Zeitbasiert, 6 Ziffern, "
                          "30 Sekunden.",
     "The spaces are only for readability. Time-based, 6 digits, 30 seconds."},
    {"enrol.submit", "Einrichtung abschließen", "Complete setup"},
    {"enrol.unavailable", "Die Einrichtung konnte nicht gestartet werden. Bitte melden Sie sich "
                          "erneut an.",
     "The setup could not be started. Please sign in again."},

    // Dashboard
    {"dashboard.title", "Übersicht", "Overview"},
    {"dashboard.greeting", "Guten Tag, {0}", "Hello, {0}"},
    {"dashboard.your_account", "Ihr Konto", "Your account"},
    {"dashboard.role", "Rolle", "Role"},
    {"dashboard.municipality", "Kommune", "Municipality"},
    {"dashboard.department", "Fachbereich", "Department"},
    {"dashboard.tasks", "Ihre Aufgaben", "Your tasks"},
    {"dashboard.users_link", "Benutzer verwalten", "Manage users"},
    {"dashboard.users_desc", "Konten anlegen, sperren und wieder entsperren.",
     "Create, disable and re-enable accounts."},
    {"dashboard.audit_link", "Prüfprotokoll einsehen", "Read the audit log"},
    {"dashboard.audit_desc", "Änderungen nachvollziehen und nach Aktion, Person und Zeitraum "
                             "filtern.",
     "Trace changes and filter them by action, actor and period."},
    {"dashboard.no_tasks", "Für Ihre Rolle bietet die Verwaltungsoberfläche derzeit keine "
                           "weiteren Funktionen.",
     "The staff web pages currently offer no further functions for your role."},
    {"dashboard.figures", "Kennzahlen", "Key figures"},
    {"dashboard.user_count", "Benutzerkonten", "User accounts"},
    {"dashboard.user_active", "davon aktiv", "of which active"},
    {"dashboard.audit_today", "Protokolleinträge heute", "Audit entries today"},
    {"dashboard.more_than", "mehr als {0}", "more than {0}"},

    // Users
    {"users.title", "Benutzer", "Users"},
    {"users.intro", "Konten der Mitarbeitenden. Neue Konten richten bei der ersten Anmeldung die "
                    "Zwei-Faktor-Anmeldung ein.",
     "Staff accounts. New accounts set up two-factor sign-in at their first sign-in."},
    {"users.new", "Neuen Benutzer anlegen", "Create user"},
    {"users.caption", "Benutzerkonten", "User accounts"},
    {"users.col_username", "Benutzername", "Username"},
    {"users.col_name", "Name", "Name"},
    {"users.col_role", "Rolle", "Role"},
    {"users.col_municipality", "Kommune", "Municipality"},
    {"users.col_totp", "Zwei-Faktor eingerichtet", "Two-factor set up"},
    {"users.col_status", "Status", "Status"},
    {"users.col_action", "Aktion", "Action"},
    {"users.active", "aktiv", "active"},
    {"users.disabled", "gesperrt", "disabled"},
    {"users.disable", "Sperren", "Disable"},
    {"users.enable", "Entsperren", "Enable"},
    {"users.disable_named", "{0} sperren", "Disable {0}"},
    {"users.enable_named", "{0} entsperren", "Enable {0}"},
    {"users.you", "(Sie)", "(you)"},
    {"users.empty", "Es gibt noch keine Benutzerkonten.", "There are no user accounts yet."},
    {"users.created_title", "Benutzer angelegt", "User created"},
    {"users.created", "Das Konto „{0}“ wurde angelegt. Teilen Sie das Startpasswort auf sicherem "
                      "Weg mit; bei der ersten Anmeldung wird die Zwei-Faktor-Anmeldung "
                      "eingerichtet.",
     "The account \"{0}\" was created. Pass on the initial password securely; two-factor "
     "sign-in is set up at the first sign-in."},
    {"users.disabled_done", "Das Konto „{0}“ wurde gesperrt.", "The account \"{0}\" was disabled."},
    {"users.enabled_done", "Das Konto „{0}“ wurde entsperrt.", "The account \"{0}\" was enabled."},
    {"users.done_title", "Erledigt", "Done"},
    {"users.action_failed", "Die Aktion ist fehlgeschlagen", "The action failed"},

    // New user form
    {"newuser.title", "Neuen Benutzer anlegen", "Create user"},
    {"newuser.intro", "Alle Felder außer dem Fachbereich sind Pflichtfelder.",
     "All fields except the department are required."},
    {"newuser.username", "Benutzername", "Username"},
    {"newuser.username_hint", "3 bis 64 Zeichen: Kleinbuchstaben a–z, Ziffern, Punkt, Unterstrich "
                              "und Bindestrich",
     "3 to 64 characters: lower-case letters a–z, digits, dot, underscore and hyphen"},
    {"newuser.display_name", "Name", "Name"},
    {"newuser.display_name_hint", "Vor- und Nachname, wie er in Passwerk angezeigt wird",
     "First and last name as shown in Passwerk"},
    {"newuser.role", "Rolle", "Role"},
    {"newuser.role_choose", "Bitte wählen", "Please choose"},
    {"newuser.municipality", "Kommune", "Municipality"},
    {"newuser.municipality_none", "Keine (nur für Betrieb und Prüfung)",
     "None (operator and auditor only)"},
    {"newuser.department", "Fachbereich (optional)", "Department (optional)"},
    {"newuser.department_none", "Kein Fachbereich", "No department"},
    {"newuser.password", "Startpasswort", "Initial password"},
    {"newuser.password_hint", "Mindestens 12 Zeichen", "At least 12 characters"},
    {"newuser.submit", "Benutzer anlegen", "Create user"},
    {"newuser.err_username", "Der Benutzername muss 3 bis 64 Zeichen lang sein und darf nur a–z, "
                             "0–9, Punkt, Unterstrich und Bindestrich enthalten.",
     "The username must be 3 to 64 characters long and may only contain a–z, 0–9, dot, "
     "underscore and hyphen."},
    {"newuser.err_username_taken", "Dieser Benutzername ist bereits vergeben.",
     "This username is already taken."},
    {"newuser.err_display_name", "Bitte geben Sie einen Namen mit 1 bis 200 Zeichen ein.",
     "Please enter a name of 1 to 200 characters."},
    {"newuser.err_role", "Bitte wählen Sie eine Rolle, die Sie vergeben dürfen.",
     "Please choose a role you may assign."},
    {"newuser.err_municipality", "Bitte wählen Sie eine passende Kommune: Sachbearbeitung und "
                                 "kommunale Administration brauchen eine, Betrieb und Prüfung "
                                 "keine.",
     "Please choose a matching municipality: clerks and municipality administrators need one, "
     "operators and auditors none."},
    {"newuser.err_department", "Bitte wählen Sie einen Fachbereich der gewählten Kommune.",
     "Please choose a department of the chosen municipality."},
    {"newuser.err_password", "Das Startpasswort muss 12 bis 256 Zeichen lang sein.",
     "The initial password must be 12 to 256 characters long."},

    // Audit
    {"audit.title", "Prüfprotokoll", "Audit log"},
    {"audit.intro", "Jede Änderung wird fortlaufend nummeriert und unveränderlich protokolliert. "
                    "Neueste Einträge zuerst.",
     "Every change is numbered and logged immutably. Newest entries first."},
    {"audit.filter", "Einträge filtern", "Filter entries"},
    {"audit.action", "Aktion beginnt mit", "Action starts with"},
    {"audit.action_hint", "zum Beispiel user. für alle Änderungen an Benutzern",
     "for example user. for all changes to users"},
    {"audit.actor", "Handelnde Stelle", "Actor"},
    {"audit.actor_hint", "genau wie protokolliert, zum Beispiel user:3",
     "exactly as logged, for example user:3"},
    {"audit.from", "Von (Datum)", "From (date)"},
    {"audit.to", "Bis (Datum, einschließlich)", "To (date, inclusive)"},
    {"audit.apply", "Filtern", "Filter"},
    {"audit.reset", "Filter zurücksetzen", "Reset filter"},
    {"audit.bad_date", "Bitte geben Sie ein gültiges Datum ein (JJJJ-MM-TT).",
     "Please enter a valid date (YYYY-MM-DD)."},
    {"audit.bad_range", "Das Bis-Datum darf nicht vor dem Von-Datum liegen.",
     "The to date must not be before the from date."},
    {"audit.caption", "Protokolleinträge", "Audit entries"},
    {"audit.col_seq", "Nr.", "No."},
    {"audit.col_time", "Zeit (Europe/Berlin)", "Time (Europe/Berlin)"},
    {"audit.col_actor", "Handelnd", "Actor"},
    {"audit.col_action", "Aktion", "Action"},
    {"audit.col_object", "Objekt", "Object"},
    {"audit.col_detail", "Details", "Details"},
    {"audit.empty", "Keine Einträge gefunden.", "No entries found."},
    {"audit.older", "Ältere Einträge", "Older entries"},
    {"audit.newest", "Neueste Einträge", "Newest entries"},
    {"audit.paging", "Blättern", "Paging"},

    // Error pages
    {"error.403_title", "Zugriff verweigert", "Access denied"},
    {"error.403_text", "Sie haben keine Berechtigung für diese Seite oder Aktion.",
     "You are not allowed to open this page or perform this action."},
    {"error.csrf_title", "Anfrage abgelehnt", "Request refused"},
    {"error.csrf_text", "Das Formular war abgelaufen oder stammt nicht von dieser Seite. Bitte "
                        "laden Sie die Seite neu und versuchen Sie es noch einmal.",
     "The form had expired or did not come from this page. Please reload the page and try "
     "again."},
    {"error.404_title", "Seite nicht gefunden", "Page not found"},
    {"error.404_text", "Die angeforderte Seite gibt es nicht.",
     "The page you asked for does not exist."},
    {"error.500_title", "Technischer Fehler", "Technical error"},
    {"error.500_text", "Die Anfrage konnte gerade nicht bearbeitet werden. Bitte versuchen Sie es "
                       "später erneut.",
     "The request could not be handled just now. Please try again later."},
    {"error.to_start", "Zur Startseite", "Go to the start page"},
};

const std::unordered_map<std::string_view, const Text*>& Index() {
  static const std::unordered_map<std::string_view, const Text*> index = [] {
    std::unordered_map<std::string_view, const Text*> map;
    for (const Text& text : kTexts) map.emplace(text.key, &text);
    return map;
  }();
  return index;
}

std::string Lower(std::string_view in) {
  std::string out(in);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view LangCode(Lang lang) { return lang == Lang::kEn ? "en" : "de"; }

std::optional<Lang> ParseLang(std::string_view code) {
  if (code == "de") return Lang::kDe;
  if (code == "en") return Lang::kEn;
  return std::nullopt;
}

std::string_view T(Lang lang, std::string_view key) {
  const auto& index = Index();
  auto it = index.find(key);
  if (it == index.end()) return key;
  return lang == Lang::kEn ? it->second->en : it->second->de;
}

std::string Tf(Lang lang, std::string_view key, std::initializer_list<std::string_view> args) {
  std::string_view pattern = T(lang, key);
  std::string out;
  out.reserve(pattern.size() + 32);
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}' &&
        pattern[i + 1] >= '0' && pattern[i + 1] <= '9') {
      size_t n = static_cast<size_t>(pattern[i + 1] - '0');
      if (n < args.size()) {
        out += *(args.begin() + n);
        i += 2;
        continue;
      }
    }
    out += pattern[i];
  }
  return out;
}

bool HasText(std::string_view key) { return Index().count(key) > 0; }

std::vector<std::string_view> AllTextKeys() {
  std::vector<std::string_view> keys;
  for (const Text& text : kTexts) keys.push_back(text.key);
  return keys;
}

Lang LanguageFromAcceptLanguage(std::string_view header) {
  // "en-US,en;q=0.9,de;q=0.8": the highest q wins; on a tie the earlier entry.
  std::optional<Lang> best;
  double best_q = 0.0;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    std::string_view range = item;
    double q = 1.0;
    size_t semi = item.find(';');
    if (semi != std::string_view::npos) {
      range = Trim(item.substr(0, semi));
      std::string params = Lower(item.substr(semi + 1));
      size_t qpos = params.find("q=");
      if (qpos != std::string::npos) q = std::strtod(params.c_str() + qpos + 2, nullptr);
    }
    std::string primary = Lower(range.substr(0, range.find('-')));
    std::optional<Lang> lang = ParseLang(primary);
    if (lang && q > best_q) {
      best = lang;
      best_q = q;
    }
  }
  return best.value_or(Lang::kDe);
}

LanguageChoice ChooseLanguage(const http::Request& request) {
  if (auto query = request.QueryParam("lang")) {
    if (auto lang = ParseLang(*query)) return {*lang, true};
  }
  if (auto cookie = request.Cookie(kLangCookie)) {
    if (auto lang = ParseLang(*cookie)) return {*lang, false};
  }
  if (auto header = request.Header("accept-language")) {
    return {LanguageFromAcceptLanguage(*header), false};
  }
  return {Lang::kDe, false};
}

std::string LanguageCookie(Lang lang, bool secure) {
  std::string cookie = std::string(kLangCookie) + "=" + std::string(LangCode(lang)) +
                       "; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax";
  if (secure) cookie += "; Secure";
  return cookie;
}

}  // namespace passwerk::web
