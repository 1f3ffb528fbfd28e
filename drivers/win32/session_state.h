// The state of the session the agent runs in, as far as drawing and input go: per-monitor DPI awareness (so
// every coordinate is a physical pixel), whether the session is connected and its input desktop is the user's
// (not the lock screen or a UAC prompt), and whether UIPI will drop our input to the foreground window.
#pragma once

#include <windows.h>

#include <optional>
#include <string>

namespace dockhand::drivers::win32 {

// Makes the process per-monitor DPI aware v2 (falling back to v1, then system aware on older Windows) and
// returns which one is in effect: "per-monitor-v2", "per-monitor", "system", "unaware". Idempotent; a process
// made aware by its manifest keeps that.
std::string make_dpi_aware();
// What the calling thread is now: the same names.
std::string dpi_awareness();

// Why nothing on this session can be seen or driven, or nullopt when it can: the session is disconnected
// (WTSConnectState), or the input desktop is not "Default" (locked: "Winlogon"; a UAC prompt: the secure desktop).
// Checks that Windows cannot answer (Wine, old versions) count as fine.
std::optional<std::string> session_problem();

// Why input to window `target` would be dropped by UIPI (it belongs to a process of higher integrity than
// ours: an elevated program), or nullopt. SendInput gives no error in that case, so it is checked first.
std::optional<std::string> uipi_problem(HWND target);

}  // namespace dockhand::drivers::win32
