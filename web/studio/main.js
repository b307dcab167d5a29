// The studio: one page per hash (#generate, #understand, #translate, #train, #data), filled from the API.
import { get } from './api.js';
import * as data from './data.js';
import * as generate from './generate.js';
import * as train from './train.js';
import * as translate from './translate.js';
import * as understand from './understand.js';
import { feedback } from './ui.js';

const pages = ['generate', 'understand', 'translate', 'train', 'data'];

function show() {
  const page = pages.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'generate';
  for (const name of pages) document.getElementById(name).hidden = name !== page;
  for (const link of document.querySelectorAll('nav a')) {
    if (link.getAttribute('href') === `#${page}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function load() {
  try {
    const [{ runs }, { datasets }, { configs }] = await Promise.all([
      get('/v1/runs'),
      get('/v1/datasets'),
      get('/v1/configs'),
    ]);
    generate.setRuns(runs);
    understand.setRuns(runs);
    translate.setRuns(runs);
    train.setRuns(runs);
    train.setChoices({ datasets, configs });
    data.setDatasets(datasets);
    await generate.refreshGallery();
    document.body.dataset.ready = 'true';
  } catch (error) {
    for (const name of pages) feedback(document.getElementById(name)).error(`cannot reach the API: ${error.message}`);
  }
}

const token = document.getElementById('token');
token.value = localStorage.getItem('mmgen-token') || '';
token.addEventListener('change', () => {
  localStorage.setItem('mmgen-token', token.value);
  load();
});
window.addEventListener('hashchange', show);
document.addEventListener('runs-changed', load);
show();
load();
