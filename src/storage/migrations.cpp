// The schema of every segment, as a list of versioned steps. Append only:
// never edit a released migration, add a new one.
#include "storage/migrations.h"

#include <ctime>
#include <map>

namespace passwerk::storage {
namespace {

// Idempotent retries (idempotency.h): the answers of the creating writes of a
// segment, kept in that segment, by the hash of caller and key only; the
// answer sealed when it holds personal data. The same table in each segment
// that keeps answers.
Migration IdempotencyKeysMigration(int version, const std::string& segment) {
  std::string sql = R"SQL(
CREATE TABLE {{segment}}.idempotency_keys (
  key_hash TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  status BIGINT NOT NULL,
  answer {{blob}} NOT NULL,
  sealed BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX {{segment}}.idempotency_keys_by_expiry ON idempotency_keys(expires_at);
)SQL";
  for (size_t pos = sql.find("{{segment}}"); pos != std::string::npos; pos = sql.find("{{segment}}", pos)) {
    sql.replace(pos, 11, segment);
  }
  return {version, "idempotency keys: the answers of creating requests, for retries", sql};
}

const std::vector<Migration> kCoreMigrations = {
    {1, "municipalities, departments, staff users, sessions, api tokens", R"SQL(
CREATE TABLE core.municipalities (
  id {{id}},
  municipality_number TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE core.departments (
  id {{id}},
  municipality_id BIGINT NOT NULL REFERENCES municipalities(id),
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (municipality_id, name)
);
CREATE TABLE core.users (
  id {{id}},
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  municipality_id BIGINT REFERENCES municipalities(id),
  department_id BIGINT REFERENCES departments(id),
  password_hash TEXT NOT NULL,
  totp_secret_enc {{blob}},
  totp_enrolled BIGINT NOT NULL DEFAULT 0,
  totp_last_step BIGINT NOT NULL DEFAULT 0,
  disabled BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE TABLE core.sessions (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id),
  stage TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  pending_totp_secret_enc {{blob}},
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX core.sessions_by_user ON sessions(user_id);
CREATE TABLE core.api_tokens (
  id {{id}},
  token_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  name TEXT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES users(id),
  scopes TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT
);
)SQL"},
    {2, "card schemes, partners and their keys", R"SQL(
CREATE TABLE core.schemes (
  id {{id}},
  scheme_code BIGINT NOT NULL UNIQUE,
  slug TEXT NOT NULL UNIQUE,
  municipality_id BIGINT NOT NULL REFERENCES municipalities(id),
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  validity_rule TEXT NOT NULL,
  validity_amount BIGINT NOT NULL,
  fixed_valid_from TEXT,
  fixed_valid_until TEXT,
  discount_classes TEXT NOT NULL,
  name_part_letters BIGINT NOT NULL,
  partner_checks BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE core.partners (
  id {{id}},
  municipality_id BIGINT NOT NULL REFERENCES municipalities(id),
  name TEXT NOT NULL,
  origins TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (municipality_id, name)
);
CREATE TABLE core.partner_schemes (
  partner_id BIGINT NOT NULL REFERENCES partners(id),
  scheme_id BIGINT NOT NULL REFERENCES schemes(id),
  PRIMARY KEY (partner_id, scheme_id)
);
CREATE TABLE core.partner_keys (
  id {{id}},
  partner_id BIGINT NOT NULL REFERENCES partners(id),
  kind TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT,
  suspended_at BIGINT
);
)SQL"},
    {3, "guest cards: accommodations with their landlords, spa-tax tariffs", R"SQL(
CREATE TABLE core.accommodations (
  id {{id}},
  public_id TEXT NOT NULL UNIQUE,
  municipality_id BIGINT NOT NULL REFERENCES municipalities(id),
  landlord_user_id BIGINT NOT NULL REFERENCES users(id),
  landlord_number TEXT NOT NULL,
  name TEXT NOT NULL,
  street TEXT NOT NULL,
  postal_code TEXT NOT NULL,
  city TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX core.accommodations_by_landlord ON accommodations(landlord_user_id);
CREATE TABLE core.tariffs (
  id {{id}},
  municipality_id BIGINT NOT NULL REFERENCES municipalities(id),
  valid_from TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (municipality_id, valid_from)
);
)SQL"},
    {4, "terminals issue: providers, services, packages and their shares, terminals", R"SQL(
CREATE TABLE core.providers (
  id {{id}},
  municipality_id BIGINT NOT NULL REFERENCES municipalities(id),
  vu_number TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE core.services (
  id {{id}},
  municipality_id BIGINT NOT NULL REFERENCES municipalities(id),
  service_number TEXT NOT NULL,
  provider_id BIGINT NOT NULL REFERENCES providers(id),
  name TEXT NOT NULL,
  points BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (municipality_id, service_number)
);
CREATE TABLE core.packages (
  id {{id}},
  municipality_id BIGINT NOT NULL REFERENCES municipalities(id),
  package_number TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  price_cents BIGINT NOT NULL,
  sale_from TEXT NOT NULL,
  sale_to TEXT NOT NULL,
  validity_days BIGINT,
  days BIGINT,
  window_days BIGINT,
  points BIGINT,
  active BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (municipality_id, package_number)
);
CREATE TABLE core.package_services (
  package_id BIGINT NOT NULL REFERENCES packages(id),
  service_id BIGINT NOT NULL REFERENCES services(id),
  PRIMARY KEY (package_id, service_id)
);
CREATE TABLE core.package_shares (
  package_id BIGINT NOT NULL REFERENCES packages(id),
  provider_id BIGINT NOT NULL REFERENCES providers(id),
  share_permille BIGINT NOT NULL,
  PRIMARY KEY (package_id, provider_id)
);
CREATE TABLE core.terminals (
  id {{id}},
  tid TEXT NOT NULL UNIQUE,
  provider_id BIGINT NOT NULL REFERENCES providers(id),
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  public_key TEXT NOT NULL,
  active BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE core.terminal_operators (
  terminal_id BIGINT NOT NULL REFERENCES terminals(id),
  operator_number TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (terminal_id, operator_number)
);
)SQL"},
    // Departments that decide (issue 17). Memberships live in
    // department_members from here on; users.department_id stays as a column
    // (it cannot be dropped portably with its foreign key) but is no longer
    // read or written. Nobody sees less than before: every municipality with
    // schemes or staff gets a department if it had none, every scheme belongs
    // to its municipality's (first) department, and every administrator and
    // clerk becomes a member of every department of their municipality.
    {5, "department memberships; schemes belong to a department", R"SQL(
CREATE TABLE core.department_members (
  user_id BIGINT NOT NULL REFERENCES users(id),
  department_id BIGINT NOT NULL REFERENCES departments(id),
  PRIMARY KEY (user_id, department_id)
);
CREATE INDEX core.department_members_by_department ON department_members(department_id, user_id);
ALTER TABLE core.schemes ADD COLUMN department_id BIGINT REFERENCES departments(id);
INSERT INTO core.departments (municipality_id, name, created_at)
SELECT m.id, 'Verwaltung', {{now}} FROM core.municipalities m
WHERE NOT EXISTS (SELECT 1 FROM core.departments d WHERE d.municipality_id = m.id)
  AND (EXISTS (SELECT 1 FROM core.schemes s WHERE s.municipality_id = m.id)
    OR EXISTS (SELECT 1 FROM core.users u WHERE u.municipality_id = m.id
                 AND u.role IN ('municipality_admin', 'clerk')));
UPDATE core.schemes SET department_id = (SELECT MIN(d.id) FROM core.departments d
                                         WHERE d.municipality_id = schemes.municipality_id);
INSERT INTO core.department_members (user_id, department_id)
SELECT u.id, d.id FROM core.users u JOIN core.departments d ON d.municipality_id = u.municipality_id
WHERE u.role IN ('municipality_admin', 'clerk');
)SQL"},
    IdempotencyKeysMigration(6, "core"),
};

const std::vector<Migration> kCardsMigrations = {
    {1, "social-pass and volunteer cards, holder data encrypted", R"SQL(
CREATE TABLE cards.cards (
  id {{id}},
  card_number TEXT NOT NULL UNIQUE,
  circulation_counter BIGINT NOT NULL,
  scheme_id BIGINT NOT NULL,
  card_type TEXT NOT NULL,
  discount_class TEXT NOT NULL,
  state TEXT NOT NULL,
  block_reason TEXT,
  valid_from TEXT NOT NULL,
  valid_until TEXT NOT NULL,
  holder_enc {{blob}} NOT NULL,
  name_hash_a TEXT NOT NULL,
  name_hash_b TEXT NOT NULL,
  replaced_by TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX cards.cards_by_scheme ON cards(scheme_id, id);
CREATE TABLE cards.card_events (
  id {{id}},
  card_id BIGINT NOT NULL REFERENCES cards(id),
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX cards.card_events_by_card ON card_events(card_id, id);
)SQL"},
    {2, "card revisions, followed by the partner check's in-memory card index", R"SQL(
CREATE TABLE cards.revision (
  id BIGINT PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO cards.revision (id, value) VALUES (1, 0);
ALTER TABLE cards.cards ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cards.cards_by_revision ON cards(revision);
)SQL"},
    IdempotencyKeysMigration(3, "cards"),
};

const std::vector<Migration> kChecksMigrations = {
    {1, "partner check records (card only by pseudonym), locks and alerts", R"SQL(
CREATE TABLE checks.checks (
  id {{id}},
  at BIGINT NOT NULL,
  partner_id BIGINT NOT NULL,
  key_id BIGINT NOT NULL,
  scheme_id BIGINT,
  result TEXT NOT NULL,
  card_pseudonym TEXT NOT NULL
);
CREATE INDEX checks.checks_by_time ON checks(at);
CREATE TABLE checks.card_locks (
  card_pseudonym TEXT PRIMARY KEY,
  locked_until BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE checks.alerts (
  id {{id}},
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL,
  acknowledged_at BIGINT
);
)SQL"},
    {2, "how far each check spool file is imported (checks/check_spool.h)", R"SQL(
CREATE TABLE checks.spool_files (
  segment TEXT PRIMARY KEY,
  imported_bytes BIGINT NOT NULL
);
)SQL"},
};

const std::vector<Migration> kAuditMigrations = {
    {1, "hash-chained audit trail", R"SQL(
CREATE TABLE audit.entries (
  seq BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL,
  detail TEXT NOT NULL,
  request_id TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  entry_hash TEXT NOT NULL
);
CREATE INDEX audit.entries_by_action ON entries(action, seq);
CREATE TABLE audit.head (
  id BIGINT PRIMARY KEY,
  seq BIGINT NOT NULL,
  entry_hash TEXT NOT NULL
);
INSERT INTO audit.head (id, seq, entry_hash) VALUES (1, 0, '');
)SQL"},
    {2, "deletion of old entries: the chain starts after the anchor", R"SQL(
CREATE TABLE audit.anchor (
  id BIGINT PRIMARY KEY,
  through_seq BIGINT NOT NULL,
  entry_hash TEXT NOT NULL,
  pruned_at BIGINT NOT NULL
);
INSERT INTO audit.anchor (id, through_seq, entry_hash, pruned_at) VALUES (1, 0, '', 0);
CREATE INDEX audit.entries_by_at ON entries(at);
)SQL"},
};

// The segments of the guest-card procedure (ostseecard* agreement §3). Each
// holds only what its purpose needs: a table has no column for what its
// segment must not know (tests search the files byte by byte). No segment
// besides spa_tax records the second a registration was made: equal
// timestamps would let anyone join card numbers or names to registrations.
const std::vector<Migration> kSpaTaxMigrations = {
    {1, "spa tax per registration (3.1); the registration form, encrypted, until its deletion date", R"SQL(
CREATE TABLE spa_tax.registrations (
  registration_number TEXT PRIMARY KEY,
  municipality_id BIGINT NOT NULL,
  accommodation_id BIGINT NOT NULL,
  landlord_number TEXT NOT NULL,
  arrival TEXT NOT NULL,
  departure TEXT NOT NULL,
  adults BIGINT NOT NULL,
  children BIGINT NOT NULL,
  group_size BIGINT,
  origin TEXT NOT NULL,
  total_cents BIGINT NOT NULL,
  tariff_id BIGINT NOT NULL,
  state TEXT NOT NULL,
  form_enc {{blob}},
  created_at BIGINT NOT NULL,
  cancelled_at BIGINT,
  form_deleted_at BIGINT
);
CREATE INDEX spa_tax.registrations_by_accommodation ON registrations(accommodation_id, created_at);
CREATE INDEX spa_tax.registrations_by_departure ON registrations(departure);
CREATE TABLE spa_tax.registration_guests (
  registration_number TEXT NOT NULL REFERENCES registrations(registration_number),
  guest_index BIGINT NOT NULL,
  adult BIGINT NOT NULL,
  age_band TEXT NOT NULL,
  reductions TEXT NOT NULL,
  nights BIGINT NOT NULL,
  amount_cents BIGINT NOT NULL,
  PRIMARY KEY (registration_number, guest_index)
);
)SQL"},
    // Second-home owners, mooring holders and permanent campers register no
    // stay (001 §2.2): they pay the annual flat rate for a personal annual card.
    // The receipt number is what the holder proves the card with; the holder's
    // data and the card number are only in the encrypted form.
    {2, "annual spa tax per annual card (3.1, 2.2): the assessment, the form encrypted", R"SQL(
CREATE TABLE spa_tax.annual_taxes (
  receipt_number TEXT PRIMARY KEY,
  municipality_id BIGINT NOT NULL,
  basis TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_to TEXT NOT NULL,
  origin TEXT NOT NULL,
  age_band TEXT NOT NULL,
  reductions TEXT NOT NULL,
  amount_cents BIGINT NOT NULL,
  tariff_id BIGINT NOT NULL,
  state TEXT NOT NULL,
  form_enc {{blob}},
  created_at BIGINT NOT NULL,
  form_deleted_at BIGINT
);
CREATE INDEX spa_tax.annual_taxes_by_valid_to ON annual_taxes(valid_to);
)SQL"},
    IdempotencyKeysMigration(3, "spa_tax"),
};

const std::vector<Migration> kMarketingMigrations = {
    {1, "marketing contacts, only with consent (3.2); withdrawal deletes", R"SQL(
CREATE TABLE marketing.contacts (
  consent_id TEXT PRIMARY KEY,
  municipality_id BIGINT NOT NULL,
  contact_enc {{blob}} NOT NULL,
  nights BIGINT NOT NULL,
  season TEXT NOT NULL,
  adults BIGINT NOT NULL,
  children BIGINT NOT NULL
);
)SQL"},
};

const std::vector<Migration> kCardLinkMigrations = {
    {1, "card number to card-cycle id, the only link (3.3.1)", R"SQL(
CREATE TABLE card_link.links (
  card_number TEXT PRIMARY KEY,
  cycle_id TEXT NOT NULL UNIQUE
);
)SQL"},
};

const std::vector<Migration> kCardUsageMigrations = {
    {1, "card usage keyed only by card-cycle id (3.3.2)", R"SQL(
CREATE TABLE card_usage.cycles (
  cycle_id TEXT PRIMARY KEY,
  registration_ref TEXT NOT NULL,
  card_type TEXT NOT NULL,
  gender TEXT NOT NULL,
  age_band TEXT NOT NULL,
  postal_code TEXT NOT NULL,
  origin TEXT NOT NULL,
  spa_tax_cents BIGINT NOT NULL,
  arrival TEXT,
  departure TEXT,
  provisional_days BIGINT,
  first_use TEXT
);
CREATE INDEX card_usage.cycles_by_departure ON cycles(departure);
CREATE INDEX card_usage.cycles_by_registration ON cycles(registration_ref);
)SQL"},
    {2, "terminals issue: transactions and the packages held, under the card-cycle id", R"SQL(
CREATE TABLE card_usage.transactions (
  id {{id}},
  cycle_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  tid TEXT NOT NULL,
  package_id BIGINT,
  service_id BIGINT,
  price_cents BIGINT,
  valid_from TEXT,
  valid_to TEXT,
  written BIGINT
);
CREATE INDEX card_usage.transactions_by_cycle ON transactions(cycle_id);
CREATE TABLE card_usage.holdings (
  id {{id}},
  cycle_id TEXT NOT NULL,
  package_id BIGINT NOT NULL,
  state TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_to TEXT NOT NULL,
  points_left BIGINT,
  used_days TEXT NOT NULL,
  uses BIGINT NOT NULL
);
CREATE INDEX card_usage.holdings_by_cycle ON holdings(cycle_id);
)SQL"},
    // An annual card gets a new cycle once a year (001 §3.3.3.4); the day its
    // current cycle began tells the yearly run which cycles are due. Set for
    // annual cards only: other cycles end with their stay.
    {3, "annual cards: the day a card's current cycle began", R"SQL(
ALTER TABLE card_usage.cycles ADD COLUMN cycle_from TEXT;
)SQL"},
};

const std::vector<Migration> kLogisticsMigrations = {
    {1, "card logistics: production data and status per card (3.4)", R"SQL(
CREATE TABLE logistics.batches (
  batch_id TEXT PRIMARY KEY,
  produced_on TEXT NOT NULL,
  file_name TEXT NOT NULL,
  cards BIGINT NOT NULL,
  imported_at BIGINT NOT NULL
);
CREATE TABLE logistics.cards (
  card_number TEXT PRIMARY KEY,
  circulation_counter BIGINT NOT NULL,
  card_type TEXT NOT NULL,
  municipality_id BIGINT NOT NULL,
  part_number TEXT NOT NULL,
  issuing_office TEXT NOT NULL,
  batch_id TEXT,
  produced_on TEXT,
  booking_sequence BIGINT,
  valid_from TEXT,
  status TEXT NOT NULL,
  in_service_on TEXT,
  first_use_on TEXT,
  departure_on TEXT,
  sales_point TEXT,
  blocked_reason TEXT,
  updated_on TEXT NOT NULL
);
CREATE TABLE logistics.misuse_log (
  id {{id}},
  card_number TEXT NOT NULL,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
)SQL"},
    IdempotencyKeysMigration(2, "logistics"),
};

const std::vector<Migration> kHistoryMigrations = {
    {1, "historised card usage, no longer linkable to a card (3.5)", R"SQL(
CREATE TABLE history.cycles (
  history_id TEXT PRIMARY KEY,
  registration_ref TEXT NOT NULL,
  card_type TEXT NOT NULL,
  gender TEXT NOT NULL,
  age_band TEXT NOT NULL,
  postal_code TEXT NOT NULL,
  origin TEXT NOT NULL,
  spa_tax_cents BIGINT NOT NULL,
  arrival TEXT,
  departure TEXT,
  first_use TEXT,
  archived_on TEXT NOT NULL
);
)SQL"},
    {2, "terminals issue: the transactions of historised cycles, by day only", R"SQL(
CREATE TABLE history.transactions (
  history_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  occurred_on TEXT NOT NULL,
  package_id BIGINT,
  service_id BIGINT,
  price_cents BIGINT
);
CREATE INDEX history.transactions_by_cycle ON transactions(history_id);
)SQL"},
};

// Settlement between service providers (3.6): transactions without any card
// reference, and the statements computed from them.
const std::vector<Migration> kSettlementMigrations = {
    {1, "transactions without card references, statements per period", R"SQL(
CREATE TABLE settlement.transactions (
  tid TEXT NOT NULL,
  booking_number BIGINT NOT NULL,
  municipality_id BIGINT NOT NULL,
  provider_id BIGINT NOT NULL,
  operator TEXT NOT NULL,
  kind TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  occurred_on TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  package_id BIGINT,
  service_id BIGINT,
  payment_method TEXT,
  payment_cents BIGINT,
  PRIMARY KEY (tid, booking_number)
);
CREATE INDEX settlement.transactions_by_day ON transactions(municipality_id, occurred_on);
CREATE TABLE settlement.sale_lines (
  tid TEXT NOT NULL,
  booking_number BIGINT NOT NULL,
  position BIGINT NOT NULL,
  package_id BIGINT NOT NULL,
  price_cents BIGINT NOT NULL,
  valid_from TEXT,
  valid_to TEXT,
  written BIGINT NOT NULL,
  PRIMARY KEY (tid, booking_number, position)
);
CREATE TABLE settlement.statements (
  id {{id}},
  municipality_id BIGINT NOT NULL,
  period TEXT NOT NULL,
  version BIGINT NOT NULL,
  state TEXT NOT NULL,
  corrects BIGINT,
  revenue_cents BIGINT NOT NULL,
  unallocated_cents BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  closed_at BIGINT,
  UNIQUE (municipality_id, period, version)
);
CREATE TABLE settlement.statement_lines (
  statement_id BIGINT NOT NULL REFERENCES statements(id),
  line BIGINT NOT NULL,
  vu_number TEXT NOT NULL,
  provider_name TEXT NOT NULL,
  package_number TEXT NOT NULL,
  package_name TEXT NOT NULL,
  basis TEXT NOT NULL,
  package_revenue_cents BIGINT NOT NULL,
  acceptances BIGINT NOT NULL,
  share_permille BIGINT NOT NULL,
  amount_cents BIGINT NOT NULL,
  PRIMARY KEY (statement_id, line)
);
CREATE TABLE settlement.statement_payments (
  statement_id BIGINT NOT NULL REFERENCES statements(id),
  tid TEXT NOT NULL,
  vu_number TEXT NOT NULL,
  cash_cents BIGINT NOT NULL,
  card_cents BIGINT NOT NULL,
  sold_cents BIGINT NOT NULL,
  difference_cents BIGINT NOT NULL,
  PRIMARY KEY (statement_id, tid)
);
)SQL"},
    // A provider whose terminals sold but who receives nothing that month
    // still gets a report with its name, as it stood when the period was settled.
    {2, "provider name on the terminal reconciliation", R"SQL(
ALTER TABLE settlement.statement_payments ADD COLUMN provider_name TEXT NOT NULL DEFAULT '';
)SQL"},
    // Transactions the catalogue's rules refuse, kept aside for the operator:
    // never settled, and like the transactions without any card reference.
    {3, "refused transactions", R"SQL(
CREATE TABLE settlement.refused_transactions (
  tid TEXT NOT NULL,
  booking_number BIGINT NOT NULL,
  municipality_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  occurred_on TEXT NOT NULL,
  refusal TEXT NOT NULL,
  reason TEXT NOT NULL,
  amount_cents BIGINT,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (tid, booking_number)
);
CREATE INDEX settlement.refused_transactions_by_municipality ON refused_transactions(municipality_id, received_at);
)SQL"},
    IdempotencyKeysMigration(4, "settlement"),
};

// The citizen side's accounts (DESIGN.md, "The citizen side"): keyed by a
// keyed hash of the sign-in pseudonym only. No name, address or birth date
// has a column here: what the identity provider tells about a citizen lives
// in the server's memory for the session, to prefill forms.
const std::vector<Migration> kPortalMigrations = {
    {1, "citizen accounts, sessions, outstanding sign-ins, seen assertions, linked cards", R"SQL(
CREATE TABLE portal.accounts (
  id {{id}},
  public_id TEXT NOT NULL UNIQUE,
  pseudonym_hash TEXT NOT NULL UNIQUE,
  method TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_sign_in_at BIGINT NOT NULL
);
CREATE TABLE portal.sessions (
  token_hash TEXT PRIMARY KEY,
  public_id TEXT NOT NULL UNIQUE,
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  assurance TEXT NOT NULL,
  method TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  device TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX portal.sessions_by_account ON sessions(account_id);
CREATE INDEX portal.sessions_by_expiry ON sessions(expires_at);
CREATE TABLE portal.sign_ins (
  state_hash TEXT PRIMARY KEY,
  method TEXT NOT NULL,
  request_id TEXT NOT NULL,
  browser_hash TEXT NOT NULL,
  assurance TEXT NOT NULL,
  return_to TEXT NOT NULL,
  secret_enc {{blob}},
  replaces_hash TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX portal.sign_ins_by_expiry ON sign_ins(expires_at);
CREATE TABLE portal.seen_assertions (
  id_hash TEXT PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX portal.seen_assertions_by_expiry ON seen_assertions(expires_at);
CREATE TABLE portal.account_cards (
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  card_id BIGINT NOT NULL,
  linked_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, card_id)
);
)SQL"},
    // The mailbox (docs/mailbox.md): one thread per case or question, bodies,
    // subjects, file names and contents sealed with the data keys; the
    // citizen's e-mail address sealed too, with a keyed hash for the rate
    // limit; the outbox holds no message content, only what a notice needs.
    {2, "mailbox threads, messages, attachments, e-mail contacts and outbox", R"SQL(
CREATE TABLE portal.threads (
  id {{id}},
  public_id TEXT NOT NULL UNIQUE,
  account_id BIGINT NOT NULL REFERENCES accounts(id),
  municipality_id BIGINT NOT NULL,
  department_id BIGINT NOT NULL,
  subject_enc {{blob}} NOT NULL,
  case_kind TEXT,
  case_id TEXT,
  case_state TEXT,
  state TEXT NOT NULL,
  assigned_user_id BIGINT,
  last_from TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  closed_at BIGINT,
  UNIQUE (case_kind, case_id)
);
CREATE INDEX portal.threads_by_account ON threads(account_id, updated_at);
CREATE INDEX portal.threads_by_department ON threads(department_id, state, updated_at);
CREATE INDEX portal.threads_by_closing ON threads(closed_at);
CREATE TABLE portal.messages (
  id {{id}},
  public_id TEXT NOT NULL UNIQUE,
  thread_id BIGINT NOT NULL REFERENCES threads(id),
  sender TEXT NOT NULL,
  staff_user_id BIGINT,
  body_enc {{blob}} NOT NULL,
  sent_at BIGINT NOT NULL,
  read_at BIGINT
);
CREATE INDEX portal.messages_by_thread ON messages(thread_id, id);
CREATE TABLE portal.attachments (
  id {{id}},
  public_id TEXT NOT NULL UNIQUE,
  message_id BIGINT NOT NULL REFERENCES messages(id),
  name_enc {{blob}} NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  data_enc {{blob}},
  source TEXT,
  source_ref TEXT
);
CREATE INDEX portal.attachments_by_message ON attachments(message_id);
CREATE TABLE portal.contacts (
  account_id BIGINT PRIMARY KEY REFERENCES accounts(id),
  email_enc {{blob}} NOT NULL,
  email_hash TEXT NOT NULL,
  confirmed_at BIGINT,
  notify INTEGER NOT NULL,
  token_hash TEXT UNIQUE,
  token_expires_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE TABLE portal.confirmation_sends (
  id {{id}},
  account_id BIGINT NOT NULL,
  email_hash TEXT NOT NULL,
  sent_at BIGINT NOT NULL
);
CREATE INDEX portal.confirmation_sends_by_account ON confirmation_sends(account_id, sent_at);
CREATE INDEX portal.confirmation_sends_by_address ON confirmation_sends(email_hash, sent_at);
CREATE TABLE portal.outbox (
  id {{id}},
  kind TEXT NOT NULL,
  account_id BIGINT,
  recipient_enc {{blob}} NOT NULL,
  link_enc {{blob}},
  lang TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX portal.outbox_by_due ON outbox(next_attempt_at);
CREATE INDEX portal.outbox_by_account ON outbox(account_id, kind);
)SQL"},
    IdempotencyKeysMigration(3, "portal"),
};

// Online applications (docs/applications.md): answers, documents, notes and
// reasons sealed with the data keys; the applicant's name sealed apart, so
// the clerk's queue opens a few bytes per row, not the whole answers. The
// forms are data per scheme, versioned; an application keeps its version.
const std::vector<Migration> kApplicationsMigrations = {
    {1, "forms, applications, documents, notes, organisation confirmations", R"SQL(
CREATE TABLE applications.forms (
  scheme_id BIGINT NOT NULL,
  version INTEGER NOT NULL,
  definition TEXT NOT NULL,
  digest TEXT NOT NULL,
  loaded_at BIGINT NOT NULL,
  PRIMARY KEY (scheme_id, version)
);
CREATE TABLE applications.references_issued (
  prefix TEXT NOT NULL,
  year INTEGER NOT NULL,
  last_number BIGINT NOT NULL,
  PRIMARY KEY (prefix, year)
);
CREATE TABLE applications.applications (
  id {{id}},
  public_id TEXT NOT NULL UNIQUE,
  reference TEXT UNIQUE,
  account_id BIGINT NOT NULL,
  scheme_id BIGINT NOT NULL,
  form_version INTEGER NOT NULL,
  municipality_id BIGINT NOT NULL,
  department_id BIGINT NOT NULL,
  renews_id BIGINT,
  status TEXT NOT NULL,
  queue_rank INTEGER NOT NULL,
  answers_enc {{blob}} NOT NULL,
  applicant_enc {{blob}},
  reason_enc {{blob}},
  events_enc {{blob}} NOT NULL,
  thread_id TEXT,
  first_approver_id BIGINT,
  card_ids TEXT,
  valid_until TEXT,
  reminded_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  submitted_at BIGINT,
  decided_at BIGINT,
  documents_deleted_at BIGINT
);
CREATE INDEX applications.applications_by_account ON applications(account_id, updated_at);
CREATE INDEX applications.applications_queue ON applications(department_id, queue_rank, submitted_at);
CREATE INDEX applications.applications_by_status ON applications(department_id, status, submitted_at, scheme_id,
                                                                  renews_id);
CREATE INDEX applications.applications_by_submission ON applications(department_id, submitted_at);
CREATE INDEX applications.applications_by_decision ON applications(status, decided_at);
CREATE INDEX applications.applications_by_expiry ON applications(valid_until);
CREATE TABLE applications.documents (
  id {{id}},
  public_id TEXT NOT NULL UNIQUE,
  application_id BIGINT NOT NULL REFERENCES applications(id),
  field TEXT NOT NULL,
  name_enc {{blob}} NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  data_enc {{blob}} NOT NULL,
  uploaded_at BIGINT NOT NULL
);
CREATE INDEX applications.documents_by_application ON documents(application_id);
CREATE TABLE applications.notes (
  id {{id}},
  application_id BIGINT NOT NULL REFERENCES applications(id),
  user_id BIGINT NOT NULL,
  body_enc {{blob}} NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX applications.notes_by_application ON notes(application_id);
CREATE TABLE applications.confirmations (
  application_id BIGINT PRIMARY KEY REFERENCES applications(id),
  token_hash TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  sent_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  resends INTEGER NOT NULL,
  reason_enc {{blob}},
  answered_at BIGINT
);
)SQL"},
    IdempotencyKeysMigration(2, "applications"),
};

}  // namespace

std::string_view SegmentName(Segment segment) {
  switch (segment) {
    case Segment::kCore:
      return "core";
    case Segment::kAudit:
      return "audit";
    case Segment::kCards:
      return "cards";
    case Segment::kChecks:
      return "checks";
    case Segment::kSpaTax:
      return "spa_tax";
    case Segment::kMarketing:
      return "marketing";
    case Segment::kCardLink:
      return "card_link";
    case Segment::kCardUsage:
      return "card_usage";
    case Segment::kLogistics:
      return "logistics";
    case Segment::kHistory:
      return "history";
    case Segment::kSettlement:
      return "settlement";
    case Segment::kPortal:
      return "portal";
    case Segment::kApplications:
      return "applications";
  }
  return "core";
}

const std::vector<Segment>& AllSegments() {
  static const std::vector<Segment> kAll = {Segment::kCore,     Segment::kAudit,     Segment::kCards,
                                            Segment::kChecks,   Segment::kSpaTax,    Segment::kMarketing,
                                            Segment::kCardLink, Segment::kCardUsage, Segment::kLogistics,
                                            Segment::kHistory,  Segment::kSettlement, Segment::kPortal,
                                            Segment::kApplications};
  return kAll;
}

const std::vector<Migration>& MigrationsFor(Segment segment) {
  switch (segment) {
    case Segment::kCore:
      return kCoreMigrations;
    case Segment::kAudit:
      return kAuditMigrations;
    case Segment::kCards:
      return kCardsMigrations;
    case Segment::kChecks:
      return kChecksMigrations;
    case Segment::kSpaTax:
      return kSpaTaxMigrations;
    case Segment::kMarketing:
      return kMarketingMigrations;
    case Segment::kCardLink:
      return kCardLinkMigrations;
    case Segment::kCardUsage:
      return kCardUsageMigrations;
    case Segment::kLogistics:
      return kLogisticsMigrations;
    case Segment::kHistory:
      return kHistoryMigrations;
    case Segment::kSettlement:
      return kSettlementMigrations;
    case Segment::kPortal:
      return kPortalMigrations;
    case Segment::kApplications:
      return kApplicationsMigrations;
  }
  return kCoreMigrations;
}

namespace {

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

// SQLite wants the schema on the index name (`CREATE INDEX core.x ON t`),
// PostgreSQL on the table (`CREATE INDEX x ON core.t`).
std::string FixIndexSyntax(const std::string& statement, std::string_view schema, Engine engine) {
  if (engine == Engine::kSqlite || statement.rfind("CREATE INDEX", 0) != 0) return statement;
  std::string out = statement;
  std::string prefix = std::string(schema) + ".";
  size_t name_pos = out.find(prefix);
  if (name_pos != std::string::npos) out.erase(name_pos, prefix.size());
  size_t on_pos = out.find(" ON ");
  if (on_pos != std::string::npos) out.insert(on_pos + 4, prefix);
  return out;
}

}  // namespace

std::vector<std::string> RenderMigration(const Migration& migration, Engine engine) {
  std::string sql = migration.sql;
  if (engine == Engine::kSqlite) {
    ReplaceAll(sql, "{{id}}", "INTEGER PRIMARY KEY");
    ReplaceAll(sql, "{{blob}}", "BLOB");
    ReplaceAll(sql, "{{now}}", "CAST(strftime('%s', 'now') AS BIGINT)");
  } else {
    ReplaceAll(sql, "{{id}}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    ReplaceAll(sql, "{{blob}}", "BYTEA");
    ReplaceAll(sql, "{{now}}", "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)");
  }
  std::vector<std::string> statements;
  std::string current;
  size_t start = 0;
  while (start < sql.size()) {
    size_t end = sql.find(";\n", start);
    if (end == std::string::npos) end = sql.size();
    current = sql.substr(start, end - start);
    start = end + 2;
    size_t first = current.find_first_not_of(" \n\t");
    if (first == std::string::npos) continue;
    current = current.substr(first);
    // The schema is the prefix of the first qualified name in the statement.
    size_t dot = current.find('.');
    size_t space_before = current.rfind(' ', dot);
    std::string schema = dot == std::string::npos ? "" : current.substr(space_before + 1, dot - space_before - 1);
    statements.push_back(FixIndexSyntax(current, schema, engine));
  }
  return statements;
}

Result<int> SchemaVersion(Database& db, Segment segment) {
  int version = 0;
  std::string sql = "SELECT COALESCE(MAX(version), 0) FROM " + std::string(SegmentName(segment)) + ".schema_migrations";
  Status status = db.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, tx.QueryOne(sql));
    version = static_cast<int>(row.Int(0));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return version;
}

Result<int> ApplyMigrations(Database& db, Segment segment, int up_to_version) {
  const std::string schema(SegmentName(segment));
  Status created = db.Write([&](Tx& tx) -> Status {
    auto result = tx.Exec("CREATE TABLE IF NOT EXISTS " + schema +
                          ".schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, "
                          "applied_at BIGINT NOT NULL)");
    return result.ok() ? Status::Ok() : result.status();
  });
  if (!created.ok()) return created;
  PW_ASSIGN_OR_RETURN(int current, SchemaVersion(db, segment));
  int applied = 0;
  for (const Migration& migration : MigrationsFor(segment)) {
    if (migration.version <= current) continue;
    if (migration.version > up_to_version) break;
    bool already_applied = false;
    Status status = db.Write([&](Tx& tx) -> Status {
      if (db.engine() == Engine::kPostgres) {
        // Two processes starting at once: the second waits here, then sees
        // the migration applied and skips it.
        auto lock = tx.Query("SELECT pg_advisory_xact_lock(727377)");
        if (!lock.ok()) return lock.status();
        // Unqualified names in REFERENCES clauses resolve inside the segment.
        auto path = tx.Exec("SET LOCAL search_path TO " + schema);
        if (!path.ok()) return path.status();
      }
      PW_ASSIGN_OR_RETURN(Rows seen, tx.Query("SELECT 1 FROM " + schema + ".schema_migrations WHERE version = $1",
                                              {int64_t{migration.version}}));
      if (!seen.empty()) {
        already_applied = true;
        return Status::Ok();
      }
      for (const std::string& statement : RenderMigration(migration, db.engine())) {
        auto result = tx.Exec(statement);
        if (!result.ok()) return result.status();
      }
      auto recorded =
          tx.Exec("INSERT INTO " + schema + ".schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
                  {int64_t{migration.version}, migration.description, static_cast<int64_t>(std::time(nullptr))});
      return recorded.ok() ? Status::Ok() : recorded.status();
    });
    if (!status.ok()) return status;
    if (!already_applied) ++applied;
  }
  return applied;
}

}  // namespace passwerk::storage
