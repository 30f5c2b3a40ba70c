// Start-up keystore decryption order by upcoming duty (key_load_order.hpp).
#include "app/key_load_order.hpp"

namespace phx::app {

KeyLoadOrder::KeyLoadOrder(std::size_t count) : where_(count) {
  for (std::size_t i = 0; i < count; ++i) {
    const Key k{2, 0, 0, i};
    queue_.insert(k);
    where_[i] = k;
  }
}

void KeyLoadOrder::on_duty(std::size_t index, KeyNeed need, Slot slot) {
  if (index >= where_.size() || !where_[index]) return;
  const std::uint8_t tier = need == KeyNeed::kProposer ? 0 : 1;
  const Key k{tier, slot.value, static_cast<std::uint8_t>(need), index};
  if (!(k < *where_[index])) return;
  queue_.erase(*where_[index]);
  queue_.insert(k);
  where_[index] = k;
}

std::optional<std::size_t> KeyLoadOrder::pop(Slot now) {
  while (!queue_.empty()) {
    const Key first = *queue_.begin();
    const auto [tier, slot, need, index] = first;
    queue_.erase(queue_.begin());
    const bool overdue = tier < 2 && need != static_cast<std::uint8_t>(KeyNeed::kSync) && slot < now.value;
    if (overdue) {
      const Key back{2, 0, 0, index};
      queue_.insert(back);
      where_[index] = back;
      continue;
    }
    where_[index].reset();
    return index;
  }
  return std::nullopt;
}

}  // namespace phx::app
