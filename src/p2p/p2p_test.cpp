// Unit tests of the pure p2p pieces: frame header, frame splitting, hello, identity extension and
// certificates.
#include <gtest/gtest.h>

#include "p2p/identity.hpp"
#include "p2p/wire.hpp"

namespace phx::p2p {
namespace {

ProtocolLimits test_limits() {
  ProtocolLimits l;
  l.set(kPingProtocol, 8);
  l.set(20, 1000);
  return l;
}

TEST(P2PFrame, RoundTripsThroughSplit) {
  Bytes stream;
  Bytes a(1000, 0xab);
  Bytes b{1, 2, 3, 4, 5, 6, 7, 8};
  encode_frame(stream, 20, FrameKind::kRequest, 0x0102030405060708ULL, a);
  encode_frame(stream, kPingProtocol, FrameKind::kResponse, 9, b);
  encode_frame(stream, 20, FrameKind::kMessage, 0, {});
  auto frames = split_frames(stream, test_limits());
  ASSERT_TRUE(frames.has_value());
  ASSERT_EQ(frames->size(), 3u);
  EXPECT_EQ((*frames)[0].header.protocol, 20);
  EXPECT_EQ((*frames)[0].header.kind, FrameKind::kRequest);
  EXPECT_EQ((*frames)[0].header.request_id, 0x0102030405060708ULL);
  EXPECT_EQ((*frames)[0].body, a);
  EXPECT_EQ((*frames)[1].body, b);
  EXPECT_TRUE((*frames)[2].body.empty());
}

TEST(P2PFrame, HeaderLayoutIsBigEndian) {
  Bytes out;
  encode_frame(out, 0x1234, FrameKind::kErrorResponse, 0x1122334455667788ULL, Bytes{9});
  Bytes want{0, 0, 0, 1, 0x12, 0x34, 3, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 9};
  EXPECT_EQ(out, want);
}

TEST(P2PFrame, RejectsOversizedUnknownAndMalformedHeaders) {
  auto limits = test_limits();
  Bytes big;
  encode_frame(big, 20, FrameKind::kMessage, 0, Bytes(1001, 0));
  EXPECT_EQ(decode_frame_header(big, limits).error(), make_error_code(P2PError::kFrameTooLarge));
  Bytes unknown;
  encode_frame(unknown, 21, FrameKind::kMessage, 0, {});
  EXPECT_EQ(decode_frame_header(unknown, limits).error(), make_error_code(P2PError::kUnknownProtocol));
  Bytes kind;
  encode_frame(kind, 20, FrameKind::kMessage, 0, {});
  kind[6] = 4;
  EXPECT_EQ(decode_frame_header(kind, limits).error(), make_error_code(P2PError::kBadFrameKind));
  kind[6] = 0;
  kind[7] = 1;
  EXPECT_EQ(decode_frame_header(kind, limits).error(), make_error_code(P2PError::kBadReserved));
  EXPECT_EQ(decode_frame_header(ByteSpan(kind).first(15), limits).error(),
            make_error_code(P2PError::kTruncated));
  // A length at the limit is fine; error responses are capped at kMaxErrorReason whatever the protocol
  // allows.
  Bytes ok;
  encode_frame(ok, 20, FrameKind::kMessage, 0, Bytes(1000, 0));
  EXPECT_TRUE(decode_frame_header(ok, limits).has_value());
  Bytes err;
  encode_frame(err, kPingProtocol, FrameKind::kErrorResponse, 1, Bytes(kMaxErrorReason, 'x'));
  EXPECT_TRUE(decode_frame_header(err, limits).has_value());
  Bytes err2;
  encode_frame(err2, kPingProtocol, FrameKind::kErrorResponse, 1, Bytes(kMaxErrorReason + 1, 'x'));
  EXPECT_EQ(decode_frame_header(err2, limits).error(), make_error_code(P2PError::kFrameTooLarge));
}

TEST(P2PFrame, SplitRejectsTruncatedTail) {
  Bytes stream;
  encode_frame(stream, 20, FrameKind::kMessage, 0, Bytes(10, 1));
  stream.pop_back();
  EXPECT_EQ(split_frames(stream, test_limits()).error(), make_error_code(P2PError::kTruncated));
}

TEST(P2PFrame, LimitsAreClampedToTheGlobalMaximum) {
  ProtocolLimits l;
  l.set(30, 0xffffffffu);
  EXPECT_EQ(l.get(30).value(), kMaxFrameLimit);
  EXPECT_FALSE(l.get(31).has_value());
}

TEST(P2PHello, RoundTripsAndRejectsMalformed) {
  Hello h;
  h.lock_hash[0] = 7;
  h.lock_hash[31] = 9;
  h.operator_idx = OperatorIdx{3};
  h.time_ms = 1700000000123ULL;
  auto enc = encode_hello(h);
  ASSERT_EQ(enc.size(), kHelloSize);
  auto dec = decode_hello(enc);
  ASSERT_TRUE(dec.has_value());
  EXPECT_EQ(dec->version, kProtocolVersion);
  EXPECT_EQ(dec->lock_hash, h.lock_hash);
  EXPECT_EQ(dec->operator_idx, OperatorIdx{3});
  EXPECT_EQ(dec->time_ms, h.time_ms);
  auto bad_magic = enc;
  bad_magic[0] = 'X';
  EXPECT_FALSE(decode_hello(bad_magic).has_value());
  auto bad_reserved = enc;
  bad_reserved[7] = 1;
  EXPECT_FALSE(decode_hello(bad_reserved).has_value());
  EXPECT_FALSE(decode_hello(ByteSpan(enc).first(51)).has_value());
}

TEST(P2PPeerInfoBody, RoundTrips) {
  PeerInfoBody p;
  p.lock_hash[5] = 1;
  p.time_ms = 42;
  auto d = decode_peer_info(encode_peer_info(p));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->lock_hash, p.lock_hash);
  EXPECT_EQ(d->time_ms, 42u);
  EXPECT_FALSE(decode_peer_info(Bytes(43)).has_value());
  EXPECT_FALSE(d->extension.has_value());
}

TEST(P2PPeerInfoBody, ExtensionRoundTripsAndOldBodiesStillDecode) {
  PeerInfoBody p;
  p.time_ms = 7;
  p.extension = PeerInfoExtension{"0.1.0", 1765000000, 1, "", ""};
  const Bytes enc = encode_peer_info(p);
  EXPECT_EQ(enc.size(), kPeerInfoSize + 2 + 5 + 2 + 8 + 2 + 1);
  auto d = decode_peer_info(enc);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->extension, p.extension);
  // The base 44 bytes are what an older node reads; alone they decode without an extension.
  auto old = decode_peer_info(ByteSpan(enc).first(kPeerInfoSize));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->time_ms, 7u);
  EXPECT_FALSE(old->extension.has_value());
  // A newer sender's unknown field is skipped.
  Bytes newer = enc;
  for (std::uint8_t b : {std::uint8_t{9}, std::uint8_t{3}, std::uint8_t{1}, std::uint8_t{2}, std::uint8_t{3}})
    newer.push_back(b);
  auto n = decode_peer_info(newer);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->extension, p.extension);
}

TEST(P2PPeerInfoBody, ClientFieldsRoundTripOnlyWhenKnown) {
  PeerInfoBody p;
  p.extension = PeerInfoExtension{"0.1.0", 1, 1, "Lighthouse/v7.0.1", "Teku/v25.1.0"};
  const Bytes enc = encode_peer_info(p);
  EXPECT_EQ(enc.size(), kPeerInfoSize + 2 + 5 + 2 + 17 + 2 + 12 + 2 + 8 + 2 + 1);
  auto d = decode_peer_info(enc);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->extension, p.extension);
  // An embedded node has no VC: the field is left out, and a peer reads it as empty.
  p.extension->vc_client.clear();
  auto e = decode_peer_info(encode_peer_info(p));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->extension->vc_client, "");
  EXPECT_EQ(e->extension->bn_client, "Lighthouse/v7.0.1");
  // A control character in a client name is refused like one in the version.
  Bytes binary = enc;
  binary[kPeerInfoSize + 2 + 5 + 2] = 0x1b;
  EXPECT_FALSE(decode_peer_info(binary).has_value());
}

TEST(P2PPeerInfoBody, RefusesMalformedExtensions) {
  PeerInfoBody p;
  p.extension = PeerInfoExtension{"0.1.0", 1, 1, "", ""};
  const Bytes enc = encode_peer_info(p);
  auto refused = [](const Bytes& b) { return !decode_peer_info(b).has_value(); };
  EXPECT_TRUE(refused(Bytes(enc.begin(), enc.end() - 1)));     // last field cut short
  EXPECT_TRUE(refused(Bytes(enc.begin(), enc.begin() + 45)));  // a lone type byte
  Bytes twice = enc;
  twice.insert(twice.end(), enc.begin() + kPeerInfoSize, enc.begin() + kPeerInfoSize + 7);  // version again
  EXPECT_TRUE(refused(twice));
  Bytes binary = enc;
  binary[kPeerInfoSize + 2] = 0x07;  // a control character in the version
  EXPECT_TRUE(refused(binary));
  Bytes bad_time = Bytes(enc.begin(), enc.begin() + kPeerInfoSize);
  for (std::uint8_t b : {std::uint8_t{1}, std::uint8_t{1}, std::uint8_t{'v'}, std::uint8_t{2}, std::uint8_t{4},
                         std::uint8_t{0}, std::uint8_t{0}, std::uint8_t{0}, std::uint8_t{0}})
    bad_time.push_back(b);  // start time of 4 bytes
  EXPECT_TRUE(refused(bad_time));
  Bytes no_version = Bytes(enc.begin(), enc.begin() + kPeerInfoSize);
  no_version.insert(no_version.end(), {3, 1, 1});
  EXPECT_TRUE(refused(no_version));
  EXPECT_TRUE(refused(Bytes(kPeerInfoMaxSize + 1)));
}

TEST(P2PIdentity, Libp2pPublicKeyProtobuf) {
  auto sk = k1::SecretKey::generate();
  auto pb = encode_libp2p_public_key(sk.public_key());
  ASSERT_EQ(pb.size(), 37u);
  EXPECT_EQ(pb[0], 0x08);
  EXPECT_EQ(pb[1], 0x02);
  auto back = decode_libp2p_public_key(pb);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(*back == sk.public_key());
  auto ed = pb;
  ed[1] = 0x01;  // Ed25519 is not an operator key type
  EXPECT_FALSE(decode_libp2p_public_key(ed).has_value());
}

TEST(P2PIdentity, SignedKeyDerRoundTripAndStrictness) {
  SignedKey sk{Bytes(37, 1), Bytes(200, 2)};  // 200 > 127 exercises the long length form
  auto der = encode_signed_key(sk);
  auto back = decode_signed_key(der);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->public_key, sk.public_key);
  EXPECT_EQ(back->signature, sk.signature);
  auto trailing = der;
  trailing.push_back(0);
  EXPECT_FALSE(decode_signed_key(trailing).has_value());
  auto truncated = der;
  truncated.pop_back();
  EXPECT_FALSE(decode_signed_key(truncated).has_value());
  // Non-minimal length encoding (0x81 0x05 for 5) is refused.
  Bytes nonmin{0x30, 0x81, 0x04, 0x04, 0x00, 0x04, 0x00};
  EXPECT_FALSE(decode_signed_key(nonmin).has_value());
  Bytes minimal{0x30, 0x04, 0x04, 0x00, 0x04, 0x00};
  EXPECT_TRUE(decode_signed_key(minimal).has_value());
}

TEST(P2PIdentity, ExtensionVerifiesOnlyForTheSignedSpki) {
  auto sk = k1::SecretKey::generate();
  Bytes spki(91, 0x5a);
  auto ext = make_identity_extension(sk, spki);
  auto pk = verify_identity_extension(ext, spki);
  ASSERT_TRUE(pk.has_value());
  EXPECT_TRUE(*pk == sk.public_key());
  Bytes other = spki;
  other[10] ^= 1;
  EXPECT_EQ(verify_identity_extension(ext, other).error(), make_error_code(P2PError::kBadIdentitySignature));
  // Swap in another identity key: the signature no longer matches.
  auto decoded = decode_signed_key(ext).value();
  decoded.public_key = encode_libp2p_public_key(k1::SecretKey::generate().public_key());
  EXPECT_EQ(verify_identity_extension(encode_signed_key(decoded), spki).error(),
            make_error_code(P2PError::kBadIdentitySignature));
}

TEST(P2PIdentity, CertificateCarriesVerifiableIdentity) {
  auto sk = k1::SecretKey::generate();
  auto tls = TlsIdentity::create(sk);
  ASSERT_TRUE(tls.has_value());
  auto der = certificate_der(tls->certificate());
  ASSERT_FALSE(der.empty());
  auto pk = verify_peer_certificate_der(der);
  ASSERT_TRUE(pk.has_value()) << pk.error().message();
  EXPECT_TRUE(*pk == sk.public_key());
  // Flipping a byte anywhere in the tail (signature or extension) must break verification.
  for (std::size_t pos : {der.size() - 1, der.size() - 40, der.size() / 2}) {
    auto bad = der;
    bad[pos] ^= 0x01;
    EXPECT_FALSE(verify_peer_certificate_der(bad).has_value()) << "pos " << pos;
  }
  EXPECT_FALSE(verify_peer_certificate_der(Bytes{0x30, 0x00}).has_value());
}

}  // namespace
}  // namespace phx::p2p
