#!/usr/bin/env node
// The npm registry reachable here does not serve the platform builds of some
// optional dependencies (e.g. @unrs/resolver-binding-android-*). `npm install`
// then writes a lockfile without them and `npm ci` refuses it as out of sync.
// This adds a stub entry (version, optional, os/cpu) for each missing optional
// package, so `npm ci` sees the lock in sync and skips them as not for this
// platform. Run it after every `npm install`: node scripts/patch-lockfile.cjs
const fs = require('node:fs');

const file = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const OS = ['android', 'darwin', 'freebsd', 'linux', 'win32', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = ['arm64', 'arm', 'x64', 'ia32', 'ppc64', 'riscv64', 's390x', 'loong64', 'wasm32'];
const pkgs = lock.packages;
let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    if (pkgs[`node_modules/${name}`] || pkgs[`${path}/node_modules/${name}`]) continue;
    const base = name.split('/').pop();
    const part = (list) => list.filter((x) => new RegExp(`(^|-)${x}(-|$)`).test(base)).slice(0, 1);
    const stub = { version: range.replace(/^[\^~=]/, ''), optional: true };
    if (meta.dev) stub.dev = true;
    if (part(OS).length) stub.os = part(OS);
    if (part(CPU).length) stub.cpu = part(CPU);
    pkgs[`node_modules/${name}`] = stub;
    added += 1;
  }
}
const sorted = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
lock.packages = sorted;
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`patch-lockfile: added ${added} stub entr${added === 1 ? 'y' : 'ies'}`);
