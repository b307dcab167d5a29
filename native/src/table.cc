// The handle table: JS holds small integers, native holds the tensors. Integer handles cost
// ~2 us per op against ~4-5 us for one ObjectWrap per result (see DESIGN.md).
#include "common.h"
#include <ATen/CPUGeneratorImpl.h>
#include <torch/version.h>
#include <ATen/Parallel.h>
#include <c10/util/Logging.h>
#include <algorithm>
#include <cstdlib>
#include <mutex>

namespace mmgen {
namespace {
std::vector<at::Tensor> slots;
std::vector<int32_t> free_slots;
int64_t live_count = 0;
int64_t live_bytes = 0;
int64_t pending_external = 0;  // bytes not yet reported to V8, flushed in 1 MiB steps
std::vector<c10::optional<at::Generator>> generators;

// libtorch warnings (TORCH_WARN) go to stderr by default; mmgen's rule is that only the CLI prints,
// so they are queued here (deduplicated, bounded) for JS to collect with takeWarnings().
class QueueWarningHandler : public c10::WarningHandler {
 public:
  void process(const c10::SourceLocation& source_location, const std::string& msg, const bool verbatim) override {
    std::lock_guard<std::mutex> lock(mutex_);  // intra-op worker threads may warn too
    if (messages_.size() >= 64 || std::find(messages_.begin(), messages_.end(), msg) != messages_.end()) return;
    messages_.push_back(msg);
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    out.swap(messages_);
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> messages_;
};
QueueWarningHandler warning_queue;

int64_t BytesOf(const at::Tensor& tensor) {
  return tensor.defined() ? static_cast<int64_t>(tensor.numel() * tensor.element_size()) : 0;
}

void Report(Napi::Env env, int64_t delta) {
  pending_external += delta;
  if (pending_external > (1 << 20) || pending_external < -(1 << 20)) {
    int64_t adjusted = 0;
    napi_adjust_external_memory(env, pending_external, &adjusted);
    pending_external = 0;
  }
}
}  // namespace

int32_t Store(Napi::Env env, at::Tensor tensor) {
  // an undefined tensor would count as live but read as disposed: refuse it instead of leaking a slot
  if (!tensor.defined()) throw Napi::Error::New(env, "the operation returned no tensor");
  int64_t bytes = BytesOf(tensor);
  int32_t handle;
  if (!free_slots.empty()) {
    handle = free_slots.back();
    free_slots.pop_back();
    slots[handle] = std::move(tensor);
  } else {
    handle = static_cast<int32_t>(slots.size());
    slots.push_back(std::move(tensor));
  }
  live_count++;
  live_bytes += bytes;
  Report(env, bytes);
  return handle;
}

at::Tensor& Fetch(Napi::Env env, const Napi::Value& value) {
  if (!value.IsNumber()) throw Napi::TypeError::New(env, "expected a tensor handle");
  int32_t handle = value.As<Napi::Number>().Int32Value();
  if (handle < 0 || handle >= static_cast<int32_t>(slots.size()) || !slots[handle].defined()) {
    throw Napi::Error::New(env, "tensor was disposed (handle " + std::to_string(handle) + ")");
  }
  return slots[handle];
}

void Release(Napi::Env env, int32_t handle) {
  if (handle < 0 || handle >= static_cast<int32_t>(slots.size()) || !slots[handle].defined()) return;
  int64_t bytes = BytesOf(slots[handle]);
  slots[handle] = at::Tensor();
  free_slots.push_back(handle);
  live_count--;
  live_bytes -= bytes;
  Report(env, -bytes);
}

int64_t LiveCount() { return live_count; }
int64_t LiveBytes() { return live_bytes; }

int32_t StoreGenerator(at::Generator generator) {
  generators.push_back(std::move(generator));
  return static_cast<int32_t>(generators.size() - 1);
}

void ReleaseGenerator(int32_t handle) {
  if (handle >= 0 && handle < static_cast<int32_t>(generators.size())) generators[handle] = c10::nullopt;
}

at::Generator* FetchGenerator(Napi::Env env, const Napi::Value& value) {
  if (value.IsNull() || value.IsUndefined()) return nullptr;
  int32_t handle = value.As<Napi::Number>().Int32Value();
  if (handle < 0) return nullptr;
  if (handle >= static_cast<int32_t>(generators.size()) || !generators[handle].has_value()) {
    throw Napi::Error::New(env, "generator was disposed");
  }
  return &generators[handle].value();
}

c10::optional<at::Generator> Gen(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length()) return c10::nullopt;
  at::Generator* generator = FetchGenerator(info.Env(), info[i]);
  if (generator == nullptr) return c10::nullopt;
  return *generator;
}

std::vector<int64_t> IL(const Napi::CallbackInfo& info, size_t i) {
  std::vector<int64_t> out;
  if (Missing(info, i)) return out;
  if (info[i].IsNumber()) {
    out.push_back(I(info, i));
    return out;
  }
  Napi::Array array = info[i].As<Napi::Array>();
  uint32_t length = array.Length();
  out.reserve(length);
  for (uint32_t k = 0; k < length; k++) out.push_back(array.Get(k).As<Napi::Number>().Int64Value());
  return out;
}

std::vector<double> DL(const Napi::CallbackInfo& info, size_t i) {
  std::vector<double> out;
  if (Missing(info, i)) return out;
  Napi::Array array = info[i].As<Napi::Array>();
  uint32_t length = array.Length();
  out.reserve(length);
  for (uint32_t k = 0; k < length; k++) out.push_back(array.Get(k).As<Napi::Number>().DoubleValue());
  return out;
}

std::vector<at::Tensor> TL(const Napi::CallbackInfo& info, size_t i) {
  std::vector<at::Tensor> out;
  Napi::Array array = info[i].As<Napi::Array>();
  uint32_t length = array.Length();
  out.reserve(length);
  for (uint32_t k = 0; k < length; k++) out.push_back(Fetch(info.Env(), array.Get(k)));
  return out;
}

// dtype codes shared with src/tensor/dtype.ts
static const at::ScalarType kTypes[] = {at::kFloat, at::kDouble, at::kLong, at::kInt,
                                        at::kByte,  at::kBool,   at::kComplexFloat};

at::ScalarType DT(const Napi::CallbackInfo& info, size_t i) {
  int64_t code = I(info, i);
  if (code < 0 || code > 6) throw Napi::Error::New(info.Env(), "unknown dtype code " + std::to_string(code));
  return kTypes[code];
}

int DTCode(at::ScalarType type) {
  for (int k = 0; k < 7; k++)
    if (kTypes[k] == type) return k;
  return -1;
}

Napi::Value RetList(const Napi::CallbackInfo& info, const std::vector<at::Tensor>& tensors) {
  Napi::Array array = Napi::Array::New(info.Env(), tensors.size());
  for (size_t k = 0; k < tensors.size(); k++) array.Set(static_cast<uint32_t>(k), Napi::Number::New(info.Env(), Store(info.Env(), tensors[k])));
  return array;
}

// ---- bindings: lifetime, metadata, data transfer ----

MMGEN_FN(dispose) {
  Release(info.Env(), info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

MMGEN_FN(disposeMany) {
  Napi::Array array = info[0].As<Napi::Array>();
  for (uint32_t k = 0; k < array.Length(); k++) Release(info.Env(), array.Get(k).As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

MMGEN_FN(liveCount) { return Napi::Number::New(info.Env(), static_cast<double>(LiveCount())); }
MMGEN_FN(liveBytes) { return Napi::Number::New(info.Env(), static_cast<double>(LiveBytes())); }
// V8's running total of external memory (what napi_adjust_external_memory has told it); Node's
// process.memoryUsage().external does not include it.
MMGEN_FN(reportedExternalBytes) {
  int64_t total = 0;
  napi_adjust_external_memory(info.Env(), 0, &total);
  return Napi::Number::New(info.Env(), static_cast<double>(total));
}

MMGEN_FN(shape) {
  auto sizes = T(info, 0).sizes();
  Napi::Array array = Napi::Array::New(info.Env(), sizes.size());
  for (size_t k = 0; k < sizes.size(); k++) array.Set(static_cast<uint32_t>(k), Napi::Number::New(info.Env(), static_cast<double>(sizes[k])));
  return array;
}

MMGEN_FN(dtype) { return Napi::Number::New(info.Env(), DTCode(T(info, 0).scalar_type())); }

MMGEN_FN(item) {
  at::Tensor& tensor = T(info, 0);
  if (tensor.numel() != 1) throw Napi::Error::New(info.Env(), "item() needs a tensor with one element, got shape " + c10::str(tensor.sizes()));
  return Napi::Number::New(info.Env(), tensor.item().toDouble());
}

// Copies a tensor's elements into a fresh typed array of the matching kind.
MMGEN_FN(toTypedArray) {
  at::Tensor tensor = T(info, 0).detach().contiguous();
  if (tensor.is_complex()) throw Napi::Error::New(info.Env(), "complex tensors cannot be read directly; take abs() or viewAsReal() first");
  size_t bytes = tensor.numel() * tensor.element_size();
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(info.Env(), bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), tensor.data_ptr(), bytes);
  size_t n = tensor.numel();
  switch (tensor.scalar_type()) {
    case at::kFloat: return Napi::Float32Array::New(info.Env(), n, buffer, 0);
    case at::kDouble: return Napi::Float64Array::New(info.Env(), n, buffer, 0);
    case at::kLong: return Napi::TypedArrayOf<int64_t>::New(info.Env(), n, buffer, 0, napi_bigint64_array);
    case at::kInt: return Napi::Int32Array::New(info.Env(), n, buffer, 0);
    default: return Napi::Uint8Array::New(info.Env(), n, buffer, 0);
  }
}

// fromTypedArray(array, shape, dtypeCode): copies the JS memory into a new tensor.
MMGEN_FN(fromTypedArray) {
  Napi::TypedArray array = info[0].As<Napi::TypedArray>();
  std::vector<int64_t> shape = IL(info, 1);
  at::ScalarType type = DT(info, 2);
  int64_t numel = 1;
  for (int64_t s : shape) numel *= s;
  size_t element = c10::elementSize(type);
  if (static_cast<int64_t>(array.ByteLength()) != numel * static_cast<int64_t>(element)) {
    throw Napi::Error::New(info.Env(), "data has " + std::to_string(array.ByteLength() / element) + " elements but shape " +
                                           c10::str(c10::IntArrayRef(shape)) + " needs " + std::to_string(numel));
  }
  at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(type));
  uint8_t* source = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  if (numel > 0) std::memcpy(tensor.data_ptr(), source, numel * element);
  return Ret(info, tensor);
}

MMGEN_FN(toDtype) { return Ret(info, T(info, 0).to(DT(info, 1))); }
MMGEN_FN(clone) { return Ret(info, T(info, 0).clone()); }
MMGEN_FN(contiguous) { return Ret(info, T(info, 0).contiguous()); }
MMGEN_FN(alias) { return Ret(info, T(info, 0)); }

MMGEN_FN(setNumThreads) {
  at::set_num_threads(static_cast<int>(I(info, 0)));
  return info.Env().Undefined();
}
MMGEN_FN(getNumThreads) { return Napi::Number::New(info.Env(), at::get_num_threads()); }

MMGEN_FN(manualSeed) {
  at::manual_seed(static_cast<uint64_t>(I(info, 0)));
  return info.Env().Undefined();
}

MMGEN_FN(newGenerator) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(I(info, 0)));
  return Napi::Number::New(info.Env(), StoreGenerator(generator));
}

MMGEN_FN(disposeGenerator) {
  ReleaseGenerator(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// Generator state as a uint8 tensor, for exact resume of a seeded run. -1 = the default generator.
MMGEN_FN(generatorGetState) {
  at::Generator* generator = FetchGenerator(info.Env(), info[0]);
  at::Generator target = generator ? *generator : at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(target.mutex());
  return Ret(info, target.get_state());
}

MMGEN_FN(generatorSetState) {
  at::Generator* generator = FetchGenerator(info.Env(), info[0]);
  at::Generator target = generator ? *generator : at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(target.mutex());
  target.set_state(T(info, 1));
  return info.Env().Undefined();
}

// takeWarnings() -> libtorch warnings since the last call
MMGEN_FN(takeWarnings) {
  std::vector<std::string> messages = warning_queue.Take();
  Napi::Array array = Napi::Array::New(info.Env(), messages.size());
  for (size_t k = 0; k < messages.size(); k++) array.Set(static_cast<uint32_t>(k), Napi::String::New(info.Env(), messages[k]));
  return array;
}

MMGEN_FN(versionInfo) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("torch", TORCH_VERSION);
  out.Set("parallel", at::get_parallel_info());
  return out;
}

void RegisterTable(Napi::Env env, Napi::Object exports) {
  // c10::Error symbolises a C++ backtrace on construction (~5-8 ms per error) that we never show
  // (bindings report what_without_backtrace); skip it unless TORCH_SHOW_CPP_STACKTRACES=1 asks.
  const char* show = std::getenv("TORCH_SHOW_CPP_STACKTRACES");
  if (show == nullptr || std::string(show) != "1") c10::SetStackTraceFetcher([] { return std::string(); });
  c10::Warning::set_warning_handler(&warning_queue);
  MMGEN_EXPORT(exports, dispose);
  MMGEN_EXPORT(exports, disposeMany);
  MMGEN_EXPORT(exports, liveCount);
  MMGEN_EXPORT(exports, liveBytes);
  MMGEN_EXPORT(exports, reportedExternalBytes);
  MMGEN_EXPORT(exports, shape);
  MMGEN_EXPORT(exports, dtype);
  MMGEN_EXPORT(exports, item);
  MMGEN_EXPORT(exports, toTypedArray);
  MMGEN_EXPORT(exports, fromTypedArray);
  MMGEN_EXPORT(exports, toDtype);
  MMGEN_EXPORT(exports, clone);
  MMGEN_EXPORT(exports, contiguous);
  MMGEN_EXPORT(exports, alias);
  MMGEN_EXPORT(exports, setNumThreads);
  MMGEN_EXPORT(exports, getNumThreads);
  MMGEN_EXPORT(exports, manualSeed);
  MMGEN_EXPORT(exports, newGenerator);
  MMGEN_EXPORT(exports, disposeGenerator);
  MMGEN_EXPORT(exports, generatorGetState);
  MMGEN_EXPORT(exports, generatorSetState);
  MMGEN_EXPORT(exports, versionInfo);
  MMGEN_EXPORT(exports, takeWarnings);
}

}  // namespace mmgen
