#include "agent/record/intents.h"

#include <cstdlib>

namespace dockhand::agent::record {

using drivers::InputEvent;
using Kind = InputEvent::Kind;

bool is_modifier_key(const std::string& k) {
  static const char* names[] = {"Shift_L", "Shift_R", "Control_L", "Control_R", "Alt_L", "Alt_R", "Meta_L", "Meta_R",
                                "Super_L", "Super_R", "Hyper_L", "Hyper_R", "Caps_Lock", "Num_Lock", "Shift_Lock",
                                "ISO_Level3_Shift", "ISO_Level5_Shift", "Mode_switch"};
  for (const char* n : names)
    if (k == n) return true;
  return false;
}

bool is_erasing(const std::string& chord) {
  static const char* keys[] = {"End", "Home", "BackSpace", "Delete", "ctrl+a", "shift+Home", "shift+End",
                               "ctrl+End", "ctrl+Home", "ctrl+shift+Home", "ctrl+shift+End"};
  for (const char* k : keys)
    if (chord == k) return true;
  return false;
}

std::string chord_of(const InputEvent& e) {
  std::string c;
  if (e.ctrl) c += "ctrl+";
  if (e.alt) c += "alt+";
  if (e.super) c += "super+";
  // Shift is part of a typed character ('A'), but of a chord for keys that type nothing (shift+Tab).
  if (e.shift && (e.text.empty() || e.ctrl || e.alt || e.super)) c += "shift+";
  return c + (e.key == "+" ? "plus" : e.key);
}

Intent& IntentBuilder::push(Intent::Kind k, Clock::time_point t) {
  Intent i;
  i.kind = k;
  i.time = i.end = t;
  out_.push_back(std::move(i));
  return out_.back();
}

void IntentBuilder::feed(const InputEvent& e, std::shared_ptr<const Snapshot> before) {
  if (stopped_) return;
  switch (e.kind) {
    case Kind::Motion: return;
    case Kind::KeyUp: return;
    case Kind::KeyDown: key_down(e, std::move(before)); return;
    case Kind::ButtonDown:
      if (e.button >= 4) return;  // the wheel: scrolling is the program's business, not a step
      press_ = e;
      press_before_ = std::move(before);
      press_change_.reset();
      press_change_snap_.reset();
      return;
    case Kind::ButtonUp: {
      if (!press_ || press_->button != e.button) return;
      InputEvent p = *press_;
      press_.reset();
      const bool moved =
          std::abs(e.at.x - p.at.x) > o_.double_click_px || std::abs(e.at.y - p.at.y) > o_.double_click_px;
      // A second click on the same spot soon after the first: one double click.
      if (!moved && !out_.empty()) {
        Intent& last = out_.back();
        auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(p.time - last.end).count();
        if (last.kind == Intent::Kind::Click && last.count == 1 && last.button == p.button &&
            gap <= o_.double_click_ms && std::abs(last.at.x - p.at.x) <= o_.double_click_px &&
            std::abs(last.at.y - p.at.y) <= o_.double_click_px) {
          last.count = 2;
          last.end = e.time;
          last.last_change.reset();
          last.after.reset();
          return;
        }
      }
      Intent& c = push(moved ? Intent::Kind::Drag : Intent::Kind::Click, p.time);
      c.at = {p.at.x, p.at.y};
      c.to = {e.at.x, e.at.y};
      c.button = p.button;
      c.before = std::move(press_before_);
      c.end = e.time;
      c.last_change = press_change_;
      c.after = std::move(press_change_snap_);
      press_change_.reset();
      return;
    }
  }
}

void IntentBuilder::key_down(const InputEvent& e, std::shared_ptr<const Snapshot> before) {
  if (e.key == o_.stop_key && !e.ctrl && !e.alt && !e.super) {
    stopped_ = true;
    return;
  }
  if (!o_.secret_key.empty() && e.key == o_.secret_key) {
    secret_ = !secret_;
    return;
  }
  if (is_modifier_key(e.key)) return;
  Intent* last = out_.empty() ? nullptr : &out_.back();
  // Text: characters run together; a BackSpace right after them takes the last one back (a corrected typo).
  if (!e.text.empty() && !e.ctrl && !e.alt && !e.super) {
    if (!last || last->kind != Intent::Kind::Type || last->secret != secret_) {
      // Keys that only emptied the clicked field first (End, BackSpace x N, ...) are part of typing into it:
      // the runner's `clear` does that whatever the field holds on the day.
      std::size_t k = out_.size();
      while (k > 0 && out_[k - 1].kind == Intent::Kind::Key && is_erasing(out_[k - 1].chord)) --k;
      if (k < out_.size() && k > 0 && out_[k - 1].kind == Intent::Kind::Click) {
        out_.erase(out_.begin() + static_cast<std::ptrdiff_t>(k), out_.end());
        last = &out_.back();
      }
      bool into_field = last && last->kind == Intent::Kind::Click;
      last = &push(Intent::Kind::Type, e.time);
      last->before = std::move(before);
      last->into_clicked_field = into_field;
      last->secret = secret_;
    }
    last->text += e.text;
    last->end = e.time;
    last->last_change.reset();
    last->after.reset();
    return;
  }
  if (e.key == "BackSpace" && !e.ctrl && !e.alt && last && last->kind == Intent::Kind::Type && !last->text.empty()) {
    // One UTF-8 character back.
    std::size_t n = last->text.size() - 1;
    while (n > 0 && (static_cast<unsigned char>(last->text[n]) & 0xc0) == 0x80) --n;
    last->text.erase(n);
    last->end = e.time;
    if (last->text.empty()) out_.pop_back();
    return;
  }
  std::string chord = chord_of(e);
  if (last && last->kind == Intent::Kind::Key && last->chord == chord && !last->last_change) {
    ++last->repeat;
    last->end = e.time;
    return;
  }
  Intent& k = push(Intent::Kind::Key, e.time);
  k.before = std::move(before);
  k.chord = chord;
}

void IntentBuilder::screen_changed(Clock::time_point when, std::shared_ptr<const Snapshot> now) {
  if (press_ && when >= press_->time) {  // the button is down: whatever changes now is the click's doing
    press_change_ = when;
    press_change_snap_ = std::move(now);
    return;
  }
  if (out_.empty()) return;
  Intent& last = out_.back();
  if (when < last.time) return;
  last.last_change = when;
  last.after = std::move(now);
}

}  // namespace dockhand::agent::record
