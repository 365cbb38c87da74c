// The modes are data: modes.ts holds everything a mode decides, and no other part of the destination asks which
// mode it is in (the behaviour of each mode is asserted by the mapping tests beside this file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENT_NAME_TEMPLATES, MODES, modeSpec } from '../../../src/destinations/clevertap/modes.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../src/destinations/clevertap');

test('mode names appear only in modes.ts (and the settings schema that offers them)', () => {
  for (const f of readdirSync(DIR)) {
    if (f === 'modes.ts' || f === 'settings.ts') continue;
    const src = readFileSync(join(DIR, f), 'utf8');
    assert.doesNotMatch(src, /['"](segment|rudderstack|own)['"]|\.mode\b|\bcompat\s*===/, f);
  }
});

test('no compat setting is the own mode', () => assert.equal(modeSpec(undefined), MODES.own));

test('template event names come from the modes that suffix page/screen names', () => {
  assert.deepEqual(EVENT_NAME_TEMPLATES, ['Web Page Viewed: ', 'Screen Viewed: ']);
});
