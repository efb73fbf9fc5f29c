// Departments on the command line and in the demo dataset: `department add|list`,
// `user departments --set`, repeated `user add --department`, and the demo's two
// offices each with a clerk of its own (ids are JSON numbers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, passwerk } from '../lib/server.mjs';

test('the demo has a social and a volunteer office, each with its clerk; the CLI manages departments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passwerk-departments-'));
  try {
    const demo = JSON.parse(passwerk(['demo', '--data', dir]));
    assert.equal(typeof demo.department.id, 'number');
    assert.equal(demo.department.name, 'Tourist-Information');
    assert.deepEqual(demo.departments.map((d) => [d.name, d.clerk]),
      [['Sozialamt', 'sozialamt'], ['Ehrenamtsbüro', 'ehrenamt']]);
    for (const d of demo.departments) {
      assert.equal(typeof d.id, 'number');
      assert.ok(demo.users.some((u) => u.username === d.clerk && u.role === 'clerk'), `${d.clerk} is a demo user`);
    }
    // Idempotent: a second run describes the same offices.
    assert.deepEqual(JSON.parse(passwerk(['demo', '--data', dir])).departments, demo.departments);

    const list = () => JSON.parse(passwerk(['department', 'list', '--data', dir, '--json',
      '--municipality', demo.municipality.number]));
    const members = (name) => list().find((d) => d.name === name).members;
    assert.deepEqual(members('Sozialamt'), ['admin', 'clerk', 'newclerk', 'sozialamt']);
    assert.deepEqual(members('Ehrenamtsbüro'), ['admin', 'clerk', 'ehrenamt', 'newclerk']);

    assert.match(passwerk(['department', 'add', '--data', dir, '--municipality', demo.municipality.number,
      '--name', 'Bürgerbüro']), /created department Bürgerbüro/);
    const twice = spawnSync(BIN, ['department', 'add', '--data', dir, '--municipality', demo.municipality.number,
      '--name', 'Bürgerbüro'], { encoding: 'utf8' });
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /already has a department of that name/);

    passwerk(['user', 'departments', 'ehrenamt', '--data', dir, '--set', 'Ehrenamtsbüro, Bürgerbüro']);
    assert.deepEqual(members('Bürgerbüro'), ['ehrenamt']);
    const unknown = spawnSync(BIN, ['user', 'departments', 'ehrenamt', '--data', dir, '--set', 'Bauamt'],
      { encoding: 'utf8' });
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no department 'Bauamt'/);
    const landlord = spawnSync(BIN, ['user', 'departments', 'landlord', '--data', dir, '--set', 'Sozialamt'],
      { encoding: 'utf8' });
    assert.equal(landlord.status, 2);

    passwerk(['user', 'add', '--data', dir, '--username', 'beide', '--name', 'Beide', '--role', 'clerk',
      '--municipality', demo.municipality.number, '--department', 'Sozialamt', '--department', 'Bürgerbüro']);
    assert.ok(members('Sozialamt').includes('beide'));
    assert.ok(members('Bürgerbüro').includes('beide'));
    assert.ok(!members('Ehrenamtsbüro').includes('beide'));
    assert.match(passwerk(['audit', 'verify', '--data', dir]), /intact/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
