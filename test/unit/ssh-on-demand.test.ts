import t from 'tap';
import { inspect } from 'node:util';
import { sshOnDemand } from '../../harness/suites/scenario.js';
import { InfraError } from '../../harness/util/errors.js';
import type { GuestSsh } from '../../harness/guest/ssh-session.js';

t.test('ssh on demand: no connection until a call; one connection for every call', async (t) => {
  let connects = 0;
  const calls: string[] = [];
  const real = {
    exec: async (s: string) => {
      calls.push(s);
      return { code: 0, stdout: s, stderr: '' };
    },
    close: () => calls.push('close'),
  } as unknown as GuestSsh;
  const { ssh, failure } = sshOnDemand(async () => {
    connects++;
    return real;
  });
  ssh.close();
  t.equal(connects, 0, 'closing an unused one connects nothing');
  const [a, b] = await Promise.all([ssh.exec('a'), ssh.exec('b')]);
  t.same([a.stdout, b.stdout, connects], ['a', 'b', 1]);
  ssh.close();
  await new Promise((r) => setImmediate(r));
  t.same(calls, ['a', 'b', 'close']);
  t.equal(failure(), undefined);
});

t.test('ssh on demand: inspecting it connects nothing', async (t) => {
  let connects = 0;
  const { ssh } = sshOnDemand(async () => {
    connects++;
    throw new Error('no');
  });
  t.equal((ssh as unknown as { then?: unknown }).then, undefined, 'not a thenable');
  t.equal((ssh as unknown as { port?: unknown }).port, undefined);
  t.type(inspect(ssh), 'string');
  t.equal(`${String((ssh as unknown as Record<symbol, unknown>)[Symbol.toPrimitive])}`, 'undefined');
  t.equal(connects, 0);
});

t.test("ssh on demand: a connection that fails is kept as the run's failure", async (t) => {
  const { ssh, failure } = sshOnDemand(async () => {
    throw new InfraError('SSH on 127.0.0.1:1 did not answer');
  });
  await t.rejects(ssh.exec('true'), /did not answer/);
  await t.rejects(ssh.check('true'), /did not answer/, 'later calls get the same error');
  t.match(failure(), { name: 'InfraError', message: /did not answer/ });
});
