import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { E2E_AUTH_SECRET, E2E_ENCRYPTION_KEY } from './e2e-env';

/** Runs after `next build`: the browser bundle holds no server secret and no server env names. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

test('the client bundle contains neither the server secrets nor AETHELRED_ environment names', () => {
  const files = filesUnder(path.resolve('.next/static')).filter((f) => /\.(js|css|json|html|txt|map)$/.test(f));
  expect(files.length).toBeGreaterThan(0);
  const needles = [E2E_AUTH_SECRET, E2E_ENCRYPTION_KEY, 'AETHELRED_', 'DATABASE_URL', 'BETTER_AUTH_SECRET'];
  const hits = files.flatMap((file) => {
    const text = fs.readFileSync(file, 'utf8');
    return needles.filter((n) => text.includes(n)).map((n) => `${path.relative('.', file)}: ${n}`);
  });
  expect(hits).toEqual([]);
});
