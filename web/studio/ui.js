// Small page helpers: errors and status shown in the page, select options, element building.
import { fileUrl } from './api.js';

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

export function feedback(section) {
  const error = section.querySelector('.error');
  const status = section.querySelector('.status');
  return {
    error(message) {
      error.textContent = message;
      error.hidden = false;
    },
    status(message) {
      status.textContent = message;
    },
    clear() {
      error.hidden = true;
      error.textContent = '';
      status.textContent = '';
    },
  };
}

export function fillSelect(select, values, label = (value) => value) {
  const current = select.value;
  select.replaceChildren(...values.map((value) => el('option', { value, text: label(value) })));
  if (values.includes(current)) select.value = current;
}

/** Runs `work`, showing its error in the section instead of the console. */
export async function guarded(section, work) {
  const page = feedback(section);
  page.clear();
  const button = section.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  try {
    await work(page);
  } catch (error) {
    page.error(error instanceof Error ? error.message : String(error));
  } finally {
    if (button) button.disabled = false;
  }
}

/** Image grid, audio players with their spectrograms, and texts of a job result. */
export function renderResult(container, result, caption = '') {
  const files = result.files || [];
  const items = [];
  for (const file of files.filter((f) => f.kind === 'image' || f.kind === 'grid')) {
    items.push(
      el('figure', {}, el('img', { src: fileUrl(file.url), alt: `${caption} image ${file.index ?? ''}`.trim() })),
    );
  }
  for (const file of files.filter((f) => f.kind === 'audio')) {
    const spectrogram = files.find((f) => f.kind === 'spectrogram' && f.index === file.index);
    items.push(
      el(
        'figure',
        {},
        ...(spectrogram
          ? [el('img', { src: fileUrl(spectrogram.url), alt: `spectrogram of clip ${file.index}` })]
          : []),
        el('audio', { controls: '', preload: 'none', src: fileUrl(file.url), 'aria-label': `clip ${file.index}` }),
      ),
    );
  }
  for (const text of result.texts || []) items.push(el('p', { class: 'text-output', text }));
  container.replaceChildren(...items);
}
