// Talking to the mmgen API: JSON calls with the optional bearer token, uploads, and a job's Server-Sent
// Events read through fetch (so the token travels in a header) with resume after the last event id.
const tokenInput = () => document.getElementById('token');

const token = () => tokenInput()?.value || localStorage.getItem('mmgen-token') || '';

export function headers(extra = {}) {
  return token() ? { ...extra, authorization: `Bearer ${token()}` } : extra;
}

/** A file URL for <img>/<audio>, which cannot send a header: the token rides as ?access_token= when set. */
export function fileUrl(url) {
  return token() ? `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token())}` : url;
}

export class ApiError extends Error {}

async function answer(response) {
  const type = response.headers.get('content-type') || '';
  const body = type.includes('json') ? await response.json() : { message: await response.text() };
  if (!response.ok) throw new ApiError(body.message || `${response.status} ${response.statusText}`);
  return body;
}

export async function get(path) {
  return answer(await fetch(path, { headers: headers() }));
}

export async function send(method, path, body) {
  if (body === undefined) return answer(await fetch(path, { method, headers: headers() }));
  return answer(
    await fetch(path, { method, headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body) }),
  );
}

/** Multipart POST: fields first (the server reads them before the file), then the file. */
export async function upload(path, file, fields = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
  form.append('file', file, file.name || 'upload');
  return answer(await fetch(path, { method: 'POST', headers: headers(), body: form }));
}

/** Follows a job's events until it ends; reconnects after a dropped connection from the last event id. */
export async function followJob(id, onEvent, signal) {
  let last = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const response = await fetch(`/v1/jobs/${id}/events`, {
        headers: headers(last ? { 'last-event-id': String(last) } : {}),
        signal,
      });
      if (!response.ok) throw new ApiError((await response.json()).message);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (!data) continue;
          const event = JSON.parse(data.slice(6));
          last = event.id;
          onEvent(event);
          if (['done', 'error', 'cancelled'].includes(event.type)) return event;
        }
      }
    } catch (error) {
      if (signal?.aborted || error instanceof ApiError) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new ApiError('lost the connection to the job’s events');
}
