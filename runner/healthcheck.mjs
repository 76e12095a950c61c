// The container's health check. The daemon writes HEARTBEAT_FILE when it starts and after every run (JSON:
// `at`, `since`, `lastSuccessAt`, `successWithinSeconds`). Unhealthy when:
// - the file is missing or older than HEARTBEAT_MAX_AGE_SECONDS (default 3 h: the loop is stuck or dead), or
// - no run succeeded for HEALTHY_WITHIN_SECONDS (default: the file's successWithinSeconds, 2 x the interval),
//   counted from the last success, or from the daemon's start before the first one: runs that keep failing
//   (a wrong password, a missing bucket) make the container unhealthy even though the loop runs.
// An empty variable means its default, as everywhere in the runner's settings.
import { readFileSync, statSync } from 'node:fs';

const setting = (name) => (process.env[name] ?? '').trim() || undefined;
const seconds = (name, fallback) => {
  const value = Number(setting(name) ?? fallback);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const file = setting('HEARTBEAT_FILE') ?? '/tmp/nvr-backup-heartbeat';
const maxAgeSeconds = seconds('HEARTBEAT_MAX_AGE_SECONDS', 10800);

function unhealthy(message) {
  console.error(`unhealthy: ${message}`);
  process.exit(1);
}

let ageSeconds;
let beat = {};
try {
  ageSeconds = (Date.now() - statSync(file).mtimeMs) / 1000;
  beat = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  if (ageSeconds === undefined) unhealthy(`no heartbeat file ${file} (the daemon is not running, or HEARTBEAT_FILE differs)`);
  unhealthy(`the heartbeat file ${file} is not the daemon's JSON (${error.message})`);
}
if (ageSeconds > maxAgeSeconds) unhealthy(`heartbeat ${file} is ${Math.round(ageSeconds)} s old (limit ${maxAgeSeconds} s): the daemon's loop is stuck`);

const withinSeconds = seconds('HEALTHY_WITHIN_SECONDS', Number(beat.successWithinSeconds) > 0 ? Number(beat.successWithinSeconds) : 7200);
const lastSuccess = Date.parse(beat.lastSuccessAt ?? '');
const reference = Number.isFinite(lastSuccess) ? lastSuccess : Date.parse(beat.since ?? '');
if (!Number.isFinite(reference)) unhealthy(`the heartbeat file ${file} has no start or success time`);
const sinceSeconds = (Date.now() - reference) / 1000;
// Seconds below 2 minutes (a short HEALTHY_WITHIN_SECONDS would otherwise read "0 min"), else minutes.
const duration = (value) => (value < 120 ? `${Math.round(value)} s` : `${Math.round(value / 60)} min`);
if (sinceSeconds > withinSeconds) {
  const what = Number.isFinite(lastSuccess) ? `the last successful run ended ${duration(sinceSeconds)} ago` : `no run succeeded since the daemon started ${duration(sinceSeconds)} ago`;
  unhealthy(`${what} (limit ${duration(withinSeconds)}; last run: ${beat.state ?? 'unknown'}): see the container's log`);
}
console.log(`healthy: heartbeat ${Math.round(ageSeconds)} s old, ${Number.isFinite(lastSuccess) ? `last success ${Math.round(sinceSeconds / 60)} min ago` : 'no run finished yet'}`);
