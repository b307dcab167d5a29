// Shared helpers for every binding: the tensor handle table, argument readers and the
// exception wrapper that turns libtorch errors into JS Errors (an uncaught C++ exception
// would kill the process).
#pragma once
#include <napi.h>
#include <ATen/ATen.h>
#include <string>
#include <vector>

namespace mmgen {

// ---- handle table (table.cc) ----
int32_t Store(Napi::Env env, at::Tensor tensor);
at::Tensor& Fetch(Napi::Env env, const Napi::Value& value);
void Release(Napi::Env env, int32_t handle);
int64_t LiveCount();
int64_t LiveBytes();
at::Generator* FetchGenerator(Napi::Env env, const Napi::Value& value);  // nullptr = default
int32_t StoreGenerator(at::Generator generator);
void ReleaseGenerator(int32_t handle);

// ---- argument readers ----
inline at::Tensor& T(const Napi::CallbackInfo& info, size_t i) { return Fetch(info.Env(), info[i]); }
inline bool Missing(const Napi::CallbackInfo& info, size_t i) {
  return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined();
}
inline c10::optional<at::Tensor> OptT(const Napi::CallbackInfo& info, size_t i) {
  if (Missing(info, i)) return c10::nullopt;
  if (info[i].IsNumber() && info[i].As<Napi::Number>().Int32Value() < 0) return c10::nullopt;
  return Fetch(info.Env(), info[i]);
}
inline int64_t I(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
inline double D(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
inline bool B(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }
inline c10::optional<int64_t> OptI(const Napi::CallbackInfo& info, size_t i) {
  if (Missing(info, i)) return c10::nullopt;
  return I(info, i);
}
inline c10::optional<double> OptD(const Napi::CallbackInfo& info, size_t i) {
  if (Missing(info, i)) return c10::nullopt;
  return D(info, i);
}
std::vector<int64_t> IL(const Napi::CallbackInfo& info, size_t i);
std::vector<double> DL(const Napi::CallbackInfo& info, size_t i);
std::vector<at::Tensor> TL(const Napi::CallbackInfo& info, size_t i);
at::ScalarType DT(const Napi::CallbackInfo& info, size_t i);
int DTCode(at::ScalarType type);
c10::optional<at::Generator> Gen(const Napi::CallbackInfo& info, size_t i);

inline Napi::Value Ret(const Napi::CallbackInfo& info, at::Tensor tensor) {
  return Napi::Number::New(info.Env(), Store(info.Env(), std::move(tensor)));
}
Napi::Value RetList(const Napi::CallbackInfo& info, const std::vector<at::Tensor>& tensors);

using Register = void (*)(Napi::Env, Napi::Object);
void RegisterTable(Napi::Env env, Napi::Object exports);
void RegisterCreate(Napi::Env env, Napi::Object exports);
void RegisterMath(Napi::Env env, Napi::Object exports);
void RegisterShape(Napi::Env env, Napi::Object exports);
void RegisterNN(Napi::Env env, Napi::Object exports);
void RegisterAutograd(Napi::Env env, Napi::Object exports);
void RegisterLinalg(Napi::Env env, Napi::Object exports);

}  // namespace mmgen

// Defines a binding whose body may throw anything: c10::Error and std::exception become JS Errors.
#define MMGEN_FN(name)                                                                  \
  static Napi::Value name##_body(const Napi::CallbackInfo& info);                       \
  static Napi::Value name(const Napi::CallbackInfo& info) {                             \
    try {                                                                               \
      return name##_body(info);                                                         \
    } catch (const Napi::Error&) {                                                      \
      throw;                                                                            \
    } catch (const c10::Error& error) {                                                 \
      throw Napi::Error::New(info.Env(), std::string(#name ": ") + error.what_without_backtrace()); \
    } catch (const std::exception& error) {                                             \
      throw Napi::Error::New(info.Env(), std::string(#name ": ") + error.what());       \
    } catch (...) {                                                                     \
      throw Napi::Error::New(info.Env(), std::string(#name ": unknown native error"));  \
    }                                                                                   \
  }                                                                                     \
  static Napi::Value name##_body(const Napi::CallbackInfo& info)

#define MMGEN_EXPORT(exports, name) exports.Set(#name, Napi::Function::New(env, name, #name))
