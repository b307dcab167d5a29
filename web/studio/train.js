// Train: dataset + config → a training job; loss curves (uPlot) and the sample grid follow its events; cancel.
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { fileUrl, followJob, send } from './api.js';
import { el, feedback, fillSelect, guarded } from './ui.js';

const section = document.getElementById('train');
const form = document.getElementById('train-form');
const cancel = document.getElementById('train-cancel');
const chartBox = document.getElementById('loss-chart');
const bar = document.getElementById('train-progress');
const sample = document.getElementById('train-sample');
const COLOURS = ['#2457c5', '#d1495b', '#00798c', '#edae49', '#66a182', '#8d6a9f'];
let current;

export function setChoices({ datasets, configs }) {
  fillSelect(form.elements.dataset, ['', ...datasets], (name) => name || '(the config’s own)');
  fillSelect(form.elements.config, configs);
}

export function setRuns(runs) {
  const body = document.querySelector('#runs-table tbody');
  body.replaceChildren(
    ...runs.map((run) =>
      el(
        'tr',
        {},
        el('td', { text: run.id }),
        el('td', { text: run.recipe }),
        el('td', { text: run.step ?? '' }),
        el('td', { text: run.capabilities.join(', ') }),
        el('td', {
          text: run.metrics
            ? Object.entries(run.metrics)
                .slice(0, 6)
                .map(([key, value]) => `${key} ${Number(value.toPrecision(4))}`)
                .join('; ')
            : '—',
        }),
      ),
    ),
  );
}

/** A loss chart that grows with each progress event; redrawn at most once a frame. */
function lossChart() {
  chartBox.replaceChildren();
  let plot;
  let names = [];
  const data = [[]];
  let pending = false;
  const width = () => Math.max(260, chartBox.clientWidth || 600);
  return {
    add(step, losses) {
      if (!plot) {
        names = Object.keys(losses);
        for (const _ of names) data.push([]);
        plot = new uPlot(
          {
            width: width(),
            height: 240,
            scales: { x: { time: false } },
            series: [
              { label: 'step' },
              ...names.map((name, index) => ({ label: name, stroke: COLOURS[index % COLOURS.length], width: 1.5 })),
            ],
            axes: [{ label: 'step' }, { label: 'loss' }],
          },
          data,
          chartBox,
        );
        window.addEventListener('resize', () => plot.setSize({ width: width(), height: 240 }));
      }
      data[0].push(step);
      names.forEach((name, index) => data[index + 1].push(losses[name] ?? null));
      chartBox.dataset.points = String(data[0].length);
      if (!pending) {
        pending = true;
        requestAnimationFrame(() => {
          pending = false;
          plot.setData(data);
        });
      }
    },
  };
}

async function start(page) {
  const data = new FormData(form);
  const body = { task: 'train', inputs: { config: data.get('config') }, params: {} };
  if (data.get('dataset')) body.inputs.dataset = data.get('dataset');
  if (data.get('name')) body.params.name = data.get('name');
  const set = String(data.get('set') || '')
    .split(/\s+/)
    .filter(Boolean);
  if (set.length) body.params.set = set;
  const { id } = await send('POST', '/v1/jobs', body);
  current = id;
  cancel.disabled = false;
  bar.hidden = false;
  bar.value = 0;
  sample.hidden = true;
  const chart = lossChart();
  page.status(`job ${id}: queued`);
  const end = await followJob(id, (event) => {
    if (event.type === 'started') page.status(`job ${id}: training`);
    if (event.type === 'progress') {
      chart.add(event.step, event.losses || {});
      bar.max = event.total;
      bar.value = event.step;
      page.status(`step ${event.step} / ${event.total}`);
    }
    if (event.type === 'sample' && event.files[0]) {
      sample.querySelector('img').src = fileUrl(`${event.files[0].url}?step=${event.step}`);
      sample.querySelector('figcaption').textContent = `samples at step ${event.step}`;
      sample.hidden = false;
    }
    if (event.type === 'notice') page.status(event.message);
  });
  cancel.disabled = true;
  current = undefined;
  if (end.type === 'error') throw new Error(end.message);
  page.status(
    end.type === 'cancelled'
      ? `cancelled${end.checkpointed ? ' (checkpoint written)' : ''}`
      : `done: run ${end.result.run}`,
  );
  document.dispatchEvent(new CustomEvent('runs-changed'));
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  guarded(section, start);
});
cancel.addEventListener('click', async () => {
  if (!current) return;
  try {
    await send('DELETE', `/v1/jobs/${current}`);
  } catch (error) {
    feedback(section).error(error.message);
  }
});
