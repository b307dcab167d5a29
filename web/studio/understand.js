// Caption / transcribe: drop an image or a WAV (or choose one) → its caption or transcript.
import { upload } from './api.js';
import { el, fillSelect, guarded } from './ui.js';

const section = document.getElementById('understand');
const form = document.getElementById('understand-form');
const drop = document.getElementById('drop');
const input = document.getElementById('understand-file');
const result = document.getElementById('understand-result');
let runs = [];

export function setRuns(all) {
  runs = all.filter((run) => run.capabilities.includes('caption') || run.capabilities.includes('transcribe'));
  fillSelect(
    form.elements.run,
    runs.map((run) => run.id),
    (id) => `${id} (${runs.find((run) => run.id === id).capabilities.join(', ')})`,
  );
}

async function understand(file, page) {
  const isWav = file.type.includes('wav') || /\.wav$/i.test(file.name);
  const wanted = isWav ? 'transcribe' : 'caption';
  let run = runs.find((candidate) => candidate.id === form.elements.run.value);
  if (!run || !run.capabilities.includes(wanted))
    run = runs.find((candidate) => candidate.capabilities.includes(wanted));
  if (!run)
    throw new Error(
      `no run can ${wanted} ${isWav ? 'a WAV' : 'an image'}: train a ${isWav ? 'transcriber' : 'captioner'} first`,
    );
  form.elements.run.value = run.id;
  page.status(`${wanted === 'caption' ? 'captioning' : 'transcribing'} ${file.name} with ${run.id}…`);
  const url = URL.createObjectURL(file);
  const preview = isWav ? el('audio', { controls: '', src: url }) : el('img', { src: url, alt: file.name });
  const answer = await upload(`/v1/${wanted}`, file, { run: run.id, beam: form.elements.beam.value });
  result.querySelector('.preview').replaceChildren(preview);
  result.querySelector('.answer').textContent = answer.texts[0] ?? '';
  result.hidden = false;
  page.status(`${file.name}: ${wanted === 'caption' ? 'caption' : 'transcript'}`);
}

const take = (file) => file && guarded(section, (page) => understand(file, page));
input.addEventListener('change', () => take(input.files[0]));
drop.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    input.click();
  }
});
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  take(event.dataTransfer.files[0]);
});
