#include "guestcards/card_link.h"

#include <map>
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "core/crypto.h"

namespace passwerk::guestcards {
namespace {

using storage::Row;
using storage::Rows;
using storage::Tx;

}  // namespace

Status AuditLinkAccess(Tx& tx, const Clock& clock, LinkPurpose purpose, const LinkAccess& access, size_t links) {
  auto seq = audit::Append(tx, clock,
                           {access.actor, "card_link." + std::string(LinkPurposeName(purpose)), access.object,
                            nlohmann::json{{"links", links}}.dump(), access.request_id});
  return seq.ok() ? Status::Ok() : seq.status();
}

namespace {
Status Audit(Tx& tx, const Clock& clock, LinkPurpose purpose, const LinkAccess& access, size_t links) {
  return AuditLinkAccess(tx, clock, purpose, access, links);
}
}  // namespace

std::string_view LinkPurposeName(LinkPurpose purpose) {
  switch (purpose) {
    case LinkPurpose::kEnrolGuestData:
      return "enrol_guest_data";
    case LinkPurpose::kUpdateCard:
      return "update_card";
    case LinkPurpose::kRecordTransactions:
      return "record_transactions";
    case LinkPurpose::kPrepareReinitialise:
      return "prepare_reinitialisation";
    case LinkPurpose::kIssueReplacement:
      return "issue_replacement";
    case LinkPurpose::kUnlink:
      return "unlink";
    case LinkPurpose::kRotateAnnualCycle:
      return "rotate_annual_cycle";
  }
  return "unknown";
}

Result<std::vector<std::string>> EnrolCards(Tx& tx, const Clock& clock, const LinkAccess& access,
                                            const std::vector<std::string>& card_numbers, bool audit) {
  std::vector<std::string> cycles;
  if (card_numbers.empty()) return cycles;
  for (const std::string& number : card_numbers) {
    std::string cycle = crypto::HexEncode(crypto::RandomBytes(16));
    auto inserted = tx.Exec(
        "INSERT INTO card_link.links (card_number, cycle_id) VALUES ($1, $2) ON CONFLICT (card_number) DO NOTHING",
        {number, cycle});
    if (!inserted.ok()) return inserted.status();
    if (*inserted == 0) return AlreadyExists("the card is still linked to a cycle", "card_number");
    cycles.push_back(std::move(cycle));
  }
  if (audit) PW_RETURN_IF_ERROR(Audit(tx, clock, LinkPurpose::kEnrolGuestData, access, card_numbers.size()));
  return cycles;
}

Result<std::vector<std::optional<std::string>>> CyclesOf(Tx& tx, const Clock& clock, LinkPurpose purpose,
                                                         const LinkAccess& access,
                                                         const std::vector<std::string>& card_numbers) {
  if (purpose != LinkPurpose::kEnrolGuestData && purpose != LinkPurpose::kUpdateCard &&
      purpose != LinkPurpose::kRecordTransactions && purpose != LinkPurpose::kPrepareReinitialise) {
    return Internal("CyclesOf is for the reading purposes only");
  }
  std::vector<std::optional<std::string>> out;
  if (card_numbers.size() == 1) {
    PW_ASSIGN_OR_RETURN(Rows rows,
                        tx.Query("SELECT cycle_id FROM card_link.links WHERE card_number = $1", {card_numbers[0]}));
    out.push_back(rows.empty() ? std::nullopt : std::optional<std::string>(rows[0].Text(0)));
  } else {
    std::map<std::string, std::string> found;
    std::vector<storage::Value> keys(card_numbers.begin(), card_numbers.end());
    PW_RETURN_IF_ERROR(storage::QueryIn(tx, "SELECT card_number, cycle_id FROM card_link.links WHERE card_number IN",
                                        keys, [&found](const Row& r) {
                                          found[r.Text(0)] = r.Text(1);
                                          return Status::Ok();
                                        }));
    for (const std::string& number : card_numbers) {
      auto it = found.find(number);
      out.push_back(it == found.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
  }
  PW_RETURN_IF_ERROR(Audit(tx, clock, purpose, access, card_numbers.size()));
  return out;
}

Status ReplaceCardNumber(Tx& tx, const Clock& clock, const LinkAccess& access, const std::string& old_number,
                         const std::string& new_number) {
  auto changed =
      tx.Exec("UPDATE card_link.links SET card_number = $1 WHERE card_number = $2", {new_number, old_number});
  if (!changed.ok()) return changed.status();
  if (*changed == 0) return NotFound("the card is not linked to a cycle", "card_number");
  return Audit(tx, clock, LinkPurpose::kIssueReplacement, access, 1);
}

Result<std::vector<std::optional<std::string>>> RotateCycles(Tx& tx, const Clock& clock, const LinkAccess& access,
                                                             const std::vector<std::string>& cycle_ids) {
  std::vector<std::optional<std::string>> out;
  size_t rotated = 0;
  for (const std::string& old_cycle : cycle_ids) {
    std::string fresh = crypto::HexEncode(crypto::RandomBytes(16));
    PW_ASSIGN_OR_RETURN(int64_t n,
                        tx.Exec("UPDATE card_link.links SET cycle_id = $1 WHERE cycle_id = $2", {fresh, old_cycle}));
    if (n == 0) {
      out.push_back(std::nullopt);
    } else {
      out.push_back(std::move(fresh));
      ++rotated;
    }
  }
  if (!cycle_ids.empty()) PW_RETURN_IF_ERROR(Audit(tx, clock, LinkPurpose::kRotateAnnualCycle, access, rotated));
  return out;
}

Result<int64_t> UnlinkCycles(Tx& tx, const Clock& clock, const LinkAccess& access,
                             const std::vector<std::string>& cycle_ids) {
  int64_t removed = 0;
  for (const std::string& cycle : cycle_ids) {
    PW_ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM card_link.links WHERE cycle_id = $1", {cycle}));
    removed += n;
  }
  if (!cycle_ids.empty()) PW_RETURN_IF_ERROR(Audit(tx, clock, LinkPurpose::kUnlink, access, cycle_ids.size()));
  return removed;
}

}  // namespace passwerk::guestcards
