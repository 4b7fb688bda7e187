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

std::string Mib::Format(bool zeros) const {
  std::string out;
  for (size_t i = 0; i < kCounterCount; ++i) {
    if (!zeros && values_[i] == 0) continue;
    absl::StrAppend(&out, Name(static_cast<Counter>(i)), " ", values_[i], "\n");
  }
  // Reason 0 is kNone: never a drop.
  for (size_t i = 1; i < wire::kDropReasonCount; ++i) {
    if (!zeros && drops_[i] == 0) continue;
    absl::StrAppend(&out, "TaptcpDrop_", Sv(wire::DropReasonName(static_cast<wire::DropReason>(i))),
                    " ", drops_[i], "\n");
  }
  return out;
}

}  // namespace taptcp
