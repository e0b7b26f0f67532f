// ReassignedEvents: how a move of meetings or tasks from one user to another
// is announced. One event per batch (a statement of at most 1,000 rows), not
// one per row: a saga moving 20,000 tasks emits 20, each small enough for
// one message.
//
//   meeting.reassigned / task.reassigned, subject the user they left:
//     {fromUserId, toUserId, ids: [uuid], versions: [n], transfer?}
//   versions[i] is the version ids[i] has after the move (Migrations.hpp,
//   version 3), so a consumer can tell it from older or newer news of the
//   same row whatever order they come in.
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>

namespace sales {

// The ids and versions of one batch, copied out of its rows (the rows are
// the host's only until the next statement, and the emit is one).
struct MovedBatch {
  std::string ids = "[", versions = "[";
  size_t count = 0;
};

// Column 0 the id, column 1 the version.
MovedBatch moved_batch(const crm::Rows& rows);

// `kind` is "meeting" or "task"; nothing is emitted for an empty batch.
void announce_reassigned(crm::Call& call, const char* kind, const std::string& from, const std::string& to,
                         const MovedBatch& batch, const std::optional<std::string>& transfer);

// `groups` is a JSON array of {kind, data} with data as above, from
// reassign_back, whose one statement may move rows of several users back.
void announce_reassigned_groups(crm::Call& call, const std::string& groups);

} // namespace sales
