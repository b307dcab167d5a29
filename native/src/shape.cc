// Shape, view and indexing ops.
#include "common.h"

namespace mmgen {

MMGEN_FN(reshape) { return Ret(info, T(info, 0).reshape(IL(info, 1))); }
MMGEN_FN(view) { return Ret(info, T(info, 0).view(IL(info, 1))); }
MMGEN_FN(permute) { return Ret(info, T(info, 0).permute(IL(info, 1))); }
MMGEN_FN(transpose) { return Ret(info, T(info, 0).transpose(I(info, 1), I(info, 2))); }
MMGEN_FN(expand) { return Ret(info, T(info, 0).expand(IL(info, 1))); }
MMGEN_FN(squeeze) { return Missing(info, 1) ? Ret(info, T(info, 0).squeeze()) : Ret(info, T(info, 0).squeeze(I(info, 1))); }
MMGEN_FN(unsqueeze) { return Ret(info, T(info, 0).unsqueeze(I(info, 1))); }
MMGEN_FN(flatten) { return Ret(info, T(info, 0).flatten(I(info, 1), I(info, 2))); }
MMGEN_FN(cat) { return Ret(info, at::cat(TL(info, 0), I(info, 1))); }
MMGEN_FN(stack) { return Ret(info, at::stack(TL(info, 0), I(info, 1))); }
// split(t, sizes: number | number[], dim)
MMGEN_FN(split) {
  if (info[1].IsNumber()) return RetList(info, T(info, 0).split(I(info, 1), I(info, 2)));
  return RetList(info, T(info, 0).split_with_sizes(IL(info, 1), I(info, 2)));
}
MMGEN_FN(chunk) { return RetList(info, T(info, 0).chunk(I(info, 1), I(info, 2))); }
MMGEN_FN(unbind) { return RetList(info, T(info, 0).unbind(I(info, 1))); }
MMGEN_FN(narrow) { return Ret(info, T(info, 0).narrow(I(info, 1), I(info, 2), I(info, 3))); }
MMGEN_FN(select) { return Ret(info, T(info, 0).select(I(info, 1), I(info, 2))); }
// slice(t, dim, start, end, step)
MMGEN_FN(slice) { return Ret(info, T(info, 0).slice(I(info, 1), OptI(info, 2), OptI(info, 3), I(info, 4))); }
// index(t, [tensor | null, ...]): advanced indexing like t[idx0, idx1]
MMGEN_FN(index) {
  Napi::Array array = info[1].As<Napi::Array>();
  c10::List<c10::optional<at::Tensor>> indices;
  for (uint32_t k = 0; k < array.Length(); k++) {
    Napi::Value value = array.Get(k);
    if (value.IsNull() || value.IsUndefined()) indices.push_back(c10::nullopt);
    else indices.push_back(Fetch(info.Env(), value));
  }
  return Ret(info, at::index(T(info, 0), indices));
}
// indexPut(t, [indices], values, accumulate): out-of-place
MMGEN_FN(indexPut) {
  Napi::Array array = info[1].As<Napi::Array>();
  c10::List<c10::optional<at::Tensor>> indices;
  for (uint32_t k = 0; k < array.Length(); k++) {
    Napi::Value value = array.Get(k);
    if (value.IsNull() || value.IsUndefined()) indices.push_back(c10::nullopt);
    else indices.push_back(Fetch(info.Env(), value));
  }
  return Ret(info, at::index_put(T(info, 0), indices, T(info, 2), B(info, 3)));
}
MMGEN_FN(indexSelect) { return Ret(info, at::index_select(T(info, 0), I(info, 1), T(info, 2))); }
MMGEN_FN(gather) { return Ret(info, at::gather(T(info, 0), I(info, 1), T(info, 2))); }
// scatter(t, dim, index, src, add)
MMGEN_FN(scatter) {
  if (B(info, 4)) return Ret(info, at::scatter_add(T(info, 0), I(info, 1), T(info, 2), T(info, 3)));
  return Ret(info, at::scatter(T(info, 0), I(info, 1), T(info, 2), T(info, 3)));
}
MMGEN_FN(scatterValue) { return Ret(info, at::scatter(T(info, 0), I(info, 1), T(info, 2), at::Scalar(D(info, 3)))); }
MMGEN_FN(maskedFill) { return Ret(info, at::masked_fill(T(info, 0), T(info, 1), at::Scalar(D(info, 2)))); }
MMGEN_FN(maskedSelect) { return Ret(info, at::masked_select(T(info, 0), T(info, 1))); }
// pad(t, pads, mode, value): pads as in F.pad, last dim first
MMGEN_FN(pad) { return Ret(info, at::pad(T(info, 0), IL(info, 1), info[2].As<Napi::String>().Utf8Value(), OptD(info, 3))); }
MMGEN_FN(flip) { return Ret(info, at::flip(T(info, 0), IL(info, 1))); }
MMGEN_FN(roll) { return Ret(info, at::roll(T(info, 0), IL(info, 1), IL(info, 2))); }
MMGEN_FN(repeat) { return Ret(info, T(info, 0).repeat(IL(info, 1))); }
MMGEN_FN(repeatInterleave) { return Ret(info, at::repeat_interleave(T(info, 0), I(info, 1), I(info, 2))); }
MMGEN_FN(tril) { return Ret(info, at::tril(T(info, 0), I(info, 1))); }
MMGEN_FN(triu) { return Ret(info, at::triu(T(info, 0), I(info, 1))); }
MMGEN_FN(oneHot) { return Ret(info, at::one_hot(T(info, 0), I(info, 1))); }
MMGEN_FN(nonzero) { return Ret(info, at::nonzero(T(info, 0))); }
MMGEN_FN(unfold) { return Ret(info, T(info, 0).unfold(I(info, 1), I(info, 2), I(info, 3))); }
MMGEN_FN(pixelShuffle) { return Ret(info, at::pixel_shuffle(T(info, 0), I(info, 1))); }

void RegisterShape(Napi::Env env, Napi::Object exports) {
  MMGEN_EXPORT(exports, reshape);
  MMGEN_EXPORT(exports, view);
  MMGEN_EXPORT(exports, permute);
  MMGEN_EXPORT(exports, transpose);
  MMGEN_EXPORT(exports, expand);
  MMGEN_EXPORT(exports, squeeze);
  MMGEN_EXPORT(exports, unsqueeze);
  MMGEN_EXPORT(exports, flatten);
  MMGEN_EXPORT(exports, cat);
  MMGEN_EXPORT(exports, stack);
  MMGEN_EXPORT(exports, split);
  MMGEN_EXPORT(exports, chunk);
  MMGEN_EXPORT(exports, unbind);
  MMGEN_EXPORT(exports, narrow);
  MMGEN_EXPORT(exports, select);
  MMGEN_EXPORT(exports, slice);
  MMGEN_EXPORT(exports, index);
  MMGEN_EXPORT(exports, indexPut);
  MMGEN_EXPORT(exports, indexSelect);
  MMGEN_EXPORT(exports, gather);
  MMGEN_EXPORT(exports, scatter);
  MMGEN_EXPORT(exports, scatterValue);
  MMGEN_EXPORT(exports, maskedFill);
  MMGEN_EXPORT(exports, maskedSelect);
  MMGEN_EXPORT(exports, pad);
  MMGEN_EXPORT(exports, flip);
  MMGEN_EXPORT(exports, roll);
  MMGEN_EXPORT(exports, repeat);
  MMGEN_EXPORT(exports, repeatInterleave);
  MMGEN_EXPORT(exports, tril);
  MMGEN_EXPORT(exports, triu);
  MMGEN_EXPORT(exports, oneHot);
  MMGEN_EXPORT(exports, nonzero);
  MMGEN_EXPORT(exports, unfold);
  MMGEN_EXPORT(exports, pixelShuffle);
}

}  // namespace mmgen
