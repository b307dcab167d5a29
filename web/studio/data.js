// Data: a dataset's counts per split and attribute, and its contact sheet.
import { fileUrl, get } from './api.js';
import { el, fillSelect, guarded } from './ui.js';

const section = document.getElementById('data');
const form = document.getElementById('data-form');
const counts = document.getElementById('data-counts');
const sheet = document.getElementById('data-sheet');

export function setDatasets(datasets) {
  fillSelect(form.elements.dataset, datasets);
}

async function show(page) {
  const name = form.elements.dataset.value;
  if (!name) throw new Error('no datasets in the server’s data folder (mmgen serve --data DIR)');
  page.status(`reading ${name}…`);
  const dataset = await get(`/v1/datasets/${encodeURIComponent(name)}`);
  const { splits, attributes } = dataset.counts;
  const row = (label, c) =>
    el(
      'tr',
      {},
      el('th', { text: label }),
      ...['train', 'val', 'test', 'total'].map((split) => el('td', { text: c[split] })),
    );
  const rows = [row('all samples', splits)];
  for (const [attribute, values] of Object.entries(attributes))
    for (const [value, c] of Object.entries(values)) rows.push(row(`${attribute}: ${value}`, c));
  counts.replaceChildren(
    el('p', { text: dataset.info.description || dataset.info.name }),
    el(
      'div',
      { class: 'table-wrap' },
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, ...['', 'train', 'val', 'test', 'total'].map((text) => el('th', { text })))),
        el('tbody', {}, ...rows),
      ),
    ),
  );
  sheet.src = fileUrl(dataset.sheet);
  sheet.hidden = false;
  page.status(`${name}: ${splits.total} samples`);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  guarded(section, show);
});
