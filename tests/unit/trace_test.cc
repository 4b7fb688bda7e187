#include "stack/trace.h"

#include <gtest/gtest.h>

namespace taptcp {
namespace {

TEST(Trace, JsonLineHasFixedKeyOrder) {
  TraceEvent e;
  e.time = kEpoch + milliseconds(1500);
  e.kind = TraceKind::kDrop;
  e.what = "ip_bad_checksum";
  e.remote_ip = *wire::Ipv4Address::Parse("192.0.2.1");
  EXPECT_EQ(FormatTraceJson(e),
            R"({"t":1.500000,"kind":"drop","what":"ip_bad_checksum","remote":"192.0.2.1"})");
  e.kind = TraceKind::kState;
  e.what = "TIME_WAIT";
  e.detail = "FIN_WAIT2\"x";
  e.local_ip = *wire::Ipv4Address::Parse("192.0.2.2");
  e.local_port = 80;
  e.remote_port = 40000;
  EXPECT_EQ(FormatTraceJson(e),
            R"({"t":1.500000,"kind":"state","what":"TIME_WAIT","detail":"FIN_WAIT2\"x",)"
            R"("local":"192.0.2.2:80","remote":"192.0.2.1:40000"})");
}

}  // namespace
}  // namespace taptcp
