// libFuzzer target for the packetdrill-dialect script parser (conformance/pkt). The input is script
// text (the seeds in tests/fuzz/corpus/pkt_parser are copies of pcaps/scripts). Hostile text must
// neither crash the parser (ASan/UBSan watch) nor make it use unbounded stack or memory: nesting,
// token sizes and counts are bounded (lexer.h, parser.h).
//
// Invariants, each aborting with a message when broken:
//  - a rejected script's error starts with "LINE:COL: ", and the position lies inside the text;
//  - every parsed packet's options re-encode to bytes that decode to the same options, and the
//    packet survives being built into a frame and parsed back, field for field;
//  - the header flags and the syscall arguments can be checked and evaluated without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "conformance/pkt/call_args.h"
#include "conformance/pkt/config.h"
#include "conformance/pkt/packet.h"
#include "conformance/pkt/parser.h"
#include "conformance/pkt/tcp_options.h"

namespace taptcp::pkt {
namespace {

#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

// "LINE:COL: ..." with LINE and COL inside the text (the end of text counts).
bool PositionInside(const std::string& msg, std::string_view text) {
  size_t i = 0;
  auto number = [&](long* out) {
    const size_t start = i;
    while (i < msg.size() && msg[i] >= '0' && msg[i] <= '9') ++i;
    if (i == start || i - start > 9) return false;
    *out = std::stol(msg.substr(start, i - start));
    return true;
  };
  long line = 0, col = 0;
  if (!number(&line) || i >= msg.size() || msg[i++] != ':' || !number(&col)) return false;
  if (msg.compare(i, 2, ": ") != 0 || line < 1 || col < 1) return false;
  long lines = 1;
  for (char c : text) lines += c == '\n';
  return line <= lines && static_cast<size_t>(col) <= text.size() + 1;
}

void CheckPacket(const PacketSpec& spec) {
  const std::vector<uint8_t> bytes = EncodeOptions(spec.options);
  FUZZ_CHECK(bytes.size() == EncodedLength(spec.options));
  const std::optional<std::vector<OptionSpec>> decoded = DecodeOptions(bytes);
  FUZZ_CHECK(decoded.has_value());
  FUZZ_CHECK(decoded->size() == spec.options.size());
  for (size_t i = 0; i < decoded->size(); ++i) {
    FUZZ_CHECK((*decoded)[i].kind == spec.options[i].kind);
    FUZZ_CHECK((*decoded)[i].data == spec.options[i].data);
  }
  (void)FormatSpec(spec);
  TcpPacket p = FromSpec(spec);
  p.src = wire::Ipv4Address::FromOctets(192, 0, 2, 2);
  p.dst = wire::Ipv4Address::FromOctets(192, 0, 2, 1);
  const std::optional<std::vector<uint8_t>> frame = BuildFrame(p, {}, {}, 1);
  if (!frame) return;  // over 65535 IP bytes: the runner reports it
  const std::optional<TcpPacket> back = ParseFrame(*frame);
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(back->malformed.empty());
  FUZZ_CHECK(back->seq == p.seq && back->ack == p.ack && back->flags == p.flags);
  FUZZ_CHECK(back->reserved == p.reserved && back->window == p.window);
  FUZZ_CHECK(back->payload.size() == p.payload.size());
  FUZZ_CHECK(FormatOptions(back->options) == FormatOptions(p.options));
}

}  // namespace
}  // namespace taptcp::pkt

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace taptcp::pkt;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Script> script = ParseScript(text);
  if (!script.ok()) {
    FUZZ_CHECK(PositionInside(std::string(script.status().message()), text));
    return 0;
  }
  FUZZ_CHECK(!script->events.empty());
  (void)ConfigFromOptions(script->options);
  for (const Event& e : script->events) {
    if (const auto* p = std::get_if<PacketSpec>(&e.action)) {
      CheckPacket(*p);
    } else if (const auto* sc = std::get_if<SyscallSpec>(&e.action)) {
      for (const Expr& arg : sc->args) (void)Evaluate(arg);
      (void)CheckResult(*sc, -1, false);
    }
  }
  return 0;
}
