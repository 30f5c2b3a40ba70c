#pragma once
/// Internal: conversions between Beast messages and the Beast-free Request/Response. Not part of the API.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "beaconapi/http/router.hpp"

namespace phx::beaconapi::http::detail {

/// A Request from a parsed Beast message. Errors: kMalformed for methods other than GET/POST or a target not
/// starting with '/'.
Result<Request> request_from_message(boost::beast::http::request<boost::beast::http::string_body> msg);

/// The Beast message of a response (Content-Length set, Eth-Consensus-Version when given).
boost::beast::http::response<boost::beast::http::string_body> to_message(const Response& r, bool keep_alive);

}  // namespace phx::beaconapi::http::detail
