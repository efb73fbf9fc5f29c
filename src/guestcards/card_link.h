// The only way into segment card_link (001 §3.3.1): the table that links a
// card number to the card-cycle id under which the card's usage is kept.
// Code reaches it only through the purposes §3.3.3 names, each call audited
// in the hash-chained trail (purpose, actor, how many links — never a cycle
// id, so the trail cannot rebuild the link).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"

namespace passwerk::guestcards {

enum class LinkPurpose {
  kEnrolGuestData,       // 3.3.3.1: a new cycle for a card handed out with a registration, or the
                         // guest data for the cycle of a card handed out before it (4.3)
  kUpdateCard,           // 3.3.3.1: refresh the data on a card (dates, spa tax, status view)
  kRecordTransactions,   // 3.3.3.1: file transactions under the cycle
  kPrepareReinitialise,  // 3.3.3.1: is the link gone, so the card may start a new cycle?
  kIssueReplacement,     // 3.3.3.4: the cycle keeps its data, the card number changes
  kUnlink,               // 3.3.3.3: delete the link (by cycle id only)
  kRotateAnnualCycle,    // 3.3.3.4: once a year an annual card gets a new cycle id, the old link goes
};
std::string_view LinkPurposeName(LinkPurpose purpose);

struct LinkAccess {
  std::string actor;  // as in the audit trail
  std::string request_id;
  std::string object;  // what the access served, e.g. "registration:K7QX-M2PD-5RTA"
};

// Creates the links for these card numbers with fresh cycle ids (returned in
// the same order). kAlreadyExists if a card is still linked. With
// `audit = false` the caller audits the access itself, once for many calls in
// the same transaction (AuditLinkAccess): a batch of registrations is one access.
Result<std::vector<std::string>> EnrolCards(storage::Tx& tx, const Clock& clock, const LinkAccess& access,
                                            const std::vector<std::string>& card_numbers, bool audit = true);
Status AuditLinkAccess(storage::Tx& tx, const Clock& clock, LinkPurpose purpose, const LinkAccess& access,
                       size_t links);
// The cycle ids of these cards (nullopt where unlinked), for one of the
// reading purposes (enrol the guest data of a card handed out before its
// registration, update, record transactions, prepare re-initialisation).
Result<std::vector<std::optional<std::string>>> CyclesOf(storage::Tx& tx, const Clock& clock, LinkPurpose purpose,
                                                         const LinkAccess& access,
                                                         const std::vector<std::string>& card_numbers);
// Replacement card: the cycle stays, its card number changes.
Status ReplaceCardNumber(storage::Tx& tx, const Clock& clock, const LinkAccess& access, const std::string& old_number,
                         const std::string& new_number);
// The yearly new cycle of annual cards (3.3.3.4): each card linked to one of
// these cycles is linked to a fresh cycle id instead (returned in the same
// order; nullopt where the cycle has no link any more) and its old link is
// gone. Reached by the old cycle id, like the deletion it ends with: the card
// number never leaves the segment.
Result<std::vector<std::optional<std::string>>> RotateCycles(storage::Tx& tx, const Clock& clock,
                                                             const LinkAccess& access,
                                                             const std::vector<std::string>& cycle_ids);
// Deletes the links of these cycles (the only access by cycle id besides the
// annual rotation, which ends with the same deletion).
Result<int64_t> UnlinkCycles(storage::Tx& tx, const Clock& clock, const LinkAccess& access,
                             const std::vector<std::string>& cycle_ids);

}  // namespace passwerk::guestcards
