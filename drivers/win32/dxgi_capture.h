// Capture by DXGI Desktop Duplication, one duplication per monitor (output). The GPU's copy of each monitor is
// kept in memory; after the first frame only the rectangles DXGI reports as dirty or moved are copied from the
// GPU, and a monitor with no new frame costs nothing. Windows 8+; the constructor throws DesktopError where
// duplication is unavailable (Wine, some remote sessions, rotated outputs), and the driver falls back to GDI.
#pragma once

#include <d3d11.h>
#include <dxgi1_2.h>

#include <memory>
#include <vector>

#include "drivers/win32/screen_capture.h"

namespace dockhand::drivers::win32 {

class DxgiCapture final : public ScreenCapture {
 public:
  DxgiCapture();
  ~DxgiCapture() override;
  DxgiCapture(const DxgiCapture&) = delete;
  DxgiCapture& operator=(const DxgiCapture&) = delete;

  std::string name() const override { return "dxgi"; }
  Frame grab(const Rect& area) override;

  std::size_t monitors() const { return outputs_.size(); }

 private:
  struct Output;
  void duplicate(Output& out);
  void refresh(Output& out);

  std::vector<std::unique_ptr<Output>> outputs_;
};

}  // namespace dockhand::drivers::win32
