// The HTTP status a VC gets when the workflow refuses its partial: the mapping of core and slashing errors
// (docs/RELIABILITY.md, VC submissions: deadline, conflict and slashing refusals).
#include <gtest/gtest.h>

#include "app/vapi_backend.hpp"
#include "slashing/rules.hpp"

namespace phx::app {
namespace {

using core::CoreError;
using slashing::SlashingError;

TEST(VapiBackendErrors, DeadlineConflictAndSlashingRefusalsGetTheirHttpStatus) {
  const std::error_code expired = CoreError::kExpired;
  // A produce or selection call after the deadline: 503 (documented there); a pool submission: 400.
  EXPECT_EQ(api_error(expired).status, 503u);
  EXPECT_EQ(submission_error(expired).status, 400u);
  EXPECT_EQ(submission_error(expired).message.rfind("duty deadline passed", 0), 0u) << submission_error(expired).message;
  for (CoreError e : {CoreError::kConflict, CoreError::kEquivocation, CoreError::kWrongDataType}) {
    EXPECT_EQ(api_error(e).status, 400u) << std::error_code(e).message();
    EXPECT_EQ(submission_error(e).status, 400u);
  }
  for (SlashingError e : {SlashingError::kDoubleVote, SlashingError::kSurroundingVote, SlashingError::kSurroundedVote,
                          SlashingError::kDoubleProposal}) {
    const auto err = submission_error(e);
    EXPECT_EQ(err.status, 400u);
    EXPECT_EQ(err.message.rfind("refused by slashing protection: ", 0), 0u) << err.message;
  }
  // Slashing protection that cannot answer is the node's fault, not the request's.
  EXPECT_EQ(submission_error(SlashingError::kStorage).status, 500u);
  EXPECT_EQ(api_error(CoreError::kNotFound).status, 404u);
  EXPECT_EQ(api_error(CoreError::kUnknownPubkey).status, 404u);
}

}  // namespace
}  // namespace phx::app
