// Registrations on every backend: the tax, the cards, each segment's share,
// whole-or-nothing batches, landlords kept apart, cancellation, a card taken
// from stock, and — by searching the stored bytes — that no segment holds
// what it must not. (Card status, replacement and consent withdrawal, annual
// cards, logistics, retention, statistics and CSV batches have their own
// sibling tests on the same fixture.)
#include "guestcards/registrations.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "cards/card_number.h"
#include "guestcards/logistics.h"
#include "guestcards/testing/guest_card_fixture.h"
#include "storage/testing/backends.h"

namespace passwerk::guestcards {
namespace {

using storage::Segment;

using testing::StockNumber;

class RegistrationTest : public testing::GuestCardFixture {};

TEST_P(RegistrationTest, ComputesTheTaxIssuesCardsAndSplitsTheData) {
  RegistrationResult r = RegisterDemo();
  EXPECT_EQ(r.total_cents, 1200);
  ASSERT_EQ(r.guests.size(), 2u);
  EXPECT_EQ(r.guests[0].nights, 5);
  EXPECT_EQ(r.guests[0].amount_cents, 1200);
  EXPECT_EQ(r.guests[1].amount_cents, 0);
  EXPECT_EQ(r.guests[1].reductions, std::vector<std::string>{"under_18"});
  ASSERT_EQ(r.cards.size(), 2u);
  EXPECT_EQ(r.cards[0].card_number.size(), 12u);
  EXPECT_EQ(r.cards[0].barcode.size(), 32u);
  EXPECT_EQ(r.cards[0].barcode.substr(0, 8), "01055021");
  EXPECT_EQ(r.cards[0].barcode.substr(8, 6), "004711");
  EXPECT_EQ(r.cards[0].barcode.substr(18, 12), r.cards[0].card_number);
  EXPECT_EQ(r.cards[0].barcode.substr(30), "01");
  EXPECT_EQ(r.consent_id.size(), 32u);
  EXPECT_EQ(Count("spa_tax.registrations"), 1);
  EXPECT_EQ(Count("spa_tax.registration_guests"), 2);
  EXPECT_EQ(Count("card_link.links"), 2);
  EXPECT_EQ(Count("card_usage.cycles"), 2);
  EXPECT_EQ(Count("logistics.cards"), 2);
  EXPECT_EQ(Count("marketing.contacts"), 1);
  EXPECT_EQ(Column("SELECT origin FROM spa_tax.registrations"), std::vector<std::string>{"DE-BY"});
  EXPECT_EQ(Column("SELECT age_band FROM card_usage.cycles ORDER BY age_band"),
            (std::vector<std::string>{"0-17", "43-47"}));
  EXPECT_EQ(Column("SELECT card_type FROM logistics.cards ORDER BY card_type"),
            (std::vector<std::string>{"1.0", "2.0"}));
  // Both cycles belong to one (anonymous) registration reference, not the number.
  auto refs = Column("SELECT DISTINCT registration_ref FROM card_usage.cycles");
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_NE(refs[0], r.registration_number);
  // Every access to card_link is in the audit trail.
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action LIKE 'card_link.%'"),
            std::vector<std::string>{"card_link.enrol_guest_data"});
  // The landlord sees the form as entered.
  auto details = service_->GetRegistration(landlord_a_.actor, r.registration_number);
  ASSERT_TRUE(details.ok()) << details.status().ToString();
  EXPECT_EQ(details->form["guests"][0]["family_name"], "Zauberlehrling");
  EXPECT_EQ(details->form["guests"][1]["card_number"], r.cards[1].card_number);
}

TEST_P(RegistrationTest, NoSegmentHoldsWhatItMustNot) {
  if (GetParam() == storage::testing::Backend::kSqliteMemory) GTEST_SKIP() << "no files to search";
  RegistrationResult r = RegisterDemo();
  std::vector<std::string> cycles = Column("SELECT cycle_id FROM card_link.links");
  ASSERT_EQ(cycles.size(), 2u);
  ASSERT_TRUE(test_db_->Reopen().ok());  // SQLite: checkpoint the WAL into the files
  auto contains = [](const std::string& bytes, const std::string& needle) {
    return bytes.find(needle) != std::string::npos;
  };
  for (Segment segment :
       {Segment::kSettlement, Segment::kHistory, Segment::kCardUsage, Segment::kSpaTax, Segment::kMarketing}) {
    std::string bytes = SegmentBytes(segment);
    for (const IssuedCard& card : r.cards) {
      EXPECT_FALSE(contains(bytes, card.card_number)) << storage::SegmentName(segment) << " holds a card number";
    }
  }
  std::string spa_tax = SegmentBytes(Segment::kSpaTax);
  ASSERT_TRUE(contains(spa_tax, r.registration_number)) << "the search must find what is there";
  for (const std::string& cycle : cycles) {
    EXPECT_FALSE(contains(spa_tax, cycle)) << "spa_tax holds a card-cycle id";
    EXPECT_FALSE(contains(SegmentBytes(Segment::kLogistics), cycle)) << "logistics holds a card-cycle id";
  }
  std::string usage = SegmentBytes(Segment::kCardUsage);
  ASSERT_TRUE(contains(usage, cycles[0])) << "the search must find what is there";
  EXPECT_FALSE(contains(usage, r.registration_number)) << "card_usage holds the registration number";
  for (Segment segment :
       {Segment::kSpaTax, Segment::kMarketing, Segment::kCardUsage, Segment::kCardLink, Segment::kLogistics}) {
    EXPECT_FALSE(contains(SegmentBytes(segment), "Zauberlehrling"))
        << storage::SegmentName(segment) << " holds a name in clear text";
  }
  std::string link = SegmentBytes(Segment::kCardLink);
  EXPECT_TRUE(contains(link, r.cards[0].card_number));
  EXPECT_FALSE(contains(link, r.registration_number));
}

TEST_P(RegistrationTest, ABatchIsStoredWholeOrNotAtAll) {
  auto good = ParseRegistration(Body(landlord_a_.accommodation));
  nlohmann::json bad_body = Body(landlord_a_.accommodation);
  bad_body["guests"][0]["reductions"] = {"student"};
  auto bad = ParseRegistration(bad_body);
  ASSERT_TRUE(good.ok() && bad.ok());
  auto result = service_->RegisterAll(landlord_a_.actor, {*good, *bad});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.status().field(), "registrations[1].guests[0].reductions[0]");
  for (const char* table : {"spa_tax.registrations", "spa_tax.registration_guests", "card_link.links",
                            "card_usage.cycles", "logistics.cards", "marketing.contacts"}) {
    EXPECT_EQ(Count(table), 0) << table;
  }
  auto both = service_->RegisterAll(landlord_a_.actor, {*good, *good});
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(Count("spa_tax.registrations"), 2);
  EXPECT_EQ(Count("logistics.cards"), 4);
}

TEST_P(RegistrationTest, LandlordsSeeAndCancelTheirOwnOnly) {
  RegistrationResult r = RegisterDemo();
  auto foreign = ParseRegistration(Body(landlord_a_.accommodation));
  auto refused = service_->Register(landlord_b_.actor, *foreign);
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(refused.status().field(), "accommodation_id");
  EXPECT_TRUE(service_->ListRegistrations(landlord_b_.actor)->empty());
  EXPECT_EQ(service_->ListRegistrations(landlord_a_.actor)->size(), 1u);
  EXPECT_EQ(service_->GetRegistration(landlord_b_.actor, r.registration_number).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->CancelRegistration(landlord_b_.actor, r.registration_number).code(), ErrorCode::kNotFound);
  // A token without the scope may not register.
  accounts::Actor token = landlord_a_.actor;
  token.via_token = true;
  token.scopes = {"users:read"};
  EXPECT_EQ(service_->Register(token, *foreign).status().code(), ErrorCode::kPermissionDenied);

  ASSERT_TRUE(service_->CancelRegistration(landlord_a_.actor, r.registration_number).ok());
  EXPECT_EQ(service_->CancelRegistration(landlord_a_.actor, r.registration_number).code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Column("SELECT state FROM spa_tax.registrations"), std::vector<std::string>{"cancelled"});
  EXPECT_EQ(Column("SELECT DISTINCT status FROM logistics.cards"), std::vector<std::string>{"blocked"});
  EXPECT_EQ(Count("card_link.links"), 0);
  EXPECT_EQ(Count("card_usage.cycles"), 0);
  EXPECT_EQ(Column("SELECT action FROM audit.entries WHERE action LIKE 'card_link.%' ORDER BY seq"),
            (std::vector<std::string>{"card_link.enrol_guest_data", "card_link.update_card", "card_link.unlink"}));
}

TEST_P(RegistrationTest, GroupsRegisterTheLeaderAndCountTheMembers) {
  nlohmann::json body = Body(landlord_a_.accommodation);
  body["guests"].erase(1);
  body["group"] = {{"size", 25}, {"country", "nl"}};
  auto input = ParseRegistration(body);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  auto r = service_->Register(landlord_a_.actor, *input);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->group_members, 24);
  EXPECT_EQ(r->group_members_cents, 24 * 1200);
  EXPECT_EQ(r->total_cents, 25 * 1200);
  EXPECT_EQ(Column("SELECT origin FROM spa_tax.registrations"), std::vector<std::string>{"NL"});
  body["group"]["size"] = 8;
  auto small = service_->Register(landlord_a_.actor, *ParseRegistration(body));
  EXPECT_EQ(small.status().field(), "group.size");
  body["guests"].push_back(body["guests"][0]);
  EXPECT_EQ(ParseRegistration(body).status().field(), "guests");
}

TEST(RegistrationParseTest, EveryFieldIsValidatedByName) {
  nlohmann::json good = {
      {"accommodation_id", "acc-1"},
      {"arrival", "2026-03-29"},
      {"departure", "2026-04-03"},
      {"guests",
       {{{"family_name", "A"},
         {"given_name", "B"},
         {"birth_date", "1980-05-01"},
         {"nationality", "DE"},
         {"gender", "f"},
         {"address", {{"street", "S"}, {"postal_code", "91052"}, {"city", "C"}, {"country", "DE"}}}}}}};
  ASSERT_TRUE(ParseRegistration(good).ok());
  std::vector<std::pair<std::function<void(nlohmann::json&)>, std::string>> cases = {
      {[](auto& j) { j.erase("accommodation_id"); }, "accommodation_id"},
      {[](auto& j) { j["arrival"] = "29.03.2026"; }, "arrival"},
      {[](auto& j) { j["departure"] = "2026-03-28"; }, "departure"},
      {[](auto& j) { j["departure"] = "2027-04-03"; }, "departure"},
      {[](auto& j) { j["guests"] = nlohmann::json::array(); }, "guests"},
      {[](auto& j) { j["guests"][0].erase("birth_date"); }, "guests[0].birth_date"},
      {[](auto& j) { j["guests"][0]["birth_date"] = "2026-04-01"; }, "guests[0].birth_date"},
      {[](auto& j) { j["guests"][0]["family_name"] = " "; }, "guests[0].family_name"},
      {[](auto& j) { j["guests"][0]["family_name"] = std::string(101, 'a'); }, "guests[0].family_name"},
      {[](auto& j) { j["guests"][0]["given_name"] = "a\nb"; }, "guests[0].given_name"},
      {[](auto& j) { j["guests"][0]["nationality"] = "Deutsch"; }, "guests[0].nationality"},
      {[](auto& j) { j["guests"][0]["gender"] = "w"; }, "guests[0].gender"},
      {[](auto& j) { j["guests"][0]["address"]["postal_code"] = "9105"; }, "guests[0].address.postal_code"},
      {[](auto& j) { j["guests"][0]["address"]["country"] = 49; }, "guests[0].address.country"},
      {[](auto& j) { j["guests"][0]["address"]["planet"] = "Erde"; }, "guests[0].address.planet"},
      {[](auto& j) { j["guests"][0]["reductions"] = "severe_disability_80"; }, "guests[0].reductions"},
      {[](auto& j) { j["guests"][0]["card"] = "yes"; }, "guests[0].card"},
      {[](auto& j) {
         j["group"] = {{"size", 1}, {"country", "NL"}};
       },
       "group.size"},
      {[](auto& j) { j["marketing_consent"] = 1; }, "marketing_consent"},
      {[](auto& j) { j["spa_tax"] = 0; }, "spa_tax"},
  };
  for (const auto& [change, field] : cases) {
    nlohmann::json doc = good;
    change(doc);
    auto parsed = ParseRegistration(doc);
    ASSERT_FALSE(parsed.ok()) << doc.dump();
    EXPECT_EQ(parsed.status().field(), field) << doc.dump() << " → " << parsed.status().ToString();
  }
  nlohmann::json invalid_utf8 = good;
  invalid_utf8["guests"][0]["city"] = std::string("K\xc3", 2);
  EXPECT_EQ(ParseRegistration(invalid_utf8).status().field(), "guests[0].city");
}

TEST_P(RegistrationTest, ARegistrationTakesTheScannedCardFromStock) {
  const std::string code = SchemeCode();
  std::vector<ProductionProblem> problems;
  const std::string number = StockNumber(code, 11);
  ASSERT_TRUE(Import(File("B-1", {number}), problems).ok());
  const std::string sticker = FormatBarcode({"01055021", "004711", 1, number, 1});
  nlohmann::json body = Body(landlord_a_.accommodation);
  body["guests"][0]["card_barcode"] = sticker;
  auto input = ParseRegistration(body);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  auto result = service_->Register(landlord_a_.actor, *input);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->cards.size(), 2u);
  EXPECT_EQ(result->cards[0].card_number, number);
  EXPECT_EQ(result->cards[0].barcode, sticker);
  EXPECT_NE(result->cards[1].card_number, number);  // the child's card is drawn
  EXPECT_EQ(Column("SELECT status FROM logistics.cards WHERE card_number = '" + number + "'"),
            std::vector<std::string>{"in_service"});
  EXPECT_EQ(Count("card_link.links"), 2);

  // The same sticker again: in service already (409), nothing stored.
  const int64_t registrations = Count("spa_tax.registrations");
  auto twice = service_->Register(landlord_a_.actor, *input);
  EXPECT_EQ(twice.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(twice.status().field(), "guests[0].card_barcode");
  EXPECT_EQ(Count("spa_tax.registrations"), registrations);
  // A sticker of no stock card, and an old circulation counter.
  for (const std::string& bad :
       {FormatBarcode({"01055021", "004711", 1, StockNumber(code, 12), 1}),
        FormatBarcode({"01055021", "004711", 1, number, 2}), FormatBarcode({"01055022", "004711", 1, number, 1})}) {
    body["guests"][0]["card_barcode"] = bad;
    auto other = service_->Register(landlord_a_.actor, *ParseRegistration(body));
    EXPECT_EQ(other.status().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(other.status().field(), "guests[0].card_barcode");
  }
  body["guests"][0]["card_barcode"] = "0105";
  EXPECT_EQ(ParseRegistration(body).status().field(), "guests[0].card_barcode");
  body["guests"][0]["card_barcode"] = sticker;
  body["guests"][0]["card"] = false;
  EXPECT_EQ(ParseRegistration(body).status().field(), "guests[0].card");
  EXPECT_EQ(Count("spa_tax.registrations"), registrations);
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistrationTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::guestcards
