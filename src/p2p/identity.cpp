#include "p2p/identity.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <utility>

#include "crypto/hash/sha256.hpp"
#include "p2p/wire.hpp"

namespace phx::p2p {

namespace {

void der_put_length(Bytes& out, std::size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n <= 0xff) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  }
}

void der_put(Bytes& out, std::uint8_t tag, ByteSpan content) {
  out.push_back(tag);
  der_put_length(out, content.size());
  append(out, content);
}

/// Reads one TLV with the given tag from the front of `in`; returns its content and advances `in`.
/// Accepts only minimal definite lengths up to 0xffff.
Result<ByteSpan> der_take(ByteSpan& in, std::uint8_t tag) {
  if (in.size() < 2 || in[0] != tag) return fail(P2PError::kBadExtension);
  std::size_t len = in[1];
  std::size_t hdr = 2;
  if (len == 0x81) {
    if (in.size() < 3 || in[2] < 0x80) return fail(P2PError::kBadExtension);
    len = in[2];
    hdr = 3;
  } else if (len == 0x82) {
    if (in.size() < 4 || in[2] == 0 || ((std::size_t{in[2]} << 8) | in[3]) < 0x100) {
      return fail(P2PError::kBadExtension);
    }
    len = (std::size_t{in[2]} << 8) | in[3];
    hdr = 4;
  } else if (len >= 0x80) {
    return fail(P2PError::kBadExtension);
  }
  if (in.size() - hdr < len) return fail(P2PError::kBadExtension);
  ByteSpan content = in.subspan(hdr, len);
  in = in.subspan(hdr + len);
  return content;
}

struct X509Deleter {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

Bytes spki_der(X509* cert) {
  X509_PUBKEY* pub = X509_get_X509_PUBKEY(cert);
  if (pub == nullptr) return {};
  unsigned char* buf = nullptr;
  int n = i2d_X509_PUBKEY(pub, &buf);
  if (n <= 0) return {};
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

}  // namespace

Bytes encode_signed_key(const SignedKey& sk) {
  Bytes inner;
  der_put(inner, 0x04, sk.public_key);
  der_put(inner, 0x04, sk.signature);
  Bytes out;
  der_put(out, 0x30, inner);
  return out;
}

Result<SignedKey> decode_signed_key(ByteSpan der) {
  auto seq = der_take(der, 0x30);
  if (!seq) return std::unexpected(seq.error());
  if (!der.empty()) return fail(P2PError::kBadExtension);
  ByteSpan body = *seq;
  auto pk = der_take(body, 0x04);
  if (!pk) return std::unexpected(pk.error());
  auto sig = der_take(body, 0x04);
  if (!sig) return std::unexpected(sig.error());
  if (!body.empty()) return fail(P2PError::kBadExtension);
  return SignedKey{Bytes(pk->begin(), pk->end()), Bytes(sig->begin(), sig->end())};
}

Bytes encode_libp2p_public_key(const k1::PublicKey& pk) {
  auto c = pk.to_compressed();
  Bytes out(4 + c.size());
  out[0] = 0x08;  // field 1 (Type), varint
  out[1] = 0x02;  // Secp256k1
  out[2] = 0x12;  // field 2 (Data), length-delimited
  out[3] = 0x21;  // 33 bytes
  std::copy(c.begin(), c.end(), out.begin() + 4);
  return out;
}

Result<k1::PublicKey> decode_libp2p_public_key(ByteSpan pb) {
  if (pb.size() != 37 || pb[0] != 0x08 || pb[1] != 0x02 || pb[2] != 0x12 || pb[3] != 0x21) {
    return fail(P2PError::kBadExtension);
  }
  auto pk = k1::PublicKey::from_bytes(pb.subspan(4));
  if (!pk) return fail(P2PError::kBadExtension);
  return *pk;
}

k1::Digest identity_digest(ByteSpan spki) {
  return crypto::hash::sha256(as_bytes(kIdentitySignaturePrefix), spki);
}

Bytes make_identity_extension(const k1::SecretKey& identity, ByteSpan spki) {
  auto sig = identity.sign(identity_digest(spki));
  return encode_signed_key(SignedKey{encode_libp2p_public_key(identity.public_key()), k1::to_der(sig)});
}

Result<k1::PublicKey> verify_identity_extension(ByteSpan ext_der, ByteSpan spki) {
  auto sk = decode_signed_key(ext_der);
  if (!sk) return std::unexpected(sk.error());
  auto pk = decode_libp2p_public_key(sk->public_key);
  if (!pk) return std::unexpected(pk.error());
  auto sig = k1::from_der(sk->signature);
  if (!sig) return fail(P2PError::kBadIdentitySignature);
  if (!k1::verify(*pk, identity_digest(spki), *sig)) return fail(P2PError::kBadIdentitySignature);
  return *pk;
}

Result<TlsIdentity> TlsIdentity::create(const k1::SecretKey& identity) {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  if (!key || !cert) return fail(P2PError::kBadCertificate);
  bool ok = X509_set_version(cert.get(), 2) == 1;
  std::uint8_t serial_bytes[8];
  ok = ok && RAND_bytes(serial_bytes, sizeof serial_bytes) == 1;
  serial_bytes[0] &= 0x7f;
  std::uint64_t serial = 0;
  for (auto b : serial_bytes) serial = (serial << 8) | b;
  ok = ok && ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) == 1;
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr;
  ok = ok && X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600) != nullptr;
  ok = ok && X509_set_pubkey(cert.get(), key.get()) == 1;
  if (!ok) return fail(P2PError::kBadCertificate);
  X509_NAME* name = X509_get_subject_name(cert.get());
  const unsigned char cn[] = "phalanx";
  ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1;
  ok = ok && X509_set_issuer_name(cert.get(), name) == 1;
  if (!ok) return fail(P2PError::kBadCertificate);

  Bytes ext_payload = make_identity_extension(identity, spki_der(cert.get()));
  ASN1_OBJECT* obj = OBJ_txt2obj(kIdentityExtensionOid, 1);
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  ok = obj != nullptr && os != nullptr &&
       ASN1_OCTET_STRING_set(os, ext_payload.data(), static_cast<int>(ext_payload.size())) == 1;
  X509_EXTENSION* ext = ok ? X509_EXTENSION_create_by_OBJ(nullptr, obj, 1, os) : nullptr;
  ok = ext != nullptr && X509_add_ext(cert.get(), ext, -1) == 1;
  X509_EXTENSION_free(ext);
  ASN1_OCTET_STRING_free(os);
  ASN1_OBJECT_free(obj);
  if (!ok) return fail(P2PError::kBadCertificate);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return fail(P2PError::kBadCertificate);

  TlsIdentity t;
  t.cert_ = cert.release();
  t.key_ = key.release();
  return t;
}

TlsIdentity::TlsIdentity(TlsIdentity&& o) noexcept
    : cert_(std::exchange(o.cert_, nullptr)), key_(std::exchange(o.key_, nullptr)) {}

TlsIdentity& TlsIdentity::operator=(TlsIdentity&& o) noexcept {
  if (this != &o) {
    X509_free(cert_);
    EVP_PKEY_free(key_);
    cert_ = std::exchange(o.cert_, nullptr);
    key_ = std::exchange(o.key_, nullptr);
  }
  return *this;
}

TlsIdentity::~TlsIdentity() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

Result<k1::PublicKey> verify_peer_certificate(X509* cert) {
  if (cert == nullptr) return fail(P2PError::kBadCertificate);
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  if (pub == nullptr || X509_verify(cert, pub) != 1) return fail(P2PError::kBadCertificate);
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0 ||
      X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
    return fail(P2PError::kBadCertificate);
  }
  ASN1_OBJECT* obj = OBJ_txt2obj(kIdentityExtensionOid, 1);
  if (obj == nullptr) return fail(P2PError::kBadCertificate);
  int pos = X509_get_ext_by_OBJ(cert, obj, -1);
  int again = pos >= 0 ? X509_get_ext_by_OBJ(cert, obj, pos) : -1;
  ASN1_OBJECT_free(obj);
  if (pos < 0 || again >= 0) return fail(P2PError::kBadCertificate);
  X509_EXTENSION* ext = X509_get_ext(cert, pos);
  ASN1_OCTET_STRING* data = ext != nullptr ? X509_EXTENSION_get_data(ext) : nullptr;
  if (data == nullptr) return fail(P2PError::kBadCertificate);
  ByteSpan payload(ASN1_STRING_get0_data(data), static_cast<std::size_t>(ASN1_STRING_length(data)));
  Bytes spki = spki_der(cert);
  if (spki.empty()) return fail(P2PError::kBadCertificate);
  return verify_identity_extension(payload, spki);
}

Result<k1::PublicKey> verify_peer_certificate_der(ByteSpan der) {
  const unsigned char* p = der.data();
  std::unique_ptr<X509, X509Deleter> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return fail(P2PError::kBadCertificate);
  return verify_peer_certificate(cert.get());
}

Bytes certificate_der(X509* cert) {
  unsigned char* buf = nullptr;
  int n = i2d_X509(cert, &buf);
  if (n <= 0) return {};
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

}  // namespace phx::p2p
