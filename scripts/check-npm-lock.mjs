#!/usr/bin/env node
// npm advisories cannot be fetched here (see SECURITY.md), so the lockfiles are held to what
// can be checked offline: every package comes from the npm registry (no git, file, link or
// plain-http sources) and carries an integrity hash (sha512) that `npm ci` verifies.
//   node scripts/check-npm-lock.mjs [package-lock.json …]
import { readFileSync } from 'node:fs';

const REGISTRY = 'https://registry.npmjs.org/';
const files = process.argv.slice(2);
if (files.length === 0) files.push('package-lock.json', 'tests/interop/package-lock.json', 'tests/contract/package-lock.json', 'tests/conformance/package-lock.json');

let failures = 0;
for (const file of files) {
  const lock = JSON.parse(readFileSync(file, 'utf8'));
  if (lock.lockfileVersion !== 3) {
    console.error(`${file}: lockfileVersion ${lock.lockfileVersion}; expected 3 (npm 9 or newer)`);
    failures++;
    continue;
  }
  let packages = 0;
  const before = failures;
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '') continue; // the project itself
    packages++;
    const problem = why(entry);
    if (problem) {
      console.error(`${file}: ${path}: ${problem}`);
      failures++;
    }
  }
  if (failures === before) console.log(`${file}: ${packages} packages, each from ${REGISTRY} with an integrity hash`);
}
process.exit(failures ? 1 : 0);

/** What is wrong with one lockfile entry, or null. */
function why(entry) {
  if (entry.link) return `a link to ${entry.resolved}, not a registry package`;
  // Without "resolved" (npm's omit-lockfile-registry-resolved) the package comes from the
  // configured registry; with it, it must be that registry over https.
  if (entry.resolved !== undefined && !entry.resolved.startsWith(REGISTRY)) {
    return `resolved from ${entry.resolved}, not ${REGISTRY}`;
  }
  if (!/^sha512-[A-Za-z0-9+/]+=*$/.test(entry.integrity ?? '')) return 'no sha512 integrity hash';
  return null;
}
