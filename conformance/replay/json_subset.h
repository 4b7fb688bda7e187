// The JSON a capture's description is written in (RFC 8259), parsed by hand so `taptcp replay`
// needs nothing beyond Debian's abseil: objects, arrays, strings (with escapes, \u included),
// numbers, true, false, null. The input is untrusted: nesting is bounded, every error is one line
// with the line and column, and nothing is read past the text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace taptcp::replay {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, JsonValue>;

  JsonValue() = default;
  static JsonValue Bool(bool b);
  static JsonValue Number(double d);
  static JsonValue String(std::string s);
  static JsonValue Array(std::vector<JsonValue> items);
  static JsonValue Object(std::vector<Member> members);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // Valid only for the matching type.
  bool bool_value() const { return bool_; }
  double number() const { return number_; }
  const std::string& string() const { return string_; }
  const std::vector<JsonValue>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }

  // An object's member by name (the last one if repeated, as most parsers do), or nullptr.
  const JsonValue* Find(std::string_view key) const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<Member> members_;
};

// Deeper nesting than this is an error, not a stack overflow.
inline constexpr int kMaxJsonDepth = 64;

// Parses one JSON text (whitespace around it allowed). Errors read "line L column C: what".
absl::StatusOr<JsonValue> ParseJson(std::string_view text);

// The name of a type for messages: "a number", "an object"...
std::string_view JsonTypeName(JsonValue::Type t);

}  // namespace taptcp::replay
