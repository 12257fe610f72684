/**
 * What to tell a user whose connection failed, for the usual causes, in the two places it is
 * told: an explorer error row ({@link connectionHint}) and Add Connection's failed test
 * ({@link addConnectionHint}). Both read the one classification of the core
 * ({@link connectFailure}: codes, not message texts). No `vscode` here, so it is tested outside
 * VS Code.
 */
import { connectFailure, parseRedisUrl } from '../core/internal';

/** What to do about a failed connection, for the common causes; undefined when there is no advice. */
export interface ConnectionHint {
  /** Replaces the raw reason in the error row: "nothing listens at 127.0.0.1:6390". */
  what: string;
  /** What to do: "start Redis or the sandbox, or edit the connection". */
  todo: string;
  /** The raw code for the row's description: ECONNREFUSED, ETIMEDOUT, WRONGPASS… */
  code: string;
}

/** Advice for a connection failure, from its classification ({@link connectFailure}); undefined for other errors. */
export function connectionHint(e: unknown, address: string): ConnectionHint | undefined {
  const f = connectFailure(e);
  if (!f) return undefined;
  switch (f.kind) {
    case 'refused':
      return { what: `nothing listens at ${f.address ?? address}`, todo: 'start Redis or the sandbox, or edit the connection', code: f.code };
    case 'timeout':
    case 'no-answer':
      return { what: `no answer from ${address}`, todo: 'check the host and port, a firewall or VPN in between, or edit the connection', code: f.code };
    case 'dns':
      return { what: `host name not found (${address})`, todo: 'check the host name or your DNS/VPN, or edit the connection', code: f.code };
    case 'unreachable':
      return { what: `no route to ${address}`, todo: 'check the network or VPN, or edit the connection', code: f.code };
    case 'auth':
      return { what: 'the server refused the user name or password', todo: 'edit the connection to correct them', code: 'WRONGPASS' };
    case 'noauth':
      return { what: 'the server needs a password', todo: 'edit the connection to give one', code: 'NOAUTH' };
    case 'tls-untrusted':
    case 'tls-protocol':
      return { what: 'the TLS handshake failed', todo: 'check rediss:// and the certificate settings, or edit the connection', code: 'TLS' };
    case 'reset':
      return { what: `${address} closed the connection`, todo: 'check redis:// or rediss:// against the port (TLS or not), or edit the connection', code: f.code };
  }
}

/** A hint for the usual reasons a connection test fails, from its error's classification ({@link connectFailure}); undefined when none fits. */
export function addConnectionHint(e: unknown, url: string): string | undefined {
  let where = url;
  try {
    const p = parseRedisUrl(url);
    where = `${p.host}:${p.port}`;
  } catch {
    /* keep the URL */
  }
  const tls = /^rediss:/i.test(url);
  switch (connectFailure(e)?.kind) {
    case 'refused':
      return `Nothing listens at ${where}: is Redis running, and on this port?`;
    case 'timeout':
    case 'unreachable':
      return `No answer from ${where}: a wrong host, a firewall, or a server not reachable from this machine${tls ? ', or rediss:// to a port without TLS' : ''}.`;
    case 'no-answer':
      return `${where} accepted the connection but did not answer: a paused or overloaded server${tls ? ', or rediss:// to a port without TLS' : ', or redis:// to a TLS port'}?`;
    case 'auth':
      return 'Wrong username or password: check the ACL user (empty for "default") and the password.';
    case 'noauth':
      return 'The server requires a password: enter one at step 5.';
    case 'dns':
      return `The host name in ${url} does not resolve.`;
    case 'tls-untrusted':
      return 'The TLS certificate is not trusted: configure the CA, or (for a test server) skip verification at step 6.';
    case 'tls-protocol':
    case 'reset':
      return 'The server closed the connection: rediss:// to a port without TLS, or redis:// to a TLS port?';
    default:
      return undefined;
  }
}

