#include "stack/mib.h"

#include <numeric>

#include "absl/strings/str_cat.h"
#include "stack/absl_sv.h"

namespace taptcp {
namespace {

struct CounterName {
  std::string_view table;
  std::string_view name;
};

constexpr CounterName kNames[] = {
#define TAPTCP_MIB_NAME(table, name) {#table, #name},
    TAPTCP_MIB_COUNTERS(TAPTCP_MIB_NAME)
#undef TAPTCP_MIB_NAME
};
static_assert(std::size(kNames) == kCounterCount);

}  // namespace

uint64_t Mib::TotalDrops() const {
  return std::accumulate(drops_.begin(), drops_.end(), uint64_t{0});
}

std::string Mib::Name(Counter c) {
  const CounterName& n = kNames[static_cast<size_t>(c)];
  return absl::StrCat(Sv(n.table), Sv(n.name));
}

std::string_view Mib::Table(Counter c) { return kNames[static_cast<size_t>(c)].table; }

bool Mib::FromName(std::string_view name, Counter* out) {
  for (size_t i = 0; i < kCounterCount; ++i) {
    const CounterName& n = kNames[i];
    if (name.size() == n.table.size() + n.name.size() && name.starts_with(n.table) &&
        name.substr(n.table.size()) == n.name) {
      *out = static_cast<Counter>(i);
      return true;
    }
  }
  return false;
}

std::vector<std::pair<std::string, uint64_t>> Mib::Rows() const {
  std::vector<std::pair<std::string, uint64_t>> rows;
  rows.reserve(kCounterCount + wire::kDropReasonCount);
  for (size_t i = 0; i < kCounterCount; ++i) {
    rows.emplace_back(Name(static_cast<Counter>(i)), values_[i]);
  }
  // Reason 0 is kNone: never a drop.
  for (size_t i = 1; i < wire::kDropReasonCount; ++i) {
    rows.emplace_back(
        absl::StrCat("TaptcpDrop_", Sv(wire::DropReasonName(static_cast<wire::DropReason>(i)))),
        drops_[i]);
  }
  return rows;
}

std::string Mib::Format(bool zeros) const {
  std::string out;
  for (const auto& [name, value] : Rows()) {
    if (zeros || value != 0) absl::StrAppend(&out, name, " ", value, "\n");
  }
  return out;
}

}  // namespace taptcp
