#!/usr/bin/env node
'use strict';
/**
 * Completes package-lock.json with entries for optional, platform-specific packages that the registry mirror on
 * our build machines does not serve (e.g. @unrs/resolver-binding-darwin-arm64). npm omits them from the lockfile
 * it writes there, and `npm ci` then refuses the lockfile on every machine. Each added entry carries the
 * package's os/cpu (and libc) constraints and its public registry URL, so npm skips it on other platforms and a
 * machine of that platform downloads it as usual.
 *
 * Run after any dependency change: `npm install && node scripts/complete-lockfile.js`.
 */
const fs = require('node:fs');
const path = require('node:path');

const file = path.resolve(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const pkgs = lock.packages;

const OS = ['android', 'darwin', 'freebsd', 'linux', 'win32', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = ['arm64', 'arm', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el', 'wasm32'];

function platformOf(name) {
  const base = name.split('/').pop();
  const parts = base.split('-');
  const os = OS.find((o) => parts.includes(o));
  const cpu = CPU.find((c) => parts.includes(c) || parts.some((p) => p.startsWith(c) && /^(arm64|x64)/.test(p) && p === c));
  const libc = parts.includes('musl') || parts.includes('musleabihf') ? 'musl' : parts.includes('gnu') || parts.includes('gnueabihf') ? 'glibc' : undefined;
  return { os, cpu, libc };
}

function tarball(name, version) {
  const base = name.split('/').pop();
  return `https://registry.npmjs.org/${name}/-/${base}-${version}.tgz`;
}

let added = 0;
for (const [location, meta] of Object.entries(pkgs)) {
  if (!meta.optionalDependencies) continue;
  for (const [dep, version] of Object.entries(meta.optionalDependencies)) {
    const nested = `${location ? location + '/' : ''}node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (pkgs[nested] || pkgs[hoisted]) continue;
    const { os, cpu, libc } = platformOf(dep);
    if (!os || !cpu || !/^\d+\.\d+\.\d+/.test(version)) continue;
    const entry = { version, resolved: tarball(dep, version), dev: meta.dev || undefined, optional: true, os: [os], cpu: [cpu] };
    if (libc) entry.libc = [libc];
    pkgs[hoisted] = entry;
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
process.stdout.write(`complete-lockfile: added ${added} platform entr${added === 1 ? 'y' : 'ies'}\n`);
