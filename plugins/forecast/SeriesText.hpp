// SeriesText: the text forms the plugin reads and writes around its methods:
// market.history's reply as points, its RFC 3339 UTC times as Unix
// milliseconds, and numbers as JSON. Pure logic (tested in
// tests/unit/ForecastSeriesTextTest.cpp).
#pragma once

#include "Accuracy.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forecast {

// "2026-12-07T16:00:00Z", "...:00.25Z", "...:00+02:00" -> Unix ms; nullopt otherwise.
std::optional<std::int64_t> utc_ms(std::string_view text);

// Unix ms -> "2026-12-07T16:00:00.000Z".
std::string iso_of_ms(std::int64_t ms);

// {"items": [{"at", "price", ...}]} -> points in the reply's order, the
// last max_points of them. Throws MethodError for a reply of another shape.
std::vector<Point> points_of_history(const std::string& reply, std::size_t max_points);

// A finite double as JSON, with enough digits to read back the same number.
std::string number_json(double v);

} // namespace forecast
