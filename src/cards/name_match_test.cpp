// The partner check's name rule: the canonical form, and the first letters a
// holder may type in either spelling.
#include "cards/name_match.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace passwerk::cards {
namespace {

TEST(NameMatchTest, CanonicalFormIgnoresCaseAccentsAndUmlautSpelling) {
  EXPECT_EQ(CanonicalName("  Müller "), "mueller");
  EXPECT_EQ(CanonicalName("MUELLER"), "mueller");
  EXPECT_EQ(CanonicalName("Weiß"), "weiss");
  EXPECT_EQ(CanonicalName("Özdemir"), "oezdemir");
  EXPECT_EQ(CanonicalName("Ayşe"), "ayse");
  EXPECT_EQ(CanonicalName("Éléonore"), "eleonore");
  EXPECT_EQ(CanonicalName("O'Brien-Smith"), "obriensmith");
  EXPECT_EQ(CanonicalName("\xff\xfe"), "");
}

TEST(NameMatchTest, AcceptedPartsCoverBothSpellings) {
  EXPECT_EQ(AcceptedNameParts("Müller", 3), (std::vector<std::string>{"muel", "mue"}));
  EXPECT_EQ(AcceptedNameParts("Schmidt", 3), (std::vector<std::string>{"sch"}));
  EXPECT_EQ(AcceptedNameParts("Weiß", 3), (std::vector<std::string>{"wei"}));
  EXPECT_EQ(AcceptedNameParts("Strauß", 6), (std::vector<std::string>{"strauss", "straus"}));
  EXPECT_EQ(AcceptedNameParts("O'Neill", 3), (std::vector<std::string>{"one"}));
}

TEST(NameMatchTest, FoldsLatinOneAndExtendedALettersAndDropsTheRest) {
  EXPECT_EQ(CanonicalName("Łukasz Dąbrowski"), "lukaszdabrowski");
  EXPECT_EQ(CanonicalName("Şahin Çelik"), "sahincelik");
  EXPECT_EQ(CanonicalName("Þórsdóttir"), "thorsdottir");
  EXPECT_EQ(CanonicalName("Ærøskøbing"), "aeroeskoebing");
  EXPECT_EQ(CanonicalName("ẞTRASSE"), "sstrasse") << "capital sharp s";
  EXPECT_EQ(CanonicalName("Nguyễn"), "nguyn") << "outside Latin Extended-A: dropped, never guessed";
  EXPECT_EQ(CanonicalName("Иванов"), "");
  EXPECT_EQ(CanonicalName("van der Berg 2."), "vanderberg");
  EXPECT_EQ(CanonicalName(""), "");
}

TEST(NameMatchTest, BrokenUtf8CannotSwallowTheFollowingLetters) {
  EXPECT_EQ(CanonicalName("M\xc3"), "m") << "a lead byte at the end";
  EXPECT_EQ(CanonicalName("M\xc3ller"), "mller") << "a lead byte without its continuation";
  EXPECT_EQ(CanonicalName("\xe2\x82"), "");
  EXPECT_EQ(CanonicalName("a\x80z"), "az");
}

TEST(NameMatchTest, FirstLettersSkipWhatIsNoLetter) {
  EXPECT_EQ(AcceptedNameParts("  de la Cruz", 3), (std::vector<std::string>{"del"}));
  EXPECT_EQ(AcceptedNameParts("Öz", 3), (std::vector<std::string>{"oez"})) << "one spelling when both agree";
  EXPECT_EQ(AcceptedNameParts("Ng", 3), (std::vector<std::string>{"ng"})) << "a short name is all its letters";
  EXPECT_EQ(AcceptedNameParts("Ähm", 1), (std::vector<std::string>{"ae", "a"}));
  EXPECT_EQ(AcceptedNameParts("Müller", 0), (std::vector<std::string>{""}));
  // Whatever the holder types in either spelling canonicalises to one of the parts.
  const auto parts = AcceptedNameParts("Müller-Lüdenscheidt", 3);
  for (const char* typed : {"Mül", "mue", "MÜL", " Mue"}) {
    EXPECT_NE(std::find(parts.begin(), parts.end(), CanonicalName(typed)), parts.end()) << typed;
  }
  EXPECT_EQ(std::find(parts.begin(), parts.end(), CanonicalName("Mul")), parts.end());
}

}  // namespace
}  // namespace passwerk::cards
