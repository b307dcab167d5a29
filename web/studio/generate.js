// Generate: run, prompt, n, seed → images or clips; a gallery of earlier outputs that re-run on a click.
import { fileUrl, get, send } from './api.js';
import { el, fillSelect, guarded, renderResult } from './ui.js';

const section = document.getElementById('generate');
const form = document.getElementById('generate-form');
const results = document.getElementById('generate-results');
const gallery = document.getElementById('gallery');

export function setRuns(runs) {
  fillSelect(
    form.elements.run,
    runs.filter((run) => run.capabilities.includes('generate')).map((run) => run.id),
  );
}

async function generate(page) {
  const data = new FormData(form);
  const body = {
    run: data.get('run'),
    text: data.get('text'),
    n: Number(data.get('n')),
    seed: Number(data.get('seed')),
  };
  if (!body.run) throw new Error('no run can generate: train a text→image or text→audio run first');
  page.status(`generating ${body.n} for “${body.text}”…`);
  const started = performance.now();
  const result = await send('POST', '/v1/generate', body);
  renderResult(results, result, body.text);
  page.status(
    `${result.files.filter((file) => file.kind !== 'spectrogram').length} outputs in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${body.seed})`,
  );
  await refreshGallery();
}

export async function refreshGallery() {
  const { jobs } = await get('/v1/jobs?limit=50');
  const done = jobs.filter((job) => job.spec.task === 'generate' && job.state === 'done' && job.result);
  gallery.replaceChildren(
    ...done.slice(0, 24).map((job) => {
      const first = job.result.files.find((file) => file.kind === 'image' || file.kind === 'spectrogram');
      const { n, seed } = job.spec.params;
      const label = `${job.spec.run}: “${job.spec.inputs.text}” n=${n ?? 4} seed=${seed ?? 0}`;
      return el(
        'li',
        {},
        el(
          'button',
          {
            type: 'button',
            'aria-label': `run again ${label}`,
            onclick: () => {
              form.elements.run.value = job.spec.run;
              form.elements.text.value = job.spec.inputs.text;
              form.elements.n.value = n ?? 4;
              form.elements.seed.value = seed ?? 0;
              form.requestSubmit();
            },
          },
          ...(first ? [el('img', { src: fileUrl(first.url), alt: '' })] : []),
          el('span', { text: label }),
        ),
      );
    }),
  );
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  guarded(section, generate);
});
