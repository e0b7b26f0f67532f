// ReportCommands: reports sales-summary|pipeline|dashboard over the analytics
// plugin's endpoints. The report shapes are read generically: an array of
// rows (at the top or under items/rows/groups) becomes a table whose columns
// follow the first row, in a sensible order for the known fields; anything
// else is shown as field/value lines with nested fields dotted.
#include "Commands.hpp"

#include "Errors.hpp"
#include "Json.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

namespace crmctl {

namespace {

// Known report fields, in the order a reader expects them.
// (No std::string in statics: nothing is built before main().)
constexpr std::string_view kFieldOrder[] = {"group",
                                            "userId",
                                            "user",
                                            "userName",
                                            "email",
                                            "name",
                                            "month",
                                            "period",
                                            "status",
                                            "currency",
                                            "customers",
                                            "newCustomers",
                                            "meetings",
                                            "tasksCompleted",
                                            "tasksOverdue",
                                            "approvalsRequested",
                                            "approvalsApproved",
                                            "approvalsRejected",
                                            "count",
                                            "amount",
                                            "approvedAmount"};

// "newCustomers" -> "NEW CUSTOMERS".
std::string header_of(const std::string& key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(key[i]);
    if (std::isupper(c) && i > 0) out += ' ';
    out += key[i] == '.' || key[i] == '_' ? ' ' : static_cast<char>(std::toupper(c));
  }
  return out;
}

const json::Value* rows_of(const json::Value& answer) {
  if (answer.is_array()) return &answer;
  for (const char* key : {"items", "rows", "groups"})
    if (const json::Value* list = answer.find(key); list && list->is_array()) return list;
  return nullptr;
}

std::vector<Column> columns_of(const json::Value& rows) {
  std::vector<std::string> keys;
  for (const auto& row : rows.items())
    for (const auto& key : json::names(row))
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  std::stable_sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
    auto rank = [](const std::string& k) {
      auto it = std::find(std::begin(kFieldOrder), std::end(kFieldOrder), k);
      return static_cast<size_t>(it - std::begin(kFieldOrder)); // unknown fields last
    };
    return rank(a) < rank(b);
  });
  std::vector<Column> columns;
  for (const auto& k : keys) columns.push_back(text_column(header_of(k), k, 40));
  return columns;
}

// Nested objects as dotted field/value rows.
void flatten(const json::Value& object, const std::string& prefix, Table& table) {
  for (const auto& [key, value] : object.members()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object())
      flatten(value, name, table);
    else
      table.rows.push_back({name, json::display(value)});
  }
}

void render(Printer& out, const json::Value& answer, const std::string& empty_note) {
  if (out.format() == Format::Json) {
    out.json(answer);
    return;
  }
  if (const json::Value* rows = rows_of(answer)) {
    out.list(*rows, columns_of(*rows), empty_note);
    // The period the server settled on (defaults, clamping) is worth knowing.
    const std::string from = json::text(answer, "from"), to = json::text(answer, "to"),
                      by = json::text(answer, "groupBy");
    if (out.human() && (!from.empty() || !to.empty()))
      out.note("period " + from + " to " + to + (by.empty() ? "" : ", by " + by));
    return;
  }
  if (!answer.is_object()) throw UnreachableError("the report is neither rows nor an object");
  Table table{{"FIELD", "VALUE"}, {}};
  flatten(answer, "", table);
  out.table(table, {"field", "value"});
}

struct SummaryOptions {
  std::string from, to, group_by;
};

// Dates as the API takes them: YYYY-MM-DD, or a full RFC 3339 time.
CLI::Validator date_validator() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        const bool shape =
            text.size() >= 10 && std::isdigit(static_cast<unsigned char>(text[0])) && text[4] == '-' && text[7] == '-';
        return shape ? std::string() : "expected a date like 2024-05-31 (or an RFC 3339 time), got " + text;
      },
      "DATE");
}

} // namespace

void add_report_commands(CLI::App& app, Context& ctx) {
  CLI::App* reports = command(app, "reports", "Sales reports for managers and admins",
                              "crmctl reports sales-summary --from 2024-01-01 --to 2024-03-31 --group-by month\n"
                              "crmctl reports pipeline -o csv");
  reports->require_subcommand(1);

  auto so = std::make_shared<SummaryOptions>();
  CLI::App* summary = command(*reports, "sales-summary",
                              "Customers, meetings, tasks and approvals per user or month (your team; ADMIN: all)",
                              "crmctl reports sales-summary --from 2024-01-01 --to 2024-01-31 --group-by user -o csv");
  summary->add_option("--from", so->from, "First day (inclusive)")->check(date_validator());
  summary->add_option("--to", so->to, "Last day")->check(date_validator());
  summary->add_option("--group-by", so->group_by, "One row per user or per month")
      ->check(CLI::IsMember({"user", "month"}));
  summary->callback([&ctx, so] {
    Query q;
    q.add("from", so->from).add("to", so->to).add("groupBy", so->group_by);
    render(ctx.out(), ctx.api().get("/api/reports/sales-summary" + q.str()), "no rows in that period");
  });

  CLI::App* pipeline =
      command(*reports, "pipeline", "Approvals by status, with counts and amounts", "crmctl reports pipeline");
  pipeline->callback(
      [&ctx] { render(ctx.out(), ctx.api().get("/api/reports/pipeline"), "no approvals in the pipeline"); });

  CLI::App* dashboard = command(*reports, "dashboard", "Your own summary (any role)", "crmctl reports dashboard");
  dashboard->callback([&ctx] { render(ctx.out(), ctx.api().get("/api/dashboard"), "nothing to show"); });
}

} // namespace crmctl
