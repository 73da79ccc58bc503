import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ungatedProcessing } from '../../../core/consent/ungated-processing.ts';

const ROOT = join(import.meta.dirname, '../../..');
const PERSON_TABLES = 'persons|person_attributes|orders|order_items|behaviour_events|tag_values|segment_members|segment_membership_changes|identity_links|identifiers|psi_matches|psi_match_payloads|subject_personal_data';
/** A query builder call on a person-level table, or SQL text naming one. */
const TOUCHES_PEOPLE = new RegExp(`(selectFrom|insertInto|updateTable|deleteFrom)\\(\\s*'(${PERSON_TABLES})'|\\b(from|join|into|update)\\s+(${PERSON_TABLES})\\b`);
/** The gate's answer, or the gate itself. */
const ASKS_THE_GATE = /from '[./]*(consent\/)?(consented-persons|profiling-consent|consented-person-rows|consent-gate)\.ts'/;
const GATE_ITSELF = ['core/consent/consented-persons.ts', 'core/consent/profiling-consent.ts'];

function modules(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .filter((path) => !path.startsWith('core/db/'));
}

describe('code that touches people', () => {
  it('asks the consent gate, or is in the one list of ungated processing with its reason', () => {
    const touching = [...modules('core'), ...modules('api')].filter((path) => TOUCHES_PEOPLE.test(readFileSync(join(ROOT, path), 'utf8')));
    expect(touching.length).toBeGreaterThan(10);
    const unexplained = touching.filter((path) => !GATE_ITSELF.includes(path) && !ASKS_THE_GATE.test(readFileSync(join(ROOT, path), 'utf8')) && !(path in ungatedProcessing));
    expect(unexplained).toEqual([]);
  });

  it('lists only modules that exist, each with a reason', () => {
    for (const [path, reason] of Object.entries(ungatedProcessing)) {
      expect(existsSync(join(ROOT, path)), path).toBe(true);
      expect(reason.length, path).toBeGreaterThan(20);
    }
  });
});
