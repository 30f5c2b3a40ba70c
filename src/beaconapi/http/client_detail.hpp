#pragma once
/// Internal helpers shared by client.cpp (one endpoint, failover) and client_multi.cpp (several endpoints).
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "beaconapi/http/client.hpp"

namespace phx::beaconapi::http::detail {

/// A ClientError from its parts.
ClientError client_error(std::error_code code, unsigned status, std::string message);
/// A decoding failure (kBadBody, status 200) naming the field.
ClientError json_error(const ssz::JsonError& e);
/// Decimal text of `v`.
std::string u64(std::uint64_t v);
/// A GET of `target`.
ClientRequest get_req(std::string target);
/// A POST of `body` (JSON) to `target`.
ClientRequest post_req(std::string target, std::string body);
/// A refusal that only says the BN already has every item (a success for a submission).
bool already_published(const std::string& message);
/// The `message` of a Beacon API error body, else the body.
std::string error_message(const std::string& body);

}  // namespace phx::beaconapi::http::detail
