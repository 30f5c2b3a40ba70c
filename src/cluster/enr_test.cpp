#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cluster/enr.hpp"
#include "cluster/rlp.hpp"

namespace phx::cluster {
namespace {

// EIP-778's example record (private key, record text and node id are from the EIP).
constexpr char kEip778Key[] = "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291";
constexpr char kEip778Text[] =
    "enr:-IS4QHCYrYZbAKWCBRlAy5zzaDZXJBGkcnh4MHcBFZntXNFrdvJjX04jRzjzCBOonrkTfj499SZuOh8R33Ls8RRcy5wBgmlkgnY0gmlwhH"
    "8AAAGJc2VjcDI1NmsxoQPKY0yuDUmstAHYpMa2_oxVtw0RW_QAdpzBQA8yWM0xOIN1ZHCCdl8";

TEST(Enr, ParsesTheEip778ExampleRecord) {
  auto e = Enr::parse(kEip778Text);
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->seq(), 1u);
  EXPECT_EQ(to_hex(e->node_id(), false), "a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7");
  EXPECT_EQ(*e->ip(), (ByteArray<4>{127, 0, 0, 1}));
  EXPECT_EQ(*e->udp(), 30303);
  EXPECT_FALSE(e->tcp());
  EXPECT_EQ(e->to_text(), kEip778Text);
  auto sk = crypto::k1::SecretKey::from_bytes(*from_hex(kEip778Key));
  EXPECT_EQ(e->public_key(), sk->public_key());
}

TEST(Enr, CreatesTheEip778RecordByteForByte) {
  // libsecp256k1 signs with RFC 6979 nonces, as go-ethereum did when the EIP's example was made.
  auto sk = crypto::k1::SecretKey::from_bytes(*from_hex(kEip778Key));
  auto e = Enr::create(*sk, 1, ByteArray<4>{127, 0, 0, 1}, std::nullopt, 30303);
  EXPECT_EQ(e.to_text(), kEip778Text);
}

TEST(Enr, CreatedRecordsRoundTripAndVerify) {
  auto sk = crypto::k1::SecretKey::generate();
  auto e = Enr::create(sk, 0, ByteArray<4>{10, 0, 0, 7}, 3610, 3630);
  auto back = Enr::parse(e.to_text());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->public_key(), sk.public_key());
  EXPECT_EQ(*back->tcp(), 3610);
  EXPECT_EQ(*back->udp(), 3630);
}

TEST(Enr, VerifiesEveryOperatorEnrOfCharonGoldenLocks) {
  int checked = 0;
  for (const char* v : {"1_7_0", "1_8_0", "1_9_0", "1_10_0"}) {
    std::ifstream in(std::string(PHX_CHARON_VECTORS) + "/cluster_lock_v" + v + ".json");
    ASSERT_TRUE(in) << v;
    auto j = nlohmann::json::parse(in);
    for (const auto& op : j["cluster_definition"]["operators"]) {
      auto e = Enr::parse(op["enr"].get<std::string>());
      ASSERT_TRUE(e) << v << ": " << e.error().message();
      EXPECT_EQ(e->seq(), 0u);
      EXPECT_EQ(e->to_text(), op["enr"].get<std::string>());
      ++checked;
    }
  }
  EXPECT_GE(checked, 8);
}

TEST(Enr, RejectsTamperedAndMalformedRecords) {
  auto sk = crypto::k1::SecretKey::generate();
  auto e = Enr::create(sk);
  Bytes raw = e.rlp();
  raw.back() ^= 1;  // inside the public key → bad key or bad signature
  EXPECT_FALSE(Enr::decode(raw));
  Bytes sig_flip = e.rlp();
  sig_flip[5] ^= 1;
  EXPECT_EQ(Enr::decode(sig_flip).error(), make_error_code(EnrError::kBadSignature));
  EXPECT_EQ(Enr::parse("enx:abc").error(), make_error_code(EnrError::kMissingPrefix));
  EXPECT_EQ(Enr::parse("enr:!!!").error(), make_error_code(EnrError::kBadBase64));
  // The text form is unpadded base64url (EIP-778; Charon decodes with Go's RawURLEncoding): a valid record with
  // '=' padding appended is refused, so every accepted text is the record's one text form (found by
  // cluster_enr_fuzz: the padded text parsed and re-encoded to another string).
  const std::string text = e.to_text();
  ASSERT_TRUE(Enr::parse(text));
  if ((text.size() - 4) % 4 != 0) {
    EXPECT_EQ(Enr::parse(text + "=").error(), make_error_code(EnrError::kBadBase64));
  }
  EXPECT_EQ(Enr::parse(text + "==").error(), make_error_code(EnrError::kBadBase64));
  EXPECT_EQ(Enr::decode(Bytes{0xc0}).error(), make_error_code(EnrError::kBadRlp));
  EXPECT_EQ(Enr::decode(Bytes(301, 0)).error(), make_error_code(EnrError::kTooLong));
}

TEST(Rlp, EncodesTheYellowPaperExamples) {
  EXPECT_EQ(to_hex(rlp::encode_bytes(as_bytes("dog")), false), "83646f67");
  EXPECT_EQ(to_hex(rlp::encode_list({rlp::encode_bytes(as_bytes("cat")), rlp::encode_bytes(as_bytes("dog"))}),
                   false),
            "c88363617483646f67");
  EXPECT_EQ(to_hex(rlp::encode_bytes({}), false), "80");
  EXPECT_EQ(to_hex(rlp::encode_uint(0), false), "80");
  EXPECT_EQ(to_hex(rlp::encode_uint(15), false), "0f");
  EXPECT_EQ(to_hex(rlp::encode_uint(1024), false), "820400");
  Bytes long_str(56, 'a');
  EXPECT_EQ(rlp::encode_bytes(long_str)[0], 0xb8);
  EXPECT_EQ(rlp::encode_bytes(long_str)[1], 56);
}

TEST(Rlp, RejectsNonCanonicalAndTruncatedInput) {
  using rlp::RlpError;
  EXPECT_EQ(rlp::decode(Bytes{0x81, 0x05}).error(), make_error_code(RlpError::kNonCanonical));
  EXPECT_EQ(rlp::decode(Bytes{0xb8, 0x05, 1, 2, 3, 4, 5}).error(), make_error_code(RlpError::kNonCanonical));
  EXPECT_EQ(rlp::decode(Bytes{0x83, 'd', 'o'}).error(), make_error_code(RlpError::kTruncated));
  EXPECT_EQ(rlp::decode(Bytes{0x80, 0x80}).error(), make_error_code(RlpError::kTrailingBytes));
  Bytes nested{0x80};
  for (int i = 0; i < 20; ++i) nested = rlp::encode_list({nested});
  EXPECT_EQ(rlp::decode(nested).error(), make_error_code(RlpError::kTooDeep));
  const Bytes padded{0x82, 0x00, 0x01};  // items are views into their input: keep it alive
  auto item = rlp::decode(padded);
  ASSERT_TRUE(item);
  EXPECT_EQ(rlp::as_uint(*item).error(), make_error_code(RlpError::kBadInteger));
}

}  // namespace
}  // namespace phx::cluster
