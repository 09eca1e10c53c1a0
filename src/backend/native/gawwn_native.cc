// Native CPU kernels for training GAWWN: convolution, transposed convolution, filter gradient and
// (batched) matrix product, all as im2col/col2im + OpenBLAS sgemm.
//
// Why: the networks of gawwn-reference §2–§4 spend nearly all their time in 4×4/3×3/1×1 convolutions and
// their two gradients. tfjs-wasm runs these single-threaded at a few GFLOP/s; OpenBLAS sgemm reaches
// ~190 GFLOP/s on this machine's two cores.
//
// Contract with src/backend/native/native-kernels.ts: every tensor lives in the tfjs wasm heap, passed
// as one typed array (`heap`) plus BYTE offsets. Nothing here allocates in that heap (temporaries are
// native), so the heap cannot grow (and move) during a call. Every region is bounds-checked against the
// heap before it is touched. All layouts are NHWC / HWIO (tfjs's), row-major.
//
// Plain N-API (node_api.h, NAPI_VERSION 8) so no npm dependency is needed; cblas/OpenBLAS prototypes are
// declared here so only the library (not a particular cblas.h location) is needed at build time.
#define NAPI_VERSION 8
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#ifdef GAWWN_DNNL
#include <oneapi/dnnl/dnnl.hpp>
// Debian's libdnnl is built on OpenMP (DNNL_CPU_RUNTIME OMP), whose thread count is the only knob.
extern "C" void omp_set_num_threads(int n);
extern "C" int omp_get_max_threads(void);
#endif

#ifdef GAWWN_OPENBLAS
extern "C" {
void cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
}
#endif
#if !defined(GAWWN_DNNL) && !defined(GAWWN_OPENBLAS)
#error "build with GAWWN_DNNL (libdnnl-dev) and/or GAWWN_OPENBLAS (libopenblas-dev)"
#endif

namespace {

constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

// Fused activations, numbered as in native-kernels.ts (ACTIVATIONS).
enum Act { kLinear = 0, kRelu = 1, kRelu6 = 2, kPrelu = 3, kLeakyRelu = 4, kSigmoid = 5, kElu = 6 };

// Upper bound for one im2col buffer (floats): images are processed in chunks so that the column matrix
// stays below ~64 MiB whatever the batch (the paper preset at batch 64 would otherwise need GBs).
constexpr size_t kMaxColFloats = size_t(16) << 20;

// Threads for the addon's own memory-bound loops (im2col, col2im, epilogues, element-wise, reductions, Adam).
// One by default: each parallel loop spawns and joins a thread, and when other processes keep the cores busy
// the join waits for the scheduler to run that thread, up to a time slice. Measured on two shared cores (load
// 5–8): a 1 M-element multiply took 23 ms split over 2 threads against 0.2 ms on one, and the element-wise
// kernels of a small-preset step 575 ms against 107 for wasm's single-threaded ones. oneDNN's and OpenBLAS's
// thread counts are separate (setNumThreads); setLoopThreads(n) or GAWWN_NATIVE_LOOP_THREADS raises this one.
int gHelperThreads = 1;
int gComputeThreads = 1;

// Which library runs convolutions and GEMMs (setLibrary): oneDNN when it was built in, else OpenBLAS.
// Switchable at run time so that tests check both paths against the cpu backend and benchmarks pair them.
#ifdef GAWWN_DNNL
bool gDnnlConv = true;
bool gDnnlGemm = true;
#else
bool gDnnlConv = false;
bool gDnnlGemm = false;
#endif
double gDnnlConvCalls = 0;  // convolutions oneDNN ran (info().onednnConvs): lets tests see which path ran

struct Fail {
  std::string msg;
};

// ---------------------------------------------------------------------------------------------------
// Argument helpers
// ---------------------------------------------------------------------------------------------------

struct Heap {
  uint8_t* base = nullptr;
  size_t bytes = 0;
  float* f32(double byteOffset, double count, const char* what) const {
    return reinterpret_cast<float*>(region(byteOffset, count, 4, what));
  }
  uint8_t* region(double byteOffset, double count, int elemBytes, const char* what) const {
    if (byteOffset < 0 || count < 0 || std::fmod(byteOffset, double(elemBytes)) != 0) throw Fail{std::string("bad offset for ") + what};
    const double end = byteOffset + double(elemBytes) * count;
    if (end > double(bytes)) throw Fail{std::string(what) + " lies outside the heap"};
    return base + size_t(byteOffset);
  }
};

constexpr size_t kAnyArgs = size_t(-1);

struct Args {
  napi_env env;
  size_t argc = 0;
  napi_value argv[40];
  Heap heap;
};

Args readArgs(napi_env env, napi_callback_info info, size_t expected) {
  Args a;
  a.env = env;
  a.argc = 40;
  if (napi_get_cb_info(env, info, &a.argc, a.argv, nullptr, nullptr) != napi_ok) throw Fail{"cannot read arguments"};
  if (expected != kAnyArgs && a.argc != expected) throw Fail{"expected " + std::to_string(expected) + " arguments, got " + std::to_string(a.argc)};
  if (a.argc > 40) throw Fail{"too many arguments"};
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value ab;
  size_t byteOffset;
  bool isTA = false;
  napi_is_typedarray(env, a.argv[0], &isTA);
  if (!isTA) throw Fail{"argument 0 (heap) must be a typed array"};
  if (napi_get_typedarray_info(env, a.argv[0], &type, &length, &data, &ab, &byteOffset) != napi_ok) throw Fail{"cannot read heap"};
  size_t elem = 1;
  switch (type) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: elem = 1; break;
    case napi_int16_array: case napi_uint16_array: elem = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
    default: elem = 8; break;
  }
  a.heap.base = static_cast<uint8_t*>(data);
  a.heap.bytes = length * elem;
  return a;
}

double num(const Args& a, size_t i) {
  double v;
  if (napi_get_value_double(a.env, a.argv[i], &v) != napi_ok) throw Fail{"argument " + std::to_string(i) + " must be a number"};
  return v;
}
int inum(const Args& a, size_t i) {
  const double v = num(a, i);
  if (v != std::floor(v) || v < -2147483648.0 || v > 2147483647.0) throw Fail{"argument " + std::to_string(i) + " must be an int32"};
  return int(v);
}
int pnum(const Args& a, size_t i) {  // non-negative int
  const int v = inum(a, i);
  if (v < 0) throw Fail{"argument " + std::to_string(i) + " must be >= 0"};
  return v;
}

napi_value undefinedValue(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

template <typename F>
napi_value guarded(napi_env env, F&& f) {
  try {
    return f();
  } catch (const Fail& e) {
    napi_throw_error(env, "GAWWN_NATIVE", ("gawwn native: " + e.msg).c_str());
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "GAWWN_NATIVE", "gawwn native: out of memory");
  } catch (const std::exception& e) {
    // e.g. dnnl::error from a primitive's execution: a JS error, never a C++ exception through N-API (abort).
    napi_throw_error(env, "GAWWN_NATIVE", (std::string("gawwn native: ") + e.what()).c_str());
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------------
// Small parallel-for over [0, n) for the memory-bound loops (im2col, col2im, epilogue). OpenBLAS is
// idle while these run, so using the same cores does not oversubscribe.
// ---------------------------------------------------------------------------------------------------
template <typename F>
void parallelFor(size_t n, size_t minWorkPerThread, F&& body) {
  const size_t maxThreads = size_t(std::max(1, gHelperThreads));
  size_t threads = std::min(maxThreads, std::max<size_t>(1, n / std::max<size_t>(1, minWorkPerThread)));
  if (threads <= 1 || n < 2) {
    body(size_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  const size_t step = (n + threads - 1) / threads;
  for (size_t t = 1; t < threads; ++t) {
    const size_t lo = t * step, hi = std::min(n, lo + step);
    if (lo < hi) pool.emplace_back([&body, lo, hi] { body(lo, hi); });
  }
  body(0, std::min(n, step));
  for (auto& th : pool) th.join();
}

// ---------------------------------------------------------------------------------------------------
// Convolution geometry (NHWC input [N,H,W,Ci], HWIO filter [kh,kw,Ci,Co], output [N,Ho,Wo,Co])
// ---------------------------------------------------------------------------------------------------
struct Geom {
  int N, H, W, Ci, Ho, Wo, Co, kh, kw, sh, sw, dh, dw, padT, padL;
  size_t K() const { return size_t(kh) * kw * Ci; }
  size_t rowsPerImage() const { return size_t(Ho) * Wo; }
  size_t xSize() const { return size_t(N) * H * W * Ci; }
  size_t ySize() const { return size_t(N) * Ho * Wo * Co; }
  size_t wSize() const { return K() * Co; }
  // A 1×1, stride-1, unpadded convolution is a plain GEMM on the NHWC tensor itself.
  bool isPointwise() const {
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && padT == 0 && padL == 0 && Ho == H && Wo == W;
  }
  int imagesPerChunk() const {
    const size_t perImage = std::max<size_t>(1, rowsPerImage() * K());
    return int(std::max<size_t>(1, std::min<size_t>(size_t(N), kMaxColFloats / perImage)));
  }
};

Geom readGeom(const Args& a, size_t i) {
  Geom g{pnum(a, i), pnum(a, i + 1), pnum(a, i + 2), pnum(a, i + 3), pnum(a, i + 4), pnum(a, i + 5), pnum(a, i + 6),
         pnum(a, i + 7), pnum(a, i + 8), pnum(a, i + 9), pnum(a, i + 10), pnum(a, i + 11), pnum(a, i + 12),
         inum(a, i + 13), inum(a, i + 14)};
  if (g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1) throw Fail{"filter size, stride and dilation must be >= 1"};
  return g;
}
constexpr size_t kGeomArgs = 15;

// cols[(n-n0)*Ho*Wo + oh*Wo + ow, (ki*kw + kj)*Ci + c] = x[n, oh*sh-padT+ki*dh, ow*sw-padL+kj*dw, c] (0 outside)
void im2col(const Geom& g, const float* x, float* cols, int n0, int nb) {
  const size_t K = g.K(), rows = size_t(nb) * g.rowsPerImage();
  const size_t ci = size_t(g.Ci);
  parallelFor(rows, 256, [&](size_t lo, size_t hi) {
    for (size_t r = lo; r < hi; ++r) {
      const int ow = int(r % g.Wo), oh = int((r / g.Wo) % g.Ho), n = n0 + int(r / g.rowsPerImage());
      float* dst = cols + r * K;
      const float* img = x + size_t(n) * g.H * g.W * ci;
      for (int ki = 0; ki < g.kh; ++ki) {
        const int ih = oh * g.sh - g.padT + ki * g.dh;
        if (ih < 0 || ih >= g.H) {
          std::memset(dst, 0, sizeof(float) * g.kw * ci);
          dst += g.kw * ci;
          continue;
        }
        const float* rowp = img + size_t(ih) * g.W * ci;
        const int iw0 = ow * g.sw - g.padL;
        if (g.dw == 1 && iw0 >= 0 && iw0 + g.kw <= g.W) {
          // The whole filter row is inside the image: kw·Ci contiguous floats in NHWC.
          std::memcpy(dst, rowp + size_t(iw0) * ci, sizeof(float) * g.kw * ci);
          dst += g.kw * ci;
          continue;
        }
        for (int kj = 0; kj < g.kw; ++kj, dst += ci) {
          const int iw = iw0 + kj * g.dw;
          if (iw < 0 || iw >= g.W) std::memset(dst, 0, sizeof(float) * ci);
          else std::memcpy(dst, rowp + size_t(iw) * ci, sizeof(float) * ci);
        }
      }
    }
  });
}

// The adjoint of im2col: dx[n, ih, iw, c] += cols[row, (ki, kj, c)]. dx of images n0..n0+nb must be zero
// beforehand. Parallel over images (disjoint outputs), or over input rows within an image when nb == 1.
void col2im(const Geom& g, const float* cols, float* dx, int n0, int nb) {
  const size_t K = g.K(), ci = size_t(g.Ci);
  auto addRow = [&](int n, int oh, int ow) {
    const size_t r = (size_t(n - n0) * g.Ho + oh) * g.Wo + ow;
    const float* src = cols + r * K;
    float* img = dx + size_t(n) * g.H * g.W * ci;
    for (int ki = 0; ki < g.kh; ++ki) {
      const int ih = oh * g.sh - g.padT + ki * g.dh;
      if (ih < 0 || ih >= g.H) {
        src += g.kw * ci;
        continue;
      }
      float* rowp = img + size_t(ih) * g.W * ci;
      const int iw0 = ow * g.sw - g.padL;
      if (g.dw == 1 && iw0 >= 0 && iw0 + g.kw <= g.W) {
        float* d = rowp + size_t(iw0) * ci;
        const size_t n = size_t(g.kw) * ci;
        for (size_t c = 0; c < n; ++c) d[c] += src[c];
        src += n;
        continue;
      }
      for (int kj = 0; kj < g.kw; ++kj, src += ci) {
        const int iw = iw0 + kj * g.dw;
        if (iw < 0 || iw >= g.W) continue;
        float* d = rowp + size_t(iw) * ci;
        for (size_t c = 0; c < ci; ++c) d[c] += src[c];
      }
    }
  };
  if (nb >= 2) {
    parallelFor(size_t(nb), 1, [&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i)
        for (int oh = 0; oh < g.Ho; ++oh)
          for (int ow = 0; ow < g.Wo; ++ow) addRow(n0 + int(i), oh, ow);
    });
  } else {
    for (int oh = 0; oh < g.Ho; ++oh)
      for (int ow = 0; ow < g.Wo; ++ow) addRow(n0, oh, ow);
  }
}

// Reusable native scratch for column matrices (one per process; the JS thread is the only caller).
std::vector<float>& scratch(size_t floats) {
  static std::vector<float> buf;
  if (buf.size() < floats) {
    std::vector<float>().swap(buf);
    buf.resize(floats);
  }
  return buf;
}

void sgemm(bool tA, bool tB, size_t M, size_t N, size_t K, const float* A, size_t lda, const float* B, size_t ldb,
           float beta, float* C, size_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // C = beta*C; BLAS implementations differ on K == 0, so do it here.
    for (size_t i = 0; i < M; ++i)
      for (size_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
    return;
  }
  if (M > 2147483647 || N > 2147483647 || K > 2147483647) throw Fail{"matrix too large for 32-bit BLAS"};
#ifdef GAWWN_DNNL
  if (gDnnlGemm) {
    // Row-major like cblas. oneDNN's sgemm picks its kernel from the CPU's ISA at run time, so it is not
    // subject to OpenBLAS's DYNAMIC_ARCH core detection (which can take an AVX-512 CPU for Prescott).
    if (dnnl_sgemm(tA ? 'T' : 'N', tB ? 'T' : 'N', dnnl_dim_t(M), dnnl_dim_t(N), dnnl_dim_t(K), 1.0f, A, dnnl_dim_t(lda), B,
                   dnnl_dim_t(ldb), beta, C, dnnl_dim_t(ldc)) != dnnl_success)
      throw Fail{"dnnl_sgemm failed"};
    return;
  }
#endif
#ifdef GAWWN_OPENBLAS
  cblas_sgemm(kRowMajor, tA ? kTrans : kNoTrans, tB ? kTrans : kNoTrans, int(M), int(N), int(K), 1.0f, A, int(lda), B,
              int(ldb), beta, C, int(ldc));
#endif
}

// out[m, c] = act(out[m, c] + bias[c % biasSize]) with prelu weights indexed the same way.
struct Epilogue {
  const float* bias = nullptr;
  size_t biasSize = 0;
  int act = kLinear;
  const float* prelu = nullptr;
  size_t preluSize = 0;
  float alpha = 0.f;
  bool trivial() const { return bias == nullptr && act == kLinear; }
};

// Branch-free forms (max/min) for the piecewise-linear activations: with data of random sign a branch per
// element mispredicts half the time (measured 6 ns/element against 0.5), and these loops vectorise.
// NaN propagates as on the cpu backend: max(NaN, 0) and min(NaN, 0) are NaN with std::max/min's argument order.
inline float pos(float v) { return std::max(v, 0.f); }
inline float neg(float v) { return std::min(v, 0.f); }

void applyEpilogue(const Epilogue& e, float* out, size_t rows, size_t cols) {
  if (e.trivial()) return;
  parallelFor(rows, std::max<size_t>(1, 16384 / std::max<size_t>(1, cols)), [&](size_t lo, size_t hi) {
    for (size_t r = lo; r < hi; ++r) {
      float* __restrict o = out + r * cols;
      if (e.bias) {
        if (e.biasSize == 1) for (size_t c = 0; c < cols; ++c) o[c] += e.bias[0];
        else for (size_t c = 0; c < cols; ++c) o[c] += e.bias[c];
      }
      switch (e.act) {
        case kLinear: break;
        case kRelu: for (size_t c = 0; c < cols; ++c) o[c] = pos(o[c]); break;
        case kRelu6: for (size_t c = 0; c < cols; ++c) o[c] = std::min(pos(o[c]), 6.f); break;
        case kPrelu:
          for (size_t c = 0; c < cols; ++c) o[c] = pos(o[c]) + e.prelu[e.preluSize == 1 ? 0 : c] * neg(o[c]);
          break;
        case kLeakyRelu: for (size_t c = 0; c < cols; ++c) o[c] = pos(o[c]) + e.alpha * neg(o[c]); break;
        case kSigmoid: for (size_t c = 0; c < cols; ++c) o[c] = 1.f / (1.f + std::exp(-o[c])); break;
        case kElu: for (size_t c = 0; c < cols; ++c) o[c] = o[c] > 0.f ? o[c] : std::expm1(o[c]); break;
      }
    }
  });
}

// Reads (biasOff, biasSize, act, preluOff, preluSize, alpha) at argument i; offsets < 0 mean "absent".
Epilogue readEpilogue(const Args& a, size_t i, size_t channels) {
  Epilogue e;
  const double biasOff = num(a, i);
  e.biasSize = size_t(pnum(a, i + 1));
  e.act = inum(a, i + 2);
  const double preluOff = num(a, i + 3);
  e.preluSize = size_t(pnum(a, i + 4));
  e.alpha = float(num(a, i + 5));
  if (e.act < kLinear || e.act > kElu) throw Fail{"unknown activation code"};
  if (biasOff >= 0) {
    if (e.biasSize != 1 && e.biasSize != channels) throw Fail{"bias size must be 1 or the channel count"};
    e.bias = a.heap.f32(biasOff, double(e.biasSize), "bias");
  }
  if (e.act == kPrelu) {
    if (preluOff < 0 || (e.preluSize != 1 && e.preluSize != channels)) throw Fail{"prelu weights must have 1 or C values"};
    e.prelu = a.heap.f32(preluOff, double(e.preluSize), "prelu weights");
  }
  return e;
}
constexpr size_t kEpilogueArgs = 6;

// ---------------------------------------------------------------------------------------------------
// oneDNN convolutions (when built with libdnnl-dev): forward (with bias and activation fused as
// post-ops), backward data (= transposed convolution) and backward weights, straight on the NHWC / HWIO
// tensors of the wasm heap.
//
// Why: im2col + sgemm materialises kh·kw copies of every activation and hands the GEMM skinny shapes
// (GAWWN's 4×4 stride-2 layers have K = 16·Ci and few output channels), so the filter gradient, ~2/3 of
// a training step, ran at a fraction of sgemm's speed. oneDNN's direct JIT kernels (the library PyTorch's
// CPU convolutions use, https://oneapi-src.github.io/oneDNN/dev_guide_convolution.html) read NHWC
// ("nxc") activations in place; only the weights are reordered to the blocked layout the kernel picks
// (format_tag::any), which costs a pass over the (small) filter per call.
//
// Primitives are created once per geometry and kept (creating one JITs code: ~1 ms); memory objects are
// created without a buffer and pointed at the heap on each call (set_data_handle), so a call allocates
// nothing in the wasm heap and the heap cannot move under it.
// ---------------------------------------------------------------------------------------------------
#ifdef GAWWN_DNNL
namespace dn {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

enum Kind { kFwd = 0, kBwdData = 1, kBwdWeights = 2 };
constexpr int kDefaultAnyMask = 0;  // bit k set: kind k uses oneDNN's preferred activation layout

// A tensor argument of a primitive: the user's memory in the heap (pointed at per call) and, when the
// primitive wants another layout, an owned copy in that layout plus the reorder between them.
struct Bound {
  dnnl::memory user, prim;
  dnnl::reorder re;
  bool reorders = false;
  void make(const dnnl::memory::desc& userMd, const dnnl::memory::desc& primMd, bool input) {
    auto& eng = engine();
    user = dnnl::memory(userMd, eng, DNNL_MEMORY_NONE);
    reorders = primMd != userMd;
    if (reorders) {
      prim = dnnl::memory(primMd, eng);
      re = input ? dnnl::reorder(user, prim) : dnnl::reorder(prim, user);
    }
  }
  // An input: points at `p` and converts it when needed; returns what the primitive reads.
  dnnl::memory& in(dnnl::stream& s, const float* p) {
    user.set_data_handle(const_cast<float*>(p));
    if (!reorders) return user;
    re.execute(s, user, prim);
    return prim;
  }
  // An output: returns what the primitive writes; finish() converts it into `p`.
  dnnl::memory& out(float* p) {
    user.set_data_handle(p);
    return reorders ? prim : user;
  }
  void finish(dnnl::stream& s) {
    if (reorders) re.execute(s, prim, user);
  }
};

struct Entry {
  dnnl::primitive prim;
  Bound a, b, w;  // fwd: src, dst, weights; bwd data: diff_dst, diff_src, weights; bwd weights: src, diff_dst, diff_weights
  dnnl::memory bias;
};

// Activation layout for each kind (bit k of gAnyLayout): clear, oneDNN reads and writes the heap's NHWC
// in place; set, it chooses its preferred (blocked, nChw16c) layout and the activations are reordered per
// call. setConvLayout(mask) changes it (for measuring); primitives made for the old layout are dropped.
int gAnyLayout = kDefaultAnyMask;
bool anyLayout(int kind) { return (gAnyLayout >> kind) & 1; }

std::unordered_map<std::string, std::unique_ptr<Entry>>& cache() {
  static std::unordered_map<std::string, std::unique_ptr<Entry>> c;
  return c;
}

// The padding oneDNN needs on the bottom/right so that its output size equals tfjs's, or false when
// tfjs's geometry cannot be expressed that way (then the im2col path runs).
bool padding(const Geom& g, dnnl::memory::dims& padL, dnnl::memory::dims& padR) {
  auto far = [](int in, int out, int k, int s, int d, int p0, int& p1) {
    const int span = (k - 1) * d + 1;
    p1 = std::max(0, (out - 1) * s + span - in - p0);
    return (in + p0 + p1 - span) / s + 1 == out && p0 >= 0;
  };
  int pb = 0, pr = 0;
  if (!far(g.H, g.Ho, g.kh, g.sh, g.dh, g.padT, pb) || !far(g.W, g.Wo, g.kw, g.sw, g.dw, g.padL, pr)) return false;
  padL = {g.padT, g.padL};
  padR = {pb, pr};
  return true;
}

std::string key(Kind k, const Geom& g, bool bias, int act, float alpha) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%d|%d,%d,%d,%d|%d,%d,%d|%d,%d,%d,%d,%d,%d,%d,%d|%d,%d,%.9g", int(k), g.N, g.H, g.W, g.Ci,
                g.Ho, g.Wo, g.Co, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padT, g.padL, int(bias), act, double(alpha));
  return buf;
}

// Post-op for the activation, or false when oneDNN has none that matches tfjs's exactly.
bool activation(int act, float alpha, dnnl::post_ops& ops) {
  using alg = dnnl::algorithm;
  switch (act) {
    case kLinear: return true;
    case kRelu: ops.append_eltwise(1.f, alg::eltwise_relu, 0.f, 0.f); return true;
    case kLeakyRelu: ops.append_eltwise(1.f, alg::eltwise_relu, alpha, 0.f); return true;
    case kRelu6: ops.append_eltwise(1.f, alg::eltwise_clip_v2, 0.f, 6.f); return true;
    case kSigmoid: ops.append_eltwise(1.f, alg::eltwise_logistic, 0.f, 0.f); return true;
    case kElu: ops.append_eltwise(1.f, alg::eltwise_elu, 1.f, 0.f); return true;
    default: return false;  // PReLU with a weight per channel: the im2col path
  }
}

// Geometries where the plain GEMM path beats oneDNN's direct kernels (paired per-layer timings of the small
// preset's layers on two AVX-512 cores): a 1×1 convolution or one whose output is a single pixel (the 4×4
// valid layers of reference §3.3 on a 4×4 map) is one GEMM with no im2col copy, which oneDNN's sgemm runs at
// 150–220 GFLOP/s against 20–120 for the direct kernels; and the input gradient of a layer with fewer than 16
// input channels (the 3-channel image of D's first layer: 10 ms through col2im against 16–35 ms), whose
// output channels cannot fill the 16-wide AVX-512 blocks oneDNN's kernels write.
bool gemmIsBetter(Kind kind, const Geom& g) {
  if (g.isPointwise()) return true;
  if (g.Ho == 1 && g.Wo == 1 && g.padT == 0 && g.padL == 0 && g.kh == g.H && g.kw == g.W) return true;
  return kind == kBwdData && g.Ci < 16;
}

// Returns the cached entry, creating it on first use; nullptr when oneDNN cannot run this geometry or
// the GEMM path is faster (gemmIsBetter).
Entry* get(Kind kind, const Geom& g, bool bias, int act, float alpha) {
  if (gemmIsBetter(kind, g)) return nullptr;
  auto& cache = dn::cache();
  const std::string k = key(kind, g, bias, act, alpha);
  auto it = cache.find(k);
  if (it != cache.end()) return it->second.get();
  std::unique_ptr<Entry> e;
  try {
    dnnl::memory::dims padL, padR;
    if (!padding(g, padL, padR)) {
      cache.emplace(k, nullptr);
      return nullptr;
    }
    e.reset(new Entry());
    auto& eng = engine();
    const dnnl::memory::desc x({g.N, g.Ci, g.H, g.W}, dt::f32, tag::nhwc);
    const dnnl::memory::desc y({g.N, g.Co, g.Ho, g.Wo}, dt::f32, tag::nhwc);
    const tag actTag = anyLayout(kind) ? tag::any : tag::nhwc;
    const dnnl::memory::desc xA({g.N, g.Ci, g.H, g.W}, dt::f32, actTag);
    const dnnl::memory::desc yA({g.N, g.Co, g.Ho, g.Wo}, dt::f32, actTag);
    const dnnl::memory::desc wHwio({g.Co, g.Ci, g.kh, g.kw}, dt::f32, tag::hwio);
    const dnnl::memory::desc wAny({g.Co, g.Ci, g.kh, g.kw}, dt::f32, tag::any);
    const dnnl::memory::desc b({g.Co}, dt::f32, tag::x);
    const dnnl::memory::dims strides{g.sh, g.sw}, dil{g.dh - 1, g.dw - 1};
    dnnl::post_ops ops;
    if (!activation(act, alpha, ops)) {
      cache.emplace(k, nullptr);
      return nullptr;
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    const auto prop = kind == kFwd ? dnnl::prop_kind::forward_inference : dnnl::prop_kind::forward_training;
    const auto fwdDesc = bias ? dnnl::convolution_forward::desc(prop, dnnl::algorithm::convolution_direct, xA, wAny, b, yA, strides, dil, padL, padR)
                              : dnnl::convolution_forward::desc(prop, dnnl::algorithm::convolution_direct, xA, wAny, yA, strides, dil, padL, padR);
    const dnnl::convolution_forward::primitive_desc fwd(fwdDesc, attr, eng);
    if (kind == kFwd) {
      e->prim = dnnl::convolution_forward(fwd);
      e->a.make(x, fwd.src_desc(), true);
      e->b.make(y, fwd.dst_desc(), false);
      e->w.make(wHwio, fwd.weights_desc(), true);
      if (bias) e->bias = dnnl::memory(b, eng, DNNL_MEMORY_NONE);
    } else if (kind == kBwdData) {
      const dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, xA, wAny, yA, strides, dil, padL, padR);
      const dnnl::convolution_backward_data::primitive_desc pd(d, eng, fwd);
      e->prim = dnnl::convolution_backward_data(pd);
      e->a.make(y, pd.diff_dst_desc(), true);
      e->b.make(x, pd.diff_src_desc(), false);
      e->w.make(wHwio, pd.weights_desc(), true);
    } else {
      const dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, xA, wAny, yA, strides, dil, padL, padR);
      const dnnl::convolution_backward_weights::primitive_desc pd(d, eng, fwd);
      e->prim = dnnl::convolution_backward_weights(pd);
      e->a.make(x, pd.src_desc(), true);
      e->b.make(y, pd.diff_dst_desc(), true);
      e->w.make(wHwio, pd.diff_weights_desc(), false);
    }
  } catch (const dnnl::error&) {
    e.reset();  // no implementation for this geometry: the im2col path runs
  }
  Entry* raw = e.get();
  cache.emplace(k, std::move(e));
  return raw;
}

// y = act(conv(x, w) + bias). False when oneDNN does not take this case.
bool forward(const Geom& g, const float* x, const float* w, float* y, const Epilogue& ep) {
  const bool bias = ep.bias != nullptr;
  if (bias && ep.biasSize != size_t(g.Co)) return false;
  Entry* e = get(kFwd, g, bias, ep.act, ep.alpha);
  if (e == nullptr) return false;
  auto& s = stream();
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, e->a.in(s, x)}, {DNNL_ARG_WEIGHTS, e->w.in(s, w)}, {DNNL_ARG_DST, e->b.out(y)}};
  if (bias) {
    e->bias.set_data_handle(const_cast<float*>(ep.bias));
    args.emplace(DNNL_ARG_BIAS, e->bias);
  }
  e->prim.execute(s, args);
  e->b.finish(s);
  s.wait();
  gDnnlConvCalls += 1;
  return true;
}

// dx = conv_backward_data(dy, w).
bool backwardData(const Geom& g, const float* dy, const float* w, float* dx) {
  Entry* e = get(kBwdData, g, false, kLinear, 0.f);
  if (e == nullptr) return false;
  auto& s = stream();
  e->prim.execute(s, {{DNNL_ARG_DIFF_DST, e->a.in(s, dy)}, {DNNL_ARG_WEIGHTS, e->w.in(s, w)}, {DNNL_ARG_DIFF_SRC, e->b.out(dx)}});
  e->b.finish(s);
  s.wait();
  gDnnlConvCalls += 1;
  return true;
}

// dw = conv_backward_weights(x, dy).
bool backwardWeights(const Geom& g, const float* x, const float* dy, float* dw) {
  Entry* e = get(kBwdWeights, g, false, kLinear, 0.f);
  if (e == nullptr) return false;
  auto& s = stream();
  e->prim.execute(s, {{DNNL_ARG_SRC, e->a.in(s, x)}, {DNNL_ARG_DIFF_DST, e->b.in(s, dy)}, {DNNL_ARG_DIFF_WEIGHTS, e->w.out(dw)}});
  e->w.finish(s);
  s.wait();
  gDnnlConvCalls += 1;
  return true;
}

}  // namespace dn
#endif  // GAWWN_DNNL

// ---------------------------------------------------------------------------------------------------
// Exported functions
// ---------------------------------------------------------------------------------------------------

// conv2d(heap, xOff, wOff, yOff, ...geom(15), biasOff, biasSize, act, preluOff, preluSize, alpha)
napi_value Conv2d(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 4 + kGeomArgs + kEpilogueArgs);
    const Geom g = readGeom(a, 4);
    const float* x = a.heap.f32(num(a, 1), double(g.xSize()), "x");
    const float* w = a.heap.f32(num(a, 2), double(g.wSize()), "filter");
    float* y = a.heap.f32(num(a, 3), double(g.ySize()), "output");
    const Epilogue e = readEpilogue(a, 4 + kGeomArgs, size_t(g.Co));
    const size_t K = g.K(), rows = g.rowsPerImage(), Co = size_t(g.Co);
#ifdef GAWWN_DNNL
    if (gDnnlConv && dn::forward(g, x, w, y, e)) return undefinedValue(env);
#endif
    if (g.isPointwise()) {
      sgemm(false, false, size_t(g.N) * rows, Co, K, x, K, w, Co, 0.f, y, Co);
    } else {
      const int chunk = g.imagesPerChunk();
      float* cols = scratch(size_t(chunk) * rows * K).data();
      for (int n0 = 0; n0 < g.N; n0 += chunk) {
        const int nb = std::min(chunk, g.N - n0);
        im2col(g, x, cols, n0, nb);
        sgemm(false, false, size_t(nb) * rows, Co, K, cols, K, w, Co, 0.f, y + size_t(n0) * rows * Co, Co);
      }
    }
    applyEpilogue(e, y, size_t(g.N) * rows, Co);
    return undefinedValue(env);
  });
}

// conv2dBackpropInput(heap, dyOff, wOff, dxOff, ...geom(15)): dx = col2im(dy · Wᵀ), the transposed conv.
napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 4 + kGeomArgs);
    const Geom g = readGeom(a, 4);
    const float* dy = a.heap.f32(num(a, 1), double(g.ySize()), "dy");
    const float* w = a.heap.f32(num(a, 2), double(g.wSize()), "filter");
    float* dx = a.heap.f32(num(a, 3), double(g.xSize()), "dx");
    const size_t K = g.K(), rows = g.rowsPerImage(), Co = size_t(g.Co);
#ifdef GAWWN_DNNL
    if (gDnnlConv && dn::backwardData(g, dy, w, dx)) return undefinedValue(env);
#endif
    if (g.isPointwise()) {
      sgemm(false, true, size_t(g.N) * rows, size_t(g.Ci), Co, dy, Co, w, Co, 0.f, dx, size_t(g.Ci));
      return undefinedValue(env);
    }
    std::memset(dx, 0, sizeof(float) * g.xSize());
    const int chunk = g.imagesPerChunk();
    float* cols = scratch(size_t(chunk) * rows * K).data();
    for (int n0 = 0; n0 < g.N; n0 += chunk) {
      const int nb = std::min(chunk, g.N - n0);
      sgemm(false, true, size_t(nb) * rows, K, Co, dy + size_t(n0) * rows * Co, Co, w, Co, 0.f, cols, K);
      col2im(g, cols, dx, n0, nb);
    }
    return undefinedValue(env);
  });
}

// conv2dBackpropFilter(heap, xOff, dyOff, dwOff, ...geom(15)): dW = im2col(x)ᵀ · dy, summed over chunks.
napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 4 + kGeomArgs);
    const Geom g = readGeom(a, 4);
    const float* x = a.heap.f32(num(a, 1), double(g.xSize()), "x");
    const float* dy = a.heap.f32(num(a, 2), double(g.ySize()), "dy");
    float* dw = a.heap.f32(num(a, 3), double(g.wSize()), "dfilter");
    const size_t K = g.K(), rows = g.rowsPerImage(), Co = size_t(g.Co);
#ifdef GAWWN_DNNL
    if (gDnnlConv && dn::backwardWeights(g, x, dy, dw)) return undefinedValue(env);
#endif
    if (g.isPointwise()) {
      sgemm(true, false, K, Co, size_t(g.N) * rows, x, K, dy, Co, 0.f, dw, Co);
      return undefinedValue(env);
    }
    if (g.N == 0 || rows == 0) {
      std::memset(dw, 0, sizeof(float) * g.wSize());
      return undefinedValue(env);
    }
    const int chunk = g.imagesPerChunk();
    float* cols = scratch(size_t(chunk) * rows * K).data();
    for (int n0 = 0; n0 < g.N; n0 += chunk) {
      const int nb = std::min(chunk, g.N - n0);
      im2col(g, x, cols, n0, nb);
      sgemm(true, false, K, Co, size_t(nb) * rows, cols, K, dy + size_t(n0) * rows * Co, Co, n0 == 0 ? 0.f : 1.f, dw, Co);
    }
    return undefinedValue(env);
  });
}

// batchMatMul(heap, aOff, bOff, outOff, batchA, batchB, M, N, K, transA, transB, ...epilogue(6))
// a is [batchA, M, K] (or [batchA, K, M] when transA), b is [batchB, K, N] (or [batchB, N, K]);
// batchA and batchB are equal or 1 (broadcast); out is [max(batchA, batchB), M, N].
napi_value BatchMatMul(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 11 + kEpilogueArgs);
    const size_t bA = size_t(pnum(a, 4)), bB = size_t(pnum(a, 5));
    const size_t M = size_t(pnum(a, 6)), N = size_t(pnum(a, 7)), K = size_t(pnum(a, 8));
    const bool tA = inum(a, 9) != 0, tB = inum(a, 10) != 0;
    if (bA != bB && bA != 1 && bB != 1) throw Fail{"batch sizes must be equal or 1"};
    const size_t batch = std::max(bA, bB);
    const float* A = a.heap.f32(num(a, 1), double(bA * M * K), "a");
    const float* B = a.heap.f32(num(a, 2), double(bB * K * N), "b");
    float* C = a.heap.f32(num(a, 3), double(batch * M * N), "out");
    const Epilogue e = readEpilogue(a, 11, N);
    const size_t lda = tA ? M : K, ldb = tB ? K : N;
    if (bB == 1 && !tA) {
      // [batch*M, K] · [K, N]: one large GEMM instead of `batch` small ones.
      sgemm(false, tB, batch * M, N, K, A, lda, B, ldb, 0.f, C, N);
    } else {
      for (size_t i = 0; i < batch; ++i) {
        sgemm(tA, tB, M, N, K, A + (bA == 1 ? 0 : i) * M * K, lda, B + (bB == 1 ? 0 : i) * K * N, ldb, 0.f, C + i * M * N, N);
      }
    }
    applyEpilogue(e, C, batch * M, N);
    return undefinedValue(env);
  });
}

// sgemm(heap, transA, transB, M, N, K, aOff, lda, bOff, ldb, beta, cOff, ldc): the raw primitive, for the
// self-test after building and for the GFLOP/s benchmark.
napi_value Sgemm(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 13);
    const bool tA = inum(a, 1) != 0, tB = inum(a, 2) != 0;
    const size_t M = size_t(pnum(a, 3)), N = size_t(pnum(a, 4)), K = size_t(pnum(a, 5));
    const size_t lda = size_t(pnum(a, 7)), ldb = size_t(pnum(a, 9)), ldc = size_t(pnum(a, 12));
    const float beta = float(num(a, 10));
    if (lda < (tA ? M : K) || ldb < (tB ? K : N) || ldc < N) throw Fail{"leading dimension too small"};
    const float* A = a.heap.f32(num(a, 6), double((tA ? K : M) == 0 ? 0 : ((tA ? K : M) - 1) * lda + (tA ? M : K)), "a");
    const float* B = a.heap.f32(num(a, 8), double((tB ? N : K) == 0 ? 0 : ((tB ? N : K) - 1) * ldb + (tB ? K : N)), "b");
    float* C = a.heap.f32(num(a, 11), double(M == 0 ? 0 : (M - 1) * ldc + N), "c");
    sgemm(tA, tB, M, N, K, A, lda, B, ldb, beta, C, ldc);
    return undefinedValue(env);
  });
}


// tile(heap, xOff, outOff, elemBytes, rank, ...shape(rank), ...reps(rank)): out[i] = x[i mod shape] per axis.
// Why native: tfjs-wasm 4.22's Tile computes every output index with divisions (~80 ns per element here),
// and tfjs's batch-norm gradient tiles per-channel vectors to the full activation shape at every BN layer.
// Here each innermost row is copied once and every repetition is one memcpy of a contiguous block.
void tileRec(const uint8_t* x, uint8_t* out, int d, int rank, const size_t* shape, const size_t* reps,
             const size_t* xStride, const size_t* oStride, size_t eb) {
  if (d == rank - 1) {
    const size_t row = shape[d] * eb;
    std::memcpy(out, x, row);
    for (size_t r = 1; r < reps[d]; ++r) std::memcpy(out + r * row, out, row);
    return;
  }
  for (size_t i = 0; i < shape[d]; ++i)
    tileRec(x + i * xStride[d] * eb, out + i * oStride[d] * eb, d + 1, rank, shape, reps, xStride, oStride, eb);
  const size_t block = shape[d] * oStride[d] * eb;  // the first repetition along d is contiguous
  for (size_t r = 1; r < reps[d]; ++r) std::memcpy(out + r * block, out, block);
}

napi_value Tile(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, kAnyArgs);
    if (a.argc < 5) throw Fail{"tile needs heap, xOff, outOff, elemBytes, rank, shape, reps"};
    const int eb = pnum(a, 3), rank = pnum(a, 4);
    if (eb != 1 && eb != 2 && eb != 4 && eb != 8) throw Fail{"element size must be 1, 2, 4 or 8 bytes"};
    if (rank < 1 || rank > 16 || a.argc != size_t(5 + 2 * rank)) throw Fail{"tile: rank and argument count disagree"};
    size_t shape[16], reps[16], xStride[16], oStride[16];
    size_t xSize = 1, oSize = 1;
    for (int d = 0; d < rank; ++d) {
      shape[d] = size_t(pnum(a, 5 + d));
      reps[d] = size_t(pnum(a, 5 + rank + d));
      xSize *= shape[d];
      oSize *= shape[d] * reps[d];
    }
    const uint8_t* x = a.heap.region(num(a, 1), double(xSize), eb, "x");
    uint8_t* out = a.heap.region(num(a, 2), double(oSize), eb, "output");
    if (oSize == 0) return undefinedValue(env);
    xStride[rank - 1] = oStride[rank - 1] = 1;
    for (int d = rank - 2; d >= 0; --d) {
      xStride[d] = xStride[d + 1] * shape[d + 1];
      oStride[d] = oStride[d + 1] * shape[d + 1] * reps[d + 1];
    }
    tileRec(x, out, 0, rank, shape, reps, xStride, oStride, size_t(eb));
    return undefinedValue(env);
  });
}


// reduceMiddle(heap, xOff, outOff, A, R, C, scale): x viewed as [A, R, C], out[a, c] = scale · Σ_r x[a, r, c].
// Covers every Sum/Mean over a contiguous run of axes: [0,1,2] of NHWC (batch-norm statistics and their
// gradients: A = 1), [1,2] (spatial means), the last axis (C = 1). tfjs-wasm transposes the reduced axes
// to the end first. Accumulates in double, as tfjs's cpu backend does, so long sums do not drift.
napi_value ReduceMiddle(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 7);
    const size_t A = size_t(pnum(a, 3)), R = size_t(pnum(a, 4)), C = size_t(pnum(a, 5));
    const double scale = num(a, 6);
    const float* x = a.heap.f32(num(a, 1), double(A) * double(R) * double(C), "x");
    float* out = a.heap.f32(num(a, 2), double(A) * double(C), "output");
    const size_t threads = size_t(std::max(1, gHelperThreads));
    if (C == 1) {
      parallelFor(A, std::max<size_t>(1, 65536 / std::max<size_t>(1, R)), [&](size_t lo, size_t hi) {
        for (size_t i = lo; i < hi; ++i) {
          const float* p = x + i * R;
          double acc = 0;
          for (size_t r = 0; r < R; ++r) acc += p[r];
          out[i] = float(acc * scale);
        }
      });
      return undefinedValue(env);
    }
    for (size_t i = 0; i < A; ++i) {
      const float* base = x + i * R * C;
      // Split R across threads, each with its own double accumulators, then add the partials.
      const size_t parts = (R * C >= 65536) ? std::min(threads, R) : 1;
      std::vector<double> acc(parts * C, 0.0);
      parallelFor(parts, 1, [&](size_t lo, size_t hi) {
        for (size_t part = lo; part < hi; ++part) {
          const size_t r0 = R * part / parts, r1 = R * (part + 1) / parts;
          double* ac = acc.data() + part * C;
          for (size_t r = r0; r < r1; ++r) {
            const float* row = base + r * C;
            for (size_t c = 0; c < C; ++c) ac[c] += row[c];
          }
        }
      });
      for (size_t c = 0; c < C; ++c) {
        double sum = 0;
        for (size_t part = 0; part < parts; ++part) sum += acc[part * C + c];
        out[i * C + c] = float(sum * scale);
      }
    }
    return undefinedValue(env);
  });
}


// Element-wise kernels of the LeakyReLU forward and gradient (tfjs: where(x > 0, dy, alpha·dy)), which
// tfjs-wasm 4.22 runs at ~5–7 ns per element against ~0.15 for a plain loop; D applies LeakyReLU after
// every layer (gawwn-reference §2.3, §3.3).
// leakyRelu(heap, xOff, outOff, n, alpha): out = x < 0 ? alpha·x : x            (float32)
// greater(heap, aOff, bOff, outOff, n, bIsScalar): out = a > b                   (float32 → bool bytes)
// select(heap, condOff, tOff, eOff, outOff, n): out = cond ? t : e               (bool, float32 → float32)
napi_value LeakyRelu(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 5);
    const size_t n = size_t(num(a, 3));
    const float alpha = float(num(a, 4));
    const float* x = a.heap.f32(num(a, 1), double(n), "x");
    float* out = a.heap.f32(num(a, 2), double(n), "output");
    parallelFor(n, 1 << 18, [&](size_t lo, size_t hi) {
      const float* __restrict xs = x;
      float* __restrict os = out;
      for (size_t i = lo; i < hi; ++i) os[i] = pos(xs[i]) + alpha * neg(xs[i]);
    });
    return undefinedValue(env);
  });
}

napi_value Greater(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 6);
    const size_t n = size_t(num(a, 4));
    const bool scalar = inum(a, 5) != 0;
    const float* x = a.heap.f32(num(a, 1), double(n), "a");
    const float* y = a.heap.f32(num(a, 2), scalar ? 1.0 : double(n), "b");
    uint8_t* out = a.heap.region(num(a, 3), double(n), 1, "output");
    parallelFor(n, 1 << 18, [&](size_t lo, size_t hi) {
      if (scalar) {
        const float b = y[0];
        for (size_t i = lo; i < hi; ++i) out[i] = x[i] > b;
      } else {
        for (size_t i = lo; i < hi; ++i) out[i] = x[i] > y[i];
      }
    });
    return undefinedValue(env);
  });
}

napi_value Select(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 6);
    const size_t n = size_t(num(a, 5));
    const uint8_t* cond = a.heap.region(num(a, 1), double(n), 1, "condition");
    const float* t = a.heap.f32(num(a, 2), double(n), "t");
    const float* e = a.heap.f32(num(a, 3), double(n), "e");
    float* out = a.heap.f32(num(a, 4), double(n), "output");
    parallelFor(n, 1 << 18, [&](size_t lo, size_t hi) {
      // Bitwise blend instead of a branch (conditions such as x > 0 have random sign); exact for every value.
      const uint32_t* __restrict tb = reinterpret_cast<const uint32_t*>(t);
      const uint32_t* __restrict eb = reinterpret_cast<const uint32_t*>(e);
      uint32_t* __restrict ob = reinterpret_cast<uint32_t*>(out);
      for (size_t i = lo; i < hi; ++i) {
        const uint32_t m = 0u - uint32_t(cond[i] != 0);
        ob[i] = (tb[i] & m) | (eb[i] & ~m);
      }
    });
    return undefinedValue(env);
  });
}


// batchNorm(heap, xOff, outOff, n, C, meanOff, meanSize, varOff, varSize, offsetOff, offsetSize, scaleOff,
// scaleSize, eps): out = offset + (x − mean)·scale/√(var + eps) per channel (last axis), as tfjs's cpu
// kernel computes it; parameters have C values or 1 (offOff/scaleOff < 0: absent, 0 and 1).
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 14);
    const size_t n = size_t(num(a, 3)), C = size_t(pnum(a, 4));
    if (C == 0 || n % C != 0) throw Fail{"batchNorm: size is not a multiple of the channel count"};
    const float* x = a.heap.f32(num(a, 1), double(n), "x");
    float* out = a.heap.f32(num(a, 2), double(n), "output");
    auto param = [&](size_t offArg, const char* what, float dflt) {
      std::vector<float> v(C, dflt);
      const double off = num(a, offArg);
      if (off < 0) return v;
      const size_t size = size_t(pnum(a, offArg + 1));
      if (size != 1 && size != C) throw Fail{std::string("batchNorm: ") + what + " must have 1 or C values"};
      const float* p = a.heap.f32(off, double(size), what);
      for (size_t c = 0; c < C; ++c) v[c] = p[size == 1 ? 0 : c];
      return v;
    };
    const std::vector<float> mean = param(5, "mean", 0.f), var = param(7, "variance", 1.f), offset = param(9, "offset", 0.f),
                             scale = param(11, "scale", 1.f);
    const double eps = num(a, 13);
    std::vector<float> k(C);
    for (size_t c = 0; c < C; ++c) k[c] = float(double(scale[c]) / std::sqrt(double(var[c]) + eps));
    const size_t rows = n / C;
    parallelFor(rows, std::max<size_t>(1, 65536 / C), [&](size_t lo, size_t hi) {
      for (size_t r = lo; r < hi; ++r) {
        const float* __restrict xr = x + r * C;
        float* __restrict o = out + r * C;
        for (size_t c = 0; c < C; ++c) o[c] = offset[c] + (xr[c] - mean[c]) * k[c];
      }
    });
    return undefinedValue(env);
  });
}

// concatRows(heap, bigOff, outer, bigInner, elemBytes, toBig, count, ...(partOff, partInner) × count):
// the big tensor viewed as [outer, bigInner] is the parts [outer, partInner_i] side by side. toBig = 1
// concatenates the parts into it (Concat), 0 splits it into them (SplitV). Rows are memcpy'd.
napi_value ConcatRows(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, kAnyArgs);
    if (a.argc < 7) throw Fail{"concatRows: too few arguments"};
    const size_t outer = size_t(num(a, 2)), bigInner = size_t(num(a, 3));
    const int eb = pnum(a, 4);
    const bool toBig = inum(a, 5) != 0;
    const size_t count = size_t(pnum(a, 6));
    if (a.argc != 7 + 2 * count) throw Fail{"concatRows: argument count"};
    if (eb != 1 && eb != 2 && eb != 4 && eb != 8) throw Fail{"element size must be 1, 2, 4 or 8 bytes"};
    uint8_t* big = a.heap.region(num(a, 1), double(outer) * double(bigInner), eb, "concatenated tensor");
    std::vector<uint8_t*> parts(count);
    std::vector<size_t> inner(count), start(count);
    size_t total = 0;
    for (size_t i = 0; i < count; ++i) {
      inner[i] = size_t(num(a, 8 + 2 * i));
      parts[i] = a.heap.region(num(a, 7 + 2 * i), double(outer) * double(inner[i]), eb, "part");
      start[i] = total;
      total += inner[i];
    }
    if (total != bigInner) throw Fail{"concatRows: parts do not add up"};
    parallelFor(outer, std::max<size_t>(1, 65536 / std::max<size_t>(1, bigInner)), [&](size_t lo, size_t hi) {
      for (size_t r = lo; r < hi; ++r) {
        for (size_t i = 0; i < count; ++i) {
          uint8_t* b = big + (r * bigInner + start[i]) * eb;
          uint8_t* p = parts[i] + r * inner[i] * eb;
          if (toBig) std::memcpy(b, p, inner[i] * eb);
          else std::memcpy(p, b, inner[i] * eb);
        }
      }
    });
    return undefinedValue(env);
  });
}

// binary(heap, op, aOff, bOff, outOff, outer, inner, aMode, bMode): out[o, i] = a ∘ b for float32, the output
// viewed as [outer, inner]; each operand is full (mode 0: [outer, inner]), a row repeated over `outer`
// (mode 1: [inner], e.g. a per-channel scale against NHWC), or one value (mode 2). op: 0 add, 1 sub, 2 mul,
// 3 div. Why: tfjs-wasm 4.22 runs these single-threaded, and a training step calls ~1,100 of them (batch-norm
// forward and gradient, losses); IEEE float32 operations, so results equal wasm's and cpu's exactly.
template <int Op>
inline float apply(float x, float y) {
  if (Op == 0) return x + y;
  if (Op == 1) return x - y;
  if (Op == 2) return x * y;
  return x / y;
}

template <int Op>
void binaryRows(size_t lo, size_t hi, size_t inner, const float* a, int am, const float* b, int bm, float* out) {
  for (size_t o = lo; o < hi; ++o) {
    const float* __restrict ar = am == 0 ? a + o * inner : a;
    const float* __restrict br = bm == 0 ? b + o * inner : b;
    float* __restrict r = out + o * inner;
    if (am == 2) {
      const float x = a[0];
      for (size_t i = 0; i < inner; ++i) r[i] = apply<Op>(x, br[i]);
    } else if (bm == 2) {
      const float y = b[0];
      for (size_t i = 0; i < inner; ++i) r[i] = apply<Op>(ar[i], y);
    } else {
      for (size_t i = 0; i < inner; ++i) r[i] = apply<Op>(ar[i], br[i]);
    }
  }
}

napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 9);
    const int op = inum(a, 1);
    const size_t outer = size_t(num(a, 5)), inner = size_t(num(a, 6));
    const int am = inum(a, 7), bm = inum(a, 8);
    if (op < 0 || op > 3 || am < 0 || am > 2 || bm < 0 || bm > 2) throw Fail{"binary: bad op or operand mode"};
    auto count = [&](int mode) { return mode == 0 ? double(outer) * double(inner) : mode == 1 ? double(inner) : 1.0; };
    const float* x = a.heap.f32(num(a, 2), count(am), "a");
    const float* y = a.heap.f32(num(a, 3), count(bm), "b");
    float* out = a.heap.f32(num(a, 4), double(outer) * double(inner), "output");
    if (outer == 0 || inner == 0) return undefinedValue(env);
    // Rows split across threads; a single long row is cut into rows of 4096 first.
    size_t rows = outer, cols = inner;
    if (outer == 1 && inner > 8192 && am != 1 && bm != 1) {
      cols = 4096;
      rows = inner / cols;
    }
    const size_t done = rows * cols;
    auto run = [&](size_t lo, size_t hi) {
      switch (op) {
        case 0: binaryRows<0>(lo, hi, cols, x, am, y, bm, out); break;
        case 1: binaryRows<1>(lo, hi, cols, x, am, y, bm, out); break;
        case 2: binaryRows<2>(lo, hi, cols, x, am, y, bm, out); break;
        default: binaryRows<3>(lo, hi, cols, x, am, y, bm, out); break;
      }
    };
    parallelFor(rows, std::max<size_t>(1, (size_t(1) << 17) / cols), run);
    if (done < outer * inner) {  // the tail of a split long row
      const size_t rest = outer * inner - done;
      const float* xt = am == 0 ? x + done : x;
      const float* yt = bm == 0 ? y + done : y;
      switch (op) {
        case 0: binaryRows<0>(0, 1, rest, xt, am, yt, bm, out + done); break;
        case 1: binaryRows<1>(0, 1, rest, xt, am, yt, bm, out + done); break;
        case 2: binaryRows<2>(0, 1, rest, xt, am, yt, bm, out + done); break;
        default: binaryRows<3>(0, 1, rest, xt, am, yt, bm, out + done); break;
      }
    }
    return undefinedValue(env);
  });
}

// tanh(heap, xOff, outOff, n): G's output layer (reference §3.2); tfjs-wasm 4.22 takes ~13 ns per element.
napi_value Tanh(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 4);
    const size_t n = size_t(num(a, 3));
    const float* x = a.heap.f32(num(a, 1), double(n), "x");
    float* out = a.heap.f32(num(a, 2), double(n), "output");
    parallelFor(n, 1 << 16, [&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i) out[i] = std::tanh(x[i]);
    });
    return undefinedValue(env);
  });
}

// adamUpdate(heap, valueOff, mOff, vOff, gOff, omab1Off, omab2Off, newValueOff, newMOff, newVOff, n,
//            beta1, oneMinusBeta1, beta2, oneMinusBeta2, negLr, eps):
// one variable's Adam step (Kingma & Ba 2015, Algorithm 1, with tfjs's ε placement), replacing the 13 tfjs
// kernels of training/adam.ts (each a dispatch, a heap allocation and a pass over the weights) by one pass.
// Every operation is the same float32 operation in the same order as tfjs's AdamOptimizer, so the result is
// bit-identical: m' = m·β1 + g·(1−β1); v' = v·β2 + (g·g)·(1−β2); θ' = ((m'/(1−β1ᵗ)) / (√(v'/(1−β2ᵗ)) + ε))·(−lr) + θ.
// Contraction into fused multiply-adds is switched off here, since it would change the rounding.
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
void adamLoop(size_t lo, size_t hi, const float* value, const float* m, const float* v, const float* g, float omab1, float omab2,
              float* nv, float* nm, float* nvv, float b1, float omb1, float b2, float omb2, float negLr, float eps) {
  for (size_t i = lo; i < hi; ++i) {
    const float gi = g[i];
    const float m1 = m[i] * b1 + gi * omb1;
    const float v1 = v[i] * b2 + (gi * gi) * omb2;
    const float mh = m1 / omab1, vh = v1 / omab2;
    const float den = std::sqrt(vh) + eps;
    nm[i] = m1;
    nvv[i] = v1;
    nv[i] = (mh / den) * negLr + value[i];
  }
}
#pragma GCC pop_options

napi_value AdamUpdate(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    Args a = readArgs(env, info, 17);
    const size_t n = size_t(num(a, 10));
    const float* value = a.heap.f32(num(a, 1), double(n), "value");
    const float* m = a.heap.f32(num(a, 2), double(n), "first moment");
    const float* v = a.heap.f32(num(a, 3), double(n), "second moment");
    const float* g = a.heap.f32(num(a, 4), double(n), "gradient");
    const float omab1 = *a.heap.f32(num(a, 5), 1, "1 - beta1^t");
    const float omab2 = *a.heap.f32(num(a, 6), 1, "1 - beta2^t");
    float* nv = a.heap.f32(num(a, 7), double(n), "new value");
    float* nm = a.heap.f32(num(a, 8), double(n), "new first moment");
    float* nvv = a.heap.f32(num(a, 9), double(n), "new second moment");
    const float b1 = float(num(a, 11)), omb1 = float(num(a, 12)), b2 = float(num(a, 13)), omb2 = float(num(a, 14));
    const float negLr = float(num(a, 15)), eps = float(num(a, 16));
    parallelFor(n, 1 << 17, [&](size_t lo, size_t hi) { adamLoop(lo, hi, value, m, v, g, omab1, omab2, nv, nm, nvv, b1, omb1, b2, omb2, negLr, eps); });
    return undefinedValue(env);
  });
}

// setNumThreads(n): OpenBLAS's and oneDNN's (OpenMP) threads.
napi_value SetNumThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    int32_t n = 0;
    if (argc != 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) throw Fail{"setNumThreads(n) needs n >= 1"};
#ifdef GAWWN_OPENBLAS
    openblas_set_num_threads(n);
#endif
#ifdef GAWWN_DNNL
    omp_set_num_threads(n);
#endif
    gComputeThreads = n;
    return undefinedValue(env);
  });
}

// setConvLayout(mask): bit 0 forward, bit 1 backward data, bit 2 backward weights use oneDNN's own layout.
napi_value SetConvLayout(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    int32_t m = 0;
    if (argc != 1 || napi_get_value_int32(env, argv[0], &m) != napi_ok || m < 0 || m > 7) throw Fail{"setConvLayout(mask) needs 0..7"};
#ifdef GAWWN_DNNL
    dn::gAnyLayout = m;
    dn::cache().clear();
#endif
    return undefinedValue(env);
  });
}

// setLoopThreads(n): threads of the addon's own memory-bound loops (see gHelperThreads).
napi_value SetLoopThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    int32_t n = 0;
    if (argc != 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1 || n > 64) throw Fail{"setLoopThreads(n) needs 1 <= n <= 64"};
    gHelperThreads = n;
    return undefinedValue(env);
  });
}

// setLibrary(conv, gemm): 1 = oneDNN, 0 = im2col + OpenBLAS, for convolutions and for GEMMs. Refused when
// the requested library was not built in. Returns nothing; info() reports the state.
napi_value SetLibrary(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    size_t argc = 2;
    napi_value argv[2];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    int32_t conv = 0, gemm = 0;
    if (argc != 2 || napi_get_value_int32(env, argv[0], &conv) != napi_ok || napi_get_value_int32(env, argv[1], &gemm) != napi_ok)
      throw Fail{"setLibrary(conv, gemm) needs two numbers"};
#ifndef GAWWN_DNNL
    if (conv || gemm) throw Fail{"this build has no oneDNN (libdnnl-dev was missing at install)"};
#endif
#ifndef GAWWN_OPENBLAS
    if (!gemm) throw Fail{"this build has no OpenBLAS (libopenblas-dev was missing at install)"};
#endif
    gDnnlConv = conv != 0;
    gDnnlGemm = gemm != 0;
    return undefinedValue(env);
  });
}

// info(): { threads, config, onednn, openblas, convLibrary, gemmLibrary }.
napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  int threads = gComputeThreads;
  std::string config, onednn, openblas;
#ifdef GAWWN_OPENBLAS
  threads = openblas_get_num_threads();
  const char* cfg = openblas_get_config();
  openblas = cfg ? cfg : "OpenBLAS";
#endif
#ifdef GAWWN_DNNL
  threads = omp_get_max_threads();
  const dnnl_version_t* ver = dnnl_version();
  static const char* isas[] = {"all", "sse41", "avx", "avx2", "avx2_vnni", "avx512_mic", "avx512_mic_4ops", "avx512_core",
                               "avx512_core_vnni", "avx512_core_bf16", "avx512_core_amx", "avx2_vnni"};
  const int isa = int(dnnl_get_effective_cpu_isa());
  std::string isaName = "isa " + std::to_string(isa);
  // dnnl_cpu_isa_t values are bit masks; name the common ones.
  switch (isa) {
    case dnnl_cpu_isa_avx2: isaName = isas[3]; break;
    case dnnl_cpu_isa_avx512_core: isaName = isas[7]; break;
    case dnnl_cpu_isa_avx512_core_vnni: isaName = isas[8]; break;
    case dnnl_cpu_isa_avx512_core_bf16: isaName = isas[9]; break;
    case dnnl_cpu_isa_avx512_core_amx: isaName = isas[10]; break;
    default: break;
  }
  onednn = "oneDNN " + std::to_string(ver->major) + "." + std::to_string(ver->minor) + "." + std::to_string(ver->patch) + " " + isaName;
#endif
  config = onednn;
  if (!openblas.empty()) config += (config.empty() ? "" : " + ") + openblas;
  napi_create_int32(env, threads, &v);
  napi_set_named_property(env, obj, "threads", v);
  napi_create_string_utf8(env, config.c_str(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "config", v);
  napi_create_string_utf8(env, onednn.c_str(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "onednn", v);
  napi_create_string_utf8(env, openblas.c_str(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "openblas", v);
  napi_create_string_utf8(env, gDnnlConv ? "onednn" : "im2col+sgemm", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "convLibrary", v);
  napi_create_string_utf8(env, gDnnlGemm ? "onednn" : "openblas", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "gemmLibrary", v);
  napi_create_int32(env, gHelperThreads, &v);
  napi_set_named_property(env, obj, "loopThreads", v);
  napi_create_double(env, gDnnlConvCalls, &v);
  napi_set_named_property(env, obj, "onednnConvs", v);
  return obj;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv2d", nullptr, Conv2d, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2dBackpropInput, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2dBackpropFilter, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"batchMatMul", nullptr, BatchMatMul, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"reduceMiddle", nullptr, ReduceMiddle, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"leakyRelu", nullptr, LeakyRelu, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"greater", nullptr, Greater, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"select", nullptr, Select, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"batchNorm", nullptr, BatchNorm, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"concatRows", nullptr, ConcatRows, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"tile", nullptr, Tile, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"tanh", nullptr, Tanh, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"adamUpdate", nullptr, AdamUpdate, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"setConvLayout", nullptr, SetConvLayout, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"setLoopThreads", nullptr, SetLoopThreads, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"setLibrary", nullptr, SetLibrary, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"setNumThreads", nullptr, SetNumThreads, nullptr, nullptr, nullptr, napi_default_method, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default_method, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
