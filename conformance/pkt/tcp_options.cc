#include "conformance/pkt/tcp_options.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace taptcp::pkt {
namespace {

bool IsOneByte(uint8_t kind) { return kind == kOptEol || kind == kOptNop; }

std::string Hex(std::span<const uint8_t> bytes) {
  std::string s;
  for (uint8_t b : bytes) absl::StrAppendFormat(&s, "%02x", b);
  return s;
}

}  // namespace

void AppendU32(std::vector<uint8_t>* out, uint32_t v) {
  out->push_back(static_cast<uint8_t>(v >> 24));
  out->push_back(static_cast<uint8_t>(v >> 16));
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}

uint32_t ReadU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

size_t EncodedLength(const std::vector<OptionSpec>& options) {
  size_t n = 0;
  for (const OptionSpec& o : options) n += IsOneByte(o.kind) ? 1 : 2 + o.data.size();
  return n;
}

std::vector<uint8_t> EncodeOptions(const std::vector<OptionSpec>& options) {
  std::vector<uint8_t> out;
  out.reserve(EncodedLength(options));
  for (const OptionSpec& o : options) {
    out.push_back(o.kind);
    if (IsOneByte(o.kind)) continue;
    out.push_back(static_cast<uint8_t>(2 + o.data.size()));
    out.insert(out.end(), o.data.begin(), o.data.end());
  }
  return out;
}

std::optional<std::vector<OptionSpec>> DecodeOptions(std::span<const uint8_t> bytes) {
  std::vector<OptionSpec> out;
  size_t i = 0;
  while (i < bytes.size()) {
    OptionSpec o;
    o.kind = bytes[i];
    if (IsOneByte(o.kind)) {
      out.push_back(std::move(o));
      ++i;
      continue;
    }
    if (i + 1 >= bytes.size() || bytes[i + 1] < 2 || i + bytes[i + 1] > bytes.size()) {
      return std::nullopt;
    }
    const size_t len = bytes[i + 1];
    o.data.assign(bytes.begin() + static_cast<ptrdiff_t>(i + 2),
                  bytes.begin() + static_cast<ptrdiff_t>(i + len));
    out.push_back(std::move(o));
    i += len;
  }
  return out;
}

std::string FormatOptions(const std::vector<OptionSpec>& options) {
  std::string s;
  for (const OptionSpec& o : options) {
    if (!s.empty()) s += ",";
    const std::vector<uint8_t>& d = o.data;
    switch (o.kind) {
      case kOptEol:
        s += "eol";
        continue;
      case kOptNop:
        s += "nop";
        continue;
      case kOptMss:
        if (d.size() == 2) {
          absl::StrAppend(&s, "mss ", (d[0] << 8) | d[1]);
          continue;
        }
        break;
      case kOptWindowScale:
        if (d.size() == 1) {
          absl::StrAppend(&s, "wscale ", d[0]);
          continue;
        }
        break;
      case kOptSackPermitted:
        if (d.empty()) {
          s += "sackOK";
          continue;
        }
        break;
      case kOptSack:
        if (!d.empty() && d.size() % 8 == 0) {
          s += "sack";
          for (size_t i = 0; i < d.size(); i += 8) {
            absl::StrAppend(&s, " ", ReadU32(&d[i]), ":", ReadU32(&d[i + 4]));
          }
          continue;
        }
        break;
      case kOptTimestamp:
        if (d.size() == 8) {
          absl::StrAppend(&s, "TS val ", ReadU32(&d[0]), " ecr ", ReadU32(&d[4]));
          continue;
        }
        break;
      case kOptFastOpen:
        s += d.empty() ? "FO" : absl::StrCat("FO ", Hex(d));
        continue;
      case kOptExperimental:
        if (d.size() >= 2 && d[0] == 0xF9 && d[1] == 0x89) {
          s += d.size() == 2 ? "FOEXP" : absl::StrCat("FOEXP ", Hex(std::span(d).subspan(2)));
          continue;
        }
        break;
      case kOptMd5:
        absl::StrAppend(&s, "md5 ", Hex(d));
        continue;
      default:
        break;
    }
    absl::StrAppend(&s, "option ", o.kind, " len ", d.size() + 2);
  }
  return s;
}

std::optional<TimestampRef> FindTimestamp(const std::vector<OptionSpec>& options) {
  std::optional<TimestampRef> ts;
  for (const OptionSpec& o : options) {
    if (o.kind == kOptTimestamp && o.data.size() == 8) {
      ts = TimestampRef{ReadU32(&o.data[0]), ReadU32(&o.data[4])};
    }
  }
  return ts;
}

void SetTimestamp(std::vector<OptionSpec>* options, uint32_t val, uint32_t ecr) {
  for (OptionSpec& o : *options) {
    if (o.kind == kOptTimestamp && o.data.size() == 8) {
      o.data.clear();
      AppendU32(&o.data, val);
      AppendU32(&o.data, ecr);
    }
  }
}

void OffsetSackBlocks(std::vector<OptionSpec>* options, uint32_t delta) {
  for (OptionSpec& o : *options) {
    if (o.kind != kOptSack || o.data.size() % 8 != 0) continue;
    std::vector<uint8_t> shifted;
    for (size_t i = 0; i < o.data.size(); i += 4) AppendU32(&shifted, ReadU32(&o.data[i]) + delta);
    o.data = std::move(shifted);
  }
}

}  // namespace taptcp::pkt
