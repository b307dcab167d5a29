import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tensor, tidy } from '../../src/tensor/index.js';
import { Tokenizer, normalizeText, specialTokens } from '../../src/modalities/text/index.js';
import { inScratchFolder, withoutLeaks } from './helpers.js';

const captions = [
  'big blue heart at top left',
  'small red circle at bottom right',
  'big red square at top right',
  'small blue heart on dark',
];

test('normalisation: NFKC, lowercase, whitespace, optional punctuation stripping', () => {
  assert.equal(normalizeText('  The ﬁne  ＡＢＣ\tcafé\n'), 'the fine abc café');
  assert.equal(normalizeText('Don’t stop—now! (ok?)', { stripPunctuation: true }), 'dont stop now ok');
  assert.equal(normalizeText('Keep  Case', { lowercase: false, collapseWhitespace: false }), 'Keep  Case');
  // NFKC folds the precomposed and combining forms of é together.
  assert.equal(normalizeText('cafe\u0301'), normalizeText('caf\u00e9'));
});

test('character tokenizer: specials first, vocabulary by frequency, encode/decode round trip, unk', () => {
  const tokenizer = Tokenizer.fromCorpus(['abba', 'cab'], { level: 'char' });
  // a: 3, b: 3, c: 1 -> ties in code-point order.
  assert.deepEqual(tokenizer.tokens, [
    specialTokens.pad,
    specialTokens.bos,
    specialTokens.eos,
    specialTokens.unk,
    'a',
    'b',
    'c',
  ]);
  assert.deepEqual([tokenizer.padId, tokenizer.bosId, tokenizer.eosId, tokenizer.unkId], [0, 1, 2, 3]);
  assert.deepEqual(tokenizer.encode('Cab'), [6, 4, 5]);
  assert.deepEqual(tokenizer.encode('cab', { addBos: true, addEos: true }), [1, 6, 4, 5, 2]);
  assert.deepEqual(tokenizer.encode('abz'), [4, 5, 3], 'an unseen character is unk');
  assert.equal(tokenizer.decode([1, 6, 4, 5, 2, 4, 0]), 'cab', 'decode stops at eos and skips specials');
  assert.equal(tokenizer.decode([1, 6, 2, 4], { stopAtEos: false }), 'ca');
  assert.equal(tokenizer.decode([1, 6, 3], { skipSpecial: false }), '<bos>c<unk>');
  assert.throws(() => tokenizer.decode([99]), /token id 99 is outside the vocabulary \(0\.\.6\)/);
  const full = Tokenizer.fromCorpus(captions, { level: 'char' });
  for (const caption of captions)
    assert.equal(full.decode(full.encode(caption, { addBos: true, addEos: true })), caption);
});

test('word tokenizer: punctuation tokens, minimum frequency and maximum size', () => {
  const tokenizer = Tokenizer.fromCorpus(captions, { level: 'word' });
  assert.deepEqual(tokenizer.tokenize('Big, blue heart!'), ['big', ',', 'blue', 'heart', '!']);
  for (const caption of captions) assert.equal(tokenizer.decode(tokenizer.encode(caption)), caption);
  const punctuated = Tokenizer.fromCorpus(['hello, world! (twice) hello'], { level: 'word' });
  assert.equal(punctuated.decode(punctuated.encode('Hello, world! (twice)')), 'hello, world! (twice)');
  // Counts: at 3; big, blue, heart, red, right, small, top 2; the rest 1.
  const frequent = Tokenizer.fromCorpus(captions, { level: 'word', minFrequency: 2 });
  assert.deepEqual(frequent.tokens.slice(4), ['at', 'big', 'blue', 'heart', 'red', 'right', 'small', 'top']);
  assert.deepEqual(frequent.encode('big green heart'), [5, 3, 7]);
  const capped = Tokenizer.fromCorpus(captions, { level: 'word', maxSize: 7 });
  assert.equal(capped.vocabularySize, 7);
  assert.deepEqual(capped.tokens.slice(4), ['at', 'big', 'blue']);
  assert.throws(() => Tokenizer.fromCorpus(captions, { level: 'word', maxSize: 4 }), /maxSize must leave room/);
  assert.throws(() => Tokenizer.fromCorpus(['', '  '], { level: 'char' }), /no char tokens/);
});

test('empty and over-long texts: clear errors, or truncation when asked', () => {
  const tokenizer = Tokenizer.fromCorpus(captions, { level: 'word' });
  assert.throws(() => tokenizer.encode('  '), /cannot encode an empty text/);
  assert.deepEqual(tokenizer.encode('', { addBos: true, addEos: true, allowEmpty: true }), [1, 2]);
  assert.throws(
    () => tokenizer.encode('big blue heart at top left', { maxLength: 4 }),
    /has 6 tokens, more than maxLength 4; pass truncate: true/,
  );
  const cut = tokenizer.encode('big blue heart at top left', {
    maxLength: 4,
    addBos: true,
    addEos: true,
    truncate: true,
  });
  assert.equal(cut.length, 4);
  assert.deepEqual([cut[0], cut[3]], [1, 2], 'bos and eos survive truncation');
  assert.equal(tokenizer.decode(cut), 'big blue');
  assert.throws(
    () => tokenizer.encode('big', { maxLength: 2, addBos: true, addEos: true }),
    /maxLength must be an integer of at least 3/,
  );
});

test('batches: int64 ids padded with 0, bool mask, lengths; fixed length; no tensor leaks', async () => {
  const tokenizer = Tokenizer.fromCorpus(captions, { level: 'word' });
  await withoutLeaks(() =>
    tidy(() => {
      const { ids, mask, lengths } = tokenizer.encodeBatch(
        ['big blue heart', 'red', 'small red circle at bottom right'],
        { addBos: true, addEos: true },
      );
      assert.deepEqual(lengths, [5, 3, 8]);
      assert.equal(ids.dtype, 'int64');
      assert.equal(mask.dtype, 'bool');
      assert.deepEqual(ids.shape, [3, 8]);
      const rows = ids.toArray() as number[][];
      assert.deepEqual(rows[1], [1, tokenizer.tokenToId('red'), 2, 0, 0, 0, 0, 0]);
      assert.deepEqual(
        mask.toArray(),
        lengths.map((length) => Array.from({ length: 8 }, (_, t) => (t < length ? 1 : 0))),
      );
      assert.deepEqual(tokenizer.decodeBatch(ids), ['big blue heart', 'red', 'small red circle at bottom right']);
      assert.equal(mask.sum().item(), 16);
      const fixed = tokenizer.encodeBatch(['red', 'big blue heart at top left'], {
        maxLength: 6,
        fixedLength: true,
        truncate: true,
        addEos: true,
      });
      assert.deepEqual(fixed.ids.shape, [2, 6]);
      assert.deepEqual(fixed.lengths, [2, 6]);
      assert.throws(() => tokenizer.encodeBatch(['red', ''], {}), /text 1 of the batch: cannot encode an empty text/);
      assert.throws(
        () => tokenizer.encodeBatch(['red', 'big blue heart'], { maxLength: 2 }),
        /text 1 of the batch: .*more than maxLength 2/,
      );
      assert.throws(() => tokenizer.encodeBatch([]), /at least one text/);
      assert.throws(() => tokenizer.decodeBatch(tensor([1.5, 2])), /\[B, T\]/);
    }),
  );
});

test('save and load as JSON keep the tokenizer; broken files name the file', async () => {
  await inScratchFolder(async (folder) => {
    const tokenizer = Tokenizer.fromCorpus(captions, { level: 'char', stripPunctuation: true, minFrequency: 2 });
    const path = join(folder, 'tokenizer.json');
    await tokenizer.save(path);
    assert.deepEqual(await readdir(folder), ['tokenizer.json'], 'no temporary file left');
    const json = JSON.parse(await readFile(path, 'utf8')) as { format: string; level: string; tokens: string[] };
    assert.equal(json.format, 'mmgen-tokenizer');
    assert.deepEqual(json.tokens, tokenizer.tokens);
    const loaded = await Tokenizer.load(path);
    assert.deepEqual(loaded.toJSON(), tokenizer.toJSON());
    assert.deepEqual(loaded.encode('Big, red!'), tokenizer.encode('Big, red!'));
    await writeFile(path, '{"format": "mmgen-tokenizer", "version": 1, "level": "char"');
    await assert.rejects(Tokenizer.load(path), new RegExp(`tokenizer ${path} is not valid JSON`));
    await writeFile(path, JSON.stringify({ ...json, level: 'bpe' }));
    await assert.rejects(Tokenizer.load(path), /is not an mmgen tokenizer: level/);
    await writeFile(path, JSON.stringify({ ...json, tokens: ['a', 'b', 'c', 'd', 'e'] }));
    await assert.rejects(Tokenizer.load(path), /token 0 must be the special token <pad>/);
    await assert.rejects(Tokenizer.load(join(folder, 'none.json')), /none\.json: no such file/);
  });
});
