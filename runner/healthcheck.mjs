// The container's liveness check: the daemon writes HEARTBEAT_FILE when it starts and after every run; it is
// alive when that file is younger than HEARTBEAT_MAX_AGE_SECONDS (default 3 h: a 1 h period plus a long run).
import { statSync } from 'node:fs';

const file = process.env.HEARTBEAT_FILE ?? '/tmp/nvr-backup-heartbeat';
const maxAgeSeconds = Number(process.env.HEARTBEAT_MAX_AGE_SECONDS ?? 10800);
try {
  const ageSeconds = (Date.now() - statSync(file).mtimeMs) / 1000;
  if (ageSeconds > maxAgeSeconds) {
    console.error(`unhealthy: heartbeat ${file} is ${Math.round(ageSeconds)} s old (limit ${maxAgeSeconds} s)`);
    process.exit(1);
  }
  console.log(`healthy: heartbeat ${Math.round(ageSeconds)} s old`);
} catch {
  console.error(`unhealthy: no heartbeat file ${file}`);
  process.exit(1);
}
