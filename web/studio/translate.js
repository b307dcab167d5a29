// Translate (joint runs): any of text, image, sound → the others.
import { send, upload } from './api.js';
import { fillSelect, guarded, renderResult } from './ui.js';

const section = document.getElementById('translate');
const form = document.getElementById('translate-form');
const results = document.getElementById('translate-results');

export function setRuns(runs) {
  fillSelect(
    form.elements.run,
    runs.filter((run) => run.capabilities.includes('translate')).map((run) => run.id),
  );
}

async function translate(page) {
  const data = new FormData(form);
  if (!data.get('run'))
    throw new Error('no joint run to translate with: train a joint-vae or joint-diffusion run first');
  const body = {
    run: data.get('run'),
    to: data.getAll('to'),
    n: Number(data.get('n')),
    seed: Number(data.get('seed')),
  };
  if (data.get('text')) body.text = data.get('text');
  for (const name of ['image', 'audio']) {
    const file = form.elements[name].files[0];
    if (file) body[name] = (await upload('/v1/uploads', file)).path;
  }
  if (!body.text && !body.image && !body.audio) throw new Error('give a text, an image or a sound to translate');
  page.status('translating…');
  renderResult(results, await send('POST', '/v1/translate', body));
  page.status('done');
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  guarded(section, translate);
});
