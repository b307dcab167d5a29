// The layers of DESIGN.md, enforced: a file imports only from its own layer or below
//   cli/serve/web > train/eval > models > data/builders > modalities > data > nn/optim > tensor > native
// and modalities/* never import each other (fusion lives in models/). Type-only imports count too.
// Run: npm run lint:layers (npm test runs it first).
const SURFACES = '^src/(cli|serve|web)/';
const TRAIN_EVAL = '^src/(train|eval)/';
const MODELS = '^src/models/';
const BUILDERS = '^src/data/builders/';
const MODALITIES = '^src/modalities/';
const DATA = '^src/data/(?!builders/)';
const NN_OPTIM = '^src/(nn|optim)/';
const TENSOR = '^src/tensor/';

/** A rule: nothing in `below` (listed lowest first) imports from `layer`. */
const upward = (name, layer, below) => ({
  name,
  severity: 'error',
  comment: `imports point down the layers (DESIGN.md): ${name.replace(/^no-/, '').replace(/-/g, ' ')}`,
  from: { path: below },
  to: { path: layer },
});

module.exports = {
  forbidden: [
    upward('no-import-of-surfaces-from-below', SURFACES, [
      TRAIN_EVAL,
      MODELS,
      '^src/data/',
      MODALITIES,
      NN_OPTIM,
      TENSOR,
    ]),
    upward('no-import-of-train-or-eval-from-below', TRAIN_EVAL, [MODELS, '^src/data/', MODALITIES, NN_OPTIM, TENSOR]),
    upward('no-import-of-models-from-below', MODELS, ['^src/data/', MODALITIES, NN_OPTIM, TENSOR]),
    upward('no-import-of-builders-from-below', BUILDERS, [DATA, MODALITIES, NN_OPTIM, TENSOR]),
    upward('no-import-of-modalities-from-below', MODALITIES, [DATA, NN_OPTIM, TENSOR]),
    upward('no-import-of-data-from-below', '^src/data/', [NN_OPTIM, TENSOR]),
    upward('no-import-of-nn-or-optim-from-tensor', NN_OPTIM, [TENSOR]),
    {
      name: 'no-eval-from-train',
      severity: 'error',
      comment:
        'training never depends on evaluation (shared helpers live lower: data/split-features.ts, modalities/text/normalize.ts)',
      from: { path: '^src/train/' },
      to: { path: '^src/eval/' },
    },
    {
      name: 'no-modality-imports-another',
      severity: 'error',
      comment: 'modalities/* never import each other; fusion lives in models/ (DESIGN.md)',
      from: { path: '^src/modalities/([^/]+)/' },
      to: { path: MODALITIES, pathNot: ['^src/modalities/$1/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
