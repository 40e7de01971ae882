// The lab's SSH identity: ssh2 1.17 makes one ed25519 pair in 256 with a public key cut to 31 bytes (its leading
// zero stripped: mscdex/ssh2#1513), which nothing parses; a fresh clone met one. Such a pair is never used.
import t from 'tap';
import ssh2 from 'ssh2';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateUsablePair, usablePair } from '../../harness/guest/lab-keys.js';

/** The pair a fresh clone got here: its public key is 31 bytes ("AAAAH0…": a length of 0x1f). */
const BROKEN_PUBLIC = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH0jXaMsjmH2YbSiCOuGZOf+dJudyYrVm3zC88S4LwfU= damon-lab';

/** A pair whose public key really starts with a zero byte, found by drawing until one does. */
function pairWithLeadingZero(): { private: string; public: string } {
  for (;;) {
    const p = ssh2.utils.generateKeyPairSync('ed25519');
    const blob = Buffer.from(p.public.split(' ')[1]!, 'base64');
    if (blob.length !== 51) return p;
  }
}

t.test('usablePair: a whole pair yes, a cut public key no', async (t) => {
  const good = generateUsablePair(ssh2.utils);
  t.ok(usablePair(ssh2.utils, good.private, good.public));
  t.notOk(usablePair(ssh2.utils, good.private, BROKEN_PUBLIC));
  t.ok(ssh2.utils.parseKey(BROKEN_PUBLIC) instanceof Error, 'what the fresh clone had does not parse');
  const cut = pairWithLeadingZero();
  t.notOk(usablePair(ssh2.utils, cut.private, cut.public), 'ssh2 still cuts it: the check is needed');
  const other = generateUsablePair(ssh2.utils);
  t.notOk(usablePair(ssh2.utils, good.private, other.public), 'halves of two pairs');
});

t.test('generateUsablePair draws again past a cut pair', async (t) => {
  const cut = pairWithLeadingZero();
  let calls = 0;
  const pair = generateUsablePair({
    parseKey: ssh2.utils.parseKey,
    generateKeyPairSync: ((...a: Parameters<typeof ssh2.utils.generateKeyPairSync>) => {
      calls++;
      return calls === 1 ? cut : ssh2.utils.generateKeyPairSync(...a);
    }) as typeof ssh2.utils.generateKeyPairSync,
  });
  t.equal(calls, 2);
  t.ok(usablePair(ssh2.utils, pair.private, pair.public));
});

t.test('ensureLabKeys replaces a cut pair an earlier lab left in the cache', async (t) => {
  const { ensureLabKeys } = await import('../../harness/guest/lab-keys.js');
  const cache = mkdtempSync(join(tmpdir(), 'lab-keys-'));
  const first = await ensureLabKeys(cache);
  const cut = pairWithLeadingZero();
  writeFileSync(join(cache, 'keys', 'lab_ed25519'), cut.private);
  writeFileSync(join(cache, 'keys', 'lab_ed25519.pub'), cut.public + '\n');
  const again = await ensureLabKeys(cache);
  t.not(again.clientPublicKey, cut.public.trim(), 'made anew');
  t.ok(usablePair(ssh2.utils, again.clientPrivateKey, again.clientPublicKey));
  t.equal(again.hostPublicKey, first.hostPublicKey, 'the host key stays');
  t.equal(readFileSync(join(cache, 'keys', 'lab_ed25519.pub'), 'utf8').trim(), again.clientPublicKey);
  const kept = await ensureLabKeys(cache);
  t.equal(kept.clientPublicKey, again.clientPublicKey, 'a good pair is kept');
});
