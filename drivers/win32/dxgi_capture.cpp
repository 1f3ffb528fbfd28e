#include "drivers/win32/dxgi_capture.h"

#include <algorithm>
#include <cstring>

#include "drivers/win32/win32_error.h"

namespace dockhand::drivers::win32 {
namespace {

// A COM pointer that releases what it holds (the one piece of WRL needed here).
template <typename T>
class Com {
 public:
  Com() = default;
  Com(const Com&) = delete;
  Com& operator=(const Com&) = delete;
  ~Com() { reset(); }
  void reset() {
    if (p_) p_->Release();
    p_ = nullptr;
  }
  T** put() {
    reset();
    return &p_;
  }
  T* get() const { return p_; }
  T* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

// How long the first frame of a new duplication may take (DXGI delivers the current image at once; a loaded
// machine may take a while). Later grabs do not wait: no new frame means the kept copy is current.
constexpr UINT kFirstFrameTimeoutMs = 2000;

}  // namespace

struct DxgiCapture::Output {
  Com<ID3D11Device> device;
  Com<ID3D11DeviceContext> context;
  Com<IDXGIOutput1> output;
  Com<IDXGIOutputDuplication> duplication;
  Com<ID3D11Texture2D> staging;  // CPU-readable copy of the monitor
  RECT desktop{};                // where the monitor sits, Windows screen coordinates
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;  // the monitor's last image, B,G,R,A rows of width * 4
  bool have_image = false;
};

DxgiCapture::DxgiCapture() {
  Com<IDXGIFactory1> factory;
  HRESULT hr = CreateDXGIFactory1(__uuidof(IDXGIFactory1), reinterpret_cast<void**>(factory.put()));
  if (FAILED(hr)) throw DesktopError(hresult_text("DXGI capture: CreateDXGIFactory1", hr));
  for (UINT a = 0;; ++a) {
    Com<IDXGIAdapter1> adapter;
    if (factory->EnumAdapters1(a, adapter.put()) == DXGI_ERROR_NOT_FOUND) break;
    for (UINT o = 0;; ++o) {
      Com<IDXGIOutput> output;
      if (adapter->EnumOutputs(o, output.put()) == DXGI_ERROR_NOT_FOUND) break;
      DXGI_OUTPUT_DESC desc{};
      if (FAILED(output->GetDesc(&desc)) || !desc.AttachedToDesktop) continue;
      if (desc.Rotation != DXGI_MODE_ROTATION_IDENTITY && desc.Rotation != DXGI_MODE_ROTATION_UNSPECIFIED)
        throw DesktopError("DXGI capture: a monitor is rotated; rotated duplication frames are not handled");
      auto out = std::make_unique<Output>();
      hr = output->QueryInterface(__uuidof(IDXGIOutput1), reinterpret_cast<void**>(out->output.put()));
      if (FAILED(hr)) throw DesktopError(hresult_text("DXGI capture: IDXGIOutput1 (Windows 8+) is missing", hr));
      hr = D3D11CreateDevice(adapter.get(), D3D_DRIVER_TYPE_UNKNOWN, nullptr, 0, nullptr, 0, D3D11_SDK_VERSION,
                             out->device.put(), nullptr, out->context.put());
      if (FAILED(hr)) throw DesktopError(hresult_text("DXGI capture: D3D11CreateDevice", hr));
      out->desktop = desc.DesktopCoordinates;
      out->width = desc.DesktopCoordinates.right - desc.DesktopCoordinates.left;
      out->height = desc.DesktopCoordinates.bottom - desc.DesktopCoordinates.top;
      duplicate(*out);
      outputs_.push_back(std::move(out));
    }
  }
  if (outputs_.empty()) throw DesktopError("DXGI capture: no monitor attached to the desktop");
}

DxgiCapture::~DxgiCapture() = default;

void DxgiCapture::duplicate(Output& out) {
  out.duplication.reset();
  out.staging.reset();
  out.have_image = false;
  HRESULT hr = out.output->DuplicateOutput(out.device.get(), out.duplication.put());
  if (FAILED(hr))
    throw DesktopError(hresult_text(hr == E_ACCESSDENIED ? "DXGI capture: DuplicateOutput refused (the secure "
                                                           "desktop is up: locked screen or UAC prompt)"
                                                         : "DXGI capture: DuplicateOutput",
                                    hr));
  D3D11_TEXTURE2D_DESC desc{};
  desc.Width = UINT(out.width);
  desc.Height = UINT(out.height);
  desc.MipLevels = 1;
  desc.ArraySize = 1;
  desc.Format = DXGI_FORMAT_B8G8R8A8_UNORM;  // what duplication delivers
  desc.SampleDesc.Count = 1;
  desc.Usage = D3D11_USAGE_STAGING;
  desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
  hr = out.device->CreateTexture2D(&desc, nullptr, out.staging.put());
  if (FAILED(hr)) throw DesktopError(hresult_text("DXGI capture: staging texture", hr));
  out.pixels.assign(std::size_t(out.width) * out.height * 4, 0);
}

void DxgiCapture::refresh(Output& out) {
  for (int attempt = 0;; ++attempt) {
    DXGI_OUTDUPL_FRAME_INFO info{};
    Com<IDXGIResource> resource;
    HRESULT hr = out.duplication->AcquireNextFrame(out.have_image ? 0 : kFirstFrameTimeoutMs, &info, resource.put());
    if (hr == DXGI_ERROR_WAIT_TIMEOUT) {
      if (out.have_image) return;  // nothing new: the kept image is the screen
      throw DesktopError("DXGI capture: no first frame within " + std::to_string(kFirstFrameTimeoutMs) + " ms");
    }
    if (hr == DXGI_ERROR_ACCESS_LOST && attempt == 0) {  // mode change, desktop switch: duplicate again, once
      duplicate(out);
      continue;
    }
    if (FAILED(hr))
      throw DesktopError(hresult_text(hr == DXGI_ERROR_ACCESS_LOST ? "DXGI capture: the desktop switched away "
                                                                     "(locked screen, UAC prompt, disconnected session)"
                                                                   : "DXGI capture: AcquireNextFrame",
                                      hr));
    // From here on the frame is ours until ReleaseFrame: release it on every path.
    struct Release {
      IDXGIOutputDuplication* d;
      ~Release() { d->ReleaseFrame(); }
    } release{out.duplication.get()};
    if (info.LastPresentTime.QuadPart == 0 && out.have_image) return;  // only the pointer moved
    Com<ID3D11Texture2D> texture;
    hr = resource->QueryInterface(__uuidof(ID3D11Texture2D), reinterpret_cast<void**>(texture.put()));
    if (FAILED(hr)) throw DesktopError(hresult_text("DXGI capture: frame texture", hr));

    // Which parts changed: everything the first time, else the moved-to and dirty rectangles.
    std::vector<RECT> changed;
    if (out.have_image && info.TotalMetadataBufferSize > 0) {
      std::vector<std::uint8_t> meta(info.TotalMetadataBufferSize);
      UINT used = 0;
      hr = out.duplication->GetFrameMoveRects(UINT(meta.size()), reinterpret_cast<DXGI_OUTDUPL_MOVE_RECT*>(meta.data()),
                                              &used);
      if (SUCCEEDED(hr)) {
        auto* moves = reinterpret_cast<DXGI_OUTDUPL_MOVE_RECT*>(meta.data());
        for (UINT i = 0; i < used / sizeof(DXGI_OUTDUPL_MOVE_RECT); ++i) changed.push_back(moves[i].DestinationRect);
        hr = out.duplication->GetFrameDirtyRects(UINT(meta.size()), reinterpret_cast<RECT*>(meta.data()), &used);
        auto* dirty = reinterpret_cast<RECT*>(meta.data());
        if (SUCCEEDED(hr))
          for (UINT i = 0; i < used / sizeof(RECT); ++i) changed.push_back(dirty[i]);
      }
      if (FAILED(hr)) changed.clear();
    }
    if (changed.empty() || !out.have_image) changed.assign(1, RECT{0, 0, out.width, out.height});

    for (const RECT& r : changed) {
      D3D11_BOX box{UINT(std::max<LONG>(r.left, 0)), UINT(std::max<LONG>(r.top, 0)), 0,
                    UINT(std::min<LONG>(r.right, out.width)), UINT(std::min<LONG>(r.bottom, out.height)), 1};
      if (box.right > box.left && box.bottom > box.top)
        out.context->CopySubresourceRegion(out.staging.get(), 0, box.left, box.top, 0, texture.get(), 0, &box);
    }
    D3D11_MAPPED_SUBRESOURCE mapped{};
    hr = out.context->Map(out.staging.get(), 0, D3D11_MAP_READ, 0, &mapped);
    if (FAILED(hr)) throw DesktopError(hresult_text("DXGI capture: mapping the staging texture", hr));
    const auto* src = static_cast<const std::uint8_t*>(mapped.pData);
    for (const RECT& r : changed) {
      int left = std::max<int>(r.left, 0), right = std::min<int>(r.right, out.width);
      int top = std::max<int>(r.top, 0), bottom = std::min<int>(r.bottom, out.height);
      for (int y = top; y < bottom && right > left; ++y)
        std::memcpy(out.pixels.data() + (std::size_t(y) * out.width + left) * 4,
                    src + std::size_t(y) * mapped.RowPitch + std::size_t(left) * 4, std::size_t(right - left) * 4);
    }
    out.context->Unmap(out.staging.get(), 0);
    out.have_image = true;
    return;
  }
}

Frame DxgiCapture::grab(const Rect& area) {
  Frame frame;
  frame.width = area.w;
  frame.height = area.h;
  frame.stride = area.w * 4;
  frame.pixels.assign(std::size_t(frame.stride) * area.h, 0);  // gaps between monitors stay black
  for (auto& out : outputs_) {
    int left = std::max<int>(area.x, out->desktop.left), right = std::min<int>(area.x + area.w, out->desktop.right);
    int top = std::max<int>(area.y, out->desktop.top), bottom = std::min<int>(area.y + area.h, out->desktop.bottom);
    if (right <= left || bottom <= top) continue;
    refresh(*out);
    for (int y = top; y < bottom; ++y)
      std::memcpy(frame.pixels.data() + std::size_t(y - area.y) * frame.stride + std::size_t(left - area.x) * 4,
                  out->pixels.data() +
                      (std::size_t(y - out->desktop.top) * out->width + std::size_t(left - out->desktop.left)) * 4,
                  std::size_t(right - left) * 4);
  }
  return frame;
}

}  // namespace dockhand::drivers::win32
