// The diffusion core of joint-diffusion on its own: the cosine schedule's ends, the sampler holding a
// condition unchanged, and a toy with two linked modalities (a 2-D point each, drawn around one of four
// cluster centres, the cluster shared) where conditional samples land in the linked cluster and joint
// samples cover all four; reranking draws by the network's own denoising error finds the linked cluster more
// often.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alphaBar, alphaBarTensor, samplerTimes } from '../../src/models/joint/diffusion.js';
import { agreementSets, bestOfGroups, keepBest } from '../../src/models/joint/candidates.js';
import { LatentDiffusion } from '../../src/models/joint/latent-diffusion.js';
import { Adam } from '../../src/optim/index.js';
import { Generator, type Tensor, manualSeed, memory, randn, tensor, tidy } from '../../src/tensor/index.js';

test('ᾱ is exactly 1 at time 0 and falls monotonically to nearly 0 at time 1', () => {
  assert.equal(alphaBar(0), 1);
  const values = Array.from({ length: 101 }, (_, index) => alphaBar(index / 100));
  for (let index = 1; index < values.length; index++)
    assert.ok((values[index] as number) < (values[index - 1] as number), `ᾱ should fall at t=${index / 100}`);
  assert.ok((values[100] as number) < 1e-4, `ᾱ(1) = ${values[100]}`);
  tidy(() => {
    const fromTensor = alphaBarTensor(tensor([0, 0.5, 1])).toFlatArray();
    assert.equal(fromTensor[0], 1);
    assert.ok(Math.abs((fromTensor[1] as number) - alphaBar(0.5)) < 1e-6);
  });
  assert.deepEqual(samplerTimes(4), [1, 0.75, 0.5, 0.25, 0]);
  assert.throws(() => samplerTimes(0), /sampler steps must be an integer from 1 to 10000/);
  assert.throws(() => samplerTimes(10001), /from 1 to 10000/);
});

const A = [
  [-2, -2],
  [-2, 2],
  [2, -2],
  [2, 2],
];
// modality B places cluster k elsewhere: the link must be learned, not copied
const B = [
  [2, 2],
  [-2, -2],
  [2, -2],
  [-2, 2],
];

function toy(rows: number, generator: Generator): { latents: Tensor; clusters: number[] } {
  const clusters = Array.from({ length: rows }, (_, row) => row % 4);
  const flat = new Float32Array(rows * 4);
  clusters.forEach((cluster, row) => flat.set([...(A[cluster] as number[]), ...(B[cluster] as number[])], row * 4));
  const latents = tidy(() =>
    tensor(flat, { shape: [rows, 4] })
      .add(randn([rows, 4], { generator }).mul(0.15))
      .div(2),
  );
  return { latents, clusters };
}

const nearestCluster = (x: number, y: number, centres: number[][]): number => {
  let best = 0;
  centres.forEach((centre, index) => {
    const distance = ((centre[0] as number) / 2 - x) ** 2 + ((centre[1] as number) / 2 - y) ** 2;
    const bestCentre = centres[best] as number[];
    if (distance < ((bestCentre[0] as number) / 2 - x) ** 2 + ((bestCentre[1] as number) / 2 - y) ** 2) best = index;
  });
  return best;
};

/** The score network's options for the toy (two modalities of two dimensions). */
const toyOptions = (
  kind: 'mlp' | 'transformer',
  width: number,
  blocks: number,
  prediction: 'v' | 'epsilon',
): ConstructorParameters<typeof LatentDiffusion>[0] => ({
  modalities: 2,
  latentDim: 2,
  kind,
  width,
  blocks,
  timeFrequencies: 8,
  heads: 2,
  prediction,
  conditionProbability: 0.5,
  dropProbability: 0.1,
});

/** Trains a score network `steps` steps on `rows` toy rows, `batch` at a time; the toy and each step's score. */
function trainOnToy(
  diffusion: LatentDiffusion,
  generator: Generator,
  options: { rows: number; steps: number; batch: number },
): { latents: Tensor; scores: number[] } {
  const adam = new Adam(diffusion.parameters(), { lr: 2e-3 });
  const { latents } = toy(options.rows, generator);
  const { rows: count, batch } = options;
  const scores = Array.from({ length: options.steps }, (_, step) =>
    tidy(() => {
      const rows = tensor(BigInt64Array.from({ length: batch }, (__, i) => BigInt((step * batch + i * 7) % count)));
      const { loss, score } = diffusion.losses(latents.indexSelect(0, rows), generator);
      adam.zeroGrad();
      loss.backward();
      adam.step();
      return score;
    }),
  );
  adam.dispose();
  return { latents, scores };
}

const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

test('a toy with two linked modalities: conditional samples land in the linked cluster, joint samples cover all four', () => {
  const before = memory().tensors;
  manualSeed(3);
  const generator = new Generator(4);
  const diffusion = new LatentDiffusion(toyOptions('mlp', 128, 3, 'v'));
  const { latents, scores } = trainOnToy(diffusion, generator, { rows: 4096, steps: 1500, batch: 256 });
  const first = mean(scores.slice(0, 50));
  const last = mean(scores.slice(-50));
  assert.ok(last < first * 0.8, `the denoising loss should fall: ${first.toFixed(3)} → ${last.toFixed(3)}`);

  const { latents: test, clusters } = toy(200, generator);
  const conditional = diffusion.sample(test, { held: [true, false], steps: 50, guidance: 0, generator });
  const given = test.toFlatArray();
  const out = conditional.toFlatArray();
  let linked = 0;
  clusters.forEach((cluster, row) => {
    for (let d = 0; d < 2; d++)
      assert.equal(out[row * 4 + d], given[row * 4 + d], 'the held modality comes back unchanged');
    if (nearestCluster(out[row * 4 + 2] as number, out[row * 4 + 3] as number, B) === cluster) linked++;
  });
  assert.ok(
    linked >= 0.95 * clusters.length,
    `conditional samples in the linked cluster: ${linked} of ${clusters.length}`,
  );

  // DDPM's ancestral steps (η = 1) land in the linked cluster too, the held modality unchanged
  const ancestral = diffusion.sample(test, { held: [true, false], steps: 50, guidance: 0, eta: 1, generator });
  const drawn = ancestral.toFlatArray();
  let ancestralLinked = 0;
  clusters.forEach((cluster, row) => {
    assert.equal(drawn[row * 4], given[row * 4]);
    if (nearestCluster(drawn[row * 4 + 2] as number, drawn[row * 4 + 3] as number, B) === cluster) ancestralLinked++;
  });
  assert.ok(ancestralLinked >= 0.95 * clusters.length, `η = 1: ${ancestralLinked} of ${clusters.length} linked`);
  assert.notDeepEqual(drawn, out, 'η = 1 draws other latents than DDIM');

  const joint = diffusion.sample(test, { held: [false, false], steps: 50, guidance: 0, generator });
  const values = joint.toFlatArray();
  const seen = new Set<number>();
  let agreeing = 0;
  for (let row = 0; row < 200; row++) {
    const a = nearestCluster(values[row * 4] as number, values[row * 4 + 1] as number, A);
    const b = nearestCluster(values[row * 4 + 2] as number, values[row * 4 + 3] as number, B);
    seen.add(a);
    if (a === b) agreeing++;
  }
  assert.equal(seen.size, 4, 'joint samples cover all four clusters');
  assert.ok(agreeing >= 0.9 * 200, `joint samples link their modalities: ${agreeing} of 200`);
  for (const value of [conditional, ancestral, joint, latents, test]) value.dispose();
  diffusion.dispose();
  generator.dispose();
  assert.equal(memory().tensors, before);
});

for (const tokens of [
  [1, 1],
  [2, 1],
]) {
  const reading = tokens[0] === 1 ? 'one token per modality' : 'the first modality as two one-value cells';
  test(`the transformer score network (${reading}) learns the toy too`, () => {
    const before = memory().tensors;
    manualSeed(5);
    const generator = new Generator(6);
    const diffusion = new LatentDiffusion({ ...toyOptions('transformer', 32, 2, 'epsilon'), tokens });
    const { latents, scores } = trainOnToy(diffusion, generator, { rows: 1024, steps: 300, batch: 128 });
    const first = mean(scores.slice(0, 30));
    const last = mean(scores.slice(-30));
    assert.ok(
      last < first * 0.8,
      `the transformer's denoising loss should fall: ${first.toFixed(3)} → ${last.toFixed(3)}`,
    );
    const given = latents.narrow(0, 0, 8);
    const sampled = diffusion.sample(given, { held: [true, false], steps: 10, guidance: 1, generator });
    assert.deepEqual(sampled.shape, [8, 4]);
    for (const value of [sampled, given, latents]) value.dispose();
    diffusion.dispose();
    generator.dispose();
    assert.equal(memory().tensors, before);
  });
}

test('reranking k draws by the denoising error: more conditional draws land in the linked cluster', () => {
  assert.deepEqual(bestOfGroups([3, 1, 2, 5, 5, 4], 3), [1, 5]);
  assert.deepEqual(bestOfGroups([2, 2], 2), [0], 'a tie keeps the earlier draw');
  assert.throws(() => bestOfGroups([1, 2, 3], 2), /do not split into groups of 2/);
  // image → text and audio: each output held alone, the rest noised, the image's error counted
  assert.deepEqual(agreementSets([true, false, false], [false, true, true]), [
    { noised: [true, false, true], counted: [true, false, false] },
    { noised: [true, true, false], counted: [true, false, false] },
  ]);
  // a joint sample: each modality held alone, the error of all the others counted
  assert.deepEqual(agreementSets([false, false], [true, true]), [
    { noised: [false, true], counted: [false, true] },
    { noised: [true, false], counted: [true, false] },
  ]);
  const before = memory().tensors;
  manualSeed(1);
  const generator = new Generator(11);
  const diffusion = new LatentDiffusion(toyOptions('mlp', 64, 2, 'v'));
  // a short training leaves the link half-learnt (about 83 % of draws linked), so reranking has room to show
  const { latents } = trainOnToy(diffusion, generator, { rows: 2048, steps: 40, batch: 128 });
  const { latents: test, clusters } = toy(200, generator);
  const linkedOf = (k: number): number =>
    tidy(() => {
      const draws = diffusion.sample(test.repeatInterleave(k, 0), {
        held: [true, false],
        steps: 20,
        guidance: 0,
        generator,
      });
      const kept = keepBest(diffusion, draws, draws, { held: [true, false], outputs: [false, true] }, k, generator);
      const values = kept.toFlatArray();
      const given = test.toFlatArray();
      for (let index = 0; index < 2; index++) assert.equal(values[index], given[index], 'the held modality is kept');
      return clusters.filter(
        (cluster, row) => nearestCluster(values[row * 4 + 2] as number, values[row * 4 + 3] as number, B) === cluster,
      ).length;
    });
  const single = linkedOf(1);
  const reranked = linkedOf(8);
  assert.ok(
    reranked >= single + 10,
    `the best of 8 draws should land in the linked cluster more often: ${single} → ${reranked} of 200`,
  );
  for (const value of [latents, test]) value.dispose();
  diffusion.dispose();
  generator.dispose();
  assert.equal(memory().tensors, before);
});
