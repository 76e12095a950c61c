// The page `browse` serves: plain HTML, CSS and JavaScript, no build step, nothing loaded from the internet.
// Cameras, a day's clips on a 24-hour timeline per camera (time, event, detection classes), a player fed by the
// local server (Range requests, so it can seek), and a download button. Text from the bucket is only ever set
// as textContent, never as HTML.

export const BROWSE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nvr-backup browse</title>
<style>
  :root { color-scheme: light dark; --accent: #2f6fde; --muted: #888; --track: rgba(127,127,127,.15); }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; padding: 16px 20px; }
  header { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin-bottom: 12px; }
  h1 { font-size: 18px; margin: 0 12px 0 0; }
  #bucket { color: var(--muted); }
  button, input { font: inherit; }
  .chip { border: 1px solid var(--accent); border-radius: 12px; padding: 2px 10px; margin-right: 4px; background: none; cursor: pointer; }
  .chip[aria-pressed="true"] { background: var(--accent); color: #fff; }
  #stage { display: grid; grid-template-columns: minmax(320px, 640px) 1fr; gap: 16px; align-items: start; }
  video { width: 100%; background: #000; aspect-ratio: 16 / 9; border-radius: 6px; }
  #now-playing { margin: 6px 0; min-height: 1.4em; }
  #download { display: inline-block; padding: 4px 12px; border-radius: 4px; background: var(--accent); color: #fff; text-decoration: none; }
  #download[hidden] { display: none; }
  .timeline { margin: 16px 0; }
  .row { display: grid; grid-template-columns: 140px 1fr; align-items: center; gap: 8px; margin: 6px 0; }
  .track { position: relative; height: 28px; background: var(--track); border-radius: 4px; }
  .tick { position: absolute; top: 0; bottom: 0; border-left: 1px solid rgba(127,127,127,.35); font-size: 10px; color: var(--muted); padding-left: 2px; }
  .clip { position: absolute; top: 3px; bottom: 3px; min-width: 6px; border: 0; border-radius: 3px; background: var(--accent); cursor: pointer; padding: 0; }
  .clip.playing { background: #e0562f; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--track); }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  #status { color: var(--muted); }
</style>
</head>
<body>
<header>
  <h1>nvr-backup</h1><span id="bucket"></span>
  <button id="prev" title="previous day">&lsaquo;</button>
  <input id="date" type="date" aria-label="day">
  <button id="next" title="next day">&rsaquo;</button>
  <span id="cameras" role="group" aria-label="cameras"></span>
  <span id="status">loading…</span>
</header>
<div id="stage">
  <div>
    <video id="player" controls preload="metadata" playsinline></video>
    <div id="now-playing">Pick a clip on the timeline or in the list.</div>
    <a id="download" hidden>Download</a>
  </div>
  <div>
    <div id="timeline" class="timeline"></div>
  </div>
</div>
<table>
  <thead><tr><th>time</th><th>camera</th><th>duration</th><th>event</th><th>detections</th><th class="num">size</th><th></th></tr></thead>
  <tbody id="clips"></tbody>
</table>
<script src="/app.js"></script>
</body>
</html>
`;

export const BROWSE_SCRIPT = `'use strict';
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
const state = { day: null, hidden: new Set(), playing: null };
const cameraKey = (c) => c.cameraId + '\\u0000' + c.cameraName;
const duration = (ms) => ms == null ? '-' : ms < 60000 ? Math.round(ms / 1000) + 's' : Math.floor(ms / 60000) + 'm' + String(Math.round(ms / 1000) % 60).padStart(2, '0') + 's';
const size = (b) => { const u = ['B', 'KB', 'MB', 'GB']; let i = 0; while (b >= 1000 && i < u.length - 1) { b /= 1000; i++; } return (i ? b.toFixed(1) : b) + ' ' + u[i]; };
const clipUrl = (c, download) => '/clip?name=' + encodeURIComponent(c.name) + (download ? '&download=1' : '');
const describe = (c) => c.time + ' · ' + c.cameraName + ' · ' + (c.event || 'clip') + (c.detectionClasses.length ? ' · ' + c.detectionClasses.join(', ') : '');

function play(c) {
  state.playing = c.name;
  const player = $('player');
  player.src = clipUrl(c, false);
  player.play().catch(() => {});
  $('now-playing').textContent = describe(c) + ' · ' + duration(c.durationMs);
  const link = $('download');
  link.href = clipUrl(c, true);
  link.hidden = false;
  for (const b of document.querySelectorAll('.clip')) b.classList.toggle('playing', b.dataset.name === c.name);
}

function render() {
  const day = state.day;
  $('bucket').textContent = 'gs://' + day.bucket;
  const chips = $('cameras');
  chips.replaceChildren();
  for (const cam of day.cameras) {
    const key = cam.id + '\\u0000' + cam.name;
    const chip = el('button', cam.name + ' (' + cam.clips + ')', 'chip');
    chip.setAttribute('aria-pressed', String(!state.hidden.has(key)));
    chip.onclick = () => { state.hidden.has(key) ? state.hidden.delete(key) : state.hidden.add(key); render(); };
    chips.append(chip);
  }
  const shown = day.clips.filter((c) => !state.hidden.has(cameraKey(c)));
  const span = day.dayEndMs - day.dayStartMs;
  const timeline = $('timeline');
  timeline.replaceChildren();
  for (const cam of day.cameras) {
    const key = cam.id + '\\u0000' + cam.name;
    if (state.hidden.has(key)) continue;
    const row = el('div', undefined, 'row');
    const track = el('div', undefined, 'track');
    for (let h = 0; h < 24; h += 3) { const t = el('span', String(h).padStart(2, '0'), 'tick'); t.style.left = (h / 24 * 100) + '%'; track.append(t); }
    for (const c of shown.filter((x) => cameraKey(x) === key)) {
      const b = el('button', undefined, 'clip');
      b.dataset.name = c.name;
      b.title = describe(c);
      b.setAttribute('aria-label', describe(c));
      b.style.left = Math.max(0, (c.startMs - day.dayStartMs) / span * 100) + '%';
      b.style.width = ((c.durationMs || 0) / span * 100) + '%';
      b.onclick = () => play(c);
      track.append(b);
    }
    row.append(el('div', cam.name), track);
    timeline.append(row);
  }
  const body = $('clips');
  body.replaceChildren();
  for (const c of shown) {
    const tr = el('tr');
    tr.dataset.name = c.name;
    const actions = el('td');
    const playButton = el('button', 'Play');
    playButton.onclick = () => play(c);
    const link = el('a', 'Download');
    link.href = clipUrl(c, true);
    actions.append(playButton, ' ', link);
    tr.append(el('td', c.time), el('td', c.cameraName), el('td', duration(c.durationMs)), el('td', c.event || '-'), el('td', c.detectionClasses.join(', ') || '-'), el('td', size(c.size), 'num'), actions);
    body.append(tr);
  }
  $('status').textContent = shown.length + ' clip(s) on ' + day.date;
}

async function load(date) {
  $('status').textContent = 'loading…';
  const response = await fetch('/api/day' + (date ? '?date=' + encodeURIComponent(date) : ''));
  const body = await response.json();
  if (!response.ok) { $('status').textContent = body.error || ('error ' + response.status); return; }
  state.day = body;
  $('date').value = body.date;
  history.replaceState(null, '', '?date=' + body.date);
  render();
}

function shift(days) {
  const [y, m, d] = $('date').value.split('-').map(Number);
  const t = new Date(y, m - 1, d + days);
  load(t.getFullYear() + '-' + String(t.getMonth() + 1).padStart(2, '0') + '-' + String(t.getDate()).padStart(2, '0'));
}

$('date').onchange = () => load($('date').value);
$('prev').onclick = () => shift(-1);
$('next').onclick = () => shift(1);
load(new URLSearchParams(location.search).get('date') || '').catch((e) => { $('status').textContent = String(e); });
`;
