// Terminal keys: Ed25519 against the RFC 8032 vector, the login message, the
// key file format and what each decoder refuses.
#include "terminals/terminal_key.h"

#include <gtest/gtest.h>

#include "core/crypto.h"

namespace passwerk::terminals {
namespace {

std::string Hex(std::string_view hex) { return crypto::HexDecode(hex).value(); }

TEST(TerminalKeyTest, MatchesRfc8032TestVectorOne) {
  const std::string secret = Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const std::string public_key = Hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_EQ(PublicKeyOf(secret).value(), public_key);
  auto signature = SignMessage(secret, "");
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(
      crypto::HexEncode(*signature),
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe"
      "24655141438e7a100b");
  EXPECT_TRUE(VerifySignature(public_key, "", *signature));
  EXPECT_FALSE(VerifySignature(public_key, "x", *signature));
}

TEST(TerminalKeyTest, ALoginSignatureFitsOnlyItsTerminalAndChallenge) {
  TerminalKeyPair pair = GenerateTerminalKey();
  ASSERT_EQ(pair.private_key.size(), 32u);
  ASSERT_EQ(pair.public_key.size(), 32u);
  EXPECT_EQ(PublicKeyOf(pair.private_key).value(), pair.public_key);
  EXPECT_NE(GenerateTerminalKey().private_key, pair.private_key);
  EXPECT_EQ(LoginMessage("T-0042", "ch4ll3ng3"), "passwerk-terminal-login-v1\nT-0042\nch4ll3ng3");
  auto signature = SignMessage(pair.private_key, LoginMessage("T-0042", "ch4ll3ng3"));
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(signature->size(), 64u);
  EXPECT_TRUE(VerifySignature(pair.public_key, LoginMessage("T-0042", "ch4ll3ng3"), *signature));
  EXPECT_FALSE(VerifySignature(pair.public_key, LoginMessage("T-0043", "ch4ll3ng3"), *signature)) << "another terminal";
  EXPECT_FALSE(VerifySignature(pair.public_key, LoginMessage("T-0042", "an0ther"), *signature)) << "a replay";
  EXPECT_FALSE(VerifySignature(GenerateTerminalKey().public_key, LoginMessage("T-0042", "ch4ll3ng3"), *signature));
  std::string flipped = *signature;
  flipped[10] ^= 0x01;
  EXPECT_FALSE(VerifySignature(pair.public_key, LoginMessage("T-0042", "ch4ll3ng3"), flipped));
  EXPECT_FALSE(VerifySignature(pair.public_key, LoginMessage("T-0042", "ch4ll3ng3"), signature->substr(1)));
  EXPECT_FALSE(VerifySignature(pair.public_key.substr(1), LoginMessage("T-0042", "ch4ll3ng3"), *signature));
  EXPECT_EQ(SignMessage(pair.private_key.substr(1), "m").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(PublicKeyOf("").status().code(), ErrorCode::kInvalidArgument);
}

TEST(TerminalKeyTest, TheKeyFileRoundTripsAndADamagedOneIsRefused) {
  TerminalKeyPair pair = GenerateTerminalKey();
  const std::string file = FormatKeyFile("T-0042", pair.private_key);
  EXPECT_EQ(file.rfind("passwerk-terminal-key-v1\nT-0042\n", 0), 0u);
  EXPECT_EQ(file.back(), '\n');
  auto parsed = ParseKeyFile(file);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->tid, "T-0042");
  EXPECT_EQ(parsed->private_key, pair.private_key);
  EXPECT_TRUE(ParseKeyFile(file.substr(0, file.size() - 1)).ok()) << "the last line break is optional";

  EXPECT_EQ(ParseKeyFile("").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseKeyFile("passwerk-terminal-key-v2\nT-0042\n" + crypto::Base64Encode(pair.private_key)).status().code(),
            ErrorCode::kInvalidArgument);
  for (const std::string& damaged :
       {std::string("passwerk-terminal-key-v1\n\n") + crypto::Base64Encode(pair.private_key) + "\n",
        std::string("passwerk-terminal-key-v1\nT-0042\n") + crypto::Base64Encode(pair.private_key.substr(1)) + "\n",
        std::string("passwerk-terminal-key-v1\nT-0042\nnot base64\n"),
        std::string("passwerk-terminal-key-v1\nT-0042\n")}) {
    auto refused = ParseKeyFile(damaged);
    EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument) << damaged;
  }
}

TEST(TerminalKeyTest, PublicKeysAreBase64OfThirtyTwoBytes) {
  TerminalKeyPair pair = GenerateTerminalKey();
  EXPECT_EQ(DecodePublicKey(crypto::Base64Encode(pair.public_key)).value(), pair.public_key);
  for (const std::string& bad : {std::string(""), crypto::Base64Encode(pair.public_key.substr(0, 31)),
                                 crypto::HexEncode(pair.public_key), std::string("!!!!")}) {
    auto refused = DecodePublicKey(bad);
    EXPECT_EQ(refused.status().field(), "public_key") << bad;
  }
}

}  // namespace
}  // namespace passwerk::terminals
