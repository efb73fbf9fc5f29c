// The card registry on the command line: CSV import as German Excel writes
// it (all or nothing, every bad row named by line and column, or
// --skip-bad-rows), export, and the PDF printout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, passwerk } from '../lib/server.mjs';

test('CSV import is all or nothing, export round-trips, print writes a PDF', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passwerk-cards-'));
  try {
    passwerk(['demo', '--data', dir]);
    const bad = '\ufeffNachname;Vorname;Geburtsdatum;PLZ\r\nMüller;Hans;01.02.1960;23746\r\nSchulz;Eva;31.02.1980;23746\r\n;Otto;01.01.1950;123\r\n';
    writeFileSync(join(dir, 'bad.csv'), bad);
    const refused = spawnSync(BIN, ['cards', 'import', '--data', dir, '--scheme', 'sozialpass-kellenhusen', join(dir, 'bad.csv')], { encoding: 'utf8' });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /bad\.csv:3 \[Geburtsdatum\]/);
    assert.match(refused.stderr, /bad\.csv:4 \[Nachname\]/);
    assert.match(refused.stderr, /bad\.csv:4 \[PLZ\]/);
    assert.match(refused.stderr, /nothing imported/);
    const before = passwerk(['cards', 'export', '--data', dir, '--scheme', 'sozialpass-kellenhusen']);
    // Four sample cards, the demo citizen's own, and the two of her approved
    // online application (hers and her household member's).
    assert.equal(before.trim().split('\n').length, 1 + 7, 'only the seven demo cards');
    const skipped = spawnSync(BIN, ['cards', 'import', '--data', dir, '--scheme', 'sozialpass-kellenhusen', '--skip-bad-rows', join(dir, 'bad.csv')], { encoding: 'utf8' });
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.match(skipped.stdout, /imported 1 card\(s\)/);
    writeFileSync(join(dir, 'comma.csv'), 'family_name,given_name,birth_date,city\n"Meyer, geb. Kurz",Anna,1971-07-07,"Kellenhusen"\n');
    const comma = spawnSync(BIN, ['cards', 'import', '--data', dir, '--scheme', 'sozialpass-kellenhusen', join(dir, 'comma.csv')], { encoding: 'utf8' });
    assert.equal(comma.status, 0, comma.stderr);
    const exported = passwerk(['cards', 'export', '--data', dir, '--scheme', 'sozialpass-kellenhusen']);
    assert.ok(exported.startsWith('\ufeffKartennummer;'), 'UTF-8 with BOM, German header');
    assert.match(exported, /;Müller;Hans;01\.02\.1960;/);
    assert.match(exported, /"Meyer, geb\. Kurz"|Meyer, geb\. Kurz/);
    assert.equal(exported.trim().split('\n').length, 1 + 9, 'the seven demo cards and the two imported');
    const pdf = join(dir, 'card.pdf');
    const number = exported.split('\n')[1].split(';')[0];
    const printed = spawnSync(BIN, ['cards', 'print', '--data', dir, '--number', number, '--out', pdf], { encoding: 'utf8' });
    assert.equal(printed.status, 0, printed.stderr);
    assert.equal(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
    assert.match(passwerk(['audit', 'verify', '--data', dir]), /intact/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
