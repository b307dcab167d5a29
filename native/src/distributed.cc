// Data-parallel collectives over libtorch's own c10d: a TCPStore (rank 0 hosts it) and a
// ProcessGroupGloo. Kept in its own translation unit: the c10d and gloo headers are heavy.
// Collectives run synchronously on the calling thread and flatten a list of tensors into a few
// contiguous buckets in C++, so no tensor handle is created (nothing to leak) and one bucket costs
// one Gloo call.
#define USE_C10D_GLOO 1
#include "common.h"
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <ATen/core/grad_mode.h>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>

namespace mmgen {

namespace {

struct Group {
  c10::intrusive_ptr<c10d::Store> store;      // the TCP store every rank shares
  c10::intrusive_ptr<c10d::Store> userStore;  // our own keys, under a prefix
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{0};
};

std::map<int32_t, std::unique_ptr<Group>> groups;
int32_t nextGroup = 1;

Group& FetchGroup(const Napi::CallbackInfo& info, size_t i) {
  int32_t handle = info[i].As<Napi::Number>().Int32Value();
  auto found = groups.find(handle);
  if (found == groups.end()) throw Napi::Error::New(info.Env(), "process group " + std::to_string(handle) + " is not open (destroyed?)");
  return *found->second;
}

bool IsLoopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1"; }

// Groups tensors (same dtype, in order) into buckets of at most bucketBytes; a tensor larger than
// the limit gets a bucket of its own.
std::vector<std::vector<at::Tensor>> Buckets(const std::vector<at::Tensor>& tensors, int64_t bucketBytes) {
  std::vector<std::vector<at::Tensor>> buckets;
  int64_t filled = 0;
  for (const auto& tensor : tensors) {
    int64_t bytes = tensor.numel() * static_cast<int64_t>(tensor.element_size());
    bool startNew = buckets.empty() || filled + bytes > bucketBytes || buckets.back().front().scalar_type() != tensor.scalar_type();
    if (startNew) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(tensor);
    filled += bytes;
  }
  return buckets;
}

at::Tensor Flatten(const std::vector<at::Tensor>& bucket) {
  if (bucket.size() == 1 && bucket[0].is_contiguous()) return bucket[0].view({-1});
  std::vector<at::Tensor> flat;
  flat.reserve(bucket.size());
  for (const auto& tensor : bucket) flat.push_back(tensor.reshape({-1}));
  return at::cat(flat);
}

void Unflatten(const at::Tensor& flat, const std::vector<at::Tensor>& bucket) {
  if (bucket.size() == 1 && bucket[0].is_contiguous()) return;  // reduced in place through the view
  int64_t offset = 0;
  for (const auto& tensor : bucket) {
    int64_t count = tensor.numel();
    tensor.copy_(flat.narrow(0, offset, count).view(tensor.sizes()));
    offset += count;
  }
}

void Wait(const Group& group, const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
  if (!work->wait(group.timeout)) throw std::runtime_error(std::string(what) + " did not finish within the timeout");
}

}  // namespace

// distInit(rank, worldSize, host, port, timeoutMs, deviceHost | null) -> group handle.
// Rank 0 hosts the TCP store on port (0 = any free port; read it back with distStorePort);
// every rank blocks until all have joined or the timeout passes.
MMGEN_FN(distInit) {
  int rank = static_cast<int>(I(info, 0));
  int size = static_cast<int>(I(info, 1));
  std::string host = info[2].As<Napi::String>().Utf8Value();
  int64_t port = I(info, 3);
  std::chrono::milliseconds timeout(I(info, 4));
  std::string deviceHost = Missing(info, 5) ? std::string() : info[5].As<Napi::String>().Utf8Value();
  TORCH_CHECK(size >= 1, "world size must be at least 1, got ", size);
  TORCH_CHECK(rank >= 0 && rank < size, "rank must be in 0..", size - 1, ", got ", rank);
  TORCH_CHECK(port >= 0 && port <= 65535, "port must be in 0..65535, got ", port);

  auto entry = std::make_unique<Group>();
  entry->rank = rank;
  entry->size = size;
  entry->timeout = timeout;
  c10d::TCPStoreOptions storeOptions;
  storeOptions.port = static_cast<std::uint16_t>(port);
  storeOptions.isServer = rank == 0;
  storeOptions.numWorkers = static_cast<std::size_t>(size);
  storeOptions.waitWorkers = true;
  storeOptions.timeout = timeout;
  entry->store = c10::make_intrusive<c10d::TCPStore>(host, storeOptions);
  entry->userStore = c10::make_intrusive<c10d::PrefixStore>("mmgen", entry->store);

  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  // as in PyTorch: GLOO_SOCKET_IFNAME names the network interface to use across hosts (a host name that
  // resolves to 127.0.1.1, Debian's default, would otherwise bind loopback)
  const char* interfaceName = std::getenv("GLOO_SOCKET_IFNAME");
  if (interfaceName != nullptr && interfaceName[0] != '\0') {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interfaceName));
  } else if (!deviceHost.empty()) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(deviceHost));
  } else if (IsLoopback(host)) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  options->threads = 1;
  entry->group = c10::make_intrusive<c10d::ProcessGroupGloo>(entry->store, rank, size, options);
  int32_t handle = nextGroup++;
  groups[handle] = std::move(entry);
  return Napi::Number::New(info.Env(), handle);
}

// distStorePort(group) -> the port the TCP store listens on (useful when rank 0 asked for port 0)
MMGEN_FN(distStorePort) {
  Group& group = FetchGroup(info, 0);
  auto* tcp = dynamic_cast<c10d::TCPStore*>(group.store.get());
  return Napi::Number::New(info.Env(), tcp == nullptr ? 0 : tcp->getPort());
}

// distAllReduce(group, tensors[], bucketBytes, scale): sums every tensor across ranks in place,
// then multiplies by scale (1 / worldSize averages). Tensors are reduced in flat buckets.
MMGEN_FN(distAllReduce) {
  Group& group = FetchGroup(info, 0);
  std::vector<at::Tensor> tensors = TL(info, 1);
  int64_t bucketBytes = I(info, 2);
  double scale = D(info, 3);
  at::NoGradGuard noGrad;
  auto buckets = Buckets(tensors, bucketBytes);
  std::vector<at::Tensor> flats;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (const auto& bucket : buckets) {
    flats.push_back(Flatten(bucket));
    std::vector<at::Tensor> one{flats.back()};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    options.timeout = group.timeout;
    works.push_back(group.group->allreduce(one, options));
  }
  for (size_t k = 0; k < buckets.size(); k++) {
    Wait(group, works[k], "allReduce");
    if (scale != 1.0) flats[k].mul_(scale);
    Unflatten(flats[k], buckets[k]);
  }
  return Napi::Number::New(info.Env(), static_cast<double>(buckets.size()));
}

// distBroadcast(group, tensors[], root, bucketBytes): every rank's tensors take root's values, in place.
MMGEN_FN(distBroadcast) {
  Group& group = FetchGroup(info, 0);
  std::vector<at::Tensor> tensors = TL(info, 1);
  int root = static_cast<int>(I(info, 2));
  int64_t bucketBytes = I(info, 3);
  TORCH_CHECK(root >= 0 && root < group.size, "broadcast root must be in 0..", group.size - 1, ", got ", root);
  at::NoGradGuard noGrad;
  auto buckets = Buckets(tensors, bucketBytes);
  for (const auto& bucket : buckets) {
    at::Tensor flat = Flatten(bucket);
    std::vector<at::Tensor> one{flat};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    options.timeout = group.timeout;
    Wait(group, group.group->broadcast(one, options), "broadcast");
    Unflatten(flat, bucket);
  }
  return info.Env().Undefined();
}

// distBarrier(group): returns when every rank has reached it (or throws after the timeout)
MMGEN_FN(distBarrier) {
  Group& group = FetchGroup(info, 0);
  c10d::BarrierOptions options;
  options.timeout = group.timeout;
  Wait(group, group.group->barrier(options), "barrier");
  return info.Env().Undefined();
}

// distStoreSet(group, key, value) / distStoreCheck(group, keys[]) -> bool / distStoreGet(group, key) -> string:
// small keys on the shared store, for saying "rank r is still here" after a collective fails.
MMGEN_FN(distStoreSet) {
  Group& group = FetchGroup(info, 0);
  std::string value = info[2].As<Napi::String>().Utf8Value();
  group.userStore->set(info[1].As<Napi::String>().Utf8Value(), std::vector<uint8_t>(value.begin(), value.end()));
  return info.Env().Undefined();
}
MMGEN_FN(distStoreCheck) {
  Group& group = FetchGroup(info, 0);
  Napi::Array keys = info[1].As<Napi::Array>();
  std::vector<std::string> names;
  for (uint32_t k = 0; k < keys.Length(); k++) names.push_back(keys.Get(k).As<Napi::String>().Utf8Value());
  return Napi::Boolean::New(info.Env(), group.userStore->check(names));
}
MMGEN_FN(distStoreGet) {
  Group& group = FetchGroup(info, 0);
  std::vector<uint8_t> value = group.userStore->get(info[1].As<Napi::String>().Utf8Value());
  return Napi::String::New(info.Env(), std::string(value.begin(), value.end()));
}

// distDestroy(group): closes the group's connections and, on rank 0, the store.
MMGEN_FN(distDestroy) {
  int32_t handle = info[0].As<Napi::Number>().Int32Value();
  groups.erase(handle);
  return info.Env().Undefined();
}

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  MMGEN_EXPORT(exports, distInit);
  MMGEN_EXPORT(exports, distStorePort);
  MMGEN_EXPORT(exports, distAllReduce);
  MMGEN_EXPORT(exports, distBroadcast);
  MMGEN_EXPORT(exports, distBarrier);
  MMGEN_EXPORT(exports, distStoreSet);
  MMGEN_EXPORT(exports, distStoreCheck);
  MMGEN_EXPORT(exports, distStoreGet);
  MMGEN_EXPORT(exports, distDestroy);
}

}  // namespace mmgen
