// `browse` in a real headless Chromium (Debian's `chromium`, driven by playwright-core): the page loads from the
// local server, lists the day's clips per camera with time, event and detection classes, and a clip plays in the
// page (its <video> reaches readyState >= 2, and seeks, through Range requests to the local server).
// The demo's clips are synthetic MP4s without a video track (they list, but a player cannot decode them), so
// the bucket also gets one real H.264 clip, recorded by this Chromium from a canvas (MediaRecorder).
// Without /usr/bin/chromium (or CHROMIUM_PATH) the test skips and says how to install it.
process.env.TZ = 'Europe/Berlin';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startBrowseServer, type BrowseServer } from '../../src/restore/browse-server.js';
import { GcsReader } from '../../src/restore/gcs-reader.js';
import { FastCrc32c } from '../../src/gcs/fast-crc32c.js';
import { generatedClip } from '../scrypted-server/mp4.js';
import { demoCameras } from '../support/local-stack.js';
import { startFilledBucket, type FilledBucket } from './bucket-fixture.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// The screenshot in the docs (docs/browse.png) is this test's: `BROWSE_SCREENSHOT=docs/browse.png node
// tools/run-tests.mjs runner/test/restore/browse` makes it again; by default it goes to .tmp/ (no tracked file changes).
const SCREENSHOT = process.env.BROWSE_SCREENSHOT ?? fileURLToPath(new URL('../../../.tmp/browse.png', import.meta.url));
const missing = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: install Debian's chromium to run this test (in .ci/run: apt-get update && apt-get install -y chromium)`;
if (missing) {
  process.stderr.write(`browse test skipped: ${missing}\n`);
  // Counted as skipped, with the reason (a skipped describe alone counts nothing).
  it('browse in headless Chromium', { skip: missing }, () => {});
}

const DAY = Date.parse('2026-11-29T00:00:00+01:00');

async function streamBytes(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The page's globals inside page.evaluate/waitForFunction callbacks (the runner's type-check has no DOM types).
 * Callbacks, not strings: the page's Content-Security-Policy forbids evaluating strings.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PageGlobals = { document: any };

/** A real H.264 MP4 of about 1.5 s, recorded by the browser from an animated canvas. */
async function recordClip(page: Page): Promise<Buffer> {
  // Runs in a blank page (a string: no DOM types here; a blank page has no Content-Security-Policy).
  const base64 = await page.evaluate<string>(`(async () => {
    const type = ['video/mp4;codecs=avc1.42E01E', 'video/mp4'].find((t) => MediaRecorder.isTypeSupported(t));
    if (!type) throw new Error('this Chromium cannot record MP4');
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 180;
    const context = canvas.getContext('2d');
    let frame = 0;
    const timer = setInterval(() => {
      context.fillStyle = 'hsl(' + ((frame * 9) % 360) + ',55%,40%)';
      context.fillRect(0, 0, 320, 180);
      context.fillStyle = '#fff';
      context.font = '26px sans-serif';
      context.fillText('Front Door ' + frame++, 20, 100);
    }, 40);
    const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: type, videoBitsPerSecond: 300000 });
    const chunks = [];
    recorder.ondataavailable = (event) => chunks.push(event.data);
    const stopped = new Promise((resolve) => (recorder.onstop = resolve));
    recorder.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    recorder.stop();
    await stopped;
    clearInterval(timer);
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text);
  })()`);
  return Buffer.from(base64, 'base64');
}

/** A GET to the browse server with the given Host header (node's fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('browse in headless Chromium', { skip: missing }, () => {
  let bucket: FilledBucket;
  let server: BrowseServer;
  let browser: Browser;
  let page: Page;
  let playable = '';
  let playableBytes: Buffer = Buffer.alloc(0);
  let clipCount = 0;

  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    bucket = await startFilledBucket('browse-test');
    // The demo's cameras and clips (runner/test/support/local-stack.ts), on one day, with events and classes.
    const cameras = demoCameras(3, 9, DAY + 15 * 3_600_000);
    const events = [['motion', ['person']], ['motion', ['car']], ['doorbell', ['person', 'package']]] as const;
    let n = 0;
    for (const camera of cameras) {
      for (const clip of camera.clips) {
        const [event, classes] = events[n++ % events.length] as (typeof events)[number];
        const bytes = await streamBytes(generatedClip(Math.min(clip.generate?.sizeBytes ?? 40_000, 300_000), clip.generate?.seed ?? 1, clip.duration ?? 20_000));
        await bucket.put({ id: camera.id, name: camera.name }, { id: clip.id, cameraId: camera.id, startTime: clip.startTime, duration: clip.duration, event, detectionClasses: [...classes] }, bytes);
      }
    }
    await page.goto('about:blank');
    playableBytes = await recordClip(page);
    const real = await bucket.put({ id: '101', name: 'Front Door' }, { id: 'real-h264', cameraId: '101', startTime: DAY + 16 * 3_600_000 + 5 * 60_000, duration: 1500, event: 'doorbell', detectionClasses: ['person'] }, playableBytes);
    playable = real.name;
    clipCount = bucket.stored.length;
    const reader = new GcsReader({ bucket: bucket.bucket, apiEndpoint: bucket.server.endpoint, objectPrefix: '', keyFilename: undefined });
    server = await startBrowseServer({ reader, objectPrefix: '', port: 0 });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await bucket?.close();
  });

  it('lists the day\'s clips per camera with time, event and detection classes', async () => {
    await page.goto(`${server.url}?date=2026-11-29`);
    await page.waitForFunction((count) => (globalThis as unknown as PageGlobals).document.querySelectorAll('#clips tr').length === count, clipCount);
    assert.equal(await page.locator('.clip').count(), clipCount, 'one block per clip on the timelines');
    assert.deepEqual(await page.locator('.row > div:first-child').allTextContents(), ['Back/Yard ..', 'Front Door', 'Garage']);
    const rows = await page.locator('#clips tr').allTextContents();
    const real = rows.find((row) => row.startsWith('16:05:00'));
    assert.ok(real, rows.join('\n'));
    assert.match(real, /^16:05:00Front Door2sdoorbellperson[\d.]+ KBPlay Download$/);
    assert.ok(rows.some((row) => row.includes('person, package')), 'detection classes are listed');
    assert.match(await page.locator('#status').textContent() ?? '', new RegExp(`^${clipCount} clip\\(s\\) on 2026-11-29$`));
  });

  it('plays a clip in the page, streamed with Range requests, and seeks', async () => {
    const row = page.locator('#clips tr', { hasText: '16:05:00' });
    await row.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.getElementById('player').readyState >= 2, undefined, { timeout: 20_000 });
    const seeked = await page.evaluate(async () => {
      const video = (globalThis as unknown as PageGlobals).document.getElementById('player');
      video.pause();
      const done = new Promise((resolve) => video.addEventListener('seeked', resolve, { once: true }));
      video.currentTime = 1;
      await done;
      return { time: video.currentTime as number, readyState: video.readyState as number, width: video.videoWidth as number, src: video.currentSrc as string };
    });
    assert.ok(seeked.time > 0.5 && seeked.readyState >= 2 && seeked.width === 320, JSON.stringify(seeked));
    assert.ok(seeked.src.startsWith(`${server.url}clip?name=`));
    const range = await page.evaluate(async (src) => {
      const response = await fetch(src, { headers: { range: 'bytes=100-199' } });
      return { status: response.status, contentRange: response.headers.get('content-range'), length: (await response.arrayBuffer()).byteLength };
    }, seeked.src);
    assert.deepEqual(range, { status: 206, contentRange: `bytes 100-199/${playableBytes.length}`, length: 100 });
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT });
  });

  it('the download button serves the whole clip as an attachment named by camera and local time', async () => {
    const href = await page.locator('#download').getAttribute('href');
    assert.ok(href && href.endsWith('&download=1'));
    const response = await fetch(new URL(href, server.url));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-disposition') ?? '', /^attachment; filename="Front_Door_2026-11-29_16-05-00\.mp4"/);
    const crc = new FastCrc32c();
    crc.update(Buffer.from(await response.arrayBuffer()));
    const expected = new FastCrc32c();
    expected.update(playableBytes);
    assert.equal(crc.toString(), expected.toString());
  });

  it('serves only clips it listed, and only to pages that call it by its loopback name', async () => {
    assert.equal((await fetch(`${server.url}clip?name=${encodeURIComponent('Front_Door/2026/11/29/other.mp4')}`)).status, 404);
    assert.equal(await getWithHost(`${server.url}api/day?date=2026-11-29`, 'attacker.example'), 421);
    assert.equal(await getWithHost(`${server.url}`, `localhost:${new URL(server.url).port}`), 200);
    assert.ok(playable.startsWith('Front_Door/2026/11/29/15-05-00_'));
  });
});
