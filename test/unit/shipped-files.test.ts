import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  knownGuests,
  knownSeries,
  knownSuites,
  loadGuest,
  loadSeries,
  loadSuite,
} from '../../harness/suites/suite-catalog.js';
import { loadYamlFile } from '../../harness/schema/load-yaml.js';
import { MatrixSpecSchema } from '../../harness/schema/matrix.js';
import { planMatrix } from '../../harness/matrix/plan.js';
import { repoRoot } from '../../harness/util/paths.js';

// Every YAML the project ships loads and validates: a typo in one (an unquoted ': ' in a description) is
// caught here, not by the first user who names it.
t.test('every shipped guest, suite and series loads', async (t) => {
  for (const g of knownGuests()) t.equal(loadGuest(g).name, g);
  for (const s of knownSuites()) t.equal(loadSuite(s).name, s);
  for (const s of knownSeries()) t.equal(loadSeries(s).spec.name, s);
  t.ok(knownGuests().includes('slub-poison'));
  // Suite variants (lab ab's parameter sets) load by path, and their params are the scenario's.
  const variants = join(repoRoot(), 'suites', 'variants');
  for (const f of readdirSync(variants)) t.equal(loadSuite(join(variants, f)).name, f.replace(/\.yaml$/, ''));
});

t.test('every shipped matrix validates and plans, naming only shipped guests and suites', async (t) => {
  const dir = join(repoRoot(), 'suites', 'matrices');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length >= 3);
  for (const f of files) {
    const plan = planMatrix(loadYamlFile(join(dir, f), MatrixSpecSchema));
    for (const c of plan.cells) {
      t.ok(knownGuests().includes(c.guest), `${f}: guest ${c.guest}`);
      t.ok(knownSuites().includes(c.suite), `${f}: suite ${c.suite}`);
    }
  }
});
