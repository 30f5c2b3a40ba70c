#pragma once
/// Operator identity in TLS certificates, after the libp2p TLS handshake spec (libp2p/specs tls/tls.md):
/// each side presents a self-signed certificate for a fresh P-256 key; a critical extension (OID
/// 1.3.6.1.4.1.53594.1.1) holds SignedKey ::= SEQUENCE { publicKey OCTET STRING, signature OCTET STRING }
/// where publicKey is the libp2p protobuf PublicKey {Type=Secp256k1(2), Data=33-byte compressed key} and
/// signature is the identity key's DER ECDSA signature over SHA-256("libp2p-tls-handshake:" ‖ certificate
/// SPKI DER). Verification is on public data only (not constant time); signing uses libsecp256k1 (constant
/// time).
#include <memory>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/k1/k1.hpp"

// Opaque OpenSSL types (avoid leaking OpenSSL headers to users).
struct x509_st;
struct evp_pkey_st;

namespace phx::p2p {

namespace k1 = crypto::k1;

/// The signature context string of libp2p TLS.
inline constexpr std::string_view kIdentitySignaturePrefix = "libp2p-tls-handshake:";
/// The libp2p public key extension OID.
inline constexpr const char* kIdentityExtensionOid = "1.3.6.1.4.1.53594.1.1";

/// The decoded extension payload.
struct SignedKey {
  Bytes public_key;  ///< protobuf-encoded libp2p PublicKey
  Bytes signature;   ///< DER ECDSA signature
};

/// DER encoding of SignedKey.
Bytes encode_signed_key(const SignedKey& sk);
/// Strict DER decoding of SignedKey from untrusted bytes (definite minimal lengths, no trailing bytes).
Result<SignedKey> decode_signed_key(ByteSpan der);

/// libp2p protobuf PublicKey for a secp256k1 key: 08 02 12 21 ‖ compressed key.
Bytes encode_libp2p_public_key(const k1::PublicKey& pk);
/// Decodes a libp2p protobuf PublicKey from untrusted bytes; only the canonical secp256k1 form is accepted.
Result<k1::PublicKey> decode_libp2p_public_key(ByteSpan pb);

/// SHA-256 of "libp2p-tls-handshake:" ‖ spki_der: the digest the identity key signs.
k1::Digest identity_digest(ByteSpan spki_der);

/// Builds the extension payload (DER SignedKey) binding `spki_der` to `identity`.
Bytes make_identity_extension(const k1::SecretKey& identity, ByteSpan spki_der);

/// Checks an extension payload against the certificate's SPKI: decodes it (untrusted) and verifies the
/// identity signature. Returns the identity key.
Result<k1::PublicKey> verify_identity_extension(ByteSpan ext_der, ByteSpan spki_der);

/// A TLS certificate + ephemeral private key proving `identity`. Move-only; frees the OpenSSL objects.
class TlsIdentity {
 public:
  /// Generates a fresh P-256 key and a self-signed certificate (valid from one hour ago for one year)
  /// carrying the identity extension, marked critical.
  static Result<TlsIdentity> create(const k1::SecretKey& identity);
  TlsIdentity(TlsIdentity&&) noexcept;
  TlsIdentity& operator=(TlsIdentity&&) noexcept;
  TlsIdentity(const TlsIdentity&) = delete;
  TlsIdentity& operator=(const TlsIdentity&) = delete;
  ~TlsIdentity();

  /// Borrowed OpenSSL certificate (X509*).
  x509_st* certificate() const { return cert_; }
  /// Borrowed OpenSSL private key (EVP_PKEY*).
  evp_pkey_st* private_key() const { return key_; }

 private:
  TlsIdentity() = default;
  x509_st* cert_ = nullptr;
  evp_pkey_st* key_ = nullptr;
};

/// Verifies a peer's certificate (untrusted): self-signature, validity period now, exactly one identity
/// extension, and its signature over the certificate's SPKI. Returns the identity key.
Result<k1::PublicKey> verify_peer_certificate(x509_st* cert);

/// Same as verify_peer_certificate on a DER-encoded certificate (for tests and fuzzing).
Result<k1::PublicKey> verify_peer_certificate_der(ByteSpan der);

/// DER encoding of a certificate.
Bytes certificate_der(x509_st* cert);

}  // namespace phx::p2p
