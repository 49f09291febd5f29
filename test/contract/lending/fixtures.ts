import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', 'fixtures');

/** A fresh parsed copy of a JSON fixture (tests may mutate it). */
export function jsonFixture<T = Record<string, unknown>>(provider: 'fineract' | 'mambu', name: string): T {
  return JSON.parse(fs.readFileSync(path.join(ROOT, provider, name), 'utf8')) as T;
}

/** A text fixture (HTML pages). */
export function textFixture(provider: 'fineract' | 'mambu', name: string): string {
  return fs.readFileSync(path.join(ROOT, provider, name), 'utf8');
}
