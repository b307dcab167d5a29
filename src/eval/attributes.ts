// Attribute accuracy of generated images, after the CdSprites+ protocol (Sejnova et al.): Strict is
// the fraction of images with every attribute right, Feats the mean per-attribute accuracy, each
// beside the level a random guesser would reach.

export interface AttributeAccuracy {
  accuracy: number;
  /** 1 / number of values. */
  chance: number;
  values: number;
  correct: number;
  /** The wrong reads, commonest first: the asked value index, the value read (-1: none read) and how often. */
  misses: AttributeMiss[];
}

export interface AttributeMiss {
  target: number;
  predicted: number;
  count: number;
}

export interface AttributeScores {
  images: number;
  attributes: Record<string, AttributeAccuracy>;
  /** All attributes right; chance = Π 1/|values|. */
  strict: { value: number; chance: number };
  /** Mean per-attribute accuracy; chance = mean of 1/|values|; perImage = mean count of right attributes (of `of`). */
  feats: { value: number; chance: number; perImage: number; of: number };
}

/**
 * Scores predicted value indices against target indices, per attribute. valueCounts gives each
 * attribute's number of values (the order of its keys is the report order).
 */
export function scoreAttributes(
  predictions: ReadonlyMap<string, ArrayLike<number>>,
  targets: ReadonlyMap<string, ArrayLike<number>>,
  valueCounts: Readonly<Record<string, number>>,
): AttributeScores {
  const names = Object.keys(valueCounts);
  if (names.length === 0) throw new Error('scoreAttributes needs at least one attribute');
  let images: number | undefined;
  for (const name of names) {
    const predicted = predictions.get(name);
    const target = targets.get(name);
    if (!predicted) throw new Error(`no predictions for attribute "${name}"`);
    if (!target) throw new Error(`no targets for attribute "${name}"`);
    if (predicted.length !== target.length)
      throw new Error(`attribute "${name}": ${predicted.length} predictions but ${target.length} targets`);
    if (images !== undefined && target.length !== images)
      throw new Error(`attribute "${name}" has ${target.length} images, others ${images}`);
    images = target.length;
    const count = valueCounts[name] as number;
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`attribute "${name}" must have a positive number of values, got ${count}`);
    for (let i = 0; i < target.length; i++) {
      const value = target[i] as number;
      if (!Number.isInteger(value) || value < 0 || value >= count)
        throw new Error(`attribute "${name}": target ${value} of image ${i} is not a value index in [0, ${count})`);
    }
  }
  const total = images ?? 0;
  if (total === 0) throw new Error('scoreAttributes needs at least one image');
  const allRight = new Uint8Array(total).fill(1);
  let rightCount = 0;
  const attributes: Record<string, AttributeAccuracy> = {};
  for (const name of names) {
    const predicted = predictions.get(name) as ArrayLike<number>;
    const target = targets.get(name) as ArrayLike<number>;
    let correct = 0;
    const missCounts = new Map<string, AttributeMiss>();
    for (let i = 0; i < total; i++) {
      if (predicted[i] === target[i]) {
        correct++;
        continue;
      }
      allRight[i] = 0;
      const miss = {
        target: target[i] as number,
        predicted: (predicted[i] as number) < 0 ? -1 : (predicted[i] as number),
      };
      const key = `${miss.target}:${miss.predicted}`;
      const counted = missCounts.get(key) ?? { ...miss, count: 0 };
      counted.count++;
      missCounts.set(key, counted);
    }
    rightCount += correct;
    const values = valueCounts[name] as number;
    // commonest first; ties by asked, then read value, so the order never depends on the rows' order
    const misses = [...missCounts.values()].sort(
      (a, b) => b.count - a.count || a.target - b.target || a.predicted - b.predicted,
    );
    attributes[name] = { accuracy: correct / total, chance: 1 / values, values, correct, misses };
  }
  const strict = allRight.reduce((sum, right) => sum + right, 0) / total;
  const chances = names.map((name) => 1 / (valueCounts[name] as number));
  return {
    images: total,
    attributes,
    strict: { value: strict, chance: chances.reduce((product, chance) => product * chance, 1) },
    feats: {
      value: rightCount / (total * names.length),
      chance: chances.reduce((sum, chance) => sum + chance, 0) / names.length,
      perImage: rightCount / total,
      of: names.length,
    },
  };
}

/** Value indices per attribute from attribute records ({ shape: 'heart', colour: 'red', … }). */
export function attributeTargets(
  records: readonly Readonly<Record<string, string>>[],
  attributes: Readonly<Record<string, readonly string[]>>,
): Map<string, Int32Array> {
  const targets = new Map<string, Int32Array>();
  for (const [name, values] of Object.entries(attributes)) {
    const indices = new Int32Array(records.length);
    records.forEach((record, row) => {
      const value = record[name];
      if (value === undefined)
        throw new Error(`image ${row} has no "${name}" attribute; each needs ${Object.keys(attributes).join(', ')}`);
      const index = values.indexOf(value);
      if (index < 0)
        throw new Error(
          `image ${row} has ${name} "${value}", which the judge does not know (values: ${values.join(', ')})`,
        );
      indices[row] = index;
    });
    targets.set(name, indices);
  }
  return targets;
}
