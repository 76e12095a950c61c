// The runner's clock. Tests move it with NVR_BACKUP_TEST_CLOCK_OFFSET_MS (milliseconds added to the system
// clock) to play a machine whose clock is wrong; it is a test hook, not a setting, and is not documented for
// users. Firestore's own clock (a transaction's read time) is what the runner checks this clock against.
export function runnerClock(env: NodeJS.ProcessEnv = process.env): () => number {
  const raw = env.NVR_BACKUP_TEST_CLOCK_OFFSET_MS;
  const offset = raw !== undefined && /^-?\d+$/.test(raw) ? Number(raw) : 0;
  return offset === 0 ? Date.now : () => Date.now() + offset;
}
