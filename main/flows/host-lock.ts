// One run at a time changes this host, whoever starts it (the tray, the CLI, another user, the service):
// a host-wide lock that a crash, a kill -9 or a reboot can never leave behind.
//
// The lock is a listening socket in Linux's abstract namespace: binding the name is atomic, exclusive
// for everyone on the host, and the kernel releases it when the holder exits, however it exits. Whoever
// finds it taken connects and reads who holds it, so the refusal can say who, what and since when.

import { createHash } from 'node:crypto';
import { createConnection, createServer, type Server } from 'node:net';
import { userInfo } from 'node:os';
import { CodedError } from '../shared/errors.ts';

export class HostBusyError extends CodedError<'host-busy'> {}

export interface LockHolder {
  readonly operation: string;
  readonly pid: number;
  readonly uid: number;
  readonly user?: string;
  readonly since: string;
}

export interface HostLock {
  readonly holder: LockHolder;
  release(): Promise<void>;
}

const MAX_HOLDER_BYTES = 4096;

/** The lock's name: one per host state folder, so each test world (and the host itself) has its own. */
function lockName(hostStateDir: string): string {
  return `\0vespera-updates-host-lock-${createHash('sha256').update(hostStateDir).digest('hex').slice(0, 32)}`;
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another Vespera Updates run';
  return `${holder.operation} by ${holder.user ?? `uid ${holder.uid}`} (process ${holder.pid}, since ${holder.since})`;
}

/** Asks the holder who it is; undefined when it does not say in time. */
async function askHolder(name: string): Promise<LockHolder | undefined> {
  return await new Promise((resolve) => {
    const socket = createConnection(name);
    let text = '';
    const done = (holder: LockHolder | undefined): void => {
      socket.destroy();
      resolve(holder);
    };
    socket.setTimeout(2000, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.length > MAX_HOLDER_BYTES) done(undefined);
    });
    socket.on('end', () => {
      try {
        const h = JSON.parse(text) as Partial<LockHolder>;
        done(typeof h.operation === 'string' && typeof h.pid === 'number' && typeof h.uid === 'number' && typeof h.since === 'string' ? (h as LockHolder) : undefined);
      } catch {
        done(undefined);
      }
    });
  });
}

async function bind(name: string, holder: LockHolder): Promise<Server | undefined> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.end(JSON.stringify(holder));
  });
  return await new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error)));
    server.listen(name, () => {
      // Holding the lock must not keep a finished program alive.
      server.unref();
      resolve(server);
    });
  });
}

/**
 * Takes the host-wide lock for `operation`, waiting up to `waitMs` for a holder to finish; otherwise
 * throws HostBusyError naming who holds it.
 */
export async function takeHostLock(hostStateDir: string, operation: string, options: { waitMs?: number; now?: () => Date } = {}): Promise<HostLock> {
  const name = lockName(hostStateDir);
  const holder: LockHolder = {
    operation,
    pid: process.pid,
    uid: process.getuid?.() ?? -1,
    ...(() => {
      try {
        return { user: userInfo().username };
      } catch {
        return {};
      }
    })(),
    since: (options.now?.() ?? new Date()).toISOString(),
  };
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    const server = await bind(name, holder);
    if (server) {
      return {
        holder,
        release: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    }
    if (Date.now() >= deadline) {
      const other = await askHolder(name);
      throw new HostBusyError(
        'host-busy',
        `Another Vespera Updates run is changing this host: ${describeHolder(other)}. Nothing was changed; wait for it to finish, then try again.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Who holds the lock now, without taking it (only asking, so no run is ever turned away); undefined when nobody does. */
export async function hostLockHolder(hostStateDir: string): Promise<LockHolder | undefined> {
  return await askHolder(lockName(hostStateDir));
}

export { describeHolder };
