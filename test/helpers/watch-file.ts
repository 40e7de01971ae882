// Feeds a file to the ConsoleWatcher and to the KTAP parser, as a run does: for tests that bound the
// readers' cost by the child's own CPU limit (prlimit), never by timing.
import { readFileSync } from 'node:fs';
import { ConsoleWatcher } from '../../harness/results/console-watcher.js';
import { parseKtap } from '../../harness/results/ktap-parser.js';

const text = readFileSync(process.argv[2]!, 'utf8');
const w = new ConsoleWatcher();
for (let i = 0; i < text.length; i += 1 << 20) w.push(text.slice(i, i + (1 << 20)));
w.end();
const tree = parseKtap(text);
process.stdout.write(`${w.findings.length} findings; ktap ${tree.status}\n`);
