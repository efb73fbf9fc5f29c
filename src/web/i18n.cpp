// The text table (German first, then English) and language negotiation.
// Long on purpose: one table of every user-facing text, one line per key, so
// that a translator reads and checks it in one place (i18n_test.cpp checks it).
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
    {"nav.departments", "Fachbereiche", "Departments"},
    {"nav.audit", "Prüfprotokoll", "Audit log"},
    {"nav.cards", "Karten", "Cards"},
    {"nav.partners", "Partner", "Partners"},

    // Roles
    {"role.operator", "Betrieb", "Operator"},
    {"role.municipality_admin", "Kommunale Administration", "Municipality administrator"},
    {"role.clerk", "Sachbearbeitung", "Clerk"},
    {"role.auditor", "Prüfung und Datenschutz", "Auditor"},
    {"role.landlord", "Vermietung", "Landlord"},

    // Guest cards: statistics
    {"nav.registrations", "Meldescheine", "Registrations"},
    {"nav.annual_cards", "Jahreskarten", "Annual cards"},
    {"nav.statistics", "Statistik", "Statistics"},
    {"nav.terminals", "Terminals", "Terminals"},
    {"nav.settlement", "Abrechnung", "Settlement"},
    {"nav.card_stock", "Kartenbestand", "Card stock"},
    {"dashboard.registrations_link", "Meldescheine", "Registrations"},
    {"dashboard.registrations_desc", "Gäste anmelden, Kurabgabe berechnen und Gästekarten ausgeben.",
     "Register guests, compute the spa tax and issue guest cards."},
    // Card stock (card_stock_pages.cpp)
    {"stock.title", "Kartenbestand", "Card stock"},
    {"stock.intro",
     "Die Gästekarten von {0} aus den Produktionsdateien des Kartenherstellers. Diese Seite zeigt keine "
     "personenbezogenen Daten.",
     "The guest cards of {0} from the card manufacturer's production files. This page shows no personal data."},
    {"stock.cards", "Karten", "Cards"},
    {"stock.filter", "Karten auswählen", "Choose cards"},
    {"stock.any", "alle", "all"},
    {"stock.show", "Anzeigen", "Show"},
    {"stock.empty", "Keine Karten mit dieser Auswahl.", "No cards match this choice."},
    {"stock.page_empty", "Auf dieser Seite sind keine Karten mehr.", "There are no more cards on this page."},
    {"stock.caption", "Karten der Gemeinde, Seite {0}", "The municipality's cards, page {0}"},
    {"stock.col_number", "Kartennummer", "Card number"},
    {"stock.col_type", "Kartentyp", "Card type"},
    {"stock.col_counter", "Umlaufzähler", "Circulation counter"},
    {"stock.col_status", "Status", "Status"},
    {"stock.col_batch", "Charge", "Batch"},
    {"stock.pages", "Seiten", "Pages"},
    {"stock.previous", "Vorherige Seite", "Previous page"},
    {"stock.next", "Nächste Seite", "Next page"},
    {"stock.status_in_stock", "im Bestand", "in stock"},
    {"stock.status_handed_out", "vorab ausgegeben", "handed out"},
    {"stock.status_in_service", "in Nutzung", "in service"},
    {"stock.status_departed", "abgereist", "departed"},
    {"stock.status_blocked", "gesperrt", "blocked"},
    {"stock.status_replaced", "ersetzt", "replaced"},
    {"stock.type_1_0", "1.0 Erwachsene", "1.0 adult"},
    {"stock.type_2_0", "2.0 Kinder", "2.0 child"},
    {"stock.type_3_0", "3.0 Jahreskarte", "3.0 annual card"},
    {"stock.type_21", "21 Testkarte Erwachsene", "21 test card adult"},
    {"stock.type_22", "22 Testkarte Kinder", "22 test card child"},
    {"stock.type_23", "23 Testkarte Jahreskarte", "23 test card annual"},
    {"stock.hand_out_title", "Karte vor dem Aufenthalt ausgeben", "Hand out a card before the stay"},
    {"stock.hand_out_intro",
     "Für Gäste, deren Meldeschein erst später kommt: Die Karte gilt 28 Tage ab ihrer ersten Nutzung. Kommt der "
     "Meldeschein mit dem Strichcode der Karte, gelten Aufenthalt und Kurabgabe.",
     "For guests whose registration comes later: the card is valid for 28 days from its first use. When the "
     "registration arrives with the card's barcode, the stay and the spa tax apply."},
    {"stock.barcode", "Strichcode der Karte", "The card's barcode"},
    {"stock.barcode_hint", "32 Ziffern vom Aufkleber; Leerzeichen und Bindestriche werden ignoriert.",
     "32 digits from the sticker; spaces and hyphens are ignored."},
    {"stock.hand_out", "Karte ausgeben", "Hand out the card"},
    {"stock.hand_out_done", "Karte ausgegeben", "Card handed out"},
    {"stock.hand_out_result", "Karte {0} ({1}) ist ausgegeben und gilt {2} Tage ab ihrer ersten Nutzung.",
     "Card {0} ({1}) is handed out and valid for {2} days from its first use."},
    {"stock.err_barcode_format", "Der Strichcode hat 32 Ziffern (der Aufkleber der Karte).",
     "The barcode has 32 digits (the card's sticker)."},
    {"stock.err_barcode_municipality", "Dieser Strichcode gehört nicht zu einer Karte Ihrer Gemeinde.",
     "This barcode is not of a card of your municipality."},
    {"stock.err_barcode_unknown",
     "Keine Karte des Bestands hat diesen Strichcode – oder es ist ein alter Aufkleber von vor einer "
     "Reinitialisierung.",
     "No card of the stock has this barcode – or it is an old sticker from before a re-initialisation."},
    {"stock.err_barcode_annual", "Eine Jahreskarte ist persönlich und wird nicht vorab ausgegeben.",
     "An annual card is personal and is not handed out in advance."},
    {"stock.err_barcode_not_in_stock", "Diese Karte ist nicht im Bestand (Status: {0}).",
     "This card is not in stock (status: {0})."},
    {"stock.reinit_title", "Karte reinitialisieren", "Re-initialise a card"},
    {"stock.reinit_intro",
     "Für zurückgegebene Karten, die der Hersteller zurückgesetzt hat: Der Umlaufzähler steigt um eins, die Karte "
     "ist wieder im Bestand und bekommt einen neuen Strichcode. Erst 14 Tage nach der Abreise möglich.",
     "For returned cards the manufacturer has reset: the circulation counter goes up by one, the card is in stock "
     "again and gets a new barcode. Possible only 14 days after departure."},
    {"stock.card_number", "Kartennummer", "Card number"},
    {"stock.card_number_hint", "12 Ziffern, wie auf der Karte gedruckt.", "12 digits, as printed on the card."},
    {"stock.reinit", "Karte reinitialisieren", "Re-initialise the card"},
    {"stock.reinit_done", "Karte reinitialisiert", "Card re-initialised"},
    {"stock.reinit_result",
     "Karte {0} ist wieder im Bestand mit Umlaufzähler {1}. Neuer Strichcode für den Aufkleber: {2}",
     "Card {0} is in stock again with circulation counter {1}. New barcode for the sticker: {2}"},
    {"stock.err_number_format", "Eine Kartennummer hat 12 Ziffern mit gültiger Prüfziffer.",
     "A card number has 12 digits with a valid check digit."},
    {"stock.err_reinit_unknown", "Ihre Gemeinde hat keine Karte mit dieser Nummer.",
     "Your municipality has no card with this number."},
    {"stock.err_reinit_in_stock", "Diese Karte ist schon im Bestand, bereit für den nächsten Gast.",
     "This card is in stock already, ready for its next guest."},
    {"stock.err_reinit_linked",
     "Die Karte ist noch mit ihrem Aufenthalt verknüpft. Die Verknüpfung wird 14 Tage nach der Abreise gelöscht; "
     "reinitialisieren Sie die Karte danach.",
     "The card is still linked to its stay. The link is deleted 14 days after departure; re-initialise the card "
     "then."},
    {"stock.err_reinit_worn", "Der Umlaufzähler steht bei 99: Die Karte ist verbraucht.",
     "The circulation counter is at 99: the card is worn out."},
    {"stock.import_title", "Produktionsdatei einlesen", "Import a production file"},
    {"stock.import_intro",
     "Die CSV-Datei des Kartenherstellers, eine Karte je Zeile. Sie wird ganz oder gar nicht eingelesen; jeder "
     "Fehler wird mit Zeile und Spalte genannt.",
     "The card manufacturer's CSV file, one card per line. It is imported whole or not at all; every problem is "
     "named with its line and column."},
    {"stock.import_file", "Produktionsdatei (CSV)", "Production file (CSV)"},
    {"stock.import_hint", "Spaltennamen deutsch oder englisch; höchstens {0} KB.",
     "Column names in German or English; at most {0} KB."},
    {"stock.import", "Datei einlesen", "Import the file"},
    {"stock.import_done", "Produktionsdatei eingelesen", "Production file imported"},
    {"stock.import_result", "{0} Karten aus der Datei {1} sind im Bestand (Charge: {2}).",
     "{0} cards from the file {1} are in stock (batch: {2})."},
    {"stock.err_file_missing", "Bitte wählen Sie eine Datei aus.", "Please choose a file."},
    {"stock.err_file_problems", "Die Datei enthält {0} Fehler. Es wurde keine Karte eingelesen.",
     "The file has {0} problem(s). No card was imported."},
    {"stock.err_file_municipality",
     "Die Datei enthält Karten einer Gemeinde, die Sie nicht verwalten. Es wurde keine Karte eingelesen.",
     "The file lists cards of a municipality you do not administer. No card was imported."},

    {"stats.title", "Kurabgabe-Statistik", "Spa-tax statistics"},
    {"stats.intro",
     "Übernachtungen und Kurabgabe aus den Meldescheinen, ausgewertet nur im Segment Kurabgabe. Felder mit weniger "
     "als fünf Gästen werden unterdrückt; ist es nur eines, auch das kleinste andere, damit die Summe es nicht "
     "verrät.",
     "Overnight stays and spa tax from the registrations, evaluated within the spa-tax segment only. Cells with "
     "fewer than five guests are suppressed; if only one is, the smallest other one too, so that the total does "
     "not give it away."},
    {"stats.no_municipality", "Für Ihr Konto ist keine Gemeinde hinterlegt.", "Your account has no municipality."},
    {"stats.filter", "Auswahl", "Selection"},
    {"stats.year", "Jahr (Anreise)", "Year (arrival)"},
    {"stats.by", "Gliederung", "Grouped by"},
    {"stats.by_month", "Monat der Anreise", "Month of arrival"},
    {"stats.by_origin", "Herkunft", "Origin"},
    {"stats.by_age_band", "Altersgruppe", "Age band"},
    {"stats.by_accommodation", "Beherbergungsbetrieb", "Accommodation"},
    {"stats.show", "Anzeigen", "Show"},
    {"stats.empty", "Für diese Auswahl gibt es keine Meldescheine.", "There are no registrations for this selection."},
    {"stats.chart_title", "Übernachtungen je Gruppe (Balkendiagramm)", "Overnight stays per group (bar chart)"},
    {"stats.chart_caption", "Übernachtungen; unterdrückte Felder ohne Balken. Die Tabelle enthält alle Werte.",
     "Overnight stays; suppressed cells have no bar. The table holds all figures."},
    {"stats.suppressed_short", "unterdrückt", "suppressed"},
    {"stats.caption", "Übernachtungen und Kurabgabe {0}", "Overnight stays and spa tax {0}"},
    {"stats.col_guests", "Gäste", "Guests"},
    {"stats.col_stays", "Übernachtungen", "Overnight stays"},
    {"stats.col_tax", "Kurabgabe", "Spa tax"},
    {"stats.suppressed", "unterdrückt (Datenschutz)", "suppressed (privacy)"},
    {"stats.unknown", "unbekannt (Gruppenmitglieder)", "unknown (group members)"},
    {"stats.total", "Gesamt", "Total"},
    {"stats.csv", "Als CSV herunterladen", "Download as CSV"},

    // Guest cards: registrations (landlords)
    {"reg.title", "Meldescheine", "Registrations"},
    {"reg.intro", "Ihre Meldescheine mit der berechneten Kurabgabe.", "Your registrations with the spa tax computed."},
    {"reg.new", "Neuer Meldeschein", "New registration"},
    {"reg.empty", "Noch keine Meldescheine.", "No registrations yet."},
    {"reg.caption", "Ihre Meldescheine", "Your registrations"},
    {"reg.col_number", "Meldeschein-Nr.", "Registration no."},
    {"reg.col_stay", "Aufenthalt", "Stay"},
    {"reg.col_persons", "Personen", "Persons"},
    {"reg.col_tax", "Kurabgabe", "Spa tax"},
    {"reg.col_state", "Status", "State"},
    {"reg.state_active", "gültig", "active"},
    {"reg.state_cancelled", "storniert", "cancelled"},
    {"reg.new_title", "Neuer Meldeschein", "New registration"},
    {"reg.new_intro",
     "Alle Angaben sind Pflicht. Die Kurabgabe wird nach der Satzung der Gemeinde berechnet; für jeden Gast mit "
     "Häkchen bei „Gästekarte“ wird eine Karte ausgegeben.",
     "Every field is required. The spa tax follows the municipality's statute; a guest card is issued for every "
     "guest with “guest card” ticked."},
    {"reg.no_accommodation",
     "Ihrem Konto ist kein Beherbergungsbetrieb zugeordnet. Bitte wenden Sie sich an die "
     "Gemeinde.",
     "No accommodation is assigned to your account. Please contact the municipality."},
    {"reg.accommodation", "Beherbergungsbetrieb", "Accommodation"},
    {"reg.arrival", "Anreise", "Arrival"},
    {"reg.departure", "Abreise", "Departure"},
    {"reg.guest", "Gast {0}", "Guest {0}"},
    {"reg.family_name", "Familienname", "Family name"},
    {"reg.given_name", "Vorname", "Given name"},
    {"reg.birth_date", "Geburtsdatum", "Date of birth"},
    {"reg.nationality", "Staatsangehörigkeit", "Nationality"},
    {"reg.gender", "Geschlecht", "Gender"},
    {"reg.gender_f", "weiblich", "female"},
    {"reg.gender_m", "männlich", "male"},
    {"reg.gender_d", "divers", "diverse"},
    {"reg.gender_x", "keine Angabe", "not stated"},
    {"reg.street", "Straße und Hausnummer", "Street and number"},
    {"reg.postal_code", "Postleitzahl", "Postal code"},
    {"reg.city", "Ort", "City"},
    {"reg.country", "Land", "Country"},
    {"reg.country_hint", "Zweistelliger Ländercode, z. B. DE, NL, DK", "Two-letter country code, e.g. DE, NL, DK"},
    {"reg.reductions", "Ermäßigungen und Gästekarte", "Reductions and guest card"},
    {"reg.card", "Gästekarte ausgeben", "Issue a guest card"},
    {"reg.consent_legend", "Einwilligung", "Consent"},
    {"reg.consent",
     "Der Gast willigt ein, dass Name und Anschrift für Tourismuswerbung der Gemeinde genutzt werden (jederzeit "
     "widerruflich).",
     "The guest agrees that name and address are used for the municipality's tourism marketing (revocable at any "
     "time)."},
    {"reg.submit", "Meldeschein speichern", "Save registration"},
    {"reg.more_guests", "Weiteren Gast hinzufügen", "Add another guest"},
    {"reg.err_field", "Diese Angabe fehlt oder ist ungültig.", "This entry is missing or invalid."},
    {"reg.err_accommodation", "Diesen Beherbergungsbetrieb gibt es nicht für Ihr Konto.",
     "This accommodation does not exist for your account."},
    {"reg.err_tariff",
     "Für diese Angaben kann keine Kurabgabe berechnet werden (Satzung, Gruppengröße oder "
     "Gästekarten der Gemeinde).",
     "No spa tax can be computed for these entries (statute, group size or the municipality's guest cards)."},
    {"reg.done_title", "Meldeschein gespeichert", "Registration saved"},
    {"reg.done_alert", "Gespeichert", "Saved"},
    {"reg.done_number",
     "Meldeschein-Nummer {0}. Geben Sie sie dem Gast mit: Mit ihr und der Kartennummer sieht er "
     "den Status seiner Karte.",
     "Registration number {0}. Give it to the guest: with it and the card number they see their card's status."},
    {"reg.total", "Kurabgabe gesamt", "Spa tax in total"},
    {"reg.guest_tax", "{0} Übernachtungen, {1}", "{0} nights, {1}"},
    {"reg.card_of", "Gästekarte für Gast {0}", "Guest card for guest {0}"},
    {"reg.back", "Zu den Meldescheinen", "Back to the registrations"},
    // CSV upload on the registration form
    {"reg.csv_title", "Mehrere Meldescheine aus einer CSV-Datei", "Several registrations from a CSV file"},
    {"reg.csv_intro",
     "Speichern Sie Ihre Tabelle als CSV-Datei: eine Zeile je Gast; die Zeilen mit demselben Wert in der Spalte "
     "„Meldeschein“ bilden einen Meldeschein. Es werden alle Meldescheine der Datei gespeichert oder keiner.",
     "Save your spreadsheet as a CSV file: one row per guest; the rows with the same value in the column "
     "“Meldeschein” form one registration. Either all registrations in the file are saved or none."},
    {"reg.csv_template", "Vorlage herunterladen (CSV mit den Spaltennamen)",
     "Download the template (CSV with the column names)"},
    {"reg.csv_file", "CSV-Datei", "CSV file"},
    {"reg.csv_hint", "Trennzeichen Semikolon oder Komma, Datumsangaben als TT.MM.JJJJ; höchstens {0} KB.",
     "Separated by semicolons or commas, dates as DD.MM.YYYY; at most {0} KB."},
    {"reg.csv_submit", "Datei hochladen und Meldescheine speichern", "Upload the file and save the registrations"},
    {"reg.csv_missing", "Bitte wählen Sie eine CSV-Datei aus.", "Please choose a CSV file."},
    {"reg.csv_problems", "Die Datei enthält {0} Fehler. Es wurde kein Meldeschein gespeichert.",
     "The file has {0} problem(s). No registration was saved."},
    {"reg.csv_refused", "Die Meldescheine der Datei konnten nicht gespeichert werden. Es wurde keiner gespeichert.",
     "The registrations in the file could not be saved. None was saved."},
    {"reg.csv_done_title", "Meldescheine gespeichert", "Registrations saved"},
    {"reg.csv_done",
     "{0} Meldescheine aus der Datei {1} sind gespeichert. Geben Sie jedem Gast seine "
     "Meldeschein-Nummer mit.",
     "{0} registrations from the file {1} are saved. Give each guest their registration number."},
    {"reg.csv_caption", "Gespeicherte Meldescheine", "Saved registrations"},
    {"reg.csv_col_lines", "Zeilen der Datei", "Lines of the file"},
    {"reg.csv_col_cards", "Gästekarten", "Guest cards"},
    {"reg.csv_card", "Gast {0}: {1}", "Guest {0}: {1}"},

    // Common
    {"common.yes", "ja", "yes"},
    {"common.file", "Datei", "File"},
    {"common.line", "Zeile {0}", "Line {0}"},
    {"common.line_column", "Zeile {0}, Spalte „{1}“", "Line {0}, column “{1}”"},
    {"common.no", "nein", "no"},
    {"common.none", "keine", "none"},
    {"common.cancel", "Abbrechen", "Cancel"},
    {"common.back_dashboard", "Zur Übersicht", "Back to the overview"},
    {"common.error_summary", "Bitte korrigieren Sie die markierten Angaben", "Please correct the marked fields"},

    // Login
    {"login.title", "Anmelden", "Sign in"},
    {"login.intro",
     "Melden Sie sich mit Ihrem Benutzernamen und Passwort an. Danach folgt der "
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
    {"login.missing", "Bitte geben Sie Benutzername und Passwort ein.", "Please enter your username and password."},
    {"login.signed_out", "Sie haben sich abgemeldet.", "You have signed out."},
    {"login.expired", "Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an.",
     "Your sign-in has expired. Please sign in again."},

    // Second factor
    {"totp.title", "Bestätigungscode eingeben", "Enter verification code"},
    {"totp.intro",
     "Öffnen Sie Ihre Authenticator-App und geben Sie den sechsstelligen Code für "
     "Passwerk ein.",
     "Open your authenticator app and enter the six-digit code for Passwerk."},
    {"totp.code", "Bestätigungscode", "Verification code"},
    {"totp.code_hint", "6 Ziffern, zum Beispiel 123456", "6 digits, for example 123456"},
    {"totp.submit", "Bestätigen", "Verify"},
    {"totp.invalid",
     "Der Code ist ungültig oder abgelaufen. Bitte geben Sie den aktuellen Code "
     "aus der App ein.",
     "The code is invalid or has expired. Please enter the current code from the app."},
    {"totp.format", "Bitte geben Sie genau 6 Ziffern ein.", "Please enter exactly 6 digits."},
    {"totp.throttled", "Zu viele falsche Codes. Bitte melden Sie sich später erneut an.",
     "Too many wrong codes. Please sign in again later."},
    {"totp.restart", "Abbrechen und neu anmelden", "Cancel and sign in again"},

    // Enrolment
    {"enrol.title", "Zwei-Faktor-Anmeldung einrichten", "Set up two-factor sign-in"},
    {"enrol.intro",
     "Passwerk verlangt bei jeder Anmeldung einen zweiten Faktor. Richten Sie ihn "
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
    {"enrol.manual_hint",
     "Die Leerzeichen dienen nur der Lesbarkeit. Zeitbasiert, 6 Ziffern, "
     "30 Sekunden.",
     "The spaces are only for readability. Time-based, 6 digits, 30 seconds."},
    {"enrol.submit", "Einrichtung abschließen", "Complete setup"},
    {"enrol.unavailable",
     "Die Einrichtung konnte nicht gestartet werden. Bitte melden Sie sich "
     "erneut an.",
     "The setup could not be started. Please sign in again."},

    // Dashboard
    {"dashboard.title", "Übersicht", "Overview"},
    {"dashboard.greeting", "Guten Tag, {0}", "Hello, {0}"},
    {"dashboard.your_account", "Ihr Konto", "Your account"},
    {"dashboard.role", "Rolle", "Role"},
    {"dashboard.municipality", "Kommune", "Municipality"},
    {"dashboard.department", "Fachbereich", "Department"},
    {"dashboard.departments", "Fachbereiche", "Departments"},
    {"dashboard.departments_link", "Fachbereiche verwalten", "Manage departments"},
    {"dashboard.departments_desc", "Fachbereiche anlegen und festlegen, wer zu welchem gehört.",
     "Create departments and decide who belongs to which."},
    {"dashboard.tasks", "Ihre Aufgaben", "Your tasks"},
    {"dashboard.users_link", "Benutzer verwalten", "Manage users"},
    {"dashboard.users_desc", "Konten anlegen, sperren und wieder entsperren.",
     "Create, disable and re-enable accounts."},
    {"dashboard.audit_link", "Prüfprotokoll einsehen", "Read the audit log"},
    {"dashboard.audit_desc",
     "Änderungen nachvollziehen und nach Aktion, Person und Zeitraum "
     "filtern.",
     "Trace changes and filter them by action, actor and period."},
    {"dashboard.cards_link", "Karten verwalten", "Manage cards"},
    {"dashboard.cards_desc", "Karten suchen, ausstellen, sperren, ersetzen und verlängern.",
     "Find, issue, block, replace and renew cards."},
    {"dashboard.partners_link", "Partner verwalten", "Manage partners"},
    {"dashboard.partners_desc", "Partner für die Kartenprüfung anlegen und ihre Schlüssel verwalten.",
     "Add partners for the card check and manage their keys."},
    {"dashboard.no_tasks",
     "Für Ihre Rolle bietet die Verwaltungsoberfläche derzeit keine "
     "weiteren Funktionen.",
     "The staff web pages currently offer no further functions for your role."},
    {"dashboard.figures", "Kennzahlen", "Key figures"},
    {"dashboard.user_count", "Benutzerkonten", "User accounts"},
    {"dashboard.user_active", "davon aktiv", "of which active"},
    {"dashboard.audit_today", "Protokolleinträge heute", "Audit entries today"},
    {"dashboard.more_than", "mehr als {0}", "more than {0}"},

    // Users
    {"users.title", "Benutzer", "Users"},
    {"users.col_departments", "Fachbereiche", "Departments"},
    {"users.intro",
     "Konten der Mitarbeitenden. Neue Konten richten bei der ersten Anmeldung die "
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
    {"users.created",
     "Das Konto „{0}“ wurde angelegt. Teilen Sie das Startpasswort auf sicherem "
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
    {"newuser.intro", "Alle Felder außer den Fachbereichen sind Pflichtfelder.",
     "All fields except the departments are required."},
    {"newuser.username", "Benutzername", "Username"},
    {"newuser.username_hint",
     "3 bis 64 Zeichen: Kleinbuchstaben a–z, Ziffern, Punkt, Unterstrich "
     "und Bindestrich",
     "3 to 64 characters: lower-case letters a–z, digits, dot, underscore and hyphen"},
    {"newuser.display_name", "Name", "Name"},
    {"newuser.display_name_hint", "Vor- und Nachname, wie er in Passwerk angezeigt wird",
     "First and last name as shown in Passwerk"},
    {"newuser.role", "Rolle", "Role"},
    {"newuser.role_choose", "Bitte wählen", "Please choose"},
    {"newuser.municipality", "Kommune", "Municipality"},
    {"newuser.municipality_none", "Keine (nur für Betrieb und Prüfung)", "None (operator and auditor only)"},
    {"newuser.departments", "Fachbereiche (optional)", "Departments (optional)"},
    {"newuser.departments_hint",
     "Sachbearbeiterinnen und Sachbearbeiter sehen nur die Arbeit ihrer Fachbereiche; die kommunale "
     "Administration sieht die ganze Kommune. Nur für Sachbearbeitung und kommunale Administration.",
     "Clerks see the work of their departments only; municipality administrators see the whole municipality. "
     "For clerks and municipality administrators only."},
    {"newuser.password", "Startpasswort", "Initial password"},
    {"newuser.password_hint", "Mindestens 12 Zeichen", "At least 12 characters"},
    {"newuser.submit", "Benutzer anlegen", "Create user"},
    {"newuser.err_username",
     "Der Benutzername muss 3 bis 64 Zeichen lang sein und darf nur a–z, "
     "0–9, Punkt, Unterstrich und Bindestrich enthalten.",
     "The username must be 3 to 64 characters long and may only contain a–z, 0–9, dot, "
     "underscore and hyphen."},
    {"newuser.err_username_taken", "Dieser Benutzername ist bereits vergeben.", "This username is already taken."},
    {"newuser.err_display_name", "Bitte geben Sie einen Namen mit 1 bis 200 Zeichen ein.",
     "Please enter a name of 1 to 200 characters."},
    {"newuser.err_role", "Bitte wählen Sie eine Rolle, die Sie vergeben dürfen.",
     "Please choose a role you may assign."},
    {"newuser.err_municipality",
     "Bitte wählen Sie eine passende Kommune: Sachbearbeitung und "
     "kommunale Administration brauchen eine, Betrieb und Prüfung "
     "keine.",
     "Please choose a matching municipality: clerks and municipality administrators need one, "
     "operators and auditors none."},
    {"newuser.err_department",
     "Bitte wählen Sie nur Fachbereiche der gewählten Kommune, und nur für Sachbearbeitung oder kommunale "
     "Administration.",
     "Please choose departments of the chosen municipality only, and only for clerks or municipality "
     "administrators."},

    // Departments
    {"departments.title", "Fachbereiche", "Departments"},
    {"departments.intro",
     "Kartenprogramme gehören einem Fachbereich. Sachbearbeiterinnen und Sachbearbeiter sehen und bearbeiten nur "
     "die Karten ihrer Fachbereiche; die kommunale Administration sieht die ganze Kommune.",
     "Card schemes belong to a department. Clerks see and manage the cards of their departments only; "
     "municipality administrators see the whole municipality."},
    {"departments.caption", "Fachbereiche und ihre Mitglieder", "Departments and their members"},
    {"departments.col_name", "Fachbereich", "Department"},
    {"departments.col_members", "Mitglieder", "Members"},
    {"departments.nobody", "niemand", "nobody"},
    {"departments.empty", "Diese Kommune hat noch keinen Fachbereich.", "This municipality has no department yet."},
    {"departments.staff_caption", "Wer zu welchem Fachbereich gehört", "Who belongs to which department"},
    {"departments.col_user", "Benutzername", "Username"},
    {"departments.col_display", "Name", "Name"},
    {"departments.col_role", "Rolle", "Role"},
    {"departments.col_departments", "Fachbereiche", "Departments"},
    {"departments.col_action", "Aktion", "Action"},
    {"departments.edit", "Fachbereiche ändern", "Change departments"},
    {"departments.edit_named", "Fachbereiche ändern: {0}", "Change departments: {0}"},
    {"departments.new_title", "Neuer Fachbereich", "New department"},
    {"departments.name", "Name des Fachbereichs", "Name of the department"},
    {"departments.name_hint", "Zum Beispiel „Sozialamt“ oder „Ehrenamtsbüro“",
     "For example \"Sozialamt\" (social office) or \"Ehrenamtsbüro\" (volunteer office)"},
    {"departments.municipality", "Kommune", "Municipality"},
    {"departments.submit", "Fachbereich anlegen", "Create department"},
    {"departments.done_title", "Erledigt", "Done"},
    {"departments.created", "Der Fachbereich wurde angelegt.", "The department was created."},
    {"departments.saved", "Die Fachbereiche von „{0}“ wurden gespeichert.", "The departments of \"{0}\" were saved."},
    {"departments.err_name", "Bitte geben Sie einen Namen mit 1 bis 200 Zeichen ein.",
     "Please enter a name of 1 to 200 characters."},
    {"departments.err_taken", "Diese Kommune hat schon einen Fachbereich dieses Namens.",
     "This municipality already has a department of that name."},
    {"departments.err_municipality", "Bitte wählen Sie eine Kommune, die Sie verwalten.",
     "Please choose a municipality you manage."},
    {"memberships.title", "Fachbereiche von {0}", "Departments of {0}"},
    {"memberships.intro", "Wählen Sie die Fachbereiche, deren Arbeit diese Person sieht und bearbeitet.",
     "Choose the departments whose work this person sees and handles."},
    {"memberships.legend", "Fachbereiche", "Departments"},
    {"memberships.hint", "Ohne Fachbereich sieht eine Sachbearbeiterin oder ein Sachbearbeiter keine Karten.",
     "Without a department a clerk sees no cards."},
    {"memberships.submit", "Speichern", "Save"},
    {"memberships.err_departments", "Bitte wählen Sie nur Fachbereiche der Kommune dieser Person.",
     "Please choose departments of this person's municipality only."},
    {"newuser.err_password", "Das Startpasswort muss 12 bis 256 Zeichen lang sein.",
     "The initial password must be 12 to 256 characters long."},

    // Audit
    {"audit.title", "Prüfprotokoll", "Audit log"},
    {"audit.intro",
     "Jede Änderung wird fortlaufend nummeriert und unveränderlich protokolliert. "
     "Neueste Einträge zuerst.",
     "Every change is numbered and logged immutably. Newest entries first."},
    {"audit.filter", "Einträge filtern", "Filter entries"},
    {"audit.action", "Aktion beginnt mit", "Action starts with"},
    {"audit.action_hint", "zum Beispiel user. für alle Änderungen an Benutzern",
     "for example user. for all changes to users"},
    {"audit.actor", "Handelnde Stelle", "Actor"},
    {"audit.actor_hint", "genau wie protokolliert, zum Beispiel user:3", "exactly as logged, for example user:3"},
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

    // Cards
    {"cards.title", "Karten", "Cards"},
    {"cards.intro",
     "Suchen Sie eine Karte über ihre Nummer oder stellen Sie eine neue Karte aus. "
     "Jeder Aufruf einer Karte mit den Daten der Karteninhaberin oder des "
     "Karteninhabers wird protokolliert.",
     "Find a card by its number or issue a new card. Every view of a card with its holder's data "
     "is logged."},
    {"cards.issue", "Karte ausstellen", "Issue a card"},
    {"cards.lookup", "Karte suchen", "Find a card"},
    {"cards.number", "Kartennummer", "Card number"},
    {"cards.number_hint", "12 Ziffern, Leerzeichen sind erlaubt, zum Beispiel 1010 0001 0013",
     "12 digits, spaces allowed, for example 1010 0001 0013"},
    {"cards.lookup_submit", "Karte anzeigen", "Show card"},
    {"cards.err_number_missing", "Bitte geben Sie eine Kartennummer ein.", "Please enter a card number."},
    {"cards.err_number", "Das ist keine gültige Kartennummer. Bitte prüfen Sie die 12 Ziffern.",
     "This is not a valid card number. Please check the 12 digits."},
    {"cards.not_found", "Es gibt keine Karte mit dieser Nummer, die Sie einsehen dürfen.",
     "There is no card with this number that you may see."},
    {"cards.done_title", "Erledigt", "Done"},
    {"cards.done_issued", "Die Karte wurde ausgestellt.", "The card was issued."},
    {"cards.done_blocked", "Die Karte wurde gesperrt.", "The card was blocked."},
    {"cards.done_unblocked", "Die Karte wurde entsperrt.", "The card was unblocked."},
    {"cards.done_replaced",
     "Die Ersatzkarte wurde ausgestellt. Die bisherige Karte ist nicht mehr "
     "gültig.",
     "The replacement card was issued. The previous card is no longer valid."},
    {"cards.done_renewed", "Die Gültigkeit der Karte wurde verlängert.", "The card's validity was extended."},

    // Card page
    {"card.title", "Karte {0}", "Card {0}"},
    {"card.data", "Kartendaten", "Card data"},
    {"card.number", "Kartennummer", "Card number"},
    {"card.scheme", "Kartenprogramm", "Scheme"},
    {"card.state", "Status", "Status"},
    {"card.state_active", "aktiv", "active"},
    {"card.state_blocked", "gesperrt", "blocked"},
    {"card.state_replaced", "ersetzt", "replaced"},
    {"card.reason", "Grund: {0}", "Reason: {0}"},
    {"card.replaced_by", "Ersetzt durch", "Replaced by"},
    {"card.validity", "Gültigkeit", "Validity"},
    {"card.validity_range", "{0} bis {1}", "{0} to {1}"},
    {"card.discount_class", "Ermäßigungsklasse", "Discount class"},
    {"card.holder", "Karteninhaber/in", "Card holder"},
    {"card.family_name", "Familienname", "Family name"},
    {"card.given_name", "Vorname", "Given name"},
    {"card.birth_date", "Geburtsdatum", "Date of birth"},
    {"card.street", "Straße und Hausnummer", "Street and number"},
    {"card.place", "Postleitzahl und Ort", "Postal code and city"},
    {"card.actions", "Aktionen", "Actions"},
    {"card.block_heading", "Karte sperren", "Block the card"},
    {"card.block_reason", "Grund der Sperre", "Reason for blocking"},
    {"card.block_hint", "Eine gesperrte Karte wird bei Partnerprüfungen abgelehnt.",
     "A blocked card is refused by partner checks."},
    {"card.block", "Karte sperren", "Block card"},
    {"card.unblock_heading", "Karte entsperren", "Unblock the card"},
    {"card.unblock_reason", "Grund der Entsperrung", "Reason for unblocking"},
    {"card.unblock", "Karte entsperren", "Unblock card"},
    {"card.replace_heading", "Ersatzkarte ausstellen", "Issue a replacement card"},
    {"card.replace_reason", "Grund für die Ersatzkarte", "Reason for the replacement"},
    {"card.replace_hint",
     "Zum Beispiel verloren oder beschädigt. Die Ersatzkarte bekommt eine neue "
     "Nummer; die bisherige Karte wird dauerhaft ungültig.",
     "For example lost or damaged. The replacement gets a new number; the previous card becomes "
     "permanently invalid."},
    {"card.replace", "Ersatzkarte ausstellen", "Issue replacement"},
    {"card.renew_heading", "Gültigkeit verlängern", "Extend validity"},
    {"card.renew_text", "Verlängert die Karte um einen weiteren Zeitraum des Kartenprogramms.",
     "Extends the card by another period of its scheme."},
    {"card.renew", "Gültigkeit verlängern", "Extend validity"},
    {"card.history", "Verlauf der Karte", "Card history"},
    {"card.col_time", "Zeit (Europe/Berlin)", "Time (Europe/Berlin)"},
    {"card.col_event", "Ereignis", "Event"},
    {"card.col_detail", "Details", "Details"},
    {"card.col_actor", "Handelnd", "Actor"},
    {"card.back", "Andere Karte suchen", "Find another card"},
    {"card.err_reason", "Bitte geben Sie einen Grund mit 1 bis 500 Zeichen an.",
     "Please give a reason of 1 to 500 characters."},
    {"card.action_failed", "Die Aktion ist nicht möglich", "The action is not possible"},
    {"card.err_state_block", "Nur eine aktive Karte kann gesperrt werden.", "Only an active card can be blocked."},
    {"card.err_state_unblock", "Nur eine gesperrte Karte kann entsperrt werden.",
     "Only a blocked card can be unblocked."},
    {"card.err_state_replace", "Diese Karte wurde bereits ersetzt.", "This card has already been replaced."},
    {"card.err_state_renew", "Diese Karte kann nicht verlängert werden.", "This card cannot be renewed."},
    {"cardevent.issue", "ausgestellt", "issued"},
    {"cardevent.block", "gesperrt", "blocked"},
    {"cardevent.unblock", "entsperrt", "unblocked"},
    {"cardevent.replaced", "ersetzt", "replaced"},
    {"cardevent.renew", "verlängert", "renewed"},
    {"cardevent.field.valid_from", "gültig ab", "valid from"},
    {"cardevent.field.valid_until", "gültig bis", "valid until"},
    {"cardevent.field.reason", "Grund", "reason"},
    {"cardevent.field.replaced_by", "ersetzt durch", "replaced by"},
    {"cardevent.field.replaces", "ersetzt Karte", "replaces card"},

    // Issuing a card
    {"newcard.title", "Karte ausstellen", "Issue a card"},
    {"newcard.intro",
     "Kartenprogramm, Familienname, Vorname und Geburtsdatum sind Pflichtangaben; "
     "die Anschrift ist freiwillig.",
     "Scheme, family name, given name and date of birth are required; the address is optional."},
    {"newcard.no_schemes", "Für Ihre Kommune gibt es noch kein Kartenprogramm.",
     "There is no card scheme for your municipality yet."},
    {"newcard.scheme", "Kartenprogramm", "Scheme"},
    {"newcard.choose", "Bitte wählen", "Please choose"},
    {"newcard.family_name", "Familienname", "Family name"},
    {"newcard.given_name", "Vorname", "Given name"},
    {"newcard.birth_date", "Geburtsdatum", "Date of birth"},
    {"newcard.date_hint", "Format TT.MM.JJJJ", "Format DD/MM/YYYY"},
    {"newcard.street", "Straße und Hausnummer", "Street and number"},
    {"newcard.optional", "Freiwillig", "Optional"},
    {"newcard.postal_code", "Postleitzahl", "Postal code"},
    {"newcard.postal_hint", "Freiwillig, 5 Ziffern", "Optional, 5 digits"},
    {"newcard.city", "Ort", "City"},
    {"newcard.discount_class", "Ermäßigungsklasse", "Discount class"},
    {"newcard.discount_hint", "Muss zum gewählten Kartenprogramm gehören.", "Must belong to the chosen scheme."},
    {"newcard.discount_default", "Standard des Kartenprogramms", "The scheme's default"},
    {"newcard.valid_from", "Gültig ab (freiwillig)", "Valid from (optional)"},
    {"newcard.valid_from_hint", "Leer lassen für heute", "Leave empty for today"},
    {"newcard.submit", "Karte ausstellen", "Issue card"},
    {"newcard.err_scheme", "Bitte wählen Sie ein Kartenprogramm Ihrer Kommune.",
     "Please choose a scheme of your municipality."},
    {"newcard.err_family_name",
     "Bitte geben Sie einen Familiennamen mit 1 bis 100 Zeichen und "
     "mindestens einem Buchstaben ein.",
     "Please enter a family name of 1 to 100 characters with at least one letter."},
    {"newcard.err_given_name", "Bitte geben Sie einen Vornamen mit 1 bis 100 Zeichen ein.",
     "Please enter a given name of 1 to 100 characters."},
    {"newcard.err_birth_date", "Bitte geben Sie ein Geburtsdatum in der Vergangenheit ein.",
     "Please enter a date of birth in the past."},
    {"newcard.err_street", "Die Straße darf höchstens 200 Zeichen haben.",
     "The street may have at most 200 characters."},
    {"newcard.err_postal_code", "Die Postleitzahl hat 5 Ziffern.", "The postal code has 5 digits."},
    {"newcard.err_city", "Der Ort darf höchstens 100 Zeichen haben.", "The city may have at most 100 characters."},
    {"newcard.err_discount_class", "Das gewählte Kartenprogramm hat diese Ermäßigungsklasse nicht.",
     "The chosen scheme has no such discount class."},
    {"newcard.err_valid_from", "Bitte geben Sie ein gültiges Datum ein.", "Please enter a valid date."},
    {"newcard.err_taken", "Es gibt bereits eine Karte mit dieser Nummer.", "A card with this number exists already."},

    // Alerts of the partner check
    {"alerts.title", "Warnungen der Partnerprüfung", "Partner check alerts"},
    {"alerts.none", "Keine offenen Warnungen.", "No open alerts."},
    {"alerts.kind_card_locked", "Karte für Partnerprüfungen gesperrt", "Card locked for partner checks"},
    {"alerts.kind_key_suspended", "Partnerschlüssel gesperrt", "Partner key suspended"},
    {"alerts.unknown_partner", "unbekannter Partner", "unknown partner"},
    {"alerts.card_locked_text",
     "Zu viele Prüfungen mit falschem Namen: Die Karte ist vorübergehend "
     "für Partnerprüfungen gesperrt. Auslöser: {0}.",
     "Too many checks with a wrong name: the card is temporarily locked for partner checks. "
     "Triggered by: {0}."},
    {"alerts.key_suspended_text",
     "Der Schlüssel {0} von {1} hat das tägliche Kontingent an "
     "Fehlprüfungen überschritten und wurde gesperrt. Auf der Seite "
     "Partner können Sie ihn wieder freigeben.",
     "Key {0} of {1} exceeded its daily budget of failed checks and was suspended. You can "
     "reinstate it on the partners page."},
    {"alerts.acknowledge", "Erledigt", "Done"},
    {"alerts.acknowledge_named", "Erledigt: {0}, {1}", "Done: {0}, {1}"},
    {"alerts.acknowledged_title", "Warnung erledigt", "Alert acknowledged"},
    {"alerts.acknowledged", "Die Warnung wurde als erledigt markiert.", "The alert was marked as done."},

    // Partners
    {"partners.title", "Partner", "Partners"},
    {"partners.intro",
     "Partner wie Volkshochschulen oder Museen prüfen Karten in Echtzeit und "
     "erfahren dabei nur, ob eine Karte gültig ist. Schlüssel werden nur beim "
     "Erzeugen einmal angezeigt.",
     "Partners such as adult education centres or museums check cards in real time and learn "
     "only whether a card is valid. Keys are shown once, when they are created."},
    {"partners.done_title", "Erledigt", "Done"},
    {"partners.created", "Der Partner wurde angelegt.", "The partner was created."},
    {"partners.revoked", "Der Schlüssel wurde widerrufen.", "The key was revoked."},
    {"partners.reinstated", "Der Schlüssel wurde wieder freigegeben.", "The key was reinstated."},
    {"partners.schemes", "Kartenprogramme", "Schemes"},
    {"partners.origins", "Web-Adressen", "Web origins"},
    {"partners.no_keys", "Noch keine Schlüssel.", "No keys yet."},
    {"partners.keys_caption", "Schlüssel von {0}", "Keys of {0}"},
    {"partners.col_prefix", "Präfix", "Prefix"},
    {"partners.col_kind", "Art", "Kind"},
    {"partners.col_created", "Erzeugt (Europe/Berlin)", "Created (Europe/Berlin)"},
    {"partners.col_status", "Status", "Status"},
    {"partners.col_action", "Aktion", "Action"},
    {"partners.kind_server", "Server-Schlüssel", "Server key"},
    {"partners.kind_publishable", "Browser-Schlüssel", "Browser key"},
    {"partners.key_active", "aktiv", "active"},
    {"partners.key_revoked", "widerrufen", "revoked"},
    {"partners.key_suspended", "gesperrt", "suspended"},
    {"partners.revoke", "Widerrufen", "Revoke"},
    {"partners.revoke_named", "Schlüssel {0} widerrufen", "Revoke key {0}"},
    {"partners.reinstate", "Freigeben", "Reinstate"},
    {"partners.reinstate_named", "Schlüssel {0} freigeben", "Reinstate key {0}"},
    {"partners.create_server", "Server-Schlüssel erzeugen", "Create server key"},
    {"partners.create_server_named", "Server-Schlüssel erzeugen für {0}", "Create server key for {0}"},
    {"partners.create_publishable", "Browser-Schlüssel erzeugen", "Create browser key"},
    {"partners.create_publishable_named", "Browser-Schlüssel erzeugen für {0}", "Create browser key for {0}"},
    {"partners.empty", "Es gibt noch keine Partner.", "There are no partners yet."},
    {"partners.new", "Partner hinzufügen", "Add a partner"},
    {"partners.no_schemes", "Legen Sie zuerst ein Kartenprogramm an.", "Create a card scheme first."},
    {"partners.name", "Name des Partners", "Partner name"},
    {"partners.schemes_legend", "Kartenprogramme, die der Partner prüfen darf", "Schemes the partner may check"},
    {"partners.origins_label", "Web-Adressen für den Browser-Schlüssel (freiwillig)",
     "Web origins for the browser key (optional)"},
    {"partners.origins_hint",
     "Eine Adresse je Zeile, ohne Pfad, zum Beispiel "
     "https://vhs.example.de",
     "One origin per line, without a path, for example https://vhs.example.de"},
    {"partners.submit", "Partner anlegen", "Create partner"},
    {"partners.err_name", "Bitte geben Sie einen Namen mit 1 bis 200 Zeichen ein.",
     "Please enter a name of 1 to 200 characters."},
    {"partners.err_name_taken", "Es gibt bereits einen Partner mit diesem Namen.",
     "A partner with this name exists already."},
    {"partners.err_schemes", "Bitte wählen Sie mindestens ein Kartenprogramm.", "Please choose at least one scheme."},
    {"partners.err_schemes_municipality",
     "Alle Kartenprogramme eines Partners müssen zur selben "
     "Kommune gehören.",
     "All schemes of a partner must belong to the same municipality."},
    {"partners.err_origins",
     "Jede Zeile muss eine Adresse der Form https://host oder "
     "https://host:port sein, in Kleinbuchstaben und ohne Pfad.",
     "Every line must be an origin like https://host or https://host:port, in lower case and "
     "without a path."},
    {"partners.action_failed", "Die Aktion ist nicht möglich", "The action is not possible"},
    {"partners.err_revoke", "Der Schlüssel ist bereits widerrufen.", "The key is already revoked."},
    {"partners.err_reinstate",
     "Nur ein gesperrter, nicht widerrufener Schlüssel kann freigegeben "
     "werden.",
     "Only a suspended key that is not revoked can be reinstated."},

    // New partner key
    {"newkey.title", "Neuer Partnerschlüssel", "New partner key"},
    {"newkey.once_title", "Nur jetzt sichtbar", "Visible only now"},
    {"newkey.once_text",
     "Kopieren Sie den Schlüssel jetzt und geben Sie ihn auf sicherem Weg an "
     "den Partner weiter. Passwerk speichert nur eine Prüfsumme und kann ihn "
     "nicht noch einmal anzeigen.",
     "Copy the key now and pass it on to the partner securely. Passwerk stores only a hash and "
     "cannot show it again."},
    {"newkey.partner", "Partner", "Partner"},
    {"newkey.secret", "Schlüssel", "Key"},
    {"newkey.server_hint",
     "Der Server-Schlüssel gehört nur in das Backend des Partners, nie in "
     "eine Web-Seite.",
     "The server key belongs in the partner's back end only, never in a web page."},
    {"newkey.publishable_hint",
     "Der Browser-Schlüssel funktioniert nur von den eingetragenen "
     "Web-Adressen des Partners aus.",
     "The browser key works only from the partner's registered web origins."},
    {"newkey.back", "Zurück zu den Partnern", "Back to the partners"},

    // Settlement (Leistungsabrechnung)
    // Annual cards (second homes, moorings, permanent camping)
    {"annual.title", "Jahreskarten", "Annual cards"},
    {"annual.intro",
     "Zweitwohnungsinhaber, Liegeplatzinhaber und Dauercamper erhalten statt Meldescheinen eine persönliche "
     "Jahreskarte gegen die Jahreskurabgabe der Satzung. Die Karte gilt bis zum 31. Dezember des gewählten Jahres.",
     "Second-home owners, mooring holders and permanent campers get a personal annual card for the statute's annual "
     "spa tax instead of registering stays. The card is valid until 31 December of the chosen year."},
    {"annual.issue_title", "Jahreskarte ausstellen", "Issue an annual card"},
    {"annual.basis", "Grund", "Basis"},
    {"annual.basis_second_home", "Zweitwohnung", "Second home"},
    {"annual.basis_mooring", "Liegeplatz", "Mooring"},
    {"annual.basis_permanent_camping", "Dauercamping", "Permanent camping"},
    {"annual.year", "Gültig im Jahr", "Valid in the year"},
    {"annual.holder", "Karteninhaberin oder Karteninhaber", "Card holder"},
    {"annual.reductions", "Ermäßigungen", "Reductions"},
    {"annual.reductions_hint", "Nur mit Nachweis, z. B. Schwerbehindertenausweis.",
     "Only with proof, e.g. a severe-disability pass."},
    {"annual.card_number", "Kartennummer", "Card number"},
    {"annual.card_number_hint",
     "Nur für eine Jahreskarte aus dem Kartenbestand; leer lassen, um eine neue Nummer zu "
     "vergeben.",
     "Only for an annual card from the stock; leave empty to draw a new number."},
    {"annual.issue", "Jahreskarte ausstellen", "Issue the annual card"},
    {"annual.renew_title", "Jahreskarte verlängern", "Renew an annual card"},
    {"annual.renew_intro",
     "Für das Folgejahr: Die Karte bleibt dieselbe und gilt ohne Lücke weiter. Die Quittungsnummer des laufenden "
     "Jahres weist die Karte nach.",
     "For the next year: the card stays the same and remains valid without a gap. The receipt number of the current "
     "year proves the card."},
    {"annual.renew_card_number", "Kartennummer", "Card number"},
    {"annual.renew_receipt_number", "Quittungsnummer des laufenden Jahres", "Receipt number of the current year"},
    {"annual.renew", "Jahreskarte verlängern", "Renew the annual card"},
    {"annual.done_title", "Jahreskarte ausgestellt", "Annual card issued"},
    {"annual.done_alert", "Die Jahreskurabgabe ist festgesetzt.", "The annual spa tax is assessed."},
    {"annual.done_receipt", "Quittungsnummer: {0} – bitte der Karteninhaberin oder dem Karteninhaber mitgeben.",
     "Receipt number: {0} – hand it to the card holder."},
    {"annual.validity", "Gültigkeit", "Validity"},
    {"annual.validity_range", "{0} bis {1}", "{0} to {1}"},
    {"annual.amount", "Jahreskurabgabe", "Annual spa tax"},
    {"annual.back", "Zurück zu den Jahreskarten", "Back to annual cards"},
    {"annual.err_tariff", "Die Satzung der Gemeinde sieht für dieses Jahr keine Jahreskurabgabe vor.",
     "The municipality's statute has no annual spa tax for this year."},
    {"annual.err_card", "Diese Karte gibt es nicht als Jahreskarte im Bestand Ihrer Gemeinde.",
     "There is no such annual card in your municipality's stock."},
    {"annual.err_card_taken", "Diese Karte ist nicht mehr im Bestand.", "This card is no longer in stock."},
    {"annual.err_state", "Diese Karte ist nicht in Gebrauch und kann nicht verlängert werden.",
     "This card is not in service and cannot be renewed."},
    {"annual.err_receipt", "Die Quittungsnummer gehört nicht zu dieser Karte.",
     "The receipt number does not belong to this card."},
    {"annual.err_year", "Bitte ein Jahr wählen, für das die Karte ausgestellt oder verlängert werden kann.",
     "Choose a year the card can be issued or renewed for."},

    {"settle.title", "Leistungsabrechnung", "Settlement"},
    {"settle.lead",
     "Die Umsätze der verkauften Pakete eines Monats werden auf die Leistungserbringer verteilt: nach "
     "festen Anteilen, sonst nach den erfassten Akzeptanzen. Eine abgeschlossene Abrechnung bleibt, wie "
     "sie ist; eine Berichtigung ist eine neue Version.",
     "The revenue of the packages sold in a month is distributed to the service providers: by fixed shares, "
     "otherwise by the recorded acceptances. A closed statement stays as it is; a correction is a new version."},
    {"settle.run", "Monat abrechnen", "Settle a month"},
    {"settle.run_hint",
     "Berechnet den Monat neu und speichert ihn als Entwurf. Ist der Monat schon abgeschlossen, "
     "entsteht eine berichtigte Version.",
     "Computes the month again and stores it as a draft. If the month is closed already, a corrected version is "
     "created."},
    {"settle.f_municipality", "Gemeinde", "Municipality"},
    {"settle.f_period", "Monat", "Month"},
    {"settle.f_period_hint", "Format JJJJ-MM, zum Beispiel 2026-07", "Format YYYY-MM, for example 2026-07"},
    {"settle.submit", "Abrechnung berechnen", "Compute the statement"},
    {"settle.statements", "Abrechnungen", "Statements"},
    {"settle.statements_caption", "Abrechnungen, neuester Monat zuerst", "Statements, newest month first"},
    {"settle.empty", "Es gibt noch keine Abrechnung.", "There is no statement yet."},
    {"settle.col_period", "Monat", "Month"},
    {"settle.col_municipality", "Gemeinde", "Municipality"},
    {"settle.col_version", "Version", "Version"},
    {"settle.col_state", "Stand", "State"},
    {"settle.col_revenue", "Umsatz", "Revenue"},
    {"settle.col_unallocated", "Nicht zugeordnet", "Unallocated"},
    {"settle.col_open", "Abrechnung", "Statement"},
    {"settle.open", "Anzeigen", "Open"},
    {"settle.open_named", "Anzeigen: Abrechnung {0}, Version {1}, {2}", "Open: statement {0}, version {1}, {2}"},
    {"settle.corrects_short", "(berichtigt Nr. {0})", "(corrects no. {0})"},
    {"settle.state_draft", "Entwurf", "Draft"},
    {"settle.state_closed", "abgeschlossen", "Closed"},
    {"settle.err_municipality", "Bitte wählen Sie die Gemeinde.", "Please choose the municipality."},
    {"settle.err_period", "Bitte geben Sie den Monat als JJJJ-MM an, zum Beispiel 2026-07.",
     "Please enter the month as YYYY-MM, for example 2026-07."},
    {"settle.err_busy",
     "Der Monat wurde gerade gleichzeitig abgerechnet oder abgeschlossen. Bitte versuchen Sie es "
     "noch einmal.",
     "The month was settled or closed at the same moment. Please try again."},
    {"settle.statement_title", "Leistungsabrechnung {0}, Version {1}", "Settlement {0}, version {1}"},
    {"settle.statement_no", "Abrechnung Nr. {0}", "Statement no. {0}"},
    {"settle.done_run", "Abrechnung berechnet", "Statement computed"},
    {"settle.done_run_text", "Der Entwurf ist gespeichert. Prüfen Sie ihn und schließen Sie ihn ab, wenn er stimmt.",
     "The draft is stored. Check it and close it when it is right."},
    {"settle.done_closed", "Abrechnung abgeschlossen", "Statement closed"},
    {"settle.done_closed_text", "Diese Version ändert sich nicht mehr. Eine Berichtigung wird eine neue Version.",
     "This version does not change any more. A correction becomes a new version."},
    {"settle.corrects", "Berichtigt", "Corrects"},
    {"settle.computed_at", "Berechnet am", "Computed at"},
    {"settle.closed_at", "Abgeschlossen am", "Closed at"},
    {"settle.close", "Abrechnung abschließen", "Close the statement"},
    {"settle.close_hint",
     "Nach dem Abschließen ändert sich diese Version nicht mehr. Spätere Buchungen führen zu einer "
     "berichtigten Version.",
     "Once closed, this version never changes. Later transactions lead to a corrected version."},
    {"settle.close_submit", "Jetzt abschließen", "Close now"},
    {"settle.closed_hint", "Diese Abrechnung ist abgeschlossen und ändert sich nicht mehr.",
     "This statement is closed and does not change any more."},
    {"settle.err_closed", "Schon abgeschlossen", "Closed already"},
    {"settle.err_closed_text",
     "Diese Abrechnung ist bereits abgeschlossen. Eine Berichtigung berechnen Sie über "
     "„Monat abrechnen“.",
     "This statement is closed already. Compute a correction with \"Settle a month\"."},
    {"settle.lines", "Verteilung der Paketumsätze", "Distribution of the package revenue"},
    {"settle.lines_caption", "Pakete und Leistungserbringer", "Packages and service providers"},
    {"settle.lines_empty", "In diesem Monat wurden keine Pakete verkauft.", "No packages were sold in this month."},
    {"settle.col_package", "Paket", "Package"},
    {"settle.col_provider", "Leistungserbringer", "Service provider"},
    {"settle.col_package_revenue", "Paketumsatz", "Package revenue"},
    {"settle.col_basis", "Grundlage", "Basis"},
    {"settle.col_basis_value", "Akzeptanzen / Anteil", "Acceptances / share"},
    {"settle.col_amount", "Betrag", "Amount"},
    {"settle.acceptances_of", "{0} von {1}", "{0} of {1}"},
    {"settle.basis_shares", "fester Anteil", "fixed share"},
    {"settle.basis_acceptances", "Akzeptanzen", "acceptances"},
    {"settle.basis_unallocated", "nicht zugeordnet", "unallocated"},
    {"settle.nobody", "niemand (weder Anteile noch Akzeptanzen)", "nobody (neither shares nor acceptances)"},
    {"settle.total", "Summe", "Total"},
    {"settle.providers", "Berichte je Leistungserbringer", "Reports per service provider"},
    {"settle.providers_caption", "Leistungserbringer und ihr Betrag", "Service providers and their amount"},
    {"settle.providers_empty", "Diese Abrechnung nennt keinen Leistungserbringer.",
     "This statement names no service provider."},
    {"settle.statement_csv", "Ganze Abrechnung als CSV", "Whole statement as CSV"},
    {"settle.col_reports", "Berichte", "Reports"},
    {"settle.csv_named", "Bericht für {0} als CSV", "Report for {0} as CSV"},
    {"settle.pdf_named", "Bericht für {0} als PDF", "Report for {0} as PDF"},
    {"settle.terminals", "Kassenabgleich der Terminals", "Reconciliation per terminal"},
    {"settle.terminals_hint", "Differenz = bar + Karte − verkauft. 0,00 € heißt: die Kasse des Terminals stimmt.",
     "Difference = cash + card − sold. 0.00 € means the terminal's till is right."},
    {"settle.terminals_caption", "Zahlungen und Verkäufe je Terminal", "Payments and sales per terminal"},
    {"settle.terminals_empty", "In diesem Monat hat kein Terminal verkauft.", "No terminal sold anything this month."},
    {"settle.col_tid", "Terminal (TID)", "Terminal (TID)"},
    {"settle.col_cash", "bar", "cash"},
    {"settle.col_card", "Karte", "card"},
    {"settle.col_sold", "verkauft", "sold"},
    {"settle.col_difference", "Differenz", "difference"},
    {"settle.back", "Zurück zu den Abrechnungen", "Back to the statements"},
    {"settle.back_statement", "Zurück zur Abrechnung", "Back to the statement"},

    // Error pages
    {"error.403_title", "Zugriff verweigert", "Access denied"},
    {"error.403_text", "Sie haben keine Berechtigung für diese Seite oder Aktion.",
     "You are not allowed to open this page or perform this action."},
    {"error.csrf_title", "Anfrage abgelehnt", "Request refused"},
    {"error.csrf_text",
     "Das Formular war abgelaufen oder stammt nicht von dieser Seite. Bitte "
     "laden Sie die Seite neu und versuchen Sie es noch einmal.",
     "The form had expired or did not come from this page. Please reload the page and try "
     "again."},
    {"error.404_title", "Seite nicht gefunden", "Page not found"},
    {"error.404_text", "Die angeforderte Seite gibt es nicht.", "The page you asked for does not exist."},
    {"error.500_title", "Technischer Fehler", "Technical error"},
    {"error.500_text",
     "Die Anfrage konnte gerade nicht bearbeitet werden. Bitte versuchen Sie es "
     "später erneut.",
     "The request could not be handled just now. Please try again later."},
    {"error.to_start", "Zur Startseite", "Go to the start page"},
    // Terminals (terminal_pages.cpp)
    {"term.title", "Terminals", "Terminals"},
    {"term.lead",
     "Akzeptanz- und Verkaufsterminals der Leistungsträger, ihre Schlüssel und die Konflikte aus hochgeladenen "
     "Transaktionen.",
     "Acceptance and sales terminals of the service providers, their keys, and the conflicts found in uploaded "
     "transactions."},
    {"term.registry", "Registrierte Terminals", "Registered terminals"},
    {"term.registry_caption", "Terminals mit TID, Leistungsträger (VU-Nr.), Art und Status",
     "Terminals with TID, provider (VU number), kind and status"},
    {"term.empty", "Es sind noch keine Terminals registriert.", "No terminals are registered yet."},
    {"term.col_tid", "TID", "TID"},
    {"term.col_provider", "VU-Nr.", "VU number"},
    {"term.col_kind", "Art", "Kind"},
    {"term.col_name", "Bezeichnung", "Name"},
    {"term.col_status", "Status", "Status"},
    {"term.col_action", "Aktion", "Action"},
    {"term.active", "aktiv", "active"},
    {"term.disabled", "gesperrt", "disabled"},
    {"term.disable", "Sperren", "Disable"},
    {"term.disable_named", "Terminal {0} sperren", "Disable terminal {0}"},
    {"term.enable", "Entsperren", "Enable"},
    {"term.enable_named", "Terminal {0} entsperren", "Enable terminal {0}"},
    {"term.kind.mobile", "Mobiles Akzeptanzgerät", "Mobile acceptance device"},
    {"term.kind.stationary", "Stationäres Kartenterminal", "Stationary card terminal"},
    {"term.kind.kiosk", "SB-Terminal", "Self-service kiosk"},
    {"term.kind.office_pc", "PC-Serviceterminal (Kurverwaltung)", "Office PC service terminal"},
    {"term.kind.landlord_web", "Internet-Terminal (Vermieter)", "Landlord web terminal"},
    {"term.register", "Terminal registrieren", "Register a terminal"},
    {"term.register_hint",
     "Das Terminal erzeugt sein Schlüsselpaar selbst (passwerk terminals keygen); hier wird nur der öffentliche "
     "Schlüssel eingetragen.",
     "The terminal creates its own key pair (passwerk terminal keygen); only the public key is entered here."},
    {"term.no_providers", "Legen Sie zuerst im Leistungskatalog einen Leistungsträger an.",
     "First add a service provider in the catalogue."},
    {"term.to_catalogue", "Zum Leistungskatalog", "To the catalogue"},
    {"term.f_tid", "Terminal-ID (TID)", "Terminal id (TID)"},
    {"term.f_tid_hint", "1 bis 32 Zeichen: Buchstaben, Ziffern, - und _",
     "1 to 32 characters: letters, digits, - and _"},
    {"term.f_provider", "Leistungsträger", "Service provider"},
    {"term.f_kind", "Art des Terminals", "Kind of terminal"},
    {"term.f_name", "Bezeichnung (optional)", "Name (optional)"},
    {"term.f_public_key", "Öffentlicher Schlüssel", "Public key"},
    {"term.f_public_key_hint", "Ed25519, Base64 (44 Zeichen)", "Ed25519, base64 (44 characters)"},
    {"term.f_operators", "Bediener-Nummern (optional)", "Operator numbers (optional)"},
    {"term.f_operators_hint", "Durch Leerzeichen oder Komma getrennt, je 1 bis 8 Ziffern",
     "Separated by spaces or commas, 1 to 8 digits each"},
    {"term.submit", "Terminal registrieren", "Register terminal"},
    {"term.registered", "Das Terminal ist registriert.", "The terminal is registered."},
    {"term.err.generic", "Bitte prüfen Sie diese Angabe.", "Please check this entry."},
    {"term.err.taken", "Diese TID ist bereits vergeben.", "This TID is taken."},
    {"term.err.tid", "Die TID hat 1 bis 32 Zeichen: Buchstaben, Ziffern, - und _.",
     "The TID has 1 to 32 characters: letters, digits, - and _."},
    {"term.err.kind", "Bitte wählen Sie die Art des Terminals.", "Please choose the kind of terminal."},
    {"term.err.vu_number", "Bitte wählen Sie einen Leistungsträger.", "Please choose a service provider."},
    {"term.err.public_key", "Der öffentliche Schlüssel ist ein Ed25519-Schlüssel in Base64 (44 Zeichen).",
     "The public key is an Ed25519 key in base64 (44 characters)."},
    {"term.err.operators", "Bediener-Nummern haben 1 bis 8 Ziffern.", "Operator numbers have 1 to 8 digits."},
    {"term.conflicts", "Konflikte", "Conflicts"},
    {"term.conflicts_lead",
     "Offline angenommene Nutzungen, die die Pakete der Karte nicht abdeckten (Doppelnutzung), und Transaktionen mit "
     "gesperrten oder unbekannten Karten.",
     "Offline acceptances that the card's packages did not cover (double use), and transactions with blocked or "
     "unknown cards."},
    {"term.conflicts_empty", "Keine Konflikte.", "No conflicts."},
    {"term.conflicts_caption", "Die neuesten Konflikte", "The latest conflicts"},
    {"term.col_time", "Gemeldet", "Reported"},
    {"term.col_card", "Karte", "Card"},
    {"term.col_conflict", "Konflikt", "Conflict"},
    {"term.col_booking", "Buchungs-Nr.", "Booking number"},
    {"term.col_service", "Leistung", "Service"},
    {"term.conflict.blocked", "Karte gesperrt", "Card blocked"},
    {"term.conflict.not_valid_today", "An diesem Tag nicht gültig", "Not valid on that day"},
    {"term.conflict.no_such_package", "Kein passendes Paket", "No such package"},
    {"term.conflict.package_used_up", "Paket aufgebraucht (Doppelnutzung)", "Package used up (double use)"},
    {"term.conflict.unknown_card", "Karte nicht im Umlauf", "Card not in service"},
    {"term.conflict.unknown_service", "Unbekannte Leistung", "Unknown service"},
    {"term.conflict.circulation_counter", "Veralteter Umlaufzähler", "Old circulation counter"},
    {"term.refused", "Zurückgewiesene Buchungen", "Refused transactions"},
    {"term.refused_lead",
     "Buchungen, die der Katalog nicht erlaubt, zählen in keiner Abrechnung. Sie bleiben hier für die Prüfung, "
     "ohne Kartennummer.",
     "Transactions the catalogue does not allow count in no settlement. They are kept here for review, without "
     "card numbers."},
    {"term.refused_empty", "Keine zurückgewiesenen Buchungen.", "No refused transactions."},
    {"term.refused_caption", "Die neuesten zurückgewiesenen Buchungen", "The latest refused transactions"},
    {"term.col_day", "Tag", "Day"},
    {"term.col_refusal", "Grund", "Reason"},
    {"term.col_amount", "Betrag", "Amount"},
    {"term.refusal.credit_without_sale", "Gutschrift ohne Verkauf", "Credit without a sale"},
    {"term.refusal.price_mismatch", "Preis weicht vom Katalog ab", "Price differs from the catalogue"},
    {"term.refusal.date_out_of_window", "Datum außerhalb des zulässigen Zeitraums", "Date outside the allowed window"},
    {"term.refusal.validity_out_of_rules", "Gültigkeit nicht nach den Paketregeln",
     "Validity not within the package's rules"},
    // Catalogue (terminal_pages.cpp)
    {"cat.title", "Leistungskatalog", "Catalogue"},
    {"cat.lead", "Leistungsträger, Leistungen und Pakete von {0}.", "Service providers, services and packages of {0}."},
    {"cat.saved", "Gespeichert.", "Saved."},
    {"cat.providers", "Leistungsträger", "Service providers"},
    {"cat.providers_caption", "Leistungsträger mit VU-Nummer", "Service providers with VU number"},
    {"cat.providers_empty", "Noch keine Leistungsträger.", "No service providers yet."},
    {"cat.new_provider", "Leistungsträger anlegen", "Add a service provider"},
    {"cat.add_provider", "Leistungsträger anlegen", "Add service provider"},
    {"cat.f_vu", "VU-Nummer", "VU number"},
    {"cat.f_provider_name", "Name des Leistungsträgers", "Name of the service provider"},
    {"cat.services", "Leistungen", "Services"},
    {"cat.services_caption", "Leistungen mit Leistungs-Nr., Leistungsträger und Punkten",
     "Services with service number, provider and points"},
    {"cat.services_empty", "Noch keine Leistungen.", "No services yet."},
    {"cat.new_service", "Leistung anlegen", "Add a service"},
    {"cat.add_service", "Leistung anlegen", "Add service"},
    {"cat.f_service_number", "Leistungs-Nr.", "Service number"},
    {"cat.f_provider", "Leistungsträger", "Service provider"},
    {"cat.f_service_name", "Name der Leistung", "Name of the service"},
    {"cat.f_points", "Punkte je Nutzung (optional)", "Points per use (optional)"},
    {"cat.f_points_hint", "Für Bonuspunktetickets; ohne Angabe 1", "For points tickets; 1 if left empty"},
    {"cat.packages", "Pakete", "Packages"},
    {"cat.packages_caption", "Pakete mit Art, Preis, Regeln und Abrechnung",
     "Packages with kind, price, rules and settlement"},
    {"cat.packages_empty", "Noch keine Pakete.", "No packages yet."},
    {"cat.new_package", "Paket anlegen", "Add a package"},
    {"cat.add_package", "Paket anlegen", "Add package"},
    {"cat.col_vu", "VU-Nr.", "VU number"},
    {"cat.col_name", "Name", "Name"},
    {"cat.col_service", "Leistungs-Nr.", "Service number"},
    {"cat.col_points", "Punkte", "Points"},
    {"cat.col_package", "Paket-Nr.", "Package number"},
    {"cat.col_kind", "Art", "Kind"},
    {"cat.col_price", "Preis", "Price"},
    {"cat.col_rules", "Regeln", "Rules"},
    {"cat.col_services", "Leistungen", "Services"},
    {"cat.col_settlement", "Abrechnung", "Settlement"},
    {"cat.col_status", "Verkauf", "Sale"},
    {"cat.col_action", "Aktion", "Action"},
    {"cat.kind.base", "Basispaket", "Base package"},
    {"cat.kind.flat_rate", "Pauschalpaket", "Flat-rate package"},
    {"cat.kind.points", "Bonuspunkteticket", "Points ticket"},
    {"cat.kind.single", "Einzelleistungsticket", "Single-service ticket"},
    {"cat.kind.days_of", "N Tage aus M", "N days out of M"},
    {"cat.rule_base", "An jedem Tag des Aufenthalts", "On every day of the stay"},
    {"cat.rule_days_of", "{0} Tage aus {1} ab erster Nutzung; erste Nutzung bis {2} Tage nach Kauf",
     "{0} days out of {1} from the first use; first use within {2} days of purchase"},
    {"cat.rule_points", "{0} Punkte, {1} Tage gültig", "{0} points, valid {1} days"},
    {"cat.rule_validity", "{0} Tage gültig", "Valid {0} days"},
    {"cat.by_acceptances", "nach Nutzungen", "by acceptances"},
    {"cat.on_sale", "im Verkauf", "on sale"},
    {"cat.stopped", "gestoppt", "stopped"},
    {"cat.stop", "Verkauf stoppen", "Stop sale"},
    {"cat.stop_named", "Verkauf stoppen: {0}", "Stop sale: {0}"},
    {"cat.resume", "Verkauf aufnehmen", "Resume sale"},
    {"cat.resume_named", "Verkauf aufnehmen: {0}", "Resume sale: {0}"},
    {"cat.f_package_number", "Paket-Nr.", "Package number"},
    {"cat.f_kind", "Art des Pakets", "Kind of package"},
    {"cat.f_package_name", "Name des Pakets", "Name of the package"},
    {"cat.f_price", "Preis in Euro", "Price in euro"},
    {"cat.f_price_hint", "z. B. 29,00; das Basispaket kostet 0", "e.g. 29.00; the base package costs 0"},
    {"cat.f_sale_from", "Verkauf ab", "On sale from"},
    {"cat.f_sale_to", "Verkauf bis", "On sale until"},
    {"cat.fp_validity_days", "Gültigkeit in Tagen", "Validity in days"},
    {"cat.fp_validity_days_hint", "Ab Kauf; bei \"N Tage aus M\": bis zur ersten Nutzung. Nicht beim Basispaket.",
     "From the purchase; for \"N days out of M\": until the first use. Not for the base package."},
    {"cat.fp_days", "Tage (N)", "Days (N)"},
    {"cat.fp_days_hint", "Nur bei \"N Tage aus M\"", "Only for \"N days out of M\""},
    {"cat.fp_window_days", "Zeitraum in Tagen (M)", "Window in days (M)"},
    {"cat.fp_window_days_hint", "Nur bei \"N Tage aus M\"", "Only for \"N days out of M\""},
    {"cat.fp_points", "Punkte", "Points"},
    {"cat.fp_points_hint", "Nur bei Bonuspunktetickets: Startguthaben",
     "Only for points tickets: the starting balance"},
    {"cat.f_services", "Enthaltene Leistungen", "Services included"},
    {"cat.f_shares", "Feste Anteile (optional)", "Fixed shares (optional)"},
    {"cat.f_shares_hint", "VU-Nr.=Promille, z. B. 100200=600, 100300=400 (Summe 1000); ohne Angabe nach Nutzungen",
     "VU number=per mille, e.g. 100200=600, 100300=400 (sum 1000); empty: by acceptances"},
    {"cat.err.generic", "Bitte prüfen Sie diese Angabe.", "Please check this entry."},
    {"cat.err.taken", "Diese Nummer ist bereits vergeben.", "This number is taken."},
    {"cat.err.vu_number", "Die VU-Nummer hat 1 bis 8 Ziffern und gehört zu einem Leistungsträger der Gemeinde.",
     "The VU number has 1 to 8 digits and belongs to a provider of the municipality."},
    {"cat.err.name", "Der Name hat 1 bis 200 Zeichen.", "The name has 1 to 200 characters."},
    {"cat.err.service_number", "Die Leistungs-Nr. hat 1 bis 8 Ziffern.", "The service number has 1 to 8 digits."},
    {"cat.err.points", "Bitte eine Zahl von 1 bis 10000 angeben.", "Please enter a number from 1 to 10000."},
    {"cat.err.package_number", "Die Paket-Nr. hat 1 bis 8 Ziffern.", "The package number has 1 to 8 digits."},
    {"cat.err.kind", "Bitte wählen Sie die Art des Pakets; je Gemeinde gibt es ein Basispaket im Verkauf.",
     "Please choose the kind of package; a municipality has one base package on sale."},
    {"cat.err.price_cents", "Bitte einen Preis wie 29,00 angeben; das Basispaket kostet 0.",
     "Please enter a price like 29.00; the base package costs 0."},
    {"cat.err.sale_from", "Bitte ein Datum angeben.", "Please enter a date."},
    {"cat.err.sale_to", "Bitte ein Datum angeben, nicht vor dem Verkaufsbeginn.",
     "Please enter a date, not before the start of sale."},
    {"cat.err.validity_days", "Gültigkeit: 1 bis 366 Tage (nicht beim Basispaket).",
     "Validity: 1 to 366 days (not for the base package)."},
    {"cat.err.days", "N: 1 bis M, nur bei \"N Tage aus M\".", "N: 1 to M, only for \"N days out of M\"."},
    {"cat.err.window_days", "M: 1 bis 366, nur bei \"N Tage aus M\".", "M: 1 to 366, only for \"N days out of M\"."},
    {"cat.err.services", "Bitte wählen Sie die enthaltenen Leistungen (beim Einzelleistungsticket genau eine).",
     "Please choose the services included (exactly one for a single-service ticket)."},
    {"cat.err.shares", "Anteile: VU-Nr.=Promille, zusammen 1000.", "Shares: VU number=per mille, 1000 in total."},

    // Citizen portal (portal_pages.cpp, portal_signin_pages.cpp)
    {"portal.tagline", "Bürgerportal für Berechtigungskarten", "Citizen portal for entitlement cards"},
    {"portal.test_banner",
     "Testbetrieb: Die Testanmeldung ist eingeschaltet. Hier kann sich jede Person unter jedem Namen anmelden.",
     "Test mode: the test sign-in is switched on. Anyone can sign in here under any name."},
    {"portal.nav.home", "Start", "Start"},
    {"portal.nav.apply", "Karte beantragen", "Apply for a card"},
    {"portal.nav.cards", "Meine Karten", "My cards"},
    {"portal.nav.mailbox", "Postfach", "Mailbox"},
    {"portal.nav.payments", "Zahlungen", "Payments"},
    {"portal.nav.discounts", "Vergünstigungen finden", "Find discounts"},
    {"portal.nav.account", "Mein Konto", "My account"},
    {"portal.nav.login", "Anmelden", "Sign in"},
    {"portal.citizen_account", "Bürgerkonto", "Citizen account"},
    {"portal.to_start", "Zur Startseite des Portals", "To the portal's start page"},
    {"portal.level.low", "niedrig", "low"},
    {"portal.level.substantial", "substantiell", "substantial"},
    {"portal.level.high", "hoch", "high"},
    {"portal.needs_level", "Anmeldung mit Vertrauensniveau „{0}“ nötig.", "Needs a sign-in at assurance level “{0}”."},
    {"portal.home.title", "Berechtigungskarten online", "Entitlement cards online"},
    {"portal.home.intro",
     "Hier beantragen Sie Sozialpass und Ehrenamtskarte, sehen Ihre Karten, schreiben der Verwaltung, bezahlen "
     "Gebühren und finden Vergünstigungen.",
     "Apply for a social pass or a volunteer card, see your cards, write to the office, pay fees and find "
     "discounts."},
    {"portal.home.signed_in", "Sie sind angemeldet (Vertrauensniveau „{0}“).", "You are signed in (assurance level “{0}”)."},
    {"portal.home.sign_in", "Anmelden", "Sign in"},
    {"portal.home.apply", "Sozialpass oder Ehrenamtskarte online beantragen.", "Apply for a social pass or a volunteer card online."},
    {"portal.home.cards", "Ihre Karten mit Gültigkeit und Status.", "Your cards with their validity and status."},
    {"portal.home.mailbox", "Nachrichten zwischen Ihnen und der Verwaltung.", "Messages between you and the office."},
    {"portal.home.payments", "Offene Gebühren bezahlen, Quittungen ansehen.", "Pay open fees, see receipts."},
    {"portal.home.discounts", "Wo Ihre Karte Vergünstigungen bringt.", "Where your card gets you a discount."},
    {"portal.signed_out", "Sie sind abgemeldet.", "You are signed out."},
    {"portal.apply.title", "Karte beantragen", "Apply for a card"},
    {"portal.apply.intro", "Wählen Sie die Karte, die Sie beantragen möchten.", "Choose the card you want to apply for."},
    {"portal.apply.social_pass", "Sozialpass beantragen", "Apply for a social pass"},
    {"portal.apply.social_pass_text", "Vergünstigungen für Menschen mit geringem Einkommen.",
     "Discounts for people with a low income."},
    {"portal.apply.volunteer_card", "Ehrenamtskarte beantragen", "Apply for a volunteer card"},
    {"portal.apply.volunteer_card_text", "Anerkennung für Menschen, die sich ehrenamtlich engagieren.",
     "Recognition for people who volunteer."},
    {"portal.not_yet.title", "Noch nicht verfügbar", "Not yet available"},
    {"portal.not_yet.text",
     "Dieser Dienst kommt in Kürze. Bis dahin wenden Sie sich bitte an Ihre Verwaltung.",
     "This service is coming soon. Until then, please contact your office."},
    {"portal.stepup.title", "Höheres Vertrauensniveau nötig", "A higher assurance level is needed"},
    {"portal.stepup.text", "Dieser Dienst verlangt eine Anmeldung mit Vertrauensniveau „{0}“. Sie sind mit „{1}“ angemeldet.",
     "This service needs a sign-in at assurance level “{0}”. You are signed in at “{1}”."},
    {"portal.stepup.how",
     "Melden Sie sich erneut an, zum Beispiel mit Ihrem Online-Ausweis. Danach kommen Sie hierher zurück.",
     "Sign in again, for example with your online ID card. Afterwards you come back here."},
    {"portal.stepup.button", "Erneut anmelden", "Sign in again"},
    {"portal.cards.title", "Meine Karten", "My cards"},
    {"portal.cards.none", "Mit Ihrem Konto ist noch keine Karte verbunden.", "No card is linked to your account yet."},
    {"portal.cards.apply", "Eine Karte beantragen", "Apply for a card"},
    {"portal.cards.number", "Kartennummer", "Card number"},
    {"portal.cards.valid", "Gültigkeit", "Validity"},
    {"portal.cards.valid_range", "{0} bis {1}", "{0} to {1}"},
    {"portal.cards.state", "Status", "Status"},
    {"portal.cards.active", "gültig", "valid"},
    {"portal.cards.blocked", "gesperrt", "blocked"},
    {"portal.cards.inactive", "nicht mehr gültig", "no longer valid"},
    {"portal.method.saml", "BundID", "BundID"},
    {"portal.method.oidc", "Anmeldedienst der Kommune (OpenID Connect)", "The municipality's sign-in (OpenID Connect)"},
    {"portal.method.test", "Testanmeldung", "Test sign-in"},
    {"portal.account.title", "Mein Konto", "My account"},
    {"portal.account.method", "Angemeldet mit", "Signed in with"},
    {"portal.account.level", "Vertrauensniveau", "Assurance level"},
    {"portal.account.signed_in_at", "Angemeldet seit", "Signed in since"},
    {"portal.account.ends_at", "Sitzung endet spätestens", "Session ends at the latest"},
    {"portal.account.stored",
     "Ihr Konto speichert nur ein Pseudonym Ihrer Anmeldung, keinen Namen, keine Anschrift und kein Geburtsdatum. "
     "Was der Anmeldedienst über Sie mitteilt, füllt während der Sitzung Formulare vor.",
     "Your account keeps only a pseudonym of your sign-in: no name, address or birth date. What the sign-in "
     "service tells about you fills in forms during the session."},
    {"portal.account.sessions", "Aktive Sitzungen", "Active sessions"},
    {"portal.account.device", "Gerät", "Device"},
    {"portal.account.last_seen", "Zuletzt aktiv", "Last active"},
    {"portal.account.actions", "Aktionen", "Actions"},
    {"portal.account.unknown_device", "unbekanntes Gerät", "unknown device"},
    {"portal.account.this_session", "diese Sitzung", "this session"},
    {"portal.account.end_session", "Sitzung beenden", "End session"},
    {"portal.account.session_ended", "Die Sitzung ist beendet.", "The session has ended."},
    {"portal.account.sign_out_everywhere", "Überall abmelden", "Sign out everywhere"},
    {"portal.account.delete_title", "Konto löschen", "Delete the account"},
    {"portal.account.delete_text",
     "Sie können Ihr Konto jederzeit löschen. Ihre Karten bleiben gültig; sie sind danach nur nicht mehr mit dem "
     "Konto verbunden.",
     "You can delete your account at any time. Your cards stay valid; they are just no longer linked to the "
     "account."},
    {"portal.account.delete_link", "Konto löschen …", "Delete the account …"},
    {"portal.account.deleted", "Ihr Konto ist gelöscht.", "Your account has been deleted."},
    {"portal.delete.title", "Konto löschen", "Delete the account"},
    {"portal.delete.what",
     "Gelöscht werden das Konto, alle Sitzungen und die Verbindung zu Ihren Karten. Die Karten selbst bleiben gültig.",
     "The account, all sessions and the links to your cards are deleted. The cards themselves stay valid."},
    {"portal.delete.rules",
     "Solange Gebühren offen sind, kann das Konto nicht gelöscht werden. Offene Anträge werden vor dem Löschen "
     "zurückgezogen.",
     "While fees are unpaid, the account cannot be deleted. Open applications are withdrawn before deletion."},
    {"portal.delete.blocked_by", "{0}: {1} offen – bitte zuerst erledigen.", "{0}: {1} open – please settle first."},
    {"portal.delete.withdraws", "{0}: {1} werden zurückgezogen.", "{0}: {1} will be withdrawn."},
    {"portal.delete.blocked", "Das Konto kann noch nicht gelöscht werden.", "The account cannot be deleted yet."},
    {"portal.delete.confirm_legend", "Bestätigung", "Confirmation"},
    {"portal.delete.confirm", "Ja, mein Konto endgültig löschen", "Yes, delete my account for good"},
    {"portal.delete.unconfirmed", "Bitte bestätigen Sie das Löschen.", "Please confirm the deletion."},
    {"portal.delete.submit", "Konto löschen", "Delete the account"},
    {"portal.delete.cancel", "Abbrechen, zurück zum Konto", "Cancel, back to the account"},
    {"portal.area.payments", "Gebühren", "Fees"},
    {"portal.area.applications", "Anträge", "Applications"},
    {"portal.login.title", "Anmelden", "Sign in"},
    {"portal.login.level_needed", "Nötiges Vertrauensniveau: „{0}“.", "Assurance level needed: “{0}”."},
    {"portal.login.saml", "Mit BundID anmelden", "Sign in with BundID"},
    {"portal.login.oidc", "Mit dem Anmeldedienst der Kommune anmelden", "Sign in with the municipality's sign-in"},
    {"portal.login.none", "Zurzeit ist keine Anmeldung eingerichtet.", "No sign-in is set up at the moment."},
    {"portal.login.bad_level_title", "Unbekanntes Vertrauensniveau", "Unknown assurance level"},
    {"portal.login.bad_level",
     "Das verlangte Vertrauensniveau gibt es nicht. Möglich sind „niedrig“, „substantiell“ und „hoch“.",
     "The assurance level asked for does not exist. Possible are “low”, “substantial” and “high”."},
    {"portal.login.not_ready", "Die Anmeldung startet gerade. Bitte versuchen Sie es gleich noch einmal.",
     "Sign-in is starting up. Please try again in a moment."},
    {"portal.login.level", "Vertrauensniveau", "Assurance level"},
    {"portal.login.test_title", "Testanmeldung", "Test sign-in"},
    {"portal.login.test_text",
     "Nur für Vorführungen: Geben Sie einen beliebigen Namen ein. Derselbe Name führt immer zum selben Konto.",
     "For demonstrations only: enter any name. The same name always leads to the same account."},
    {"portal.login.test_name", "Name", "Name"},
    {"portal.login.test_name_hint", "Zum Beispiel „Erika Mustermann“", "For example “Erika Mustermann”"},
    {"portal.login.test_name_missing", "Bitte geben Sie einen Namen mit Buchstaben ein.", "Please enter a name with letters."},
    {"portal.login.test_level_hint", "So stark gilt die Anmeldung als geprüft.", "How strongly the sign-in counts as proven."},
    {"portal.login.test_submit", "Testweise anmelden", "Sign in for testing"},
    {"portal.saml.title", "Weiter zur BundID", "On to BundID"},
    {"portal.saml.text", "Sie werden zur Anmeldung an die BundID weitergeleitet.", "You are taken to BundID to sign in."},
    {"portal.saml.continue", "Weiter zur BundID", "Continue to BundID"},
    {"portal.refused.title", "Anmeldung nicht möglich", "Sign-in failed"},
    {"portal.refused.text",
     "Die Antwort des Anmeldedienstes konnte nicht geprüft werden. Sie sind nicht angemeldet.",
     "The sign-in service's answer could not be verified. You are not signed in."},
    {"portal.refused.browser",
     "Die Anmeldung wurde in einem anderen Browser begonnen. Bitte starten Sie sie hier neu.",
     "The sign-in was started in another browser. Please start it again here."},
    {"portal.refused.expired", "Die Anmeldung hat zu lange gedauert oder ist abgelaufen. Bitte starten Sie sie neu.",
     "The sign-in took too long or has expired. Please start again."},
    {"portal.refused.used", "Diese Anmeldung wurde bereits verwendet. Bitte starten Sie sie neu.",
     "This sign-in was already used. Please start again."},
    {"portal.refused.unavailable", "Der Anmeldedienst ist gerade nicht erreichbar. Bitte versuchen Sie es später.",
     "The sign-in service cannot be reached. Please try again later."},
    {"portal.refused.again", "Erneut anmelden", "Sign in again"},
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
    if (pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 2] == '}' && pattern[i + 1] >= '0' &&
        pattern[i + 1] <= '9') {
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
