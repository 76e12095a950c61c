#!/usr/bin/env node
// `make audit [BUCKET=...]` (needs the TypeScript loader: node --import tsx tools/audit-lifecycle.mjs [bucket]).
// Checks the deployed bucket against the NVR_BACKUP_* settings the stack is deployed with: the lifecycle rule
// (age from NVR_BACKUP_RETENTION_DAYS, printed as `gsutil lifecycle get` would), storage class, uniform access,
// public access prevention, soft delete off, versioning off, the retention policy, and the runner's roles.
// The logic is infra/src/audit/ (pure comparison in compare.ts, tested in infra/test/audit.test.ts).
await import('../infra/src/audit/main.ts');
