#include "stack/tcp/send_buffer.h"

#include <algorithm>

namespace taptcp::tcp {

SendBuffer::SendBuffer(size_t capacity, uint64_t initial_offset)
    : ring_(capacity), begin_(initial_offset) {}

size_t SendBuffer::Append(std::span<const uint8_t> data) {
  size_t n = std::min(data.size(), free_space());
  ring_.Write(end_offset(), data.first(n));
  size_ += n;
  return n;
}

ByteSpans SendBuffer::Peek(uint64_t offset, size_t len) const {
  if (offset < begin_ || offset >= end_offset()) return {};
  size_t avail = static_cast<size_t>(end_offset() - offset);
  return ring_.View(offset, std::min(len, avail));
}

size_t SendBuffer::CopyOut(uint64_t offset, std::span<uint8_t> out) const {
  return Peek(offset, out.size()).CopyTo(out);
}

size_t SendBuffer::AckTo(uint64_t offset) {
  if (offset <= begin_) return 0;
  size_t freed = static_cast<size_t>(std::min(offset, end_offset()) - begin_);
  begin_ += freed;
  size_ -= freed;
  return freed;
}

size_t SendBuffer::set_capacity(size_t capacity) {
  capacity = std::max(capacity, size_);
  if (capacity != ring_.capacity()) ring_.Resize(capacity, begin_, end_offset());
  return capacity;
}

}  // namespace taptcp::tcp
