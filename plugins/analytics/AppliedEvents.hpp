// AppliedEvents: how every read-model projection runs. A projection is one
// SQL statement that merges one event into the read-models; it must have its
// effect once per event id, also when the host's inbox is not in the way (a
// rebuild replays events straight to the operation, and live deliveries may
// overlap it). The event id is therefore recorded in applied_events in the
// projection's own transaction, before the statement runs: a second delivery
// finds it there (or waits for the first one's commit, then finds it) and
// changes nothing.
#pragma once

#include <crm/plugin.hpp>

#include <string_view>

namespace analytics {

// Claims the event of the call's input (the envelope) and, if it is new,
// runs `statement` with $1 = the envelope as text. Replies {"applied": bool}.
//
// A statement that loses a race (a deadlock or a unique violation against a
// concurrent projection) fails as UNAVAILABLE, so the host delivers the event
// again later rather than dead-lettering it at once.
void project_once(crm::Call& call, std::string_view statement);

// The envelope's parts, as SQL for the projections' statements:
//   with event as (<kEventCte>) insert ... select ... from event
// gives `d` (the data object) and `at` (the event time).
inline constexpr const char* kEventCte = "select $1::jsonb -> 'data' as d, ($1::jsonb ->> 'time')::timestamptz as at";

} // namespace analytics
