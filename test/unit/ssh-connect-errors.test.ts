// A connect that fails may hear more than one error from ssh2 (a handshake timeout, then the connection lost as
// the guest dies): the second once ended the whole lab ("Unhandled 'error' event"), seen with a restored guest that
// panicked while the lab was connecting. Against a local server that accepts and never speaks, then hangs up.
import t from 'tap';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import ssh2 from 'ssh2';
import { GuestSsh } from '../../harness/guest/ssh-session.js';

t.test('a failed connect rejects once and later errors of that connection go nowhere', async (t) => {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const keys = ssh2.utils.generateKeyPairSync('ed25519');
  const uncaught: Error[] = [];
  const onUncaught = (e: Error) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  t.teardown(() => {
    process.off('uncaughtException', onUncaught);
    server.close();
  });
  const err = await GuestSsh.connect({
    port,
    privateKey: keys.private,
    hostPublicKey: keys.public,
    timeoutMs: 300,
  }).then(
    () => undefined,
    (e: Error) => e,
  );
  t.match(err?.message, /Timed out while waiting for handshake/);
  // The guest "dies" now: the server hangs up on every connection it still holds.
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 300));
  t.same(
    uncaught.map((e) => e.message),
    [],
    'no error escaped',
  );
});
